"""The owner's webhook pages: endpoints, their secret, a test event, and each one's delivery log with replay.

Thin: each view parses the form, calls one service or selector and renders. A new secret is shown on the response
that made it and nowhere else (no redirect, no session, no message)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from core.forms import SubmissionKeyField
from pos_project.errors import NOT_FOUND, ServiceError
from pos_project.forms import TextField, form_add_service_errors

from ..models.webhooks import WebhookDelivery, WebhookEndpoint
from . import selectors, services
from .events import event_choices

CAPABILITY = "integrations.manage"
LOG_PER_PAGE = 25


class EndpointForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("Address (URL)"), max_length=500, assume_scheme="https",
                         help_text=gettext_lazy("Where we POST each event, e.g. https://example.com/pos-webhooks. "
                                                "Public addresses only; redirects are not followed."))  # fmt: skip
    description = TextField(label=gettext_lazy("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=gettext_lazy("Events to send"), choices=event_choices,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
    # Hidden (new endpoints only): the form sent twice (a reload of the page showing the secret) registers one.
    key = SubmissionKeyField()


def _endpoint(pk: int) -> WebhookEndpoint:
    endpoint = selectors.webhook_endpoint_get(pk)
    if endpoint is None:
        raise Http404("No webhook endpoint matches the given query.")
    return endpoint


@capability_required(CAPABILITY)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(selectors.webhook_endpoint_list())
    return render(request, "integrations/webhooks/list.html", {"endpoints": endpoints})


@capability_required(CAPABILITY)
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=request.user,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                idempotency_key=data["key"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if not secret:  # the form sent again: registered then, its secret shown only then
                messages.info(request, _("That form was already sent: this endpoint was added then, and its secret "
                                         "shown only then. If it was not copied, make a new secret."))  # fmt: skip
                return redirect("webhooks:detail", pk=endpoint.pk)
            return _detail(request, endpoint, new_secret=secret, status=201)
    status = 400 if form.errors else 200
    return render(request, "integrations/webhooks/form.html", {"form": form, "endpoint": None}, status=status)


@capability_required(CAPABILITY)
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = {name: form.cleaned_data[name] for name in ("url", "events", "description")}
            services.webhook_endpoint_update(endpoint_id=endpoint.pk, actor=request.user, **data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhooks:detail", pk=endpoint.pk)
    status = 400 if form.errors else 200
    return render(request, "integrations/webhooks/form.html", {"form": form, "endpoint": endpoint}, status=status)


@capability_required(CAPABILITY)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _endpoint(pk))


def _detail(request: HttpRequest, endpoint: WebhookEndpoint, *, new_secret: str = "", status: int = 200):
    state = request.GET.get("state", "")
    if state not in WebhookDelivery.State.values:
        state = ""
    log = selectors.webhook_delivery_log(endpoint=endpoint, state=state or None)
    page = Paginator(log, LOG_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.webhook_delivery_counts(endpoint=endpoint)
    tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in WebhookDelivery.State.choices
    ]
    now = timezone.now()
    context = {
        "endpoint": endpoint,
        "page": page,
        "state": state,
        "tabs": tabs,
        "new_secret": new_secret,
        "overlap": endpoint.previous_secret_until if services.secrets_live(endpoint, now=now)[1:] else None,
        "now": now,
    }
    return render(request, "integrations/webhooks/detail.html", context, status=status)


def _act(request: HttpRequest, call, done: str) -> None:
    try:
        call()
    except ServiceError as exc:
        messages.error(request, str(exc.summary))
    else:
        messages.success(request, done)


@require_POST
@capability_required(CAPABILITY)
def endpoint_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Turn off, turn on, send a test event, or remove; back to the endpoint (or the list after removing)."""
    endpoint = _endpoint(pk)
    user = request.user
    if action == "disable":
        _act(request, lambda: services.webhook_endpoint_disable(endpoint_id=endpoint.pk, actor=user),
             _("The endpoint is off: no events are sent to it until you turn it on."))  # fmt: skip
    elif action == "enable":
        _act(request, lambda: services.webhook_endpoint_enable(endpoint_id=endpoint.pk, actor=user),
             _("The endpoint is on again; deliveries still waiting go out within seconds."))  # fmt: skip
    elif action == "test":
        _act(request, lambda: services.webhook_test_send(endpoint_id=endpoint.pk, actor=user),
             _("A test event is queued; it goes out within seconds. Reload to see the answer."))  # fmt: skip
    elif action == "delete":
        _act(request, lambda: services.webhook_endpoint_delete(endpoint_id=endpoint.pk, actor=user),
             _("The endpoint and its delivery log are removed."))  # fmt: skip
        return redirect("webhooks:list")
    else:
        raise Http404("No such action.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_POST
@capability_required(CAPABILITY)
def secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret, shown on this response only; the old one keeps signing for the overlap."""
    endpoint = _endpoint(pk)
    secret = services.webhook_secret_rotate(endpoint_id=endpoint.pk, actor=request.user)
    endpoint.refresh_from_db()
    return _detail(request, endpoint, new_secret=secret)


@require_POST
@capability_required(CAPABILITY)
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        delivery = services.webhook_delivery_replay(delivery_id=pk, actor=request.user)
    except ServiceError as exc:
        if exc.status == NOT_FOUND:
            raise Http404(str(exc.summary)) from None
        messages.error(request, str(exc.summary))
        delivery = WebhookDelivery.objects.only("endpoint_id").get(pk=pk)
    else:
        messages.success(request, _("The delivery is sent again within seconds."))
    url = reverse("webhooks:detail", args=[delivery.endpoint_id])
    state = request.POST.get("state", "")
    if state in WebhookDelivery.State.values:
        url += "?" + urlencode({"state": state})
    return redirect(url)

"""A business's side of support access (tenants/support.py). Thin: parse, one service or selector, render."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import capability_required, forbidden
from pos_project.errors import ServiceError

from .support import GRANT_SESSION_KEY, support_grant_end, support_grants_of_this_business, support_handoff_redeem

_BACKEND = "accounts.backends.CachedModelBackend"


@never_cache
@require_GET
def support_enter(request: HttpRequest) -> HttpResponse:
    """The hand-off link from the platform's admin: used once, it signs this browser in as the admin's stand-in
    for the grant's time. Anything else is refused and changes nothing."""
    try:
        grant, user = support_handoff_redeem(token=request.GET.get("t", ""))
    except ServiceError as refused:
        return forbidden(request, refused.messages[0])
    request.support_grant = grant  # the sign-in's session is a support one (accounts/signals.py)
    login(request, user, backend=_BACKEND)
    request.session[GRANT_SESSION_KEY] = grant.pk
    response = redirect("backoffice:dashboard")
    response["Referrer-Policy"] = "no-referrer"
    return response


@capability_required("support.manage")
def support_index(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/support_index.html", {"grants": support_grants_of_this_business()[:100]})


@require_POST
@capability_required("support.manage")
def support_end(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(support_grants_of_this_business().select_related("tenant"), pk=pk)
    if support_grant_end(grant=grant, owner=request.user, request=request):
        messages.success(request, _("Support access by %(admin)s has ended.") % {"admin": grant.admin_username})
    else:
        messages.info(request, _("That support access had already ended."))
    return redirect("tenants:support_index")

"""The owner's webhook pages: add (secret shown once), edit, turn off and on, test event, new secret, delivery log
with replay, remove; bounded query counts; other roles and other tenants refused with nothing changed."""

import re

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint

from . import webhook_receiver
from .webhook_factories import WebhookDeliveryFactory, WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture
pytestmark = pytest.mark.django_db


def _rows(response) -> int:
    return response.content.decode().count('data-testid="delivery-row"')


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(tenant, receiver):
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get(reverse("webhooks:create"))
    assert page.status_code == 200 and "order.paid: An order is paid in full" in page.content.decode()
    response = owner.post(reverse("webhooks:create"), {"url": receiver.url(), "description": "Accounting",
                                                       "events": ["order.paid", "order.refunded"]})  # fmt: skip
    assert response.status_code == 201
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.events == ["order.paid", "order.refunded"] and endpoint.description == "Accounting"
        assert AuditEntry.objects.filter(action=AuditAction.WEBHOOK_CREATE.value).count() == 1
    shown = re.search(r'data-testid="webhook-new-secret">([^<]+)<', response.content.decode())[1]
    assert shown == endpoint.secret
    again = owner.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in again and "It is not shown again" in again
    listing = owner.get(reverse("webhooks:list")).content.decode()
    assert receiver.url() in listing and endpoint.secret not in listing
    assert 'href="/backoffice/webhooks/"' in listing  # in the back office's navigation


def test_the_form_sent_again_registers_one_endpoint(tenant, receiver):
    """A reload of the page that showed the secret sends the form again: the same endpoint, opened without its
    secret, and the owner told why."""
    owner = tenant.client(Role.ADMIN_TENANT)
    key = re.search(r'name="key" value="([0-9a-f]{32})"', owner.get(reverse("webhooks:create")).content.decode())[1]
    form = {"url": receiver.url(), "events": ["order.paid"], "key": key}
    assert owner.post(reverse("webhooks:create"), form).status_code == 201
    again = owner.post(reverse("webhooks:create"), form, follow=True)
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpoint.objects.get()
        assert AuditEntry.objects.filter(action=AuditAction.WEBHOOK_CREATE.value).count() == 1
    assert again.redirect_chain == [(reverse("webhooks:detail", args=[endpoint.pk]), 302)]
    page = again.content.decode()
    assert "That form was already sent" in page and endpoint.secret not in page


@pytest.mark.parametrize(
    ("url", "code_text"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1"),
        ("http://10.1.2.3/hooks", "10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/hooks", "::1"),
        ("http://localhost/hooks", "Webhooks may not go to"),
        ("ftp://example.com/hooks", "Enter an http:// or https:// address."),
    ],
)
def test_a_private_address_is_refused_on_the_form(tenant, url, code_text):
    owner = tenant.client(Role.ADMIN_TENANT)
    response = owner.post(reverse("webhooks:create"), {"url": url, "events": ["order.paid"]})
    assert response.status_code == 400 and code_text in response.content.decode()
    with tenant_context(tenant.tenant):
        assert not WebhookEndpoint.objects.exists() and not AuditEntry.objects.filter(action="webhook.create").exists()


def test_the_owner_edits_turns_off_and_on_and_removes(tenant, receiver):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpointFactory(url=receiver.url())
    response = owner.post(reverse("webhooks:edit", args=[endpoint.pk]),
                          {"url": receiver.url("/v2"), "events": ["stock.low"]})  # fmt: skip
    assert response.status_code == 302
    off = owner.post(reverse("webhooks:disable", args=[endpoint.pk]))
    assert off.status_code == 302
    page = owner.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert 'data-testid="webhook-off"' in page and 'data-testid="webhook-enable"' in page
    refused = owner.post(reverse("webhooks:test", args=[endpoint.pk]), follow=True).content.decode()
    assert "Turn the endpoint on before sending it a test event." in refused
    owner.post(reverse("webhooks:enable", args=[endpoint.pk]))
    owner.post(reverse("webhooks:test", args=[endpoint.pk]))
    with tenant_context(tenant.tenant):
        endpoint.refresh_from_db()
        assert endpoint.url == receiver.url("/v2") and endpoint.events == ["stock.low"] and endpoint.is_active
        assert WebhookDelivery.objects.get().event_type == "webhook.test"
        actions = list(AuditEntry.objects.filter(target_id=str(endpoint.pk), action__startswith="webhook.")
                       .order_by("pk").values_list("action", flat=True))  # fmt: skip
        assert actions == ["webhook.update", "webhook.disable", "webhook.enable"]
    gone = owner.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert gone.status_code == 302 and gone["Location"] == reverse("webhooks:list")
    with tenant_context(tenant.tenant):
        assert not WebhookEndpoint.objects.exists()
        assert AuditEntry.objects.filter(action="webhook.delete", target_id=str(endpoint.pk)).exists()


def test_a_new_secret_is_shown_once_with_the_overlap(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpointFactory()
    old = endpoint.secret
    response = owner.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    page = response.content.decode()
    with tenant_context(tenant.tenant):
        endpoint.refresh_from_db()
    assert response.status_code == 200 and endpoint.secret in page and old not in page
    assert 'data-testid="webhook-overlap"' in page
    assert endpoint.secret not in owner.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()


def test_the_delivery_log_pages_with_a_bounded_query_count(tenant, django_assert_max_num_queries):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpointFactory()
        WebhookDeliveryFactory.create_batch(5, endpoint=endpoint)
        WebhookDeliveryFactory.create_batch(2, endpoint=endpoint, state="failed", next_attempt_at=None, attempts=9,
                                            response_status=500, response_body="upstream down")  # fmt: skip
        WebhookEndpointFactory.create_batch(3)
    detail = reverse("webhooks:detail", args=[endpoint.pk])
    owner.get(detail)  # warm-up (sessions, settings cache)
    with django_assert_max_num_queries(10):
        first = owner.get(detail)
    with django_assert_max_num_queries(10):
        listing = owner.get(reverse("webhooks:list"))
    assert _rows(first) == 7 and "All (7)" in first.content.decode() and "Failed (2)" in first.content.decode()
    assert (
        "upstream down" in first.content.decode() and listing.content.decode().count('data-testid="webhook-row"') == 4
    )
    with tenant_context(tenant.tenant):
        WebhookDeliveryFactory.create_batch(40, endpoint=endpoint)
        WebhookEndpointFactory.create_batch(20)
    with django_assert_max_num_queries(10):
        more = owner.get(detail)
    with django_assert_max_num_queries(10):
        owner.get(reverse("webhooks:list"))
    assert _rows(more) == 25
    assert _rows(owner.get(detail, {"page": 2})) == 22
    failed = owner.get(detail, {"state": "failed"})
    assert _rows(failed) == 2 and failed.content.decode().count('data-testid="delivery-replay"') == 2


def test_replay_from_the_log(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        delivery = WebhookDeliveryFactory(state="failed", next_attempt_at=None, attempts=9)
    response = owner.post(reverse("webhooks:replay", args=[delivery.pk]), {"state": "failed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:detail", args=[delivery.endpoint_id]) + "?state=failed"
    with tenant_context(tenant.tenant):
        delivery.refresh_from_db()
        assert delivery.state == "pending" and delivery.next_attempt_at is not None
    assert owner.post(reverse("webhooks:replay", args=[delivery.pk + 999])).status_code == 404


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_other_roles_are_refused_and_nothing_changes(tenant, role):
    with tenant_context(tenant.tenant):
        endpoint = WebhookEndpointFactory()
        secret = endpoint.secret
    client = tenant.client(role)
    assert client.get(reverse("webhooks:list")).status_code == 403
    assert client.post(reverse("webhooks:rotate", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:delete", args=[endpoint.pk])).status_code == 403
    with tenant_context(tenant.tenant):
        endpoint.refresh_from_db()
        assert endpoint.secret == secret and not AuditEntry.objects.filter(action__startswith="webhook.").exists()


def test_another_tenants_endpoint_is_not_found(tenant, other_tenant):
    with tenant_context(other_tenant.tenant):
        theirs = WebhookEndpointFactory()
        secret = theirs.secret
    owner = tenant.client(Role.ADMIN_TENANT)
    assert owner.get(reverse("webhooks:detail", args=[theirs.pk])).status_code == 404
    assert owner.post(reverse("webhooks:rotate", args=[theirs.pk])).status_code == 404
    with tenant_context(other_tenant.tenant):
        theirs.refresh_from_db()
        assert theirs.secret == secret

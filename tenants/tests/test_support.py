"""Support access (tenants/support.py): a platform super admin enters a business's back office with a reason, for
at most an hour, through a one-use link; a banner shows; both audit logs record it; the owner sees and ends it."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import UserFactory
from conftest import STAFF_PASSWORD
from pos_project.errors import ServiceError
from tenants.models import SupportGrant
from tenants.support import support_grant_start

REASON = "Ticket 4711: the owner cannot find the tax settings"


@pytest.fixture
def admin(db):
    with schema_context("public"):
        return UserFactory(username="root-support", role=Role.SUPER_ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin):
    """Signed in past the second step (the admin requires it), as the sign-in page leaves a super admin."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import OWNER_TOTP_KEY, otp_verify_session

    client = Client(HTTP_HOST="pos.test")
    with schema_context("public"):
        TOTPDevice.objects.create(user=admin, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
        client.force_login(admin)
        otp_verify_session(client, admin)
    return client


def _counts(tenant) -> tuple[int, int, int]:
    """Grants, platform audit entries, the business's audit entries."""
    with schema_context("public"):
        grants, public = SupportGrant.objects.count(), AuditEntry.objects.count()
    with tenant_context(tenant.tenant):
        return grants, public, AuditEntry.objects.count()


def _start(tenant, admin, minutes=30) -> str:
    with schema_context("public"):
        return support_grant_start(tenant=tenant.tenant, admin=admin, reason=REASON, minutes=minutes).url


def _enter(tenant, url) -> tuple[Client, object]:
    client = Client(HTTP_HOST=tenant.host)
    parts = urlsplit(url)
    assert parts.netloc == tenant.host and parts.path == "/support/enter/"
    return client, client.get(parts.path, {"t": parse_qs(parts.query)["t"][0]})


def _signed_in(client) -> bool:
    return client.get("/backoffice/").status_code == 200


def test_no_reason_is_refused_and_nothing_is_recorded(tenant, admin, admin_client):
    before = _counts(tenant)
    for reason in ("", "   ", "because"):
        with pytest.raises(ServiceError) as refused, schema_context("public"):
            support_grant_start(tenant=tenant.tenant, admin=admin, reason=reason, minutes=30)
        assert refused.value.code == "support.invalid" and "reason" in refused.value.message_dict
    response = admin_client.post(f"/admin/tenants/tenant/{tenant.tenant.pk}/support/", {"reason": "", "minutes": 30})
    assert response.status_code == 400 and "Say why you need to enter" in response.content.decode()
    assert _counts(tenant) == before


def test_more_than_an_hour_is_refused_by_the_service_and_the_database(tenant, admin):
    with pytest.raises(ServiceError) as refused, schema_context("public"):
        support_grant_start(tenant=tenant.tenant, admin=admin, reason=REASON, minutes=61)
    assert "minutes" in refused.value.message_dict
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic(), schema_context("public"):
        SupportGrant.objects.create(tenant=tenant.tenant, admin_id=admin.pk, admin_username="x", reason=REASON,
                                    started_at=now, expires_at=now + timedelta(minutes=61),
                                    handoff_digest="x")  # fmt: skip


def test_the_admin_enters_the_back_office_with_a_banner_and_both_logs_record_it(tenant, admin, admin_client):
    url = f"/admin/tenants/tenant/{tenant.tenant.pk}/support/"
    response = admin_client.post(url, {"reason": REASON, "minutes": 30})
    assert response.status_code == 302
    client, entered = _enter(tenant, response["Location"])
    assert entered.status_code == 302 and entered["Location"] == "/backoffice/"
    page = client.get("/backoffice/").content.decode()
    assert 'data-testid="support-banner"' in page
    banner = page.split('data-testid="support-banner"')[1].split("</div>")[0]
    assert "root-support" in banner and REASON in banner and "until" in banner
    with schema_context("public"):
        grant = SupportGrant.objects.get(tenant=tenant.tenant)
        platform = AuditEntry.objects.get(action="support.start", target_label="alpha")
    assert platform.actor_username == "root-support" and platform.data["reason"] == REASON
    assert grant.expires_at - grant.started_at == timedelta(minutes=30) and grant.handoff_used_at is not None
    with tenant_context(tenant.tenant):
        local = AuditEntry.objects.get(action="support.start")
        assert local.actor_username == "platform-support:root-support" and local.data["reason"] == REASON
        stand_in = User.objects.get(username="platform-support:root-support")
        assert not stand_in.has_usable_password() and not stand_in.pin_hash
    # The back office to look and set up; never the till, money, staff accounts or devices.
    assert client.get("/backoffice/audit/").status_code == 200
    for refused in ("/till/", "/backoffice/staff/", "/device/", "/supervisor/"):
        assert client.get(refused).status_code == 403, refused
    # Staff lists do not show the stand-in.
    owner = tenant.client(Role.ADMIN_TENANT)
    assert "platform-support" not in owner.get("/backoffice/staff/").content.decode()


def test_the_handoff_link_cannot_be_replayed(tenant, admin):
    url = _start(tenant, admin)
    first, entered = _enter(tenant, url)
    assert entered.status_code == 302 and _signed_in(first)
    second, replayed = _enter(tenant, url)
    assert replayed.status_code == 403 and "not valid here" in replayed.content.decode()
    assert "_auth_user_id" not in second.session


def test_a_grant_for_one_business_cannot_open_another(tenant, other_tenant, admin):
    url = _start(tenant, admin)
    token = parse_qs(urlsplit(url).query)["t"][0]
    elsewhere = Client(HTTP_HOST=other_tenant.host)
    refused = elsewhere.get("/support/enter/", {"t": token})
    assert refused.status_code == 403 and "_auth_user_id" not in elsewhere.session
    with tenant_context(other_tenant.tenant):
        assert not User.objects.filter(username__startswith="platform-support").exists()
    with schema_context("public"):
        assert SupportGrant.objects.get(tenant=tenant.tenant).handoff_used_at is None  # nothing was claimed


def test_an_expired_grant_or_link_is_refused_and_a_session_ends_with_its_grant(tenant, admin):
    url = _start(tenant, admin)
    token = parse_qs(urlsplit(url).query)["t"][0]

    class LongAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 300)

    old = LongAgo(salt="tenants.support-handoff").sign_object(signing.loads(token, salt="tenants.support-handoff"),
                                                               compress=True)  # fmt: skip
    stale = Client(HTTP_HOST=tenant.host)
    assert stale.get("/support/enter/", {"t": old}).status_code == 403  # a link older than two minutes
    client, entered = _enter(tenant, url)
    assert _signed_in(client)
    now = timezone.now()
    with schema_context("public"):
        SupportGrant.objects.filter(tenant=tenant.tenant).update(
            started_at=now - timedelta(minutes=61), expires_at=now - timedelta(minutes=1)
        )
    response = client.get("/backoffice/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "Support access has ended" in response.content.decode()
    assert not _signed_in(client)
    # An expired grant's unused link is refused too.
    late = _start(tenant, admin, minutes=1)
    with schema_context("public"):
        SupportGrant.objects.filter(handoff_used_at__isnull=True).update(
            started_at=now - timedelta(minutes=2), expires_at=now - timedelta(minutes=1)
        )
    assert _enter(tenant, late)[1].status_code == 403


def test_the_owner_sees_support_access_and_ends_it(tenant, admin):
    client, _entered = _enter(tenant, _start(tenant, admin))
    assert _signed_in(client)
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get("/backoffice/support/").content.decode()
    assert "root-support" in page and REASON in page and 'data-testid="support-end"' in page
    with schema_context("public"):
        grant = SupportGrant.objects.get(tenant=tenant.tenant)
    assert owner.post(f"/backoffice/support/{grant.pk}/end/").status_code == 302
    assert not _signed_in(client)
    with schema_context("public"):
        grant.refresh_from_db()
        assert grant.ended_at is not None and grant.ended_by == "owner:owner"
        assert AuditEntry.objects.filter(action="support.end", target_label="alpha").exists()
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.get(action="support.end").actor_username == "owner"
    # Past access stays listed, without an end button.
    page = owner.get("/backoffice/support/").content.decode()
    assert REASON in page and 'data-testid="support-end"' not in page


def test_another_business_owner_cannot_end_this_ones_support_access(tenant, other_tenant, admin):
    client, _entered = _enter(tenant, _start(tenant, admin))
    with schema_context("public"):
        grant = SupportGrant.objects.get(tenant=tenant.tenant)
    other_owner = other_tenant.client(Role.ADMIN_TENANT)
    assert other_owner.post(f"/backoffice/support/{grant.pk}/end/").status_code == 404
    assert _signed_in(client)


def test_the_support_stand_in_never_signs_in_by_password_or_pin(tenant, admin):
    _enter(tenant, _start(tenant, admin))
    with tenant_context(tenant.tenant):
        stand_in = User.objects.get(username="platform-support:root-support")
        stand_in.set_password(STAFF_PASSWORD)  # even with a password somehow set
        stand_in.save()
    client = Client(HTTP_HOST=tenant.host)
    client.post("/login/", {"username": stand_in.username, "password": STAFF_PASSWORD})
    assert "_auth_user_id" not in client.session
    refused = client.post("/lock/", {"action": "sign_in", "user": stand_in.pk, "pin": "1357"})
    assert refused.status_code in (400, 403) and "_auth_user_id" not in client.session


def test_the_admin_finds_the_way_in_on_the_business_page_and_can_end_it_from_the_platform(tenant, admin, admin_client):
    page = admin_client.get(f"/admin/tenants/tenant/{tenant.tenant.pk}/change/").content.decode()
    assert f"/admin/tenants/tenant/{tenant.tenant.pk}/support/" in page
    client, _entered = _enter(tenant, _start(tenant, admin))
    assert _signed_in(client)
    with schema_context("public"):
        grant = SupportGrant.objects.get(tenant=tenant.tenant)
    response = admin_client.post("/admin/tenants/supportgrant/", {"action": "end_now", "_selected_action": [grant.pk]})
    assert response.status_code == 302
    assert not _signed_in(client)
    with schema_context("public"):
        grant.refresh_from_db()
        assert grant.ended_by == "admin:root-support"
        assert AuditEntry.objects.get(action="support.end", target_label="alpha").actor_username == "root-support"

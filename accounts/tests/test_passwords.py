"""Passwords (issue 12): the policy, no reuse of the last five (resets and one-time passwords count), and one-time
passwords that expire after 24 hours, are shown once with Cache-Control: no-store and never put in a cookie or a
message (point 11)."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import CashierFactory
from pos_project.errors import ServiceError

NEW = ["Kopi-susu-pagi-1", "Nasi-goreng-siang-2", "Es-teh-sore-3", "Sate-malam-4", "Bubur-subuh-5"]


def _change(user, current, new):
    from accounts.services import password_change

    return password_change(user=User.objects.get(pk=user.pk), current_password=current, new_password=new)


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-1", "too short"),
        ("password123", "too common"),
        ("83920174650", "entirely numeric"),
        ("budi.santoso.kasir", "too similar"),
    ],
)
def test_the_policy_refuses_short_common_numeric_and_similar_passwords(in_tenant, password, message):
    person = CashierFactory(username="budi.santoso.kasir", first_name="Budi", last_name="Santoso")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, person)
    assert message in " ".join(refused.value.messages)


def test_none_of_the_last_five_passwords_can_be_chosen_again(in_tenant):
    from conftest import STAFF_PASSWORD

    person = CashierFactory()
    current = STAFF_PASSWORD
    for new in NEW:
        _change(person, current, new)
        current = new
    for reused in NEW:  # the current one and the four before it
        with pytest.raises(ValidationError) as refused:
            _change(person, current, reused)
        assert "You have used this password recently" in " ".join(refused.value.messages)
    person = User.objects.get(pk=person.pk)
    assert person.check_password(current)
    assert AuditEntry.objects.filter(action="auth.password_change", target_label=person.username).count() == len(NEW)
    _change(person, current, STAFF_PASSWORD)  # six back: allowed again


def test_a_reset_does_not_wipe_the_history(in_tenant):
    from accounts.services import staff_reset_password

    person = CashierFactory()
    _change(person, "correct-horse-battery", NEW[0])
    one_time = staff_reset_password(user=User.objects.get(pk=person.pk), actor=in_tenant.users[Role.ADMIN_TENANT])
    with pytest.raises(ValidationError, match="used this password recently"):
        _change(person, one_time, NEW[0])  # back to the password before the reset: refused
    with pytest.raises(ValidationError, match="used this password recently"):
        _change(person, one_time, one_time)  # the one-time password itself counts
    assert User.objects.get(pk=person.pk).check_password(one_time)


# --- one-time passwords -----------------------------------------------------------------------------------------


@pytest.fixture
def owner(tenant):
    return tenant.client(Role.ADMIN_TENANT)


def _no_password_anywhere(response, password: str) -> None:
    assert "no-store" in response["Cache-Control"]
    for cookie in response.cookies.values():
        assert password not in cookie.value
    assert "messages" not in response.cookies  # Django's message cookie: signed, but anyone can read it


def test_a_new_staff_members_one_time_password_is_shown_once_and_kept_nowhere(tenant, owner):
    response = owner.post("/backoffice/staff/", {"username": "newbie", "role": Role.CASHIER})
    assert response.status_code == 201
    password = response.context["password"]
    assert password in response.content.decode()
    _no_password_anywhere(response, password)
    assert password not in str(dict(owner.session.items()))
    with tenant_context(tenant.tenant):
        user = User.objects.get(username="newbie")
        hours = (user.password_expires_at - timezone.now()) / timedelta(hours=1)
        assert 23.9 < hours <= 24


def test_a_reset_password_page_is_not_kept_either(tenant, owner):
    kitchen = tenant.users[Role.KITCHEN]
    response = owner.post(f"/backoffice/staff/{kitchen.pk}/reset-password/")
    assert response.status_code == 200
    _no_password_anywhere(response, response.context["password"])
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=kitchen.pk).password_expires_at > timezone.now() + timedelta(hours=23)


def test_a_one_time_password_stops_working_after_24_hours(tenant, owner):
    password = owner.post("/backoffice/staff/", {"username": "late.starter", "role": Role.CASHIER}).context["password"]
    with tenant_context(tenant.tenant):  # a day and a minute later
        User.objects.filter(username="late.starter").update(password_expires_at=timezone.now() - timedelta(minutes=1))
    client = tenant.client()
    refused = client.post("/login/", {"username": "late.starter", "password": password})
    assert refused.status_code == 200
    assert "Your one-time password has expired" in refused.content.decode()
    assert "Ask your manager to reset your password." in refused.content.decode()
    assert "_auth_user_id" not in client.session
    with tenant_context(tenant.tenant):
        assert not AuditEntry.objects.filter(action="auth.login", target_label="late.starter").exists()


def test_an_expired_one_time_password_cannot_be_changed_either(tenant, owner):
    """Signed in within the day, back after it: the one-time password no longer proves anything."""
    password = owner.post("/backoffice/staff/", {"username": "slow.changer", "role": Role.CASHIER}).context["password"]
    client = tenant.client()
    assert client.post("/login/", {"username": "slow.changer", "password": password}).status_code == 302
    with tenant_context(tenant.tenant):
        User.objects.filter(username="slow.changer").update(password_expires_at=timezone.now() - timedelta(seconds=1))
    new = {"current_password": password, "new_password1": NEW[0], "new_password2": NEW[0]}
    refused = client.post("/password/", new)
    assert refused.status_code == 200 and "Your one-time password has expired" in refused.content.decode()
    with tenant_context(tenant.tenant):
        assert User.objects.get(username="slow.changer").check_password(password)
        from accounts.services import password_change

        with pytest.raises(ServiceError) as excinfo:
            password_change(user=User.objects.get(username="slow.changer"), current_password=password,
                            new_password=NEW[0])  # fmt: skip
        assert excinfo.value.code == "auth.password_expired"


def test_the_platform_admin_sees_a_new_owners_password_once_never_in_a_message(db, django_db_setup):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import OWNER_TOTP_KEY, otp_verify_session
    from tenants.models import Tenant

    admin = User.objects.create_superuser("platform.ops", "ops@example.com", "a-long-admin-pass-91",
                                          role=Role.SUPER_ADMIN)  # fmt: skip
    TOTPDevice.objects.create(user=admin, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
    client = Client(HTTP_HOST="pos.test")
    client.force_login(admin)
    otp_verify_session(client, admin)  # the admin requires the second step
    response = client.post(
        "/admin/tenants/tenant/add/",
        {
            "slug": "once-cafe",
            "name": "Once Café",
            "owner_email": "o@once.example",
            "owner_username": "owner",
            "currency": "IDR",
        },  # fmt: skip
    )
    assert response.status_code == 201
    password = response.context["result"].owner_password
    assert password in response.content.decode()
    _no_password_anywhere(response, password)
    assert password not in str(dict(client.session.items()))
    assert Tenant.objects.filter(slug="once-cafe").exists()

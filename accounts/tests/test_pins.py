"""PINs: the lock after five wrong tries, approvals that check one hash, registered tills, the lock screen and
PIN sign-in (issue 11, points 6 and 8). The browser walks are in test_browser_approval.py and test_browser_pin.py."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, TillDevice, User
from accounts.tests.factories import CashierFactory, SupervisorFactory
from pos_project.errors import ServiceError


def _set_pin(user, pin):
    """On a fresh copy: the session's staff objects are shared by every test, and must keep no PIN in memory."""
    from accounts.services import staff_set_pin

    return staff_set_pin(user=User.objects.get(pk=user.pk), pin=pin, actor=user)


# --- the PIN lock -----------------------------------------------------------------------------------------------


def test_five_wrong_pins_lock_it_until_the_owner_unlocks_and_a_right_one_resets_the_count(in_tenant):
    from accounts.services import pin_check, staff_pin_unlock

    cashier, owner = in_tenant.users[Role.CASHIER], in_tenant.users[Role.ADMIN_TENANT]
    _set_pin(cashier, "1357")
    for left in (4, 3):
        with pytest.raises(ServiceError, match=f"Wrong PIN. {left} tries left") as refused:
            pin_check(user=cashier, pin="0000", purpose="pin.sign_in")
        assert refused.value.code == "pin.wrong"
    pin_check(user=cashier, pin="1357", purpose="pin.sign_in")  # right: the count starts again
    assert User.objects.get(pk=cashier.pk).pin_failures == 0
    for _ in range(4):
        with pytest.raises(ServiceError, match="Wrong PIN"):
            pin_check(user=cashier, pin="0000", purpose="pin.sign_in")
    with pytest.raises(ServiceError, match="locked after 5 wrong tries") as refused:
        pin_check(user=cashier, pin="0000", purpose="pin.sign_in")
    assert refused.value.code == "pin.locked"
    with pytest.raises(ServiceError, match="locked"):
        pin_check(user=cashier, pin="1357", purpose="pin.sign_in")  # even the right PIN, once locked
    locked = User.objects.get(pk=cashier.pk)
    assert locked.pin_locked_at is not None and locked.pin_failures == 5
    assert AuditEntry.objects.filter(action="auth.pin_failed", target_label="cashier").count() == 6
    assert AuditEntry.objects.filter(action="auth.pin_locked", target_label="cashier").count() == 1

    staff_pin_unlock(user=locked, actor=owner)
    assert AuditEntry.objects.filter(action="staff.pin_unlock", target_label="cashier", actor=owner).exists()
    pin_check(user=User.objects.get(pk=cashier.pk), pin="1357", purpose="pin.sign_in")


def test_a_new_pin_lifts_a_lock(in_tenant):
    from accounts.services import pin_check

    cashier = in_tenant.users[Role.CASHIER]
    _set_pin(cashier, "1357")
    User.objects.filter(pk=cashier.pk).update(pin_failures=5, pin_locked_at="2026-01-01T00:00Z")
    _set_pin(User.objects.get(pk=cashier.pk), "2468")
    pin_check(user=User.objects.get(pk=cashier.pk), pin="2468", purpose="pin.sign_in")


def test_without_a_pin_the_message_says_where_to_set_one(in_tenant):
    from accounts.services import pin_check

    with pytest.raises(ServiceError, match="Cashier has no PIN yet: set one in Back office → Staff") as refused:
        pin_check(user=in_tenant.users[Role.CASHIER], pin="1357", purpose="pin.sign_in")
    assert refused.value.code == "pin.not_set"


# --- approvals ---------------------------------------------------------------------------------------------------


def test_approval_checks_one_hash_however_many_supervisors_have_a_pin(in_tenant):
    """The slow hash runs once per approval: the approver is picked first (today 0.75–1.0 s came from hashing)."""
    from accounts import services

    supervisors = [SupervisorFactory() for _ in range(6)]
    for n, supervisor in enumerate(supervisors):
        _set_pin(supervisor, f"{2580 + n * 7}")
    chosen = supervisors[3]
    with mock.patch.object(services, "check_password", wraps=services.check_password) as hashed:
        assert services.approver_verify(pin="2601", approver_id=chosen.pk, capability="discount.over_limit") == chosen
    assert hashed.call_count == 1


def test_with_several_approvers_one_is_chosen_and_with_one_the_pin_alone_will_do(in_tenant):
    from accounts.services import approver_verify

    supervisor = in_tenant.users[Role.SUPERVISOR]
    _set_pin(supervisor, "2580")
    assert approver_verify(pin="2580", capability="discount.over_limit") == supervisor  # the only approver
    other = SupervisorFactory()
    _set_pin(other, "3690")
    with pytest.raises(ServiceError, match="Choose the supervisor who approves") as refused:
        approver_verify(pin="3690", capability="discount.over_limit")
    assert refused.value.code == "approval.choose"
    assert approver_verify(pin="3690", approver_id=other.pk, capability="discount.over_limit") == other


def test_no_supervisor_with_a_pin_says_where_to_set_one(in_tenant):
    from accounts.services import approver_verify

    supervisor = in_tenant.users[Role.SUPERVISOR]
    for kwargs in ({}, {"approver_id": supervisor.pk}):
        with pytest.raises(ServiceError) as refused:
            approver_verify(pin="2580", capability="discount.over_limit", **kwargs)
        assert refused.value.code == "approval.no_approver"
        assert refused.value.messages == ["No supervisor has a PIN yet: set one in Back office → Staff."]
    _set_pin(SupervisorFactory(), "3690")
    with pytest.raises(ServiceError, match="Supervisor has no PIN yet"):
        approver_verify(pin="2580", approver_id=supervisor.pk, capability="discount.over_limit")


def test_a_cashier_picked_as_approver_is_refused_whatever_their_pin(in_tenant):
    from accounts.services import approver_verify

    cashier = in_tenant.users[Role.CASHIER]
    _set_pin(cashier, "1357")
    with pytest.raises(ServiceError, match="Cashier cannot approve this"):
        approver_verify(pin="1357", approver_id=cashier.pk, capability="discount.over_limit")
    assert User.objects.get(pk=cashier.pk).pin_failures == 0  # no hash was checked, nothing counted


def test_a_signed_in_supervisor_approves_their_own_request_with_one_tap_and_it_is_audited(in_tenant):
    from accounts.services import approval_resolve

    supervisor, cashier = in_tenant.users[Role.SUPERVISOR], in_tenant.users[Role.CASHIER]
    approver = approval_resolve(user=supervisor, approver={"self": True}, capability="discount.over_limit")
    assert approver == supervisor
    entry = AuditEntry.objects.get(action="approval.granted")
    assert entry.actor == supervisor and entry.data == {"for": "discount.over_limit", "self": True}
    with pytest.raises(ServiceError, match="Your role cannot approve this"):
        approval_resolve(user=cashier, approver={"self": True}, capability="discount.over_limit")
    assert approval_resolve(user=cashier, approver=None, capability="discount.over_limit") is None


# --- registered tills, the lock screen, PIN sign-in -------------------------------------------------------------


def _register(tenant, name="Counter"):
    """A supervisor registers a browser (this client) as a till, then signs out on it: the client keeps the
    device's cookie."""
    client = Client(HTTP_HOST=tenant.host)
    with tenant_context(tenant.tenant):
        client.force_login(tenant.users[Role.SUPERVISOR])
    response = client.post("/device/", {"action": "register", "name": name})
    assert response.status_code == 302
    client.post("/logout/")
    return client


@pytest.fixture
def pins(tenant):
    with tenant_context(tenant.tenant):
        _set_pin(tenant.users[Role.CASHIER], "1357")
        _set_pin(tenant.users[Role.SUPERVISOR], "2468")
        _set_pin(tenant.users[Role.ADMIN_TENANT], "3690")
    return {role: tenant.users[role].pk for role in (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN_TENANT)}


def test_registering_a_till_is_audited_and_needs_a_manager(tenant):
    _register(tenant, "Counter 1")
    with tenant_context(tenant.tenant):
        device = TillDevice.objects.get(name="Counter 1")
        assert device.registered_by == tenant.users[Role.SUPERVISOR]
        assert AuditEntry.objects.filter(action="device.register", target_label="Counter 1").exists()
    assert tenant.client(Role.CASHIER).post("/device/", {"name": "Mine"}).status_code == 403


def test_an_unregistered_browser_gets_no_pin_sign_in(tenant, pins):
    client = Client(HTTP_HOST=tenant.host)
    page = client.get("/lock/").content.decode()
    assert "not a registered till" in page and "data-username" not in page
    refused = client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357"})
    assert refused.status_code == 403 and "_auth_user_id" not in client.session
    assert client.get("/login/").status_code == 200  # and its sign-in page is the password one


def test_pin_sign_in_switches_the_person_and_keeps_the_tills_register(tenant, pins, django_assert_max_num_queries):
    client = _register(tenant)
    assert client.get("/login/")["Location"] == "/lock/"  # a till's sign-in page is its lock screen
    assert client.get("/login/?password=1").status_code == 200
    page = client.get("/lock/").content.decode()
    assert 'data-username="cashier"' in page and 'data-username="supervisor"' in page

    signed_in = client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/till/"
    session = client.session
    session["till_register_id"] = 42  # what opening a shift on this device stores
    session.save()
    # The cashier locks the till; the supervisor signs in and is sent back to the till with the same register.
    locked = client.post("/lock/", {"action": "lock", "next": "/till/"})
    assert locked["Location"] == "/lock/?next=%2Ftill%2F"
    assert "_auth_user_id" not in client.session and client.session["till_register_id"] == 42
    # 3 of them find the tenant, 6 are the new session, 1 its row in the list of signed-in devices
    with django_assert_max_num_queries(20):
        switched = client.post(
            "/lock/", {"action": "sign_in", "user": pins[Role.SUPERVISOR], "pin": "2468", "next": "/till/"}
        )
    assert switched["Location"] == "/till/"
    assert client.session["_auth_user_id"] == str(pins[Role.SUPERVISOR])
    assert client.session["till_register_id"] == 42
    # Straight from one person to another, without locking first: still the same register.
    client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357"})
    assert client.session["_auth_user_id"] == str(pins[Role.CASHIER]) and client.session["till_register_id"] == 42
    with tenant_context(tenant.tenant):
        entry = AuditEntry.objects.filter(action="auth.login", target_label="supervisor").latest("id")
        assert entry.data == {"by": "pin", "device": "Counter"}
        assert TillDevice.objects.get(name="Counter").last_used_at is not None


def test_next_is_followed_only_where_the_new_person_may_go(tenant, pins):
    client = _register(tenant)
    kitchen_ok = client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357",
                                        "next": "/backoffice/"})  # fmt: skip
    assert kitchen_ok["Location"] == "/till/"  # a cashier cannot open the back office: their own home instead
    away = client.post(
        "/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357", "next": "https://evil.test/"}
    )
    assert away["Location"] == "/till/"


def test_a_wrong_pin_keeps_the_chosen_person_and_says_why(tenant, pins):
    client = _register(tenant)
    refused = client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "0000"})
    assert refused.status_code == 403
    html = refused.content.decode()
    assert "Wrong PIN. 4 tries left before it locks." in html
    assert f'value="{pins[Role.CASHIER]}" checked' in html
    assert "_auth_user_id" not in client.session
    nobody = client.post("/lock/", {"action": "sign_in", "pin": "1357"})
    assert "Tap your name first." in nobody.content.decode()


def test_owners_sign_in_with_their_password_not_a_pin(tenant, pins):
    client = _register(tenant)
    refused = client.post("/lock/", {"action": "sign_in", "user": pins[Role.ADMIN_TENANT], "pin": "3690"})
    assert refused.status_code == 403 and "signs in with a password." in refused.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("how", ["removed", "forged", "other tenant"])
def test_only_a_live_device_of_this_business_signs_in_by_pin(tenant, other_tenant, pins, how):
    client = _register(tenant)
    if how == "removed":
        with tenant_context(tenant.tenant):
            TillDevice.objects.update(is_active=False)
    elif how == "forged":
        client.cookies["pos_till"] = "t_alpha:00000000-0000-0000-0000-000000000000"
    else:
        cookie = client.cookies["pos_till"]
        client = Client(HTTP_HOST=other_tenant.host)
        client.cookies["pos_till"] = cookie.value
    response = client.post("/lock/", {"action": "sign_in", "user": pins[Role.CASHIER], "pin": "1357"})
    assert response.status_code == 403 and "_auth_user_id" not in client.session


def test_the_owner_sees_a_locked_pin_and_the_tills_on_the_staff_page(tenant, pins, django_assert_max_num_queries):
    _register(tenant, "Counter 9")
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=pins[Role.CASHIER]).update(pin_failures=5, pin_locked_at="2026-01-01T00:00Z")
    owner = tenant.client(Role.ADMIN_TENANT)
    with django_assert_max_num_queries(8):
        page = owner.get("/backoffice/staff/").content.decode()
    assert "Locked" in page and "Unlock PIN" in page and "Counter 9" in page
    owner.post(f"/backoffice/staff/{pins[Role.CASHIER]}/pin/unlock/")
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=pins[Role.CASHIER]).pin_locked_at is None
        device = TillDevice.objects.get(name="Counter 9")
    owner.post(f"/backoffice/devices/{device.pk}/remove/")
    with tenant_context(tenant.tenant):
        assert not TillDevice.objects.get(pk=device.pk).is_active
        assert AuditEntry.objects.filter(action="device.remove", target_label="Counter 9").exists()


def test_the_approvers_list_names_supervisors_with_a_pin(tenant, pins, django_assert_max_num_queries):
    cashier = tenant.client(Role.CASHIER)
    with django_assert_max_num_queries(5):  # the tenant (3), the person, the list
        data = cashier.get("/approvers/?for=discount.over_limit").json()
    usernames = {person["username"] for person in data["approvers"]}
    assert "supervisor" in usernames and "owner" in usernames and "cashier" not in usernames
    assert data["self"] is False
    assert tenant.client(Role.SUPERVISOR).get("/approvers/?for=discount.over_limit").json()["self"] is True
    assert cashier.get("/approvers/?for=stock.setup").status_code == 404


def test_a_pin_attempt_audits_nothing_personal_and_counts_per_person(in_tenant):
    """Parallel guesses cannot pass the limit: each try is claimed by one conditional UPDATE before the hash."""
    from accounts.services import pin_check

    a, b = CashierFactory(), CashierFactory()
    _set_pin(a, "1357")
    _set_pin(b, "2468")
    for _ in range(5):
        with pytest.raises(ValidationError):
            pin_check(user=a, pin="9999", purpose="pin.sign_in")
    pin_check(user=b, pin="2468", purpose="pin.sign_in")  # another person's count is theirs
    assert all("9999" not in str(e.data) for e in AuditEntry.objects.all())


def test_a_pages_approval_fields_offer_the_approvers_by_name(in_tenant, rf):
    from django.template import Context, Template

    form = Template('{% include "accounts/_approver_fields.html" with capability="order.refund" %}')
    request = rf.post("/", {"approver": "supervisor"})
    assert "No supervisor has a PIN yet" in form.render(Context({"request": request}))
    _set_pin(in_tenant.users[Role.SUPERVISOR], "2580")
    html = form.render(Context({"request": request}))
    assert '<option value="supervisor" selected>Supervisor</option>' in html and 'name="pin"' in html
    assert 'name="approver" autocomplete' not in html  # no username to type

import pytest
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User


@pytest.fixture
def owner(tenant):
    return tenant.client(Role.ADMIN_TENANT)


def test_owner_adds_a_staff_member_and_sees_a_one_time_password(tenant, owner):
    response = owner.post("/backoffice/staff/", {"username": "newbie", "role": Role.CASHIER, "first_name": "New"})
    assert response.status_code == 201
    password = response.context["password"]
    with tenant_context(tenant.tenant):
        user = User.objects.get(username="newbie")
        assert user.role == Role.CASHIER and user.must_change_password and user.check_password(password)
        assert AuditEntry.objects.filter(action="staff.create", target_label="newbie", actor_username="owner").exists()


def test_a_taken_username_is_refused_and_the_form_keeps_what_was_typed(tenant, owner):
    response = owner.post("/backoffice/staff/", {"username": "Cashier", "role": Role.CASHIER, "first_name": "Dup"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "already in use in this business" in html
    assert 'value="Dup"' in html
    with tenant_context(tenant.tenant):
        assert User.objects.filter(username__iexact="cashier").count() == 1


def test_owner_changes_a_role_and_it_is_audited(tenant, owner):
    cashier = tenant.users[Role.CASHIER]
    response = owner.post(f"/backoffice/staff/{cashier.pk}/", {"role": Role.SUPERVISOR, "is_active": "on"})
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=cashier.pk).role == Role.SUPERVISOR
        entry = AuditEntry.objects.get(action="staff.update", target_label="cashier")
        assert entry.data == {"role": [Role.CASHIER, Role.SUPERVISOR]}


def test_owner_cannot_lock_themself_out(tenant, owner):
    me = tenant.users[Role.ADMIN_TENANT]
    response = owner.post(f"/backoffice/staff/{me.pk}/", {"role": Role.CASHIER})
    assert response.status_code == 400
    assert "cannot change your own role" in response.content.decode()
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=me.pk).role == Role.ADMIN_TENANT


def test_reset_password_gives_a_new_one_time_password(tenant, owner):
    kitchen = tenant.users[Role.KITCHEN]
    response = owner.post(f"/backoffice/staff/{kitchen.pk}/reset-password/")
    assert response.status_code == 200
    with tenant_context(tenant.tenant):
        user = User.objects.get(pk=kitchen.pk)
        assert user.check_password(response.context["password"]) and user.must_change_password


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN, Role.SUPERVISOR])
def test_other_roles_cannot_manage_staff_and_nothing_changes(tenant, role):
    client = tenant.client(role)
    target = tenant.users[Role.KITCHEN]
    with tenant_context(tenant.tenant):
        before = User.objects.get(pk=target.pk).password
        count = User.objects.count()
    assert client.post("/backoffice/staff/", {"username": "sneaky", "role": Role.ADMIN_TENANT}).status_code == 403
    assert client.post(f"/backoffice/staff/{target.pk}/", {"role": Role.ADMIN_TENANT}).status_code == 403
    assert client.post(f"/backoffice/staff/{target.pk}/reset-password/").status_code == 403
    with tenant_context(tenant.tenant):
        assert User.objects.count() == count
        assert User.objects.get(pk=target.pk).password == before
        assert User.objects.get(pk=target.pk).role == Role.KITCHEN


def test_staff_of_another_tenant_answer_404(tenant, other_tenant, owner):
    with tenant_context(other_tenant.tenant):
        foreign = User.objects.create(username="only-in-beta", role=Role.CASHIER)
    # The same primary key may exist in alpha by coincidence; pick one that certainly does not.
    with tenant_context(tenant.tenant):
        missing_pk = User.objects.order_by("-pk").first().pk + 1000 + foreign.pk
    assert owner.get(f"/backoffice/staff/{missing_pk}/").status_code == 404


def test_a_supervisor_pin_approves_and_every_attempt_is_audited(in_tenant):
    from django.core.exceptions import ValidationError

    from accounts.services import approver_verify, staff_set_pin

    supervisor, cashier = in_tenant.users[Role.SUPERVISOR], in_tenant.users[Role.CASHIER]
    staff_set_pin(user=supervisor, pin="4821", actor=in_tenant.users[Role.ADMIN_TENANT])
    staff_set_pin(user=cashier, pin="7350", actor=in_tenant.users[Role.ADMIN_TENANT])

    assert approver_verify(username="Supervisor", pin="4821", capability="order.void") == supervisor
    with pytest.raises(ValidationError, match="Wrong PIN"):
        approver_verify(username="supervisor", pin="0000", capability="order.void")
    with pytest.raises(ValidationError, match="Approval refused: Cashier cannot approve this"):
        approver_verify(username="cashier", pin="7350", capability="order.void")  # right PIN, wrong role
    with pytest.raises(ValidationError, match="Approval refused: choose a supervisor"):
        approver_verify(username="nobody", pin="4821", capability="order.void")
    actions = list(AuditEntry.objects.filter(action__startswith="approval.").values_list("action", flat=True))
    assert sorted(actions) == ["approval.granted", "approval.refused", "approval.refused", "approval.refused"]


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("12", "4 to 6 digits"),
        ("12a4", "4 to 6 digits"),
        ("1111", "too easy"),
        ("1234", "too easy"),
        ("1357924", "4 to 6 digits"),
    ],
)
def test_weak_or_malformed_pins_are_refused(in_tenant, pin, message):
    from django.core.exceptions import ValidationError

    from accounts.services import staff_set_pin

    supervisor = in_tenant.users[Role.SUPERVISOR]
    with pytest.raises(ValidationError, match=message):
        staff_set_pin(user=supervisor, pin=pin, actor=supervisor)
    supervisor.refresh_from_db()
    assert supervisor.pin_hash == ""


def test_owner_sets_a_supervisors_pin_from_the_staff_page(tenant, owner):
    supervisor = tenant.users[Role.SUPERVISOR]
    refused = owner.post(f"/backoffice/staff/{supervisor.pk}/pin/", {"pin": "11"}, follow=True)
    assert "The PIN must be 4 to 6 digits." in refused.content.decode()
    done = owner.post(f"/backoffice/staff/{supervisor.pk}/pin/", {"pin": "4821"}, follow=True)
    assert "PIN set for Supervisor" in done.content.decode()
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=supervisor.pk).pin_hash


def test_staff_refusals_carry_stable_codes(in_tenant):
    from accounts.services import staff_create, staff_set_pin, staff_update
    from pos_project.errors import ServiceError

    owner = in_tenant.users[Role.ADMIN_TENANT]
    with pytest.raises(ServiceError) as refused:
        staff_create(username="OWNER", role="WIZARD", actor=owner)
    assert refused.value.code == "staff.invalid" and set(refused.value.message_dict) == {"username", "role"}
    assert refused.value.message_dict["role"] == ["“WIZARD” is not a staff role."]
    with pytest.raises(ServiceError) as refused:
        staff_update(user=owner, actor=owner, role=Role.CASHIER, is_active=True)
    assert (refused.value.code, refused.value.status) == ("staff.self_change", 403)
    with pytest.raises(ServiceError) as refused:
        staff_set_pin(user=owner, pin="1111", actor=owner)
    assert refused.value.code == "staff.pin_too_easy" and "pin" in refused.value.message_dict


def test_passwords_are_hashed_with_argon2id_at_owasps_minimum_and_old_hashes_are_upgraded(settings):
    """The production hasher (tests use a fast one): Argon2id, m=19 MiB, t=2, p=1; a hash with Django's default
    parameters is accepted and re-hashed to these."""
    import argon2
    from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

    from accounts.hashers import Argon2idOwaspHasher

    settings.PASSWORD_HASHERS = [
        "accounts.hashers.Argon2idOwaspHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    encoded = make_password("correct-horse-battery")
    params = argon2.extract_parameters(encoded.removeprefix("argon2"))
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (argon2.Type.ID, 19456, 2, 1)
    old = Argon2PasswordHasher().encode("correct-horse-battery", Argon2PasswordHasher().salt())
    upgraded = []
    assert check_password("correct-horse-battery", old, setter=lambda raw: upgraded.append(make_password(raw)))
    assert upgraded and Argon2idOwaspHasher().must_update(old) and not Argon2idOwaspHasher().must_update(upgraded[0])

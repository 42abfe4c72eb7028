"""The owner assigns staff to outlets on the staff edit page (issue 12, point 17); none assigned: every outlet."""

from accounts.access import outlet_allowed
from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import KitchenUserFactory, OwnerFactory
from business.tests.factories import OutletFactory


def _form(user, **changes):
    return {"first_name": user.first_name, "last_name": "", "email": user.email, "role": user.role,
            "is_active": "on", **changes}  # fmt: skip


def test_the_owner_assigns_a_cook_to_one_outlet_and_it_is_audited(in_tenant, django_assert_max_num_queries):
    main, harbour = OutletFactory(code="MAIN"), OutletFactory(code="HARBOUR", name="Harbour")
    cook = KitchenUserFactory()
    owner = in_tenant.client(Role.ADMIN_TENANT)
    with django_assert_max_num_queries(12):
        page = owner.get(f"/backoffice/staff/{cook.pk}/").content.decode()
    assert 'data-testid="staff-outlets"' in page and "Harbour" in page
    assert owner.post(f"/backoffice/staff/{cook.pk}/", _form(cook, outlet_ids=[main.pk])).status_code == 302
    cook = User.objects.get(pk=cook.pk)
    assert cook.outlet_ids == [main.pk]
    assert outlet_allowed(cook, main.pk) and not outlet_allowed(cook, harbour.pk)
    entry = AuditEntry.objects.get(action="staff.update", target_label=cook.username)
    assert entry.data == {"outlet_ids": [[], [main.pk]]}
    # Unticking every outlet gives them all back.
    assert owner.post(f"/backoffice/staff/{cook.pk}/", _form(cook)).status_code == 302
    cook = User.objects.get(pk=cook.pk)
    assert cook.outlet_ids == [] and outlet_allowed(cook, harbour.pk)


def test_an_unknown_outlet_is_refused_and_changes_nothing(in_tenant):
    cook = KitchenUserFactory()
    owner = in_tenant.client(Role.ADMIN_TENANT)
    refused = owner.post(f"/backoffice/staff/{cook.pk}/", _form(cook, outlet_ids=[999_999]))
    assert refused.status_code == 400
    assert User.objects.get(pk=cook.pk).outlet_ids == []
    assert not AuditEntry.objects.filter(action="staff.update", target_label=cook.username).exists()
    assert in_tenant.client(Role.SUPERVISOR).post(f"/backoffice/staff/{cook.pk}/",
                                                  _form(cook, outlet_ids=[1])).status_code == 403  # fmt: skip
    assert User.objects.get(pk=cook.pk).outlet_ids == []


def test_owners_reach_every_outlet_whatever_is_assigned(in_tenant):
    harbour = OutletFactory(code="HARBOUR")
    owner = OwnerFactory(outlet_ids=[OutletFactory(code="MAIN").pk])
    assert outlet_allowed(owner, harbour.pk)

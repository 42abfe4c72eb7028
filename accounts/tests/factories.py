"""Staff members of one role, written straight to the users table of the current schema (use inside a tenant:
`in_tenant` or `tenant_context`). Test data, not a second copy of `staff_create`'s rules."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from conftest import STAFF_PASSWORD


class UserFactory(DjangoModelFactory):
    """A cashier unless told otherwise; signs in with the session fixtures' password."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    first_name = factory.LazyAttribute(lambda u: u.username.title())
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.test")
    role = Role.CASHIER
    password = factory.django.Password(STAFF_PASSWORD)
    is_active = True
    must_change_password = False


class OwnerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"owner-{n}")
    role = Role.ADMIN_TENANT


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor-{n}")
    role = Role.SUPERVISOR


class CashierFactory(UserFactory):
    username = factory.Sequence(lambda n: f"cashier-{n}")
    role = Role.CASHIER


class KitchenUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"kitchen-{n}")
    role = Role.KITCHEN

"""schema_snapshot: every table of one schema, any change seen, in one query."""

from django_tenants.utils import tenant_context

from accounts.models import Role, User
from business.tests.factories import OutletFactory
from kitchen.tests.factories import TicketFactory
from pos_project.testing.snapshots import schema_snapshot


def test_a_snapshot_covers_every_table_and_sees_any_change_in_one_query(in_tenant, django_assert_num_queries):
    schema_snapshot(in_tenant.schema)  # the connection's first cursor in this schema also sets its search_path
    with django_assert_num_queries(1):
        before = schema_snapshot(in_tenant.schema)
    assert {"accounts_user", "django_session", "sales_order", "kitchen_ticket", "business_outlet"} <= set(before)
    assert before["accounts_user"][0] == User.objects.count()
    assert schema_snapshot(in_tenant.schema) == before  # nothing done, nothing changed

    TicketFactory(station__outlet=OutletFactory(code="MAIN"))
    added = schema_snapshot(in_tenant.schema)
    changed = {table for table in before if added[table] != before[table]}
    assert changed == {"kitchen_station", "kitchen_ticket", "kitchen_ticketline"}

    User.objects.filter(pk=in_tenant.users[Role.CASHIER].pk).update(first_name="Renamed")  # same count, other content
    renamed = schema_snapshot(in_tenant.schema)
    assert renamed["accounts_user"][0] == added["accounts_user"][0]
    assert renamed["accounts_user"][1] != added["accounts_user"][1]


def test_another_schema_is_not_in_the_snapshot(in_tenant, other_tenant):
    before = schema_snapshot(in_tenant.schema)
    with tenant_context(other_tenant.tenant):
        User.objects.create(username="elsewhere")
    assert schema_snapshot(in_tenant.schema) == before
    assert schema_snapshot(other_tenant.schema) != before

"""The roll-ups kept from outbox events: counted once, in the right day and hour, equal to a rebuild."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from core.outbox import outbox_relay
from reports.models import PaymentDay, ProductDay, RollupMark, SalesHour, StaffDay, TaxDay
from reports.rollups import SALE, facts_apply
from reports.selectors import Period, payment_mix, product_sales, rollups_reconcile, sales_by, sales_totals
from reports.services import rollups_rebuild
from sales.models import Order, Refund
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund, order_void
from sales.services.shifts import business_date_now
from sales.tests.conftest import resto  # noqa: F401  (the fixture)


def _sell(resto, key, lines=None, tender="card", tip=0):  # noqa: F811
    m = resto["menu"]
    lines = lines or [LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk, 1)]
    order = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=key, lines=lines)
    payment_add(order=order, user=resto["cashier"], tender=tender, idempotency_key=f"pay-{key}",
                amount_minor=order.total_minor, reference="APPR", tip_minor=tip)  # fmt: skip
    order.refresh_from_db()
    return order


def _today():
    return Period(business_date_now(), business_date_now())


def test_a_paid_order_is_counted_once_in_its_day_and_hour(resto):  # noqa: F811
    order = _sell(resto, "a", tip=2000)
    assert not SalesHour.objects.exists()  # nothing until the outbox is relayed
    outbox_relay()
    row = SalesHour.objects.get()
    assert (row.business_date, row.outlet_id, row.order_type) == (
        order.business_date,
        order.outlet_id,
        order.order_type,
    )
    assert row.hour == timezone.localtime(order.created_at, ZoneInfo(connection.tenant.timezone)).hour
    assert (row.orders, row.total_minor, row.tax_minor, row.tips_minor) == (1, 115_500, order.tax_minor, 2000)
    # The same event again, or the fact applied again by hand: nothing more.
    assert facts_apply(SALE, order_ids=[order.pk]) == 0
    assert SalesHour.objects.get().orders == 1
    totals = sales_totals(period=_today())
    assert (
        totals["total_minor"] == 115_500
        and totals["net_minor"] == 100_000
        and totals["average_ticket_minor"] == 115_500
    )
    assert {p["product_id"]: p["quantity"] for p in product_sales(period=_today())} == {
        resto["menu"]["nasi"].pk: 2, resto["menu"]["teh"].pk: 1}  # fmt: skip
    assert payment_mix(period=_today()) == [
        {"tender": "card", "payments": 1, "amount_minor": 115_500, "tips_minor": 2000, "refunds": 0,
         "refunded_minor": 0, "net_minor": 115_500}]  # fmt: skip
    assert TaxDay.objects.get().amount_minor == order.tax_minor
    staff = StaffDay.objects.get()
    assert (staff.user_id, staff.orders, staff.payments, staff.tips_minor) == (resto["cashier"].pk, 1, 1, 2000)


def test_a_refund_next_week_lands_next_week_and_a_void_when_it_was_voided(resto):  # noqa: F811
    order = _sell(resto, "a")
    outbox_relay()
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    nasi_line = order.lines.get(product=resto["menu"]["nasi"])
    order_refund(order=order, user=resto["cashier"], idempotency_key="r1", lines={nasi_line.pk: 1},
                 approved_by=supervisor, reason="cold", shift=resto["shift"])  # fmt: skip
    refund = Refund.objects.get()
    Refund.objects.filter(pk=refund.pk).update(created_at=refund.created_at + timedelta(days=7))
    m = resto["menu"]
    tab = order_submit(
        shift=resto["shift"], user=resto["cashier"], idempotency_key="v", lines=[LineRequest(m["teh"].pk)]
    )
    order_void(order=tab, user=resto["cashier"], approved_by=supervisor, reason="wrong table")
    outbox_relay()
    today, next_week = (
        _today(),
        Period(business_date_now() + timedelta(days=7), business_date_now() + timedelta(days=7)),
    )
    assert sales_totals(period=today)["refunds"] == 0 and sales_totals(period=today)["voids"] == 1
    later = sales_totals(period=next_week)
    assert (later["orders"], later["refunds"], later["refunded_minor"]) == (0, 1, refund.amount_minor)
    assert ProductDay.objects.get(business_date=next_week.start).refunded_quantity == 1
    assert PaymentDay.objects.get(business_date=next_week.start).refunded_minor == refund.amount_minor
    assert sales_by(dimension="day", period=Period(today.start, next_week.end))[1]["key"] == next_week.start
    assert rollups_reconcile(start=today.start, end=next_week.end) == []


def test_rebuild_equals_what_events_built_and_reconcile_finds_a_corrupted_row(resto):  # noqa: F811
    for i in range(3):
        _sell(resto, f"o{i}", tender=("card", "cash")[i % 2])
    outbox_relay()
    period = _today()
    before = {(r.hour, r.order_type): (r.orders, r.total_minor, r.tips_minor) for r in SalesHour.objects.all()}
    products = sorted(ProductDay.objects.values_list("product_id", "quantity", "net_minor"))
    rollups_rebuild(start=period.start, end=period.end)
    assert {(r.hour, r.order_type): (r.orders, r.total_minor, r.tips_minor) for r in SalesHour.objects.all()} == before
    assert sorted(ProductDay.objects.values_list("product_id", "quantity", "net_minor")) == products
    assert RollupMark.objects.filter(kind="s").count() == 3
    # An event relayed again after the rebuild counted its order adds nothing.
    assert facts_apply(SALE, order_ids=list(Order.objects.values_list("pk", flat=True))) == 0
    assert rollups_reconcile(start=period.start, end=period.end) == []
    SalesHour.objects.filter(pk=SalesHour.objects.first().pk).update(total_minor=1)
    differences = rollups_reconcile(start=period.start, end=period.end)
    assert [(d.table, d.column, d.actual) for d in differences] == [("reports_saleshour", "total_minor", 1)]
    rollups_rebuild(start=period.start, end=period.end)
    assert rollups_reconcile(start=period.start, end=period.end) == []


def test_kitchen_and_stock_days_are_refreshed_by_the_beat_task(resto):  # noqa: F811
    from kitchen.models import Station, Ticket
    from reports.models import KitchenDay
    from reports.selectors import kitchen_times
    from reports.tasks import rollups_refresh

    station = Station.objects.create(outlet=resto["outlet"], name="Hot", red_after_minutes=15)
    now = timezone.now()
    for minutes in (5, 20):
        ticket = Ticket.objects.create(station=station, order_id=1, order_number=1, order_type="dine_in")
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(minutes=minutes), bumped_at=now)
    Ticket.objects.create(station=station, order_id=2, order_number=2, order_type="dine_in")  # not bumped yet
    rollups_refresh()
    rollups_refresh()  # twice: the same rows, not double
    assert KitchenDay.objects.count() == 1
    [row] = kitchen_times(period=_today())
    assert (row["station_id"], row["tickets"], row["bumped"], row["late"]) == (station.pk, 3, 2, 1)
    assert row["average_seconds"] == (5 * 60 + 20 * 60) // 2 and row["max_prep_seconds"] == 20 * 60


def test_the_commands_rebuild_all_history_and_reconcile_says_what_differs(resto, capsys):  # noqa: F811
    from django.core.management import call_command
    from django.core.management.base import CommandError

    order = _sell(resto, "a")  # not relayed: roll-ups know nothing of it yet
    schema = connection.schema_name
    day = str(order.business_date)
    with pytest.raises(CommandError, match=r"\d+ differences: run reports_rebuild"):
        call_command("reports_reconcile", "--schema", schema, "--from", day, "--to", day)
    assert "orders say 1, roll-up says 0" in capsys.readouterr().out
    call_command("reports_rebuild", "--schema", schema, "--all-history")
    call_command("reports_reconcile", "--schema", schema, "--from", day, "--to", day)
    assert f"{schema}: 0 differences" in capsys.readouterr().out
    assert sales_totals(period=_today())["total_minor"] == order.total_minor
    with pytest.raises(CommandError, match="Give --from and --to, or --all-history"):
        call_command("reports_rebuild", "--schema", schema, "--from", day)
    with pytest.raises(CommandError, match="No active business"):
        call_command("reports_rebuild", "--schema", "nope", "--all-history")

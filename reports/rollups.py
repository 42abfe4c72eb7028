"""How each roll-up row is computed from the orders, written once and used three ways (docs/adr/0014).

Every roll-up table (reports/models.py) is a list of sources: a SELECT over another app's tables that yields,
per fact, the row's key and the amounts that fact adds. The same SQL then

- adds one fact as it happens (`facts_apply`, from an outbox event: an order paid, voided, refunded), guarded by
  a RollupMark so a fact is added once however often its event is relayed;
- rebuilds a date range from scratch (`rollups_rebuild`: delete the range, add every fact in it, remake marks);
- checks a date range (`rollups_reconcile`: the sum of every fact in it against what the table holds).

Facts and where they land (business dates in the tenant's time zone):
- sale: a paid (or since refunded) order, on its business date and the hour it was rung up;
- void: a voided order, on the day and hour it was voided;
- refund: a refund, on the day and hour it was given;
- kitchen, stock: tickets and stock movements, on the day they were made. These have no events worth one per
  row; `rollups_refresh_recent` (beat, every few minutes) rebuilds today and yesterday instead.

Rebuilds take the tenant's "reports.rollups" advisory lock exclusively; adding facts takes it shared, so an
event relayed during a rebuild waits, then finds its mark made by the rebuild and adds nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Model

from .models import KitchenDay, ModifierDay, PaymentDay, ProductDay, RollupMark, SalesHour, StaffDay, StockDay, TaxDay

LOCK = "reports.rollups"


@dataclass(frozen=True)
class Fact:
    """One kind of fact: how to pick its rows by id and by date range, and how its marks are found."""

    name: str
    by_ids: str  # SQL condition on the driving alias, with %(ids)s
    by_range: str  # with %(start)s/%(end)s (dates) or %(start_at)s/%(end_at)s (the range's instants)
    always: str = "TRUE"
    mark: str = ""  # RollupMark.Kind; "" = not marked (refreshed by date instead)
    # The ids of this fact's rows behind an event's order ids (the refunds of a refunded order).
    ids_of_orders: str = ""
    mark_rows: str = ""  # SELECT <id> FROM ... WHERE {where}


SALE = Fact(
    "sale",
    by_ids="o.id = ANY(%(ids)s)",
    by_range="o.business_date BETWEEN %(start)s AND %(end)s",
    always="o.status IN ('paid', 'refunded')",
    mark=RollupMark.Kind.SALE,
    ids_of_orders="SELECT o.id FROM sales_order o WHERE o.id = ANY(%(orders)s) AND o.status IN ('paid', 'refunded')",
    mark_rows="SELECT o.id FROM sales_order o WHERE {where}",
)
VOID = Fact(
    "void",
    by_ids="o.id = ANY(%(ids)s)",
    by_range="o.voided_at >= %(start_at)s AND o.voided_at < %(end_at)s",
    always="o.status = 'voided' AND o.voided_at IS NOT NULL",
    mark=RollupMark.Kind.VOID,
    ids_of_orders="SELECT o.id FROM sales_order o WHERE o.id = ANY(%(orders)s) AND o.status = 'voided'",
    mark_rows="SELECT o.id FROM sales_order o WHERE {where}",
)
REFUND = Fact(
    "refund",
    by_ids="r.id = ANY(%(ids)s)",
    by_range="r.created_at >= %(start_at)s AND r.created_at < %(end_at)s",
    mark=RollupMark.Kind.REFUND,
    ids_of_orders="SELECT r.id FROM sales_refund r WHERE r.order_id = ANY(%(orders)s)",
    mark_rows="SELECT r.id FROM sales_refund r WHERE {where}",
)
KITCHEN = Fact("kitchen", by_ids="FALSE", by_range="k.created_at >= %(start_at)s AND k.created_at < %(end_at)s")
STOCK = Fact("stock", by_ids="FALSE", by_range="m.created_at >= %(start_at)s AND m.created_at < %(end_at)s")
FACTS = (SALE, VOID, REFUND, KITCHEN, STOCK)
MARKED = (SALE, VOID, REFUND)

# Local date and hour of an instant in the tenant's time zone.
_DAY = "(({at}) AT TIME ZONE %(tz)s)::date"
_HOUR = "EXTRACT(HOUR FROM ({at}) AT TIME ZONE %(tz)s)::int"
_NET = "(o.total_minor - o.tax_minor - o.tax_included_minor - o.service_charge_minor)"


@dataclass(frozen=True)
class Source:
    fact: Fact
    frm: str  # FROM ... WHERE {where}
    cols: dict[str, str]  # column -> expression; measures left out add 0


@dataclass(frozen=True)
class Rollup:
    model: type[Model]
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    sources: tuple[Source, ...]
    labels: tuple[str, ...] = ()  # descriptive columns: the latest fact's value wins
    table: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", self.model._meta.db_table)


_ORDER = "FROM sales_order o WHERE {where}"
_PAID_PAYMENTS = "FROM sales_payment p JOIN sales_order o ON o.id = p.order_id WHERE p.status = 'captured' AND {where}"
_REFUNDS = "FROM sales_refund r JOIN sales_order o ON o.id = r.order_id WHERE {where}"
_SALE_DAY = {"outlet_id": "o.outlet_id", "business_date": "o.business_date"}
_REFUND_DAY = {"outlet_id": "o.outlet_id", "business_date": _DAY.format(at="r.created_at")}

ROLLUPS = (
    Rollup(
        SalesHour,
        keys=("business_date", "outlet_id", "hour", "order_type"),
        measures=(
            "orders",
            "gross_minor",
            "discount_minor",
            "service_charge_minor",
            "tax_minor",
            "tax_included_minor",
            "total_minor",
            "tips_minor",
            "line_voids",
            "line_voided_minor",
            "voids",
            "voided_minor",
            "refunds",
            "refunded_minor",
        ),  # fmt: skip
        sources=(
            Source(
                SALE,
                _ORDER,
                {
                    **_SALE_DAY,
                    "hour": _HOUR.format(at="o.created_at"),
                    "order_type": "o.order_type",
                    "orders": "1",
                    "gross_minor": "o.subtotal_minor",
                    "discount_minor": "o.discount_minor",
                    "service_charge_minor": "o.service_charge_minor",
                    "tax_minor": "o.tax_minor",
                    "tax_included_minor": "o.tax_included_minor",
                    "total_minor": "o.total_minor",
                    "tips_minor": "COALESCE((SELECT SUM(p.tip_minor) FROM sales_payment p WHERE p.order_id = o.id "
                    "AND p.status = 'captured'), 0)",
                    "line_voids": "(SELECT COUNT(*) FROM sales_orderline l WHERE l.order_id = o.id AND l.is_voided)",
                    "line_voided_minor": "COALESCE((SELECT SUM(l.unit_price_minor * l.quantity) FROM sales_orderline l "
                    "WHERE l.order_id = o.id AND l.is_voided), 0)",
                },
            ),  # fmt: skip
            Source(
                VOID,
                _ORDER,
                {
                    "outlet_id": "o.outlet_id",
                    "business_date": _DAY.format(at="o.voided_at"),
                    "hour": _HOUR.format(at="o.voided_at"),
                    "order_type": "o.order_type",
                    "voids": "1",
                    "voided_minor": "o.total_minor",
                },
            ),  # fmt: skip
            Source(
                REFUND,
                _REFUNDS,
                {
                    **_REFUND_DAY,
                    "hour": _HOUR.format(at="r.created_at"),
                    "order_type": "o.order_type",
                    "refunds": "1",
                    "refunded_minor": "r.amount_minor",
                },
            ),  # fmt: skip
        ),
    ),
    Rollup(
        StaffDay,
        keys=("business_date", "outlet_id", "user_id"),
        measures=(
            "orders",
            "total_minor",
            "net_minor",
            "discount_minor",
            "payments",
            "tips_minor",
            "refunds",
            "refunded_minor",
        ),  # fmt: skip
        sources=(
            Source(
                SALE,
                _ORDER,
                {
                    **_SALE_DAY,
                    "user_id": "o.created_by_id",
                    "orders": "1",
                    "total_minor": "o.total_minor",
                    "net_minor": _NET,
                    "discount_minor": "o.discount_minor",
                },
            ),  # fmt: skip
            Source(
                SALE,
                _PAID_PAYMENTS,
                {**_SALE_DAY, "user_id": "p.created_by_id", "payments": "1", "tips_minor": "p.tip_minor"},
            ),  # fmt: skip
            Source(
                REFUND,
                _REFUNDS,
                {**_REFUND_DAY, "user_id": "r.created_by_id", "refunds": "1", "refunded_minor": "r.amount_minor"},
            ),  # fmt: skip
        ),
    ),
    Rollup(
        ProductDay,
        keys=("business_date", "outlet_id", "product_id", "variant_id"),
        labels=("category_id", "name"),
        measures=("quantity", "gross_minor", "discount_minor", "net_minor", "refunded_quantity", "refunded_minor"),
        sources=(
            Source(
                SALE,
                "FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
                "LEFT JOIN catalog_product cp ON cp.id = l.product_id WHERE NOT l.is_voided AND {where}",
                {
                    **_SALE_DAY,
                    "product_id": "COALESCE(l.product_id, 0)",
                    "variant_id": "COALESCE(l.variant_id, 0)",
                    "category_id": "COALESCE(cp.category_id, 0)",
                    "name": "l.name",
                    "quantity": "l.quantity",
                    "gross_minor": "l.gross_minor",
                    "discount_minor": "l.discount_minor",
                    "net_minor": "l.net_minor",
                },
            ),  # fmt: skip
            Source(
                REFUND,
                "FROM sales_refundline rl JOIN sales_refund r ON r.id = rl.refund_id "
                "JOIN sales_orderline l ON l.id = rl.order_line_id JOIN sales_order o ON o.id = r.order_id "
                "LEFT JOIN catalog_product cp ON cp.id = l.product_id WHERE {where}",
                {
                    **_REFUND_DAY,
                    "product_id": "COALESCE(l.product_id, 0)",
                    "variant_id": "COALESCE(l.variant_id, 0)",
                    "category_id": "COALESCE(cp.category_id, 0)",
                    "name": "l.name",
                    "refunded_quantity": "rl.quantity",
                    "refunded_minor": "rl.amount_minor",
                },
            ),  # fmt: skip
        ),
    ),
    Rollup(
        ModifierDay,
        keys=("business_date", "outlet_id", "modifier_id", "name"),
        measures=("quantity", "amount_minor"),
        sources=(
            Source(
                SALE,
                "FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
                "CROSS JOIN LATERAL jsonb_array_elements(l.modifiers) m WHERE NOT l.is_voided AND {where}",
                {
                    **_SALE_DAY,
                    "modifier_id": "COALESCE((m->>'id')::bigint, 0)",
                    "name": "COALESCE(m->>'name', '')",
                    "quantity": "l.quantity",
                    "amount_minor": "COALESCE((m->>'price_delta_minor')::bigint, 0) * l.quantity",
                },
            ),  # fmt: skip
        ),
    ),
    Rollup(
        PaymentDay,
        keys=("business_date", "outlet_id", "tender"),
        measures=("payments", "amount_minor", "tips_minor", "refunds", "refunded_minor"),
        sources=(
            Source(
                SALE,
                _PAID_PAYMENTS,
                {
                    **_SALE_DAY,
                    "tender": "p.tender",
                    "payments": "1",
                    "amount_minor": "p.amount_minor",
                    "tips_minor": "p.tip_minor",
                },
            ),  # fmt: skip
            Source(
                REFUND,
                _REFUNDS,
                {**_REFUND_DAY, "tender": "r.tender", "refunds": "1", "refunded_minor": "r.amount_minor"},
            ),  # fmt: skip
        ),
    ),
    Rollup(
        TaxDay,
        keys=("business_date", "outlet_id", "code", "inclusive", "rate"),
        labels=("name",),
        measures=("orders", "amount_minor"),
        sources=(
            Source(
                SALE,
                "FROM sales_order o CROSS JOIN LATERAL jsonb_array_elements(o.tax_breakdown) t WHERE {where}",
                {
                    **_SALE_DAY,
                    "code": "COALESCE(t->>'code', '')",
                    "inclusive": "COALESCE((t->>'inclusive')::boolean, FALSE)",
                    "rate": "COALESCE((t->>'rate')::numeric, 0)",
                    "name": "COALESCE(t->>'name', '')",
                    "orders": "1",
                    "amount_minor": "COALESCE((t->>'amount_minor')::bigint, 0)",
                },
            ),  # fmt: skip
        ),
    ),
    Rollup(
        KitchenDay,
        keys=("business_date", "outlet_id", "station_id"),
        measures=("tickets", "bumped", "prep_seconds", "late", "max_prep_seconds"),
        sources=(
            Source(
                KITCHEN,
                "FROM kitchen_ticket k JOIN kitchen_station s ON s.id = k.station_id WHERE {where}",
                {
                    "outlet_id": "s.outlet_id",
                    "business_date": _DAY.format(at="k.created_at"),
                    "station_id": "k.station_id",
                    "tickets": "1",
                    "bumped": "(k.bumped_at IS NOT NULL)::int",
                    "prep_seconds": "COALESCE(EXTRACT(EPOCH FROM k.bumped_at - k.created_at)::bigint, 0)",
                    # 0 until bumped: a station whose tickets of the day are all open has late 0, not NULL.
                    "late": "COALESCE((k.bumped_at - k.created_at > s.red_after_minutes * INTERVAL '1 minute')::int, "
                    "0)",
                    "max_prep_seconds": "COALESCE(EXTRACT(EPOCH FROM k.bumped_at - k.created_at)::int, 0)",
                },
            ),  # fmt: skip
        ),
    ),
    Rollup(
        StockDay,
        keys=("business_date", "outlet_id", "item_id", "kind"),
        measures=("movements", "quantity", "value_minor"),
        sources=(
            Source(
                STOCK,
                "FROM inventory_stockmovement m WHERE {where}",
                {
                    "outlet_id": "m.outlet_id",
                    "business_date": _DAY.format(at="m.created_at"),
                    "item_id": "m.item_id",
                    "kind": "m.kind",
                    "movements": "1",
                    "quantity": "m.quantity",
                    "value_minor": "ROUND(m.quantity * m.unit_cost)::bigint",
                },
            ),  # fmt: skip
        ),
    ),
)
# Measures combined with MAX instead of a sum (they are not additive).
_MAXED = {"max_prep_seconds"}
# Tables refreshed by date (no marks): a range's rows are replaced.
REFRESHED = tuple(r for r in ROLLUPS if all(s.fact in (KITCHEN, STOCK) for s in r.sources))


def _select(rollup: Rollup, source: Source, where: str) -> str:
    columns = rollup.keys + rollup.labels + rollup.measures
    exprs = ", ".join(f"{source.cols.get(c, '0')} AS {c}" for c in columns)
    return f"SELECT {exprs} {source.frm.format(where=where)}"


def where_sql(fact: Fact, mode: str) -> str:
    return f"({fact.always}) AND ({fact.by_ids if mode == 'ids' else fact.by_range})"


def grouped_sql(rollup: Rollup, sources: list[Source], mode: str) -> str:
    union = " UNION ALL ".join(_select(rollup, s, where_sql(s.fact, mode)) for s in sources)
    keys = ", ".join(rollup.keys)
    labels = "".join(f", MAX({c}) AS {c}" for c in rollup.labels)
    sums = ", ".join(f"{'MAX' if m in _MAXED else 'SUM'}({m}) AS {m}" for m in rollup.measures)
    return f"SELECT {keys}{labels}, {sums} FROM ({union}) AS src GROUP BY {keys}"  # noqa: S608


def upsert_sql(rollup: Rollup, sources: list[Source], mode: str) -> str:
    columns = ", ".join(rollup.keys + rollup.labels + rollup.measures)
    adds = [
        f"{m} = GREATEST({rollup.table}.{m}, EXCLUDED.{m})"
        if m in _MAXED
        else f"{m} = {rollup.table}.{m} + EXCLUDED.{m}"
        for m in rollup.measures
    ]
    sets = ", ".join(adds + [f"{c} = EXCLUDED.{c}" for c in rollup.labels])
    return (
        f"INSERT INTO {rollup.table} ({columns}) {grouped_sql(rollup, sources, mode)} "  # noqa: S608
        f"ON CONFLICT ({', '.join(rollup.keys)}) DO UPDATE SET {sets}"
    )


def params_for(start: date | None = None, end: date | None = None, **extra) -> dict:
    tz = ZoneInfo(connection.tenant.timezone)
    params = {"tz": connection.tenant.timezone, **extra}
    if start is not None and end is not None:
        params.update(
            start=start,
            end=end,
            start_at=datetime.combine(start, time.min, tzinfo=tz),
            end_at=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        )
    return params


def lock(*, shared: bool) -> None:
    with connection.cursor() as cursor:
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        cursor.execute(f"SELECT {fn}(hashtextextended(%s, 0))", [f"{connection.schema_name}:{LOCK}"])


# --- Adding facts as they happen ----------------------------------------------------------------------------------


def facts_apply(fact: Fact, *, order_ids: list[int]) -> int:
    """Add the facts of `fact` behind these orders that are not in the roll-ups yet; returns how many.

    Runs in the caller's transaction (the outbox relay's savepoint): the marks and the sums commit together."""
    with connection.cursor() as cursor:
        lock(shared=True)
        cursor.execute(
            f"INSERT INTO {RollupMark._meta.db_table} (kind, ref) SELECT %(kind)s, id FROM ({fact.ids_of_orders}) AS f "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING ref",
            {"kind": fact.mark, "orders": list(order_ids)},
        )
        new = [row[0] for row in cursor.fetchall()]
        if new:
            params = params_for(ids=new)
            for rollup in ROLLUPS:
                sources = [s for s in rollup.sources if s.fact is fact]
                if sources:
                    cursor.execute(upsert_sql(rollup, sources, "ids"), params)
    return len(new)


def chunks(start: date, end: date, days: int):
    while start <= end:
        stop = min(end, start + timedelta(days=days - 1))
        yield start, stop
        start = stop + timedelta(days=1)

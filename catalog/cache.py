"""What the till's pricing reads of the catalog, kept in each process under the catalog's version.

Every priced cart (the till's preview after each tap, a submit, an add to a tab) looked up its products, their
taxes, variants and modifier groups, its modifiers and the outlet's overrides: five queries and most of a
preview's CPU (docs/adr/0012). The rows change seldom, so a process keeps them per tenant schema and outlet,
filled as carts name them, under the catalog's version (`catalog_catalogversion`): one cheap query per cart.

The version moves whenever a change to those tables commits, however it is made (database triggers,
catalog/migrations/0005_catalog_version.py, so `update()`, `bulk_create()`, the admin and raw SQL count too). It
is read before the rows, so what is kept under a version is never older than it. Two schemas never share an
entry: the version row's table oid is part of the key, so a tenant made again under a deleted one's schema name
starts afresh. A transaction that has written the catalog itself (not yet committed) reads past the cache, as
does anything when the version row is missing. Nothing here needs Redis.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection

from .models import Modifier, OutletProductOverride, Product

# (schema, outlet) pairs kept per process, least recently used dropped first: a process serving many tenants
# keeps the busy ones. Likewise for the pieces computed from the catalog alone (catalog_kept).
MAX_OUTLETS = 512
MAX_PIECES = 512

T = TypeVar("T")

# The version, and whether this transaction has written this schema's catalog (the migration's triggers).
_VERSION_SQL = (
    "SELECT tableoid, version, position(',' || current_schema() || ',' IN "
    "coalesce(current_setting('pos.catalog_written', true), '')) > 0 FROM catalog_catalogversion WHERE id = 1"
)


@dataclass
class _Rows:
    """An outlet's catalog rows at one version, by id: None where an id names nothing; a product's overrides
    at the outlet by variant id (None: the product's own)."""

    version: tuple
    products: dict[int, Product | None] = field(default_factory=dict)
    modifiers: dict[int, Modifier | None] = field(default_factory=dict)
    overrides: dict[int, dict[int | None, OutletProductOverride]] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogRows:
    products: dict[int, Product]
    modifiers: dict[int, Modifier]
    overrides: dict[tuple[int, int | None], OutletProductOverride]  # (product id, variant id or None)


_kept: OrderedDict[tuple[str, int], _Rows] = OrderedDict()
_pieces: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def catalog_cache_clear() -> None:
    with _lock:
        _kept.clear()
        _pieces.clear()


def _version() -> tuple | None:
    """(table oid, version) when the cache may be used, else None."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    if row is None or row[2]:
        return None
    return (row[0], row[1])


def _load(rows: _Rows, outlet_id: int, product_ids: set[int], modifier_ids: set[int]) -> None:
    """Read what `rows` lacks: the queries a priced cart always made, for the missing ids only."""
    if product_ids:
        found = Product.objects.filter(pk__in=product_ids).prefetch_related(
            "taxes", "variants", "product_modifier_groups__group"
        )
        rows.products.update(dict.fromkeys(product_ids))
        rows.products.update((p.pk, p) for p in found)
        for pk in product_ids:
            rows.overrides[pk] = {}
        for o in OutletProductOverride.objects.filter(outlet_id=outlet_id, product_id__in=product_ids):
            rows.overrides[o.product_id][o.variant_id] = o
    if modifier_ids:
        rows.modifiers.update(dict.fromkeys(modifier_ids))
        rows.modifiers.update((m.pk, m) for m in Modifier.objects.filter(pk__in=modifier_ids).select_related("group"))


def catalog_rows(*, outlet_id: int, product_ids: Iterable[int], modifier_ids: Iterable[int]) -> CatalogRows:
    """The products (with taxes, variants and modifier groups), modifiers (with their group) and the outlet's
    overrides that a cart names, archived ones included (the caller decides what may be sold). The objects
    are shared between requests and threads: read them, never change them."""
    product_ids, modifier_ids = set(product_ids), set(modifier_ids)
    version = _version()
    key = (connection.schema_name, outlet_id)
    kept = None
    if version is not None:
        with _lock:
            kept = _kept.get(key)
            if kept is not None and kept.version == version:
                _kept.move_to_end(key)
            else:
                kept = None
    missing_products = product_ids - kept.products.keys() if kept else product_ids
    missing_modifiers = modifier_ids - kept.modifiers.keys() if kept else modifier_ids
    rows = kept
    if missing_products or missing_modifiers or rows is None:
        # A new entry (a copy: other threads may be reading the kept one), stored whatever is there now: a
        # request that read an older version only costs the next one a reload, since every read checks.
        rows = _Rows(version or ())
        if kept is not None:
            rows.products, rows.modifiers, rows.overrides = (
                dict(kept.products),
                dict(kept.modifiers),
                dict(kept.overrides),
            )
        _load(rows, outlet_id, missing_products, missing_modifiers)
        if version is not None:
            with _lock:
                _kept[key] = rows
                _kept.move_to_end(key)
                while len(_kept) > MAX_OUTLETS:
                    _kept.popitem(last=False)
    products = {pk: p for pk in product_ids if (p := rows.products[pk]) is not None}
    return CatalogRows(
        products=products,
        modifiers={pk: m for pk in modifier_ids if (m := rows.modifiers[pk]) is not None},
        overrides={(pk, vid): o for pk in products for vid, o in rows.overrides[pk].items()},
    )


def catalog_kept(key: tuple, compute: Callable[[], T]) -> T:
    """What `compute` makes from the catalog alone (`key` names it and everything else it depends on, such as the
    outlet and the language), made once per catalog version in this process: the till's product grid."""
    version = _version()
    if version is None:
        return compute()
    whole = (connection.schema_name, version, *key)
    with _lock:
        value = _pieces.get(whole, _pieces)
        if value is not _pieces:
            _pieces.move_to_end(whole)
            return value
    value = compute()
    with _lock:
        _pieces[whole] = value
        while len(_pieces) > MAX_PIECES:
            _pieces.popitem(last=False)
    return value

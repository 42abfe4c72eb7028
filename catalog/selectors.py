"""Reads of the catalog, for the back office and for the till.

The till selectors (`product_search`, `product_get_by_code`, `category_products`) return products that can be
sold at one outlet, each with `effective_price_minor` (the outlet's price if it overrides the catalog), its
sellable variants in `till_variants` (each with its own `effective_price_minor`; equal sort orders cheapest
first), the size to preselect in `till_default_variant`, the lowest price in `till_from_price_minor`, its
modifier groups in `till_modifier_groups` (each with `active_modifiers`) and its taxes in `till_taxes`. The grid's
selectors can also list the products sold out at the outlet (`is_sold_out`). They run a fixed number of queries
whatever the number of results.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from business.models import Outlet, Tax

from .cache import catalog_rows
from .models import (
    FTS_CONFIG,
    Category,
    Modifier,
    ModifierGroup,
    OutletProductOverride,
    Product,
    ProductModifierGroup,
    ProductVariant,
    product_name_vector,
)

SEARCH_MAX_WORDS = 8


def menu_categories() -> QuerySet[Category]:
    """Categories with their sellable products: two queries, whatever the catalog size."""
    products = Product.objects.filter(is_archived=False).order_by("sort_order", "name")
    return (
        Category.objects.filter(is_archived=False)
        .order_by("sort_order", "name")
        .prefetch_related(Prefetch("products", queryset=products, to_attr="menu_products"))
    )


# --- Till --------------------------------------------------------------------------------------------------------


def clean_code(text: str) -> str:
    """What was typed or scanned, without control characters (PostgreSQL refuses NUL), at most 64 characters."""
    return "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:64]


def search_words(query: str) -> list[str]:
    """What a person typed, as safe tsquery words: letters and digits only (any script), lower case."""
    return [w.lower() for w in re.findall(r"[^\W_]+", query or "")][:SEARCH_MAX_WORDS]


def prefix_tsquery(words: list[str]) -> SearchQuery:
    """'caf lat' -> caf:* & lat:* (every word must start a word of the name). Words are already sanitised."""
    return SearchQuery(" & ".join(f"{w}:*" for w in words), config=FTS_CONFIG, search_type="raw")


def _override(outlet: Outlet, *, variant: bool) -> QuerySet[OutletProductOverride]:
    if variant:
        return OutletProductOverride.objects.filter(outlet=outlet, variant=OuterRef("pk"))
    return OutletProductOverride.objects.filter(outlet=outlet, product=OuterRef("pk"), variant__isnull=True)


def sellable_products(*, outlet: Outlet, include_sold_out: bool = False) -> QuerySet[Product]:
    """Products on sale at `outlet` (not archived, category not archived, not 86'd there), priced for it.

    `include_sold_out=True` keeps the ones 86'd there too, with `is_sold_out` true: the till's grid shows them
    as sold out (they cannot be added) so a cashier can put them back in stock."""
    sold_out = Exists(_override(outlet, variant=False).filter(is_available=False))
    products = Product.objects.filter(is_archived=False, category__is_archived=False)
    if not include_sold_out:
        products = products.exclude(sold_out)
    return products.annotate(
        is_sold_out=sold_out if include_sold_out else Value(False),
        effective_price_minor=Coalesce(
            Subquery(_override(outlet, variant=False).values("price_minor")[:1]), "price_minor"
        ),
    )


def _till_prefetches(outlet: Outlet) -> list[Prefetch]:
    variants = (
        ProductVariant.objects.filter(is_archived=False)
        .exclude(Exists(_override(outlet, variant=True).filter(is_available=False)))
        .annotate(
            effective_price_minor=Coalesce(
                Subquery(_override(outlet, variant=True).values("price_minor")[:1]), "price_minor"
            )
        )
        # Equal sort orders: the cheaper size first (Regular before Large), whatever their names.
        .order_by("sort_order", "effective_price_minor", "name", "pk")
    )
    modifiers = Modifier.objects.filter(is_archived=False).order_by("sort_order", "name", "pk")
    groups = (
        ProductModifierGroup.objects.filter(group__is_archived=False)
        .select_related("group")
        .prefetch_related(Prefetch("group__modifiers", queryset=modifiers, to_attr="active_modifiers"))
        .order_by("sort_order", "pk")
    )
    return [
        Prefetch("variants", queryset=variants, to_attr="till_variants"),
        Prefetch("product_modifier_groups", queryset=groups, to_attr="till_product_modifier_groups"),
        Prefetch("taxes", queryset=Tax.objects.filter(is_active=True), to_attr="till_taxes"),
    ]


def _finish(products: list[Product]) -> list[Product]:
    """Per product, what the till shows: its modifier groups, the size it preselects (`till_default_variant`:
    the one the owner marked, else the first) and the lowest price it sells at (`till_from_price_minor`, what a
    tile's "from" shows)."""
    for product in products:
        product.till_modifier_groups = [link.group for link in product.till_product_modifier_groups]
        variants = product.till_variants
        product.till_default_variant = next((v for v in variants if v.is_default), variants[0] if variants else None)
        product.till_from_price_minor = min(
            (v.effective_price_minor for v in variants), default=product.effective_price_minor
        )
    return products


def product_search(*, query: str, outlet: Outlet, limit: int = 40, include_sold_out: bool = False) -> list[Product]:
    """Products sellable at `outlet` whose name has a word starting with each typed word, or whose (or whose
    variant's) SKU or barcode is exactly what was typed or scanned. Exact code matches come first.

    Five queries whatever the number of results: variant codes, products, then variants, modifier groups
    (with their modifiers) and taxes prefetched. The name match uses the GIN index on
    to_tsvector('simple', name); the code matches use the btree indexes on sku and barcode.
    """
    code = clean_code(query)
    words = search_words(code)
    if not code or limit <= 0:
        return []
    variant_product_ids = list(
        ProductVariant.objects.filter(Q(sku=code.upper()) | Q(barcode=code), is_archived=False).values_list(
            "product_id", flat=True
        )[:limit]
    )
    matches = Q(sku=code.upper()) | Q(barcode=code) | Q(pk__in=variant_product_ids)
    products = sellable_products(outlet=outlet, include_sold_out=include_sold_out)
    if words:
        products = products.annotate(name_vector=product_name_vector())
        matches |= Q(name_vector=prefix_tsquery(words))
    exact = Q(sku=code.upper()) | Q(barcode=code) | Q(pk__in=variant_product_ids)
    products = (
        products.filter(matches)
        .annotate(exact_code=ExpressionWrapper(exact, output_field=BooleanField()))
        .order_by("-exact_code", "name", "pk")
        .prefetch_related(*_till_prefetches(outlet))
    )
    return _finish(list(products[:limit]))


@dataclass(frozen=True)
class ScannedItem:
    """What a barcode or SKU names: a product, and the variant when the code was a variant's."""

    product: Product
    variant: ProductVariant | None
    price_minor: int


def product_get_by_code(*, code: str, outlet: Outlet) -> ScannedItem | None:
    """The sellable item with exactly this barcode or SKU (product or variant) at `outlet`, or None."""
    code = clean_code(code)
    if not code:
        return None
    variant_hit = (
        ProductVariant.objects.filter(Q(sku=code.upper()) | Q(barcode=code), is_archived=False)
        .values_list("pk", "product_id")
        .order_by("pk")
        .first()
    )
    product_filter = Q(pk=variant_hit[1]) if variant_hit is not None else Q(sku=code.upper()) | Q(barcode=code)
    products = _finish(
        list(
            sellable_products(outlet=outlet)
            .filter(product_filter)
            .order_by("pk")
            .prefetch_related(*_till_prefetches(outlet))[:1]
        )
    )
    if not products:
        return None
    product = products[0]
    if variant_hit is None:
        return ScannedItem(product=product, variant=None, price_minor=product.effective_price_minor)
    variant = next((v for v in product.till_variants if v.pk == variant_hit[0]), None)
    if variant is None:  # that variant is sold out at this outlet
        return None
    return ScannedItem(product=product, variant=variant, price_minor=variant.effective_price_minor)


def category_products(
    *, category: Category, outlet: Outlet, limit: int = 60, offset: int = 0, include_sold_out: bool = False
) -> list[Product]:
    """One page of a category's sellable products at `outlet`, in menu order (`include_sold_out`: as
    `sellable_products`)."""
    products = (
        sellable_products(outlet=outlet, include_sold_out=include_sold_out)
        .filter(category=category)
        .order_by("sort_order", "name", "pk")
        .prefetch_related(*_till_prefetches(outlet))
    )
    return _finish(list(products[offset : offset + limit]))


# --- Pricing a cart -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineChoice:
    """What one cart line names in the catalog: ids only (prices always come from the server)."""

    product_id: int
    variant_id: int | None = None
    modifier_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ResolvedLine:
    """A line that can be sold at the outlet, priced for it, with the snapshots an order line keeps.

    `name` is the line's name ("Latte (Large)"), `product_name` the product's alone; `unit_price_minor` includes
    the chosen modifiers; `modifiers` and `taxes` are the dicts an order line stores (active taxes only)."""

    product_id: int
    variant_id: int | None
    category_id: int
    product_name: str
    name: str
    sku: str
    unit_price_minor: int
    modifiers: tuple[dict, ...] = ()
    taxes: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ResolvedLines:
    """`lines`: the lines that can be sold, in order (all of them when `errors` is empty). `errors`: messages per
    line (`lines.<n>`, n from 1). `product_names`: the names of the products asked for that are on the menu, so
    the caller can name them in its own messages (quantity, note)."""

    lines: list[ResolvedLine]
    errors: dict[str, list[str]]
    product_names: dict[int, str]


def _tax_snapshot(tax: Tax) -> dict:
    return {
        "code": tax.code,
        "name": tax.name,
        "rate": str(tax.rate),
        "inclusive": tax.inclusive,
        "applies_to_service_charge": tax.applies_to_service_charge,
    }


def catalog_lines_resolve(*, outlet_id: int, lines: Sequence[LineChoice]) -> ResolvedLines:
    """Look up everything the lines name (one query when this process already holds it at the catalog's
    current version, catalog/cache.py; else a fixed number) and check it can be sold at the outlet:
    the product is on the menu, the variant is one of its own (and one is chosen when it has any), nothing is
    sold out there, each modifier belongs to one of its groups and every group's minimum and maximum hold."""
    errors: dict[str, list[str]] = defaultdict(list)
    rows = catalog_rows(
        outlet_id=outlet_id,
        product_ids=(line.product_id for line in lines),
        modifier_ids=(mid for line in lines for mid in line.modifier_ids),
    )
    products, modifiers, overrides = rows.products, rows.modifiers, rows.overrides
    resolved: list[ResolvedLine] = []
    for index, line in enumerate(lines, start=1):
        where = f"lines.{index}"
        product = products.get(line.product_id)
        if product is None or product.is_archived:
            errors[where].append(_("Line %(line)s: this product is not on the menu.") % {"line": index})
            continue
        variants = [v for v in product.variants.all() if not v.is_archived]
        variant = None
        if line.variant_id is not None:
            variant = next((v for v in variants if v.pk == line.variant_id), None)
            if variant is None:
                errors[where].append(
                    _("Line %(line)s (%(product)s): that size/variant is not available.")
                    % {"line": index, "product": product.name}
                )
                continue
        elif variants:
            errors[where].append(
                _("Line %(line)s (%(product)s): choose one of %(choices)s.")
                % {"line": index, "product": product.name, "choices": ", ".join(v.name for v in variants)}
            )
            continue
        product_override = overrides.get((product.pk, None))
        variant_override = overrides.get((product.pk, variant.pk)) if variant else None
        if (product_override and not product_override.is_available) or (
            variant_override and not variant_override.is_available
        ):
            errors[where].append(
                _("Line %(line)s: %(product)s is sold out at this outlet.") % {"line": index, "product": product.name}
            )
            continue
        base = variant.price_minor if variant else product.price_minor
        for override in (product_override if not variant else None, variant_override):
            if override is not None and override.price_minor is not None:
                base = override.price_minor
        chosen = []
        groups = {pmg.group_id: pmg.group for pmg in product.product_modifier_groups.all() if not pmg.group.is_archived}
        per_group: dict[int, int] = defaultdict(int)
        for mid in line.modifier_ids:
            modifier = modifiers.get(mid)
            if modifier is None or modifier.is_archived or modifier.group_id not in groups:
                errors[where].append(
                    _("Line %(line)s (%(product)s): an option chosen does not belong to it.")
                    % {"line": index, "product": product.name}
                )
                continue
            per_group[modifier.group_id] += 1
            chosen.append(modifier)
        for group in groups.values():
            count = per_group.get(group.pk, 0)
            if count < group.min_choices:
                errors[where].append(
                    _("Line %(line)s (%(product)s): choose at least %(count)s for “%(group)s”.")
                    % {"line": index, "product": product.name, "count": group.min_choices, "group": group.name}
                )
            if count > group.max_choices:
                errors[where].append(
                    _("Line %(line)s (%(product)s): choose at most %(count)s for “%(group)s”.")
                    % {"line": index, "product": product.name, "count": group.max_choices, "group": group.name}
                )
        if where in errors:
            continue
        resolved.append(
            ResolvedLine(
                product_id=product.pk,
                variant_id=variant.pk if variant else None,
                category_id=product.category_id,
                product_name=product.name,
                name=product.name + (f" ({variant.name})" if variant else ""),
                sku=variant.sku if variant else product.sku,
                unit_price_minor=base + sum(m.price_delta_minor for m in chosen),
                modifiers=tuple({"id": m.pk, "name": m.name, "price_delta_minor": m.price_delta_minor} for m in chosen),
                taxes=tuple(_tax_snapshot(t) for t in product.taxes.all() if t.is_active),
            )
        )
    names = {p.pk: p.name for p in products.values() if not p.is_archived}
    return ResolvedLines(lines=resolved, errors=dict(errors), product_names=names)


def product_category_ids(*, product_ids: Iterable[int]) -> dict[int, int]:
    """Product id -> category id, in one query (none for no ids)."""
    ids = set(product_ids)
    if not ids:
        return {}
    return dict(Product.objects.filter(pk__in=ids).values_list("pk", "category_id"))


# --- Back office -------------------------------------------------------------------------------------------------


def category_list(*, include_archived: bool = True) -> QuerySet[Category]:
    qs = Category.objects.order_by("is_archived", "sort_order", "name")
    return qs if include_archived else qs.filter(is_archived=False)


def category_get(*, pk, include_archived: bool = True) -> Category | None:
    """The category with this primary key (as it came in a request), or None."""
    qs = Category.objects.filter(pk=pk)
    return (qs if include_archived else qs.filter(is_archived=False)).first()


def product_list(
    *, query: str = "", category: Category | None = None, archived: bool | None = None
) -> QuerySet[Product]:
    """The back office's product list: same matching as the till's search, archived included on request."""
    qs = Product.objects.select_related("category")
    if category is not None:
        qs = qs.filter(category=category)
    if archived is not None:
        qs = qs.filter(is_archived=archived)
    code = clean_code(query)
    if code:
        words = search_words(code)
        # A list, not a subquery: PostgreSQL can then combine the indexes (BitmapOr) instead of scanning.
        variant_products = list(
            ProductVariant.objects.filter(Q(sku=code.upper()) | Q(barcode=code))
            .order_by()
            .values_list("product_id", flat=True)
        )
        matches = Q(sku=code.upper()) | Q(barcode=code) | Q(pk__in=variant_products)
        if words:
            qs = qs.annotate(name_vector=product_name_vector())
            matches |= Q(name_vector=prefix_tsquery(words))
        qs = qs.filter(matches)
    return qs.order_by("is_archived", "category__sort_order", "category__name", "sort_order", "name", "pk")


def product_get(*, pk, include_archived: bool = True) -> Product | None:
    """The product with this primary key (as it came in a request), or None."""
    qs = Product.objects.filter(pk=pk)
    return (qs if include_archived else qs.filter(is_archived=False)).first()


def product_detail(*, pk: int) -> Product:
    return Product.objects.select_related("category").get(pk=pk)


def modifier_group_list() -> QuerySet[ModifierGroup]:
    modifiers = Modifier.objects.order_by("is_archived", "sort_order", "name", "pk")
    return ModifierGroup.objects.order_by("is_archived", "sort_order", "name").prefetch_related(
        Prefetch("modifiers", queryset=modifiers)
    )


def outlet_overrides(*, product: Product) -> QuerySet[OutletProductOverride]:
    return OutletProductOverride.objects.filter(product=product).select_related("outlet", "variant")


# --- The JSON API (catalog/api.py) ---------------------------------------------------------------------------------


def product_catalog() -> QuerySet[Product]:
    """Products with what the API shows of each (variants, tax ids, modifier group ids): four queries whatever
    the number of products."""
    return Product.objects.prefetch_related(
        Prefetch("variants", queryset=ProductVariant.objects.order_by("sort_order", "name", "pk")),
        Prefetch("taxes", queryset=Tax.objects.only("pk")),
        Prefetch("product_modifier_groups", queryset=ProductModifierGroup.objects.order_by("sort_order", "pk")),
    )


def variant_get(*, pk) -> ProductVariant | None:
    return ProductVariant.objects.filter(pk=pk).first()


def modifier_groups_with_modifiers() -> QuerySet[ModifierGroup]:
    """Modifier groups with all their modifiers (archived ones too): two queries."""
    modifiers = Modifier.objects.order_by("sort_order", "name", "pk")
    return ModifierGroup.objects.prefetch_related(Prefetch("modifiers", queryset=modifiers))


def modifier_group_get(*, pk) -> ModifierGroup | None:
    return modifier_groups_with_modifiers().filter(pk=pk).first()


def modifier_groups_in_order(*, ids: Sequence[int]) -> list[ModifierGroup] | None:
    """The groups with these ids, in that order; None if one does not exist."""
    found = ModifierGroup.objects.in_bulk([i for i in ids if 0 < i < 2**63])
    return [found[i] for i in ids] if all(i in found for i in ids) else None

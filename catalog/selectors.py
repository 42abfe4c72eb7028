"""Reads of the catalog, for the back office and for the till.

The till selectors (`product_search`, `product_get_by_code`, `category_products`) return products that can be
sold at one outlet, each with `effective_price_minor` (the outlet's price if it overrides the catalog), its
sellable variants in `till_variants` (each with its own `effective_price_minor`), its modifier groups in
`till_modifier_groups` (each with `active_modifiers`) and its taxes in `till_taxes`. They run a fixed number of
queries whatever the number of results.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from business.models import Outlet, Tax

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


def sellable_products(*, outlet: Outlet) -> QuerySet[Product]:
    """Products on sale at `outlet` (not archived, category not archived, not 86'd there), priced for it."""
    return (
        Product.objects.filter(is_archived=False, category__is_archived=False)
        .exclude(Exists(_override(outlet, variant=False).filter(is_available=False)))
        .annotate(
            effective_price_minor=Coalesce(
                Subquery(_override(outlet, variant=False).values("price_minor")[:1]), "price_minor"
            )
        )
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
        .order_by("sort_order", "name", "pk")
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
    for product in products:
        product.till_modifier_groups = [link.group for link in product.till_product_modifier_groups]
    return products


def product_search(*, query: str, outlet: Outlet, limit: int = 40) -> list[Product]:
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
    products = sellable_products(outlet=outlet)
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


def category_products(*, category: Category, outlet: Outlet, limit: int = 60, offset: int = 0) -> list[Product]:
    """One page of a category's sellable products at `outlet`, in menu order."""
    products = (
        sellable_products(outlet=outlet)
        .filter(category=category)
        .order_by("sort_order", "name", "pk")
        .prefetch_related(*_till_prefetches(outlet))
    )
    return _finish(list(products[offset : offset + limit]))


# --- Back office -------------------------------------------------------------------------------------------------


def category_list(*, include_archived: bool = True) -> QuerySet[Category]:
    qs = Category.objects.order_by("is_archived", "sort_order", "name")
    return qs if include_archived else qs.filter(is_archived=False)


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


def product_detail(*, pk: int) -> Product:
    return Product.objects.select_related("category").get(pk=pk)


def modifier_group_list() -> QuerySet[ModifierGroup]:
    modifiers = Modifier.objects.order_by("is_archived", "sort_order", "name", "pk")
    return ModifierGroup.objects.order_by("is_archived", "sort_order", "name").prefetch_related(
        Prefetch("modifiers", queryset=modifiers)
    )


def outlet_overrides(*, product: Product) -> QuerySet[OutletProductOverride]:
    return OutletProductOverride.objects.filter(product=product).select_related("outlet", "variant")

"""Reads for the recipe pages: products with their recipe size, one product's recipes (its own and each
variant's), one modifier group's, and the items a recipe line can pick."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from catalog.models import Modifier, ModifierGroup, Product, ProductVariant

from ..models import RecipeComponent, StockItem


def _count(model_filter: dict) -> Subquery:
    rows = (
        RecipeComponent.objects.filter(**model_filter)
        .order_by()
        .values(next(iter(model_filter)))
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def recipe_product_list(*, query: str = "") -> QuerySet[Product]:
    """Products with `component_count` (their own lines) and `variant_component_count` (all their variants'
    lines), in one query."""
    qs = Product.objects.select_related("category").annotate(
        component_count=_count({"product": OuterRef("pk")}),
        variant_component_count=_count({"variant__product": OuterRef("pk")}),
    )
    text = (query or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(sku=text.upper()))
    return qs.order_by("is_archived", "category__sort_order", "category__name", "sort_order", "name", "pk")


def recipe_modifier_group_list() -> QuerySet[ModifierGroup]:
    return ModifierGroup.objects.annotate(
        component_count=_count({"modifier__group": OuterRef("pk")}),
        modifier_count=Count("modifiers", distinct=True),
    ).order_by("is_archived", "sort_order", "name")


def _components() -> QuerySet[RecipeComponent]:
    return RecipeComponent.objects.select_related("item", "replaces").order_by("pk")


@dataclass
class ProductRecipe:
    product: Product
    components: list[RecipeComponent]
    variants: list[ProductVariant]  # each with `.components` set
    tracked_item: StockItem | None = None


def product_recipe(product: Product) -> ProductRecipe:
    """The product's lines, each variant's, and the item that tracks the product itself: four queries
    whatever the number of variants or lines."""
    variants = list(product.variants.order_by("is_archived", "sort_order", "name"))
    rows = _components().filter(Q(product=product) | Q(variant__product=product))
    by_variant: dict[int, list[RecipeComponent]] = defaultdict(list)
    own = []
    for row in rows:
        (own if row.product_id else by_variant[row.variant_id]).append(row)
    for variant in variants:
        variant.components = by_variant.get(variant.pk, [])
    tracked = product.stock_items.order_by("pk").first()
    return ProductRecipe(product=product, components=own, variants=variants, tracked_item=tracked)


@dataclass
class GroupRecipe:
    group: ModifierGroup
    modifiers: list[Modifier] = field(default_factory=list)  # each with `.components`


def modifier_group_recipe(group: ModifierGroup) -> GroupRecipe:
    modifiers = list(
        group.modifiers.order_by("is_archived", "sort_order", "name", "pk").prefetch_related(
            Prefetch("recipe", queryset=_components(), to_attr="components")
        )
    )
    return GroupRecipe(group=group, modifiers=modifiers)


def recipe_item_choices() -> list[tuple[str, str, str]]:
    """(sku, name, base unit) of every item a new recipe line may use, for one shared datalist."""
    return list(StockItem.objects.filter(is_archived=False).order_by("name").values_list("sku", "name", "base_unit"))


def recipe_items_by_sku(skus: list[str]) -> dict[str, StockItem]:
    return {item.sku: item for item in StockItem.objects.filter(sku__in=[s for s in skus if s])}


def product_variant_get(product: Product, pk: int) -> ProductVariant | None:
    return ProductVariant.objects.filter(product=product, pk=pk).first()


def group_modifier_get(group: ModifierGroup, pk: int) -> Modifier | None:
    return Modifier.objects.filter(group=group, pk=pk).first()

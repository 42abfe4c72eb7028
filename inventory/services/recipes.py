"""Recipes (bills of materials): what selling one unit of a product, variant or modifier takes from stock.

The rows are read at sale time by `usage_per_unit` (inventory/services/stock.py): a variant with components of
its own replaces the product's recipe; a modifier adds items, or swaps one (`replaces`), using the swapped
item's quantity when its own is zero. These services keep the rows in the shape that function expects.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.services import audit_record
from catalog.models import Modifier, Product, ProductVariant

from ..models import RecipeComponent, StockItem
from ..quantities import QTY_MAX, QTY_PLACES, format_quantity


def _owner_label(product, variant, modifier) -> str:
    if product is not None:
        return f"product {product.pk} {product.name}"
    if variant is not None:
        return f"variant {variant.pk} {variant.name}"
    return f"modifier {modifier.pk} {modifier.name}"


@transaction.atomic
def recipe_component_add(
    *,
    item: StockItem,
    quantity: Decimal,
    product: Product | None = None,
    variant: ProductVariant | None = None,
    modifier: Modifier | None = None,
    replaces: StockItem | None = None,
    actor: User | None = None,
) -> RecipeComponent:
    """Add one line to a recipe. Exactly one owner. `quantity` is in the item's base unit; zero is only
    allowed on a swap (`replaces`), meaning "as much as the swapped item"."""
    owners = [o for o in (product, variant, modifier) if o is not None]
    if len(owners) != 1:
        raise ValidationError("A recipe line belongs to exactly one product, variant or modifier.")
    # Lock the owner: two people adding the same item at once queue here, and the second sees the duplicate.
    owner_model = type(owners[0])
    owner_model.objects.select_for_update().filter(pk=owners[0].pk).first()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if item.is_archived:
        add("item", f"{item.name} is archived; restore it before using it in a recipe.")
    if quantity is None or not quantity.is_finite() or quantity < 0 or (quantity == 0 and replaces is None):
        add("quantity", "The quantity must be more than zero.")
    elif quantity != quantity.quantize(QTY_PLACES) or quantity > QTY_MAX:
        add("quantity", "Use at most three decimals and a sensible size.")
    if replaces is not None:
        if modifier is None:
            add("replaces", "Only a modifier can swap one item for another.")
        elif replaces.pk == item.pk:
            add("replaces", "An item cannot replace itself.")
        elif quantity == 0 and replaces.base_unit != item.base_unit:
            add(
                "quantity",
                f"{item.name} is counted in {item.base_unit} and {replaces.name} in {replaces.base_unit}: "
                "give the quantity of the new item.",
            )
    owner_filter = Q(product=product) if product else Q(variant=variant) if variant else Q(modifier=modifier)
    existing = RecipeComponent.objects.filter(owner_filter)
    if existing.filter(item=item).exists():
        add("item", f"{item.name} is already in this recipe; remove it first to change the quantity.")
    elif replaces is not None and modifier is not None and existing.filter(replaces=replaces).exists():
        add("replaces", f"Something already replaces {replaces.name} for this modifier.")
    if errors:
        raise ValidationError(errors)
    component = RecipeComponent.objects.create(
        product=product, variant=variant, modifier=modifier, item=item, quantity=quantity, replaces=replaces
    )
    audit_record(
        action="recipe.component_add",
        actor=actor,
        target=_owner_label(product, variant, modifier),
        data={
            "item": item.sku,
            "quantity": format_quantity(quantity),
            "replaces": replaces.sku if replaces else None,
        },
    )
    return component


@transaction.atomic
def recipe_component_remove(*, component: RecipeComponent, actor: User | None = None) -> bool:
    """Remove one line; removing one already gone does nothing (a double click is harmless). Sales already made
    keep the usage they stored, so refunds still return what was taken."""
    deleted, _ = RecipeComponent.objects.filter(pk=component.pk).delete()
    if deleted:
        audit_record(
            action="recipe.component_remove",
            actor=actor,
            target=_owner_label(component.product, component.variant, component.modifier),
            data={"item": component.item_id, "quantity": format_quantity(component.quantity)},
        )
    return bool(deleted)

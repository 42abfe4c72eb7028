"""Recipes (bills of materials): what selling one unit of a product, variant or modifier takes from stock.

The rows are read at sale time by `usage_per_unit` (inventory/services/stock.py): a variant with components of
its own replaces the product's recipe; a modifier adds items, or swaps one (`replaces`), using the swapped
item's quantity when its own is zero. These services keep the rows in the shape that function expects.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from catalog.models import Modifier, Product, ProductVariant
from pos_project.errors import ServiceError

from ..models import RecipeComponent, StockItem
from ..quantities import QTY_MAX, QTY_PLACES, format_quantity


def _owner_label(product, variant, modifier) -> str:
    if product is not None:
        return f"product {product.pk} {product.name}"
    if variant is not None:
        return f"variant {variant.pk} {variant.name}"
    return f"modifier {modifier.pk} {modifier.name}"


def _owner(product, variant, modifier):
    return product if product is not None else variant if variant is not None else modifier


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
        raise ServiceError(
            "recipe.owner_invalid", _("A recipe line belongs to exactly one product, variant or modifier.")
        )
    # Lock the owner: two people adding the same item at once queue here, and the second sees the duplicate.
    owner_model = type(owners[0])
    owner_model.objects.select_for_update().filter(pk=owners[0].pk).first()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if item.is_archived:
        add("item", _("%(item)s is archived; restore it before using it in a recipe.") % {"item": item.name})
    if quantity is None or not quantity.is_finite() or quantity < 0 or (quantity == 0 and replaces is None):
        add("quantity", _("The quantity must be more than zero."))
    elif abs(quantity) > QTY_MAX or quantity != quantity.quantize(QTY_PLACES):  # quantize cannot hold 1e400
        add("quantity", _("Use at most three decimals and a sensible size."))
    if replaces is not None:
        if modifier is None:
            add("replaces", _("Only a modifier can swap one item for another."))
        elif replaces.pk == item.pk:
            add("replaces", _("An item cannot replace itself."))
        elif quantity == 0 and replaces.base_unit != item.base_unit:
            add(
                "quantity",
                _("%(item)s is counted in %(unit)s and %(replaced)s in %(replaced_unit)s: give the quantity of the "
                  "new item.") % {"item": item.name, "unit": item.base_unit, "replaced": replaces.name,
                                   "replaced_unit": replaces.base_unit},
            )  # fmt: skip
    owner_filter = Q(product=product) if product else Q(variant=variant) if variant else Q(modifier=modifier)
    existing = RecipeComponent.objects.filter(owner_filter)
    if existing.filter(item=item).exists():
        add("item", _("%(item)s is already in this recipe; remove it first to change the quantity.") % {
            "item": item.name})  # fmt: skip
    elif replaces is not None and modifier is not None and existing.filter(replaces=replaces).exists():
        add("replaces", _("Something already replaces %(item)s for this modifier.") % {"item": replaces.name})
    if errors:
        raise ServiceError("recipe.invalid", _("The recipe line needs fixing."), fields=errors)
    component = RecipeComponent.objects.create(
        product=product, variant=variant, modifier=modifier, item=item, quantity=quantity, replaces=replaces
    )
    audit_record(
        action=AuditAction.RECIPE_COMPONENT_ADD,
        actor=actor,
        target=_owner(product, variant, modifier),
        label=_owner_label(product, variant, modifier),
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
    deleted, _rows = RecipeComponent.objects.filter(pk=component.pk).delete()
    if deleted:
        audit_record(
            action=AuditAction.RECIPE_COMPONENT_REMOVE,
            actor=actor,
            target=_owner(component.product, component.variant, component.modifier),
            label=_owner_label(component.product, component.variant, component.modifier),
            data={"item": component.item_id, "quantity": format_quantity(component.quantity)},
        )
    return bool(deleted)

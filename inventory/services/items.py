"""Stock items, their per-outlet reorder settings, "track stock for this product", and the stock settings.

Quantities never move here: levels are created (empty) so an outlet can carry a reorder point, but only the
ledger (`inventory/services/stock.py`) changes `StockLevel.quantity`. The cost is typed per purchase unit, as
it appears on a supplier's invoice, and stored per base unit with six decimals (Rp 250.000 a kg → 250 a gram).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from catalog.models import Category, Product
from catalog.services import normalise_sku
from pos_project.errors import CONFLICT, ServiceError
from pos_project.money import round_minor

from ..models import RecipeComponent, StockItem, StockLevel, StockSettings, Supplier
from ..quantities import QTY_MAX, QTY_PLACES
from .stock import stock_settings_get

Errors = dict[str, list[str]]
COST_PLACES = Decimal("0.000001")
COST_MAX = Decimal("999999999999")  # 18 digits, 6 of them decimals
MINOR_MAX = 10**15  # a purchase-unit cost beyond this is a typo, not a price


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def cost_per_base_unit(cost_per_purchase_minor: int, purchase_factor: Decimal) -> Decimal:
    """Minor units per purchase unit → minor units per base unit, to the six decimals the ledger keeps."""
    return (Decimal(cost_per_purchase_minor) / purchase_factor).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def cost_per_purchase_unit(item: StockItem) -> int:
    """What one purchase unit costs, in whole minor units, as the edit form shows it."""
    return round_minor(item.cost * item.purchase_factor)


@dataclass(frozen=True)
class StockItemData:
    """What the item form sends, already read into types (the service still checks every rule)."""

    name: str
    sku: str
    kind: str
    base_unit: str
    purchase_unit: str
    purchase_factor: Decimal
    cost_per_purchase_minor: int
    barcode: str = ""
    category: Category | None = None
    default_supplier: Supplier | None = None


def _clean(data: StockItemData, *, item: StockItem | None) -> tuple[dict, Errors]:
    errors: Errors = {}
    name = (data.name or "").strip()
    sku = normalise_sku(data.sku)
    barcode = (data.barcode or "").strip()
    purchase_unit = (data.purchase_unit or "").strip() or data.base_unit
    if not name:
        _add(errors, "name", _("A stock item needs a name."))
    elif len(name) > 120:
        _add(errors, "name", _("The name is too long (120 characters at most)."))
    if not sku:
        _add(errors, "sku", _("A stock item needs a SKU."))
    elif len(sku) > 40:
        _add(errors, "sku", _("The SKU is too long (40 characters at most)."))
    elif StockItem.objects.filter(sku=sku).exclude(pk=item.pk if item else None).exists():
        _add(errors, "sku", _sku_taken(sku))
    if len(barcode) > 64:
        _add(errors, "barcode", _("The barcode is too long (64 characters at most)."))
    if data.kind not in StockItem.Kind.values:
        _add(errors, "kind", _("Choose whether the item is sold as it is or is an ingredient."))
    if data.base_unit not in StockItem.Unit.values:
        _add(errors, "base_unit", _("Choose pieces, grams or millilitres."))
    elif item is not None and data.base_unit != item.base_unit and _in_use(item):
        _add(errors, "base_unit", _("The base unit cannot change once the item has stock movements or is in a recipe."))
    if len(purchase_unit) > 20:
        _add(errors, "purchase_unit", _("The purchase unit is too long (20 characters at most)."))
    factor = data.purchase_factor
    if factor is None or not factor.is_finite() or factor <= 0:
        _add(errors, "purchase_factor", _("The number of base units in a purchase unit must be more than zero."))
    elif abs(factor) > QTY_MAX or factor != factor.quantize(QTY_PLACES):  # quantize cannot hold 1e400
        _add(errors, "purchase_factor", _("Use at most three decimals and a sensible size."))
    cost_minor = data.cost_per_purchase_minor
    if cost_minor is None or cost_minor < 0:
        _add(errors, "cost", _("The cost must be zero or more."))
    elif cost_minor > MINOR_MAX:
        _add(errors, "cost", _("That cost is too large."))
    if (
        data.default_supplier is not None
        and data.default_supplier.is_archived
        and (item is None or item.default_supplier_id != data.default_supplier.pk)
    ):
        _add(errors, "default_supplier", _("That supplier is archived."))
    if errors:
        return {}, errors
    cost = cost_per_base_unit(cost_minor, factor)
    if item is not None and factor == item.purchase_factor and cost_minor == cost_per_purchase_unit(item):
        cost = item.cost  # unchanged on the form: keep the exact cost receiving worked out, not a rounded one
    if cost > COST_MAX:
        _add(errors, "cost", _("That cost is too large."))
    fields = {
        "name": name,
        "sku": sku,
        "barcode": barcode,
        "kind": data.kind,
        "category": data.category,
        "base_unit": data.base_unit,
        "purchase_unit": purchase_unit,
        "purchase_factor": factor.quantize(QTY_PLACES),
        "cost": cost,
        "default_supplier": data.default_supplier,
    }
    return fields, errors


def _in_use(item: StockItem) -> bool:
    return item.movements.exists() or item.used_in.exists() or RecipeComponent.objects.filter(replaces=item).exists()


def _sku_taken(sku: str) -> str:
    return _("The SKU “%(sku)s” is already used by another stock item.") % {"sku": sku}


def _refused(errors: Errors) -> ServiceError:
    return ServiceError("stock_item.invalid", _("The stock item needs fixing."), fields=errors)


def _save(item: StockItem) -> None:
    """Save under a savepoint: a racing writer that took the SKU first gets the same clear message."""
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise ServiceError("stock_item.sku_taken", _sku_taken(item.sku), field="sku", status=CONFLICT) from None


@transaction.atomic
def stock_item_create(*, data: StockItemData, actor: User | None = None) -> StockItem:
    fields, errors = _clean(data, item=None)
    if errors:
        raise _refused(errors)
    item = StockItem(**fields)
    _save(item)
    audit_record(action=AuditAction.STOCK_ITEM_CREATE, actor=actor, target=item, label=item.sku,
                 data={"name": item.name})  # fmt: skip
    return item


@transaction.atomic
def stock_item_update(*, item: StockItem, data: StockItemData, actor: User | None = None) -> StockItem:
    """Change an item's details. A changed cost is audited: it values every later sale and adjustment."""
    locked = StockItem.objects.select_for_update().get(pk=item.pk)
    fields, errors = _clean(data, item=locked)
    if errors:
        raise _refused(errors)
    old_cost = locked.cost
    for name, value in fields.items():
        setattr(locked, name, value)
    _save(locked)
    if old_cost != locked.cost:
        audit_record(
            action=AuditAction.STOCK_ITEM_COST_CHANGE,
            actor=actor,
            target=locked,
            label=locked.sku,
            data={"old": str(old_cost), "new": str(locked.cost)},
        )
    return locked


@transaction.atomic
def stock_item_archive(*, item: StockItem, archived: bool = True, actor: User | None = None) -> StockItem:
    """Archived items keep their stock and history and still count in existing recipes; they just cannot be
    picked for new recipe lines and drop out of the default list."""
    updated = (
        StockItem.objects.filter(pk=item.pk)
        .exclude(is_archived=archived)
        .update(is_archived=archived, updated_at=timezone.now())
    )
    item.is_archived = archived
    if updated:
        action = AuditAction.STOCK_ITEM_ARCHIVE if archived else AuditAction.STOCK_ITEM_RESTORE
        audit_record(action=action, actor=actor, target=item, label=item.sku)
    return item


@dataclass(frozen=True)
class ReorderSetting:
    outlet_id: int
    reorder_point: Decimal
    reorder_quantity: Decimal


@transaction.atomic
def stock_item_reorder_set(*, item: StockItem, settings: list[ReorderSetting]) -> list[StockLevel]:
    """Set each outlet's reorder point and quantity. The quantity column is never written here."""
    errors: Errors = {}
    for s in settings:
        for field, value in (("reorder_point", s.reorder_point), ("reorder_quantity", s.reorder_quantity)):
            if value is None or not value.is_finite() or value < 0:
                _add(errors, f"{field}_{s.outlet_id}", _("Enter zero or more."))
            elif abs(value) > QTY_MAX or value != value.quantize(QTY_PLACES):
                _add(errors, f"{field}_{s.outlet_id}", _("Use at most three decimals and a sensible size."))
    if errors:
        raise ServiceError("stock_level.invalid", _("The reorder settings need fixing."), fields=errors)
    levels = []
    for s in sorted(settings, key=lambda s: s.outlet_id):
        level, _created = StockLevel.objects.get_or_create(item_id=item.pk, outlet_id=s.outlet_id)
        level.reorder_point, level.reorder_quantity = s.reorder_point, s.reorder_quantity
        level.save(update_fields=["reorder_point", "reorder_quantity", "updated_at"])
        levels.append(level)
    return levels


# --- Track stock for a product ----------------------------------------------------------------------------------


@transaction.atomic
def stock_item_for_product(*, product: Product, actor: User | None = None) -> StockItem:
    """The stock item counting a product sold as it is (a bottle of water), with the one-for-one recipe line.

    Idempotent: the product row is locked, so a second (or concurrent) call finds and returns the item the
    first made. A stock item that already carries the product's SKU is adopted if it is not an ingredient and
    belongs to no other product; otherwise the owner is told to rename one of them."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    item = StockItem.objects.filter(product=product).order_by("pk").first()
    if item is None:
        item = StockItem.objects.select_for_update().filter(sku=product.sku).first()
        if item is not None:
            if item.kind != StockItem.Kind.PRODUCT or (item.product_id and item.product_id != product.pk):
                raise ServiceError(
                    "stock_item.sku_taken",
                    _("The stock item %(item)s already uses the SKU “%(sku)s”. Change its SKU first, or add it to "
                      "the recipe by hand.") % {"item": item.name, "sku": product.sku},
                    status=CONFLICT,
                )  # fmt: skip
            item.product = product
            item.save(update_fields=["product", "updated_at"])
        else:
            item = StockItem(
                name=product.name[:120],
                sku=product.sku,
                barcode=product.barcode,
                kind=StockItem.Kind.PRODUCT,
                category=product.category,
                base_unit=StockItem.Unit.PCS,
                purchase_unit=StockItem.Unit.PCS,
                purchase_factor=Decimal(1),
                product=product,
            )
            _save(item)
        audit_record(action=AuditAction.STOCK_ITEM_TRACK_PRODUCT, actor=actor, target=product, label=product.sku,
                     data={"item": item.pk})  # fmt: skip
    if not RecipeComponent.objects.filter(product=product, item=item).exists():
        RecipeComponent.objects.create(product=product, item=item, quantity=Decimal(1))
    return item


# --- Stock settings ---------------------------------------------------------------------------------------------


@transaction.atomic
def stock_settings_update(
    *,
    negative_stock: str,
    cost_method: str,
    adjustment_approval_minor: int | None,
    staff_adjustment_approval_minor: int | None,
    low_stock_digest: bool,
    actor: User | None = None,
) -> StockSettings:
    """Save the tenant's stock rules and audit what changed (the negative-stock policy decides whether the
    till may sell what the books say is gone; the two thresholds, who needs a second person for an adjustment)."""
    errors: Errors = {}
    if negative_stock not in StockSettings.NegativeStock.values:
        _add(errors, "negative_stock", _("Choose what happens when a sale would take stock below zero."))
    if cost_method not in StockSettings.CostMethod.values:
        _add(errors, "cost_method", _("Choose how stock is valued."))
    if adjustment_approval_minor is not None and not 0 <= adjustment_approval_minor <= MINOR_MAX:
        _add(errors, "adjustment_approval_minor", _("The threshold must be zero or more (leave it empty for never)."))
    if staff_adjustment_approval_minor is not None and not 0 <= staff_adjustment_approval_minor <= MINOR_MAX:
        _add(errors, "staff_adjustment_approval_minor",
             _("The threshold must be zero or more (leave it empty for never)."))  # fmt: skip
    if errors:
        raise ServiceError("stock_settings.invalid", _("The stock settings need fixing."), fields=errors)
    settings = StockSettings.objects.select_for_update().get(pk=stock_settings_get().pk)
    new = {
        "negative_stock": negative_stock,
        "cost_method": cost_method,
        "adjustment_approval_minor": adjustment_approval_minor,
        "staff_adjustment_approval_minor": staff_adjustment_approval_minor,
        "low_stock_digest": bool(low_stock_digest),
    }
    changes = {f: [getattr(settings, f), v] for f, v in new.items() if getattr(settings, f) != v}
    if changes:
        for field, (_old, value) in changes.items():
            setattr(settings, field, value)
        settings.save(update_fields=list(changes))
        audit_record(action=AuditAction.STOCK_SETTINGS_UPDATE, actor=actor, target=settings, label="stock settings",
                     data=changes)  # fmt: skip
    return settings

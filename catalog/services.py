"""Writes to the catalog. Each service validates everything first and reports all errors at once.

SKUs are unique across products *and* variants. A unique index covers each table; the check across both runs
under one transaction-scoped advisory lock of the tenant, so two concurrent writers cannot both take the same
SKU.
Price changes are audited (`catalog.price_change`) in the same transaction as the change, and so is marking an
item sold out at an outlet or back in stock (`catalog.sold_out`, `catalog.back_in_stock`).
Every change to a product or what is sold under it (variants, modifier groups, taxes, an outlet's price or
availability) moves the product's `updated_at` and emits the outbox event `product.updated` (`{"product": id,
"changed": [what]}`, plus `"outlet"` for an outlet's change) in the same transaction: webhooks and syncing
clients hear of it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import capability_check
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet, Tax
from core.idempotency import idempotent_write
from core.locks import advisory_xact_lock
from core.outbox import event_emit
from pos_project.errors import ServiceError
from pos_project.money import AMOUNT_MAX

from .models import (
    Category,
    Modifier,
    ModifierGroup,
    OutletProductOverride,
    Product,
    ProductModifierGroup,
    ProductVariant,
)

Errors = dict[str, list[str]]


def sku_lock() -> None:
    """Serialise the tenant's SKU-taking writers until the end of the transaction (cheap; catalog edits are
    rare). Keyed by schema: one tenant's long import never makes another tenant's catalog wait."""
    advisory_xact_lock("catalog.sku")


def normalise_sku(sku: str) -> str:
    return (sku or "").strip().upper()


def sku_taken(sku: str, *, product: Product | None = None, variant: ProductVariant | None = None) -> bool:
    """Is `sku` used by a product or variant other than the given one?"""
    products = Product.objects.filter(sku=sku)
    variants = ProductVariant.objects.filter(sku=sku)
    if product is not None and product.pk:
        products = products.exclude(pk=product.pk)
    if variant is not None and variant.pk:
        variants = variants.exclude(pk=variant.pk)
    return products.exists() or variants.exists()


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _too_long(max_length: int) -> str:
    return _("The name is too long (%(max)s characters at most).") % {"max": max_length}


def _check_price(errors: Errors, field: str, value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _add(errors, field, _("The price must be zero or more."))
    elif value > AMOUNT_MAX:  # a typo, and two of it would overflow an order's total
        _add(errors, field, _("That price is too large."))


def _check_sort_order(errors: Errors, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _add(errors, "sort_order", _("The sort order must be zero or more."))


def _audit_price(*, actor: User | None, target: models.Model, sku: str, old: int | None, new: int | None,
                 **extra) -> None:  # fmt: skip
    audit_record(action=AuditAction.CATALOG_PRICE_CHANGE, actor=actor, target=target, label=sku,
                 data={"from": old, "to": new, **extra})  # fmt: skip


PRODUCT_UPDATED = "product.updated"


def _product_changed(product_id: int, changed: Iterable[str], *, touch: bool = True, **extra) -> None:
    """Announce a change of a product (in the caller's transaction): `updated_at` moved (unless the product's own
    save just did) and one `product.updated` event."""
    if touch:
        Product.objects.filter(pk=product_id).update(updated_at=timezone.now())
    event_emit(PRODUCT_UPDATED, {"product": product_id, "changed": sorted(set(changed)), **extra})


# --- Categories -----------------------------------------------------------------------------------------------


def _category_errors(name: str, sort_order: int) -> Errors:
    errors: Errors = {}
    if not name:
        _add(errors, "name", _("A category needs a name."))
    elif len(name) > (max_length := Category._meta.get_field("name").max_length):
        _add(errors, "name", _too_long(max_length))
    _check_sort_order(errors, sort_order)
    return errors


@transaction.atomic
def category_create(*, name: str, sort_order: int = 0) -> Category:
    name = (name or "").strip()
    if errors := _category_errors(name, sort_order):
        raise ServiceError("category.invalid", _("The category needs fixing."), fields=errors)
    return Category.objects.create(name=name, sort_order=sort_order)


@transaction.atomic
def category_update(*, category: Category, name: str, sort_order: int) -> Category:
    name = (name or "").strip()
    if errors := _category_errors(name, sort_order):
        raise ServiceError("category.invalid", _("The category needs fixing."), fields=errors)
    category.name, category.sort_order = name, sort_order
    category.save(update_fields=["name", "sort_order", "updated_at"])
    return category


@transaction.atomic
def category_archive(*, category: Category, archived: bool = True) -> Category:
    """Hide a category (and so its products) from the till; `archived=False` brings it back."""
    category.is_archived = archived
    category.save(update_fields=["is_archived", "updated_at"])
    return category


# --- Products -------------------------------------------------------------------------------------------------


def _sellable_errors(
    model,
    *,
    name: str,
    sku: str,
    barcode: str,
    price_minor,
    sort_order,
    taken: Callable[[], bool],
    messages: tuple[str, str],
) -> Errors:
    """What products and variants check alike: name, SKU (unique across both), barcode, price, sort order.
    `messages` are the kind's own words for a missing name and a missing SKU."""
    errors: Errors = {}
    max_length = {f: model._meta.get_field(f).max_length for f in ("name", "sku", "barcode")}
    if not name:
        _add(errors, "name", messages[0])
    elif len(name) > max_length["name"]:
        _add(errors, "name", _too_long(max_length["name"]))
    if not sku:
        _add(errors, "sku", messages[1])
    elif len(sku) > max_length["sku"]:
        _add(errors, "sku", _("The SKU is too long (%(max)s characters at most).") % {"max": max_length["sku"]})
    elif taken():
        _add(errors, "sku", _("The SKU “%(sku)s” is already used.") % {"sku": sku})
    if len(barcode) > max_length["barcode"]:
        _add(
            errors,
            "barcode",
            _("The barcode is too long (%(max)s characters at most).") % {"max": max_length["barcode"]},
        )
    _check_price(errors, "price_minor", price_minor)
    _check_sort_order(errors, sort_order)
    return errors


def _product_errors(
    *, product: Product | None, category, name: str, sku: str, price_minor, barcode: str, sort_order
) -> Errors:
    errors = _sellable_errors(
        Product, name=name, sku=sku, barcode=barcode, price_minor=price_minor, sort_order=sort_order,
        taken=lambda: sku_taken(sku, product=product),
        messages=(_("A product needs a name."), _("A product needs a SKU.")),
    )  # fmt: skip
    if not isinstance(category, Category):
        errors = {"category": [_("Choose a category.")], **errors}
    return errors


@transaction.atomic
def product_create(
    *,
    category: Category,
    name: str,
    sku: str,
    price_minor: int,
    barcode: str = "",
    sort_order: int = 0,
    description: str = "",
    taxes: Iterable[Tax] | None = None,
) -> Product:
    name, sku, barcode = (name or "").strip(), normalise_sku(sku), (barcode or "").strip()
    sku_lock()
    errors = _product_errors(
        product=None,
        category=category,
        name=name,
        sku=sku,
        price_minor=price_minor,
        barcode=barcode,
        sort_order=sort_order,
    )
    if errors:
        raise ServiceError("product.invalid", _("The product needs fixing."), fields=errors)
    product = Product.objects.create(
        category=category,
        name=name,
        sku=sku,
        price_minor=price_minor,
        barcode=barcode,
        sort_order=sort_order,
        description=(description or "").strip(),
    )
    if taxes:
        product.taxes.set(taxes)
    _product_changed(product.pk, ["created"], touch=False)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    actor: User | None,
    category: Category,
    name: str,
    sku: str,
    price_minor: int,
    barcode: str = "",
    sort_order: int = 0,
    description: str = "",
    taxes: Iterable[Tax] | None = None,
) -> Product:
    """Change a product; a new price is audited. `taxes=None` leaves the taxes as they are."""
    name, sku, barcode = (name or "").strip(), normalise_sku(sku), (barcode or "").strip()
    sku_lock()
    locked = Product.objects.select_for_update(of=("self",)).get(pk=product.pk)
    errors = _product_errors(
        product=locked,
        category=category,
        name=name,
        sku=sku,
        price_minor=price_minor,
        barcode=barcode,
        sort_order=sort_order,
    )
    if errors:
        raise ServiceError("product.invalid", _("The product needs fixing."), fields=errors)
    if locked.price_minor != price_minor:
        _audit_price(actor=actor, target=locked, sku=sku, old=locked.price_minor, new=price_minor)
    changed = []
    for field, value in {
        "category": category,
        "name": name,
        "sku": sku,
        "price_minor": price_minor,
        "barcode": barcode,
        "sort_order": sort_order,
        "description": (description or "").strip(),
    }.items():
        if getattr(locked, field) != value:
            changed.append(field)
        setattr(product, field, value)
    product.is_archived = locked.is_archived
    if taxes is not None:
        taxes = list(taxes)
        if {t.pk for t in taxes} != set(locked.taxes.values_list("pk", flat=True)):
            changed.append("taxes")
            product.taxes.set(taxes)
    if changed:
        product.save()
        _product_changed(product.pk, changed, touch=False)
    return product


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    """Take a product off every till; orders that sold it keep pointing at it."""
    if Product.objects.filter(pk=product.pk, is_archived=False).update(is_archived=True, updated_at=timezone.now()):
        _product_changed(product.pk, ["is_archived"], touch=False)
    product.is_archived = True
    return product


@transaction.atomic
def product_unarchive(*, product: Product) -> Product:
    if Product.objects.filter(pk=product.pk, is_archived=True).update(is_archived=False, updated_at=timezone.now()):
        _product_changed(product.pk, ["is_archived"], touch=False)
    product.is_archived = False
    return product


# --- Variants -------------------------------------------------------------------------------------------------


def _variant_errors(
    *, variant: ProductVariant | None, name: str, sku: str, barcode: str, price_minor, sort_order
) -> Errors:
    return _sellable_errors(
        ProductVariant, name=name, sku=sku, barcode=barcode, price_minor=price_minor, sort_order=sort_order,
        taken=lambda: sku_taken(sku, variant=variant),
        messages=(_("A variant needs a name (e.g. Regular, Large)."), _("A variant needs its own SKU.")),
    )  # fmt: skip


def _default_take(product_id: int, *, keep: int | None = None) -> None:
    """Make room for a new default size: the product's row is locked (so two owners marking two defaults at once
    queue up) and its other variants stop being the default."""
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True))
    ProductVariant.objects.filter(product_id=product_id, is_default=True).exclude(pk=keep).update(is_default=False)


@transaction.atomic
def variant_create(
    *,
    product: Product,
    name: str,
    sku: str,
    price_minor: int,
    barcode: str = "",
    sort_order: int = 0,
    is_default: bool = False,
) -> ProductVariant:
    """Add a size or kind to a product. `is_default` makes it the one the till preselects (instead of another)."""
    name, sku, barcode = (name or "").strip(), normalise_sku(sku), (barcode or "").strip()
    sku_lock()
    errors = _variant_errors(
        variant=None, name=name, sku=sku, barcode=barcode, price_minor=price_minor, sort_order=sort_order
    )
    if errors:
        raise ServiceError("variant.invalid", _("The variant needs fixing."), fields=errors)
    if is_default:
        _default_take(product.pk)
    variant = ProductVariant.objects.create(
        product=product,
        name=name,
        sku=sku,
        barcode=barcode,
        price_minor=price_minor,
        sort_order=sort_order,
        is_default=bool(is_default),
    )
    _product_changed(product.pk, ["variants"])
    return variant


@transaction.atomic
def variant_update(
    *,
    variant: ProductVariant,
    actor: User | None,
    name: str,
    sku: str,
    price_minor: int,
    barcode: str = "",
    sort_order: int = 0,
    is_default: bool | None = None,
) -> ProductVariant:
    """Change a variant; a new price is audited. `is_default=None` leaves whether it is the default as it is."""
    name, sku, barcode = (name or "").strip(), normalise_sku(sku), (barcode or "").strip()
    sku_lock()
    if is_default:
        _default_take(variant.product_id, keep=variant.pk)
    locked = ProductVariant.objects.select_for_update(of=("self",)).get(pk=variant.pk)
    errors = _variant_errors(
        variant=locked, name=name, sku=sku, barcode=barcode, price_minor=price_minor, sort_order=sort_order
    )
    if errors:
        raise ServiceError("variant.invalid", _("The variant needs fixing."), fields=errors)
    if locked.price_minor != price_minor:
        _audit_price(actor=actor, target=locked, sku=sku, old=locked.price_minor, new=price_minor)
    variant.name, variant.sku, variant.barcode = name, sku, barcode
    variant.price_minor, variant.sort_order, variant.is_archived = price_minor, sort_order, locked.is_archived
    variant.is_default = locked.is_default if is_default is None else bool(is_default)
    variant.save()
    _product_changed(variant.product_id, ["variants"])
    return variant


@transaction.atomic
def variant_archive(*, variant: ProductVariant, archived: bool = True) -> ProductVariant:
    if ProductVariant.objects.filter(pk=variant.pk).exclude(is_archived=archived).update(is_archived=archived):
        _product_changed(variant.product_id, ["variants"])
    variant.is_archived = archived
    return variant


# --- Modifier groups ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModifierSpec:
    """One modifier as typed in the group form: `pk` None adds it, an existing pk updates it."""

    name: str
    price_delta_minor: int = 0
    sort_order: int | None = None  # None: its position in the list
    is_archived: bool = False
    pk: int | None = None


def _modifier_group_errors(
    *, name: str, min_choices, max_choices, sort_order, modifiers: Sequence[ModifierSpec]
) -> Errors:
    errors: Errors = {}
    if not name:
        _add(errors, "name", _("A modifier group needs a name."))
    elif len(name) > (max_length := ModifierGroup._meta.get_field("name").max_length):
        _add(errors, "name", _too_long(max_length))
    ints_ok = True
    for field, value in (("min_choices", min_choices), ("max_choices", max_choices)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _add(errors, field, _("Enter a whole number, zero or more."))
            ints_ok = False
    if ints_ok:
        if max_choices < 1:
            _add(errors, "max_choices", _("At least one choice must be allowed."))
        elif max_choices < min_choices:
            _add(errors, "max_choices", _("The maximum must be at least the minimum."))
    _check_sort_order(errors, sort_order)
    active = [m for m in modifiers if not m.is_archived]
    for index, spec in enumerate(modifiers, start=1):
        name_ = (spec.name or "").strip()
        if not name_:
            _add(errors, "modifiers", _("Modifier %(index)s: give it a name.") % {"index": index})
        elif len(name_) > (max_length := Modifier._meta.get_field("name").max_length):
            _add(
                errors,
                "modifiers",
                _("Modifier %(index)s: the name is too long (%(max)s characters at most).")
                % {"index": index, "max": max_length},
            )
        if not isinstance(spec.price_delta_minor, int) or not 0 <= spec.price_delta_minor <= AMOUNT_MAX:
            _add(errors, "modifiers", _("Modifier %(index)s: the extra price must be zero or more, and not too "
                                        "large.") % {"index": index})  # fmt: skip
    if ints_ok and min_choices > len(active):
        _add(
            errors,
            "min_choices",
            _("At least %(min)s choice(s) are required but the group has %(count)s.")
            % {"min": min_choices, "count": len(active)},
        )
    return errors


def _modifiers_save(group: ModifierGroup, modifiers: Sequence[ModifierSpec]) -> None:
    existing = {m.pk: m for m in group.modifiers.all()}
    errors: Errors = {}
    for index, spec in enumerate(modifiers, start=1):
        if spec.pk is not None and spec.pk not in existing:
            _add(errors, "modifiers", _("Modifier %(index)s does not belong to this group.") % {"index": index})
    if errors:
        raise ServiceError("modifier_group.invalid", _("The modifier group needs fixing."), fields=errors)
    for position, spec in enumerate(modifiers):
        values = {
            "name": spec.name.strip(),
            "price_delta_minor": spec.price_delta_minor,
            "sort_order": spec.sort_order if spec.sort_order is not None else position,
            "is_archived": spec.is_archived,
        }
        if spec.pk is None:
            Modifier.objects.create(group=group, **values)
        else:
            Modifier.objects.filter(pk=spec.pk).update(**values)


@transaction.atomic
def modifier_group_create(
    *,
    name: str,
    min_choices: int = 0,
    max_choices: int = 1,
    sort_order: int = 0,
    modifiers: Sequence[ModifierSpec] = (),
) -> ModifierGroup:
    name = (name or "").strip()
    errors = _modifier_group_errors(
        name=name, min_choices=min_choices, max_choices=max_choices, sort_order=sort_order, modifiers=modifiers
    )
    if errors:
        raise ServiceError("modifier_group.invalid", _("The modifier group needs fixing."), fields=errors)
    group = ModifierGroup.objects.create(
        name=name, min_choices=min_choices, max_choices=max_choices, sort_order=sort_order
    )
    _modifiers_save(group, [ModifierSpec(**{**spec.__dict__, "pk": None}) for spec in modifiers])
    return group


@transaction.atomic
def modifier_group_update(
    *,
    group: ModifierGroup,
    name: str,
    min_choices: int,
    max_choices: int,
    sort_order: int = 0,
    is_archived: bool = False,
    modifiers: Sequence[ModifierSpec] = (),
) -> ModifierGroup:
    """Update the group and its modifiers. Modifiers not listed are left as they are (archive, never delete)."""
    name = (name or "").strip()
    ModifierGroup.objects.select_for_update(of=("self",)).get(pk=group.pk)
    listed = {spec.pk for spec in modifiers if spec.pk is not None}
    unlisted = [
        ModifierSpec(name=m.name, is_archived=m.is_archived, pk=m.pk) for m in group.modifiers.exclude(pk__in=listed)
    ]
    errors = _modifier_group_errors(
        name=name,
        min_choices=min_choices,
        max_choices=max_choices,
        sort_order=sort_order,
        modifiers=[*modifiers, *unlisted],
    )
    if errors:
        raise ServiceError("modifier_group.invalid", _("The modifier group needs fixing."), fields=errors)
    group.name, group.min_choices, group.max_choices = name, min_choices, max_choices
    group.sort_order, group.is_archived = sort_order, is_archived
    group.save()
    _modifiers_save(group, modifiers)
    return group


@transaction.atomic
def product_set_modifier_groups(*, product: Product, groups: Sequence[ModifierGroup]) -> None:
    """The groups asked for when this product is sold, in the given order."""
    if len({g.pk for g in groups}) != len(groups):
        raise ServiceError(
            "product.modifier_group_twice", _("A modifier group is listed twice."), field="modifier_groups"
        )
    ProductModifierGroup.objects.filter(product=product).delete()
    ProductModifierGroup.objects.bulk_create(
        ProductModifierGroup(product=product, group=group, sort_order=index) for index, group in enumerate(groups)
    )
    _product_changed(product.pk, ["modifier_groups"])


# --- Per-outlet overrides -------------------------------------------------------------------------------------


@transaction.atomic
def outlet_override_set(
    *,
    outlet: Outlet,
    product: Product,
    variant: ProductVariant | None = None,
    price_minor: int | None,
    is_available: bool,
    actor: User | None = None,
) -> OutletProductOverride | None:
    """Set what one outlet does differently for a product (or one of its variants).

    `price_minor=None` means the catalog price. Setting the catalog price and availability removes the
    override row. A price change at the outlet is audited like a catalog price change.
    """
    errors: Errors = {}
    if variant is not None and variant.product_id != product.pk:
        _add(errors, "variant", _("This variant belongs to another product."))
    _check_price(errors, "price_minor", price_minor, allow_none=True)
    if errors:
        raise ServiceError("outlet_override.invalid", _("The outlet's price needs fixing."), fields=errors)
    current = (
        OutletProductOverride.objects.select_for_update()
        .filter(outlet=outlet, product=product, variant=variant)
        .first()
    )
    old_price = current.price_minor if current is not None else None
    if old_price != price_minor:
        priced = variant if variant is not None else product
        _audit_price(actor=actor, target=priced, sku=priced.sku, old=old_price, new=price_minor, outlet=outlet.code)
    old_available = current.is_available if current is not None else True
    changed = (["outlet_price"] if old_price != price_minor else []) + (
        ["outlet_availability"] if old_available != is_available else []
    )
    if changed:
        _product_changed(product.pk, changed, outlet=outlet.pk, **({"variant": variant.pk} if variant else {}))
    if price_minor is None and is_available:
        if current is not None:
            current.delete()
        return None
    if current is None:
        return OutletProductOverride.objects.create(
            outlet=outlet, product=product, variant=variant, price_minor=price_minor, is_available=is_available
        )
    current.price_minor, current.is_available = price_minor, is_available
    current.save(update_fields=["price_minor", "is_available"])
    return current


def product_sold_out_set(
    *,
    outlet: Outlet,
    product: Product,
    sold_out: bool,
    actor: User,
    idempotency_key: str | None = None,
) -> Product:
    """Mark a product sold out ("86'd") at one outlet, or back in stock, from the till.

    The availability is the outlet's override (`outlet_override_set`, its price left as it is), so the till's
    grid, a scan and every cart see it at once. A real change is audited (`catalog.sold_out` or
    `catalog.back_in_stock`); asking for the state it is already in changes and records nothing. With a key, a
    retried request is answered as the first was (core/idempotency.py)."""
    capability_check(actor, "catalog.sold_out")
    return idempotent_write(
        key=idempotency_key,
        action="catalog.sold_out",
        request={"outlet": outlet.pk, "product": product.pk, "sold_out": bool(sold_out), "actor": actor.pk},
        model=Product,
        write=lambda: _sold_out_write(outlet=outlet, product=product, sold_out=bool(sold_out), actor=actor),
        required=idempotency_key is not None,
    )


def _sold_out_write(*, outlet: Outlet, product: Product, sold_out: bool, actor: User) -> Product:
    # The product's row first (the order catalog writes take it in), so two tills marking it at once queue up
    # and only the first change is audited.
    locked = Product.objects.select_for_update(of=("self",)).filter(pk=product.pk, is_archived=False).first()
    if locked is None:
        raise ServiceError("product.not_found", _("This product is not on the menu."), status=404)
    current = OutletProductOverride.objects.filter(outlet=outlet, product=product, variant__isnull=True).first()
    was_sold_out = current is not None and not current.is_available
    if was_sold_out != sold_out:
        outlet_override_set(
            outlet=outlet,
            product=product,
            price_minor=current.price_minor if current is not None else None,
            is_available=not sold_out,
            actor=actor,
        )
        audit_record(
            action=AuditAction.CATALOG_SOLD_OUT if sold_out else AuditAction.CATALOG_BACK_IN_STOCK,
            actor=actor,
            target=product,
            label=product.sku,
            data={"outlet": outlet.code, "product": product.name},
        )
    product.is_sold_out = sold_out
    return product

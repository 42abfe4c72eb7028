from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import limit_check
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from pos_project.errors import CONFLICT, ServiceError

from .models import Outlet, SalesSettings, Tax


@transaction.atomic
def outlet_create(*, name: str, code: str, address: str = "", phone: str = "") -> Outlet:
    """A new outlet; the plan may limit how many active outlets a business has (`plan.limit_reached`)."""
    limit_check("outlets", Outlet.objects.filter(is_active=True).count())
    name, code = (name or "").strip(), (code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("An outlet needs a name.")]
    if not code:
        errors["code"] = [_("An outlet needs a short code.")]
    elif Outlet.objects.filter(code__iexact=code).exists():
        errors["code"] = [_("The code “%(code)s” is already used by another outlet.") % {"code": code}]
    if errors:
        raise ServiceError("outlet.invalid", _("The outlet needs fixing."), fields=errors)
    return Outlet.objects.create(name=name, code=code, address=address.strip(), phone=phone.strip())


@transaction.atomic
def outlet_update(
    *, actor: User, outlet: Outlet, name: str, address: str = "", phone: str = "", send_to_kitchen_on_pay: bool
) -> Outlet:
    """Change an outlet's details and how its tills work; audited. The code stays (receipts and reports use it)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(
            "outlet.invalid", _("The outlet needs fixing."), fields={"name": [_("An outlet needs a name.")]}
        )
    outlet = Outlet.objects.select_for_update().get(pk=outlet.pk)
    new = {"name": name, "address": address.strip(), "phone": phone.strip(),
           "send_to_kitchen_on_pay": send_to_kitchen_on_pay}  # fmt: skip
    changes = {k: [str(getattr(outlet, k)), str(v)] for k, v in new.items() if getattr(outlet, k) != v}
    # The audit entry says that the address or phone changed, not what they were or became.
    contact = sorted(k for k in ("address", "phone") if changes.pop(k, None) is not None)
    if contact:
        changes["changed"] = contact
    for k, v in new.items():
        setattr(outlet, k, v)
    outlet.save()
    if changes:
        audit_record(action=AuditAction.OUTLET_UPDATE, actor=actor, target=outlet, label=outlet.code, data=changes)
    return outlet


def _tax_service_conflict(*, inclusive: bool, applies_to_service_charge: bool, service_charge_rate: Decimal) -> bool:
    """An inclusive tax cannot also be charged on a service charge that is added on top of prices."""
    return inclusive and applies_to_service_charge and service_charge_rate > 0


@transaction.atomic
def sales_settings_update(*, actor: User, **fields) -> SalesSettings:
    settings, _created = SalesSettings.objects.select_for_update().get_or_create(pk=1)
    rate = fields.get("service_charge_rate", settings.service_charge_rate)
    if any(
        _tax_service_conflict(inclusive=t.inclusive, applies_to_service_charge=t.applies_to_service_charge,
                              service_charge_rate=rate)
        for t in Tax.objects.filter(is_active=True)
    ):  # fmt: skip
        raise ServiceError(
            "sales_settings.service_charge_conflict",
            _(
                "An inclusive tax is set to apply to the service charge; change that tax before adding a service "
                "charge."
            ),
            field="service_charge_rate",
            status=CONFLICT,
        )
    changes = {}
    for name, value in fields.items():
        old = getattr(settings, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(settings, name, value)
    settings.save()
    if changes:
        audit_record(action=AuditAction.SETTINGS_SALES_UPDATE, actor=actor, target=settings, label="sales settings",
                     data=changes)  # fmt: skip
    return settings


@transaction.atomic
def tax_save(*, actor: User, tax: Tax | None, code: str, name: str, rate: Decimal, inclusive: bool,
             applies_to_service_charge: bool, is_active: bool = True) -> Tax:  # fmt: skip
    """Create (tax=None) or change a tax; rate changes are audited."""
    code = (code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("A tax needs a short code.")]
    elif Tax.objects.filter(code__iexact=code).exclude(pk=getattr(tax, "pk", None)).exists():
        errors["code"] = [_("The code “%(code)s” is already used.") % {"code": code}]
    if not (name or "").strip():
        errors["name"] = [_("A tax needs a name.")]
    if rate is None or not Decimal(0) <= rate <= Decimal(100):
        errors["rate"] = [_("The rate is a percentage from 0 to 100.")]
    service_rate = SalesSettings.objects.filter(pk=1).values_list("service_charge_rate", flat=True).first() or 0
    if _tax_service_conflict(inclusive=inclusive, applies_to_service_charge=applies_to_service_charge,
                             service_charge_rate=Decimal(service_rate)):  # fmt: skip
        errors["applies_to_service_charge"] = [
            _("A tax included in menu prices cannot also be charged on the service charge, which is added on top.")
        ]
    if errors:
        raise ServiceError("tax.invalid", _("The tax needs fixing."), fields=errors)
    old_rate = tax.rate if tax else None
    tax = tax or Tax()
    tax.code, tax.name, tax.rate = code, name.strip(), rate
    tax.inclusive, tax.applies_to_service_charge, tax.is_active = inclusive, applies_to_service_charge, is_active
    tax.save()
    if old_rate != rate:
        audit_record(action=AuditAction.SETTINGS_TAX_RATE, actor=actor, target=tax, label=code,
                     data={"from": str(old_rate) if old_rate is not None else None, "to": str(rate)})  # fmt: skip
    return tax

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from accounts.access import outlet_check, outlet_filter
from pos_project.caching import cache_forget
from pos_project.money import Currency, currency, format_money
from pos_project.parsing import int_or_none

from .models import Outlet, SalesSettings, Tax


def outlet_list(*, active_only: bool = True) -> QuerySet[Outlet]:
    qs = Outlet.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def outlet_default() -> Outlet | None:
    """The outlet a till or display uses until outlet selection per device exists."""
    return outlet_list().order_by("id").first()


def outlets_for(user, *, active_only: bool = True) -> QuerySet[Outlet]:
    """The active outlets a person works at (accounts.access.outlets_of: all of them unless assigned some); with
    `active_only=False`, closed ones too (report filters)."""
    return outlet_filter(outlet_list(active_only=active_only), user, field="pk").order_by("id")


def outlet_default_for(user) -> Outlet | None:
    """The outlet a person's till or display uses until they choose one: the first they work at."""
    return outlets_for(user).first()


def outlet_for(user, outlet_id: int) -> Outlet:
    """An active outlet the person works at; any other (another's, an inactive or unknown one) answers 404."""
    outlet_check(user, outlet_id)
    outlet = outlet_list().filter(pk=outlet_id).first()
    if outlet is None:
        raise Http404("No outlet matches the given query.")
    return outlet


def outlet_sends_on_pay(outlet_id: int) -> bool:
    """Whether paying an order at this outlet sends the kitchen what it has not had yet (one query)."""
    return Outlet.objects.filter(pk=outlet_id, send_to_kitchen_on_pay=True).exists()


def tip_percentages_parse(text: str) -> tuple[int, ...]:
    """ "5, 10,15" -> (5, 10, 15); what is not a whole percentage from 1 to 100 is left out (the form refuses it)."""
    values = []
    for part in (text or "").split(","):
        part = part.strip().rstrip("%").strip()
        if (number := int_or_none(part, minimum=1, maximum=100)) is not None and number not in values:
            values.append(number)
    return tuple(values)


def sales_settings_get() -> "SalesSettings":
    """The tenant's till rules as a row (for the settings form); everyone else reads `tenant_settings()`."""
    settings, created = SalesSettings.objects.get_or_create(pk=1)
    if created:  # as stored: the fields' Python defaults are ints where the columns are decimals (10, not 10.00)
        settings.refresh_from_db()
    return settings


def tax_list(*, active_only: bool = True) -> QuerySet[Tax]:
    qs = Tax.objects.all()
    return qs.filter(is_active=True) if active_only else qs


# --- Tenant settings: one cached read for the whole request path ----------------------------------------------


@dataclass(frozen=True)
class TaxSetting:
    code: str
    name: str
    rate: Decimal
    inclusive: bool
    applies_to_service_charge: bool
    is_active: bool


class _Business:
    """A business setting, read (from the cache, else the database) only when first asked for."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, settings, owner=None):
        if settings is None:
            return self
        return settings.business[self.name]


class TenantSettings:
    """What every sale, page and receipt of a business needs to know about it, read in one place.

    Currency and time zone belong to the tenant (public schema, already loaded with the request); the rest is
    the business's sales settings and taxes, read on first use. Amounts are formatted with `money()`, the one
    formatter (pos_project/money.py)."""

    service_charge_rate: Decimal = _Business()
    cash_rounding_unit: int = _Business()
    cash_rounding_mode: str = _Business()
    discount_limit_percent: Decimal = _Business()
    receipt_header: str = _Business()
    receipt_footer: str = _Business()
    taxes: tuple[TaxSetting, ...] = _Business()  # every tax, active or not: orders keep the rules they were sold with
    idle_lock_minutes: int = _Business()
    tips_enabled: bool = _Business()
    tip_percentages: tuple[int, ...] = _Business()
    approvals_need_second_person: bool = _Business()
    two_factor_supervisors: bool = _Business()
    two_factor_cashiers: bool = _Business()

    def __init__(self, *, currency: str, timezone: str) -> None:
        self.currency = currency
        self.timezone = timezone

    @cached_property
    def business(self) -> dict:
        return _business_settings_cached()

    def loaded(self) -> "TenantSettings":
        """These settings with the business part read now: a service about to open a transaction calls this
        first, since inside one they are read from the database (twice), outside from the cache."""
        self.business  # noqa: B018 - read for its side effect
        return self

    @property
    def currency_format(self) -> Currency:
        return currency(self.currency)

    @property
    def active_taxes(self) -> tuple[TaxSetting, ...]:
        return tuple(t for t in self.taxes if t.is_active)

    def money(self, amount_minor: int) -> str:
        return format_money(amount_minor, self.currency)


# v2: with tips; v3: the idle lock; v4: approvals by a second person; v5: two-factor by role
_CACHE_KEY = "tenant_settings:v5"

_CACHE_SECONDS = 300


def _business_settings() -> dict:
    settings = sales_settings_get()
    return {
        "service_charge_rate": settings.service_charge_rate,
        "cash_rounding_unit": settings.cash_rounding_unit,
        "cash_rounding_mode": settings.cash_rounding_mode,
        "discount_limit_percent": settings.discount_limit_percent,
        "receipt_header": settings.receipt_header,
        "receipt_footer": settings.receipt_footer,
        "idle_lock_minutes": settings.idle_lock_minutes,
        "tips_enabled": settings.tips_enabled,
        "tip_percentages": tip_percentages_parse(settings.tip_percentages),
        "approvals_need_second_person": settings.approvals_need_second_person,
        "two_factor_supervisors": settings.two_factor_supervisors,
        "two_factor_cashiers": settings.two_factor_cashiers,
        "taxes": tuple(
            TaxSetting(t.code, t.name, t.rate, t.inclusive, t.applies_to_service_charge, t.is_active)
            for t in Tax.objects.all()
        ),
    }


def _business_settings_cached() -> dict:
    """Inside a transaction from the database and not cached: that transaction may have changed the settings,
    or may roll back. Outside, from the cache (per schema, through the tenant-aware key function), filled from the
    database on a miss; with Redis down, simply from the database."""
    if connection.in_atomic_block:
        return _business_settings()
    business = cache.get(_CACHE_KEY)
    if business is None:
        business = _business_settings()
        cache.set(_CACHE_KEY, business, _CACHE_SECONDS)
    return business


def tenant_settings() -> TenantSettings:
    """The current tenant's settings. Currency and time zone cost nothing; the business settings are read once,
    on first use, and cached per tenant. Writes forget the cached copy when they commit
    (`tenant_settings_forget`), and a cached copy lives 5 minutes at most."""
    tenant = connection.tenant
    if not getattr(tenant, "currency", None):
        raise RuntimeError("tenant_settings() needs a tenant's schema (tenant_context or a tenant request)")
    return TenantSettings(currency=tenant.currency, timezone=tenant.timezone)


def tenant_settings_forget() -> None:
    """Drop the cached settings of the current tenant (now, and again when the change commits). Called on every
    save or delete of the rows behind them (business/apps.py), whoever makes it."""
    cache_forget(_CACHE_KEY)

"""The till's order-total engine: pure functions from a cart to its totals, no models, no database.

The cart preview and the stored order call the same function, so what the cashier sees is what is recorded.
Amounts are integer minor units (docs/adr/0002); every step that produces a fraction ends with exactly one
`money.round_minor` (ROUND_HALF_UP). Intermediate values are exact `fractions.Fraction`s built from the Decimal
rates, because a Decimal cannot hold 11/111 and a sum of rounded quotients can miss a true half. Floats never
appear. The rule, in order (docs/adr/0003-order-totals-tax-service-rounding.md):

1. Line gross = quantity × unit price (exact integers).
2. Line discount: percent → round(gross × pct / 100); amount → min(amount, gross). A line never goes negative.
3. Order discount: percent → round(Σ discounted lines × pct / 100); amount → min(amount, Σ discounted lines).
   It is split over the lines in proportion to their discounted amounts by largest remainder, so the shares
   sum exactly to it. Line net = discounted − share (still including inclusive taxes).
4. Inclusive taxes, once per tax per order: round(Σ net × rate / (100 + sum of the line's inclusive rates)) over
   the lines carrying the tax, split back by largest remainder. They are reported as "included", never added.
   A line's pre-tax amount = net − its inclusive tax shares.
5. Service charge = round(Σ pre-tax × rate / 100) (Indonesian practice: service on the amount before tax),
   split over the lines by largest remainder in proportion to their pre-tax amounts.
6. Exclusive taxes, once per tax per order: round(Σ base × rate / 100), where a line's base is its pre-tax
   amount plus, when the tax applies to the service charge, its service share (no tax on tax); split back
   by largest remainder.
7. Total = Σ net + service charge + Σ exclusive taxes.
8. Cash only: `cash_due` rounds the amount owed to the cash rounding unit; card and QR pay the exact total.

Largest remainder: each share is rounded down, and the units left over go one each to the largest remainders,
ties to the earlier line, so the same cart always splits the same way.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from django.utils.translation import gettext as _

from pos_project.money import MoneyError, currency, round_minor

DiscountKind = Literal["percent", "amount"]
CashRoundingMode = Literal["nearest", "up", "down"]

_EXACT = Context(prec=60)  # wide enough that one division decides every half-way case correctly


class PricingError(ValueError):
    """A cart or a setting the engine refuses; the message is meant for the person who can fix it."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_percent(value: object, what: str) -> None:
    """Percentages are Decimal (or int) in 0..100; a float would smuggle binary rounding into money."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise PricingError(_("%(what)s must be a Decimal percentage, got %(value)s.") % {"what": what, "value": value})
    if not 0 <= value <= 100:
        raise PricingError(
            _("%(what)s must be between 0 and 100 percent, got %(value)s.") % {"what": what, "value": value}
        )


@dataclass(frozen=True)
class TaxRule:
    code: str
    name: str
    rate: Decimal  # percent, e.g. Decimal("10")
    inclusive: bool  # already contained in menu prices
    applies_to_service_charge: bool  # charged on the service charge too (PB1)

    def __post_init__(self) -> None:
        if not self.code:
            raise PricingError(_("A tax needs a code."))
        _check_percent(self.rate, _("The rate of tax %(code)s") % {"code": self.code})


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    value: Decimal | int  # percent (Decimal) for "percent", minor units (int) for "amount"

    def __post_init__(self) -> None:
        if self.kind == "percent":
            _check_percent(self.value, _("A percent discount"))
        elif self.kind == "amount":
            if not _is_int(self.value):
                raise PricingError(
                    _("An amount discount is a whole number of minor units, got %(value)s.") % {"value": self.value}
                )
            if self.value < 0:
                raise PricingError(_("An amount discount cannot be negative, got %(value)s.") % {"value": self.value})
        else:
            raise PricingError(_("A discount is “percent” or “amount”, not “%(kind)s”.") % {"kind": self.kind})

    def amount_off(self, base_minor: int) -> int:
        """What this discount takes off `base_minor`, never more than the base (steps 2 and 3)."""
        if self.kind == "percent":
            return _round(Fraction(base_minor) * Fraction(self.value) / 100)
        return min(int(self.value), base_minor)


@dataclass(frozen=True)
class PricingSettings:
    currency: str
    taxes: tuple[TaxRule, ...] = ()  # the tenant's taxes; lines name the ones that apply to them
    service_charge_rate: Decimal = Decimal(0)  # percent, 0 = none
    cash_rounding_unit: int = 1  # minor units, e.g. 100 for Rp 100; 1 = none
    cash_rounding_mode: CashRoundingMode = "nearest"

    def __post_init__(self) -> None:
        try:
            currency(self.currency)
        except MoneyError as exc:
            raise PricingError(str(exc)) from None
        _check_percent(self.service_charge_rate, _("The service charge rate"))
        codes = [tax.code for tax in self.taxes]
        if len(set(codes)) != len(codes):
            raise PricingError(_("Tax codes must be unique, got %(codes)s.") % {"codes": ", ".join(codes)})
        if self.service_charge_rate:
            for tax in self.taxes:
                if tax.inclusive and tax.applies_to_service_charge:
                    raise PricingError(
                        _(
                            "Tax %(code)s is included in menu prices, so it cannot also apply to the service "
                            "charge, which is added on top: make it exclusive or untick “applies to service charge”."
                        )
                        % {"code": tax.code}
                    )
        if not _is_int(self.cash_rounding_unit) or self.cash_rounding_unit < 1:
            raise PricingError(
                _("The cash rounding unit must be a whole number ≥ 1, got %(unit)s.")
                % {"unit": self.cash_rounding_unit}
            )
        if self.cash_rounding_mode not in ("nearest", "up", "down"):
            raise PricingError(
                _("Cash rounding is “nearest”, “up” or “down”, not “%(mode)s”.") % {"mode": self.cash_rounding_mode}
            )

    @property
    def service_charge_taxable_by(self) -> tuple[str, ...]:
        """Codes of the taxes charged on the service charge (derived from the tax rules, never set twice)."""
        return tuple(tax.code for tax in self.taxes if tax.applies_to_service_charge)


@dataclass(frozen=True)
class LineInput:
    key: str  # the caller's id for the line, echoed in LineTotals
    quantity: int
    unit_price_minor: int  # menu price plus modifier deltas; includes the line's inclusive taxes
    tax_codes: tuple[str, ...] = ()
    discount: Discount | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.quantity) or self.quantity < 1:
            raise PricingError(
                _("Line %(line)s: the quantity must be a whole number ≥ 1, got %(quantity)s.")
                % {"line": self.key, "quantity": self.quantity}
            )
        if not _is_int(self.unit_price_minor) or self.unit_price_minor < 0:
            raise PricingError(
                _("Line %(line)s: the unit price must be whole minor units ≥ 0, got %(price)s.")
                % {"line": self.key, "price": self.unit_price_minor}
            )
        if len(set(self.tax_codes)) != len(self.tax_codes):
            raise PricingError(
                _("Line %(line)s: a tax is named twice in %(codes)s.")
                % {"line": self.key, "codes": ", ".join(self.tax_codes)}
            )


@dataclass(frozen=True)
class LineTotals:
    key: str
    gross_minor: int
    line_discount_minor: int
    order_discount_share_minor: int
    net_minor: int  # after both discounts, still including inclusive taxes
    service_charge_share_minor: int
    taxes: Mapping[str, int]  # code -> this line's share of the tax (included or added)
    total_minor: int  # net + service share + exclusive tax shares: what a refund of the whole line gives back

    @property
    def discount_minor(self) -> int:
        return self.line_discount_minor + self.order_discount_share_minor


@dataclass(frozen=True)
class TaxAmount:
    code: str
    name: str
    rate: Decimal
    inclusive: bool  # True: contained in the total ("included"); False: added to it
    amount_minor: int


@dataclass(frozen=True)
class OrderTotals:
    currency: str
    lines: tuple[LineTotals, ...]
    subtotal_minor: int  # Σ gross
    discount_minor: int  # line and order discounts
    service_charge_minor: int
    taxes: tuple[TaxAmount, ...]  # in the order of the tenant's taxes, those carried by at least one line
    total_minor: int  # what the customer owes (card: exactly this; cash: see cash_due)

    @property
    def net_minor(self) -> int:
        return self.subtotal_minor - self.discount_minor

    @property
    def order_discount_minor(self) -> int:
        return sum(line.order_discount_share_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        """Exclusive taxes, added to the total (Order.tax_minor)."""
        return sum(tax.amount_minor for tax in self.taxes if not tax.inclusive)

    @property
    def tax_included_minor(self) -> int:
        """Inclusive taxes, contained in the total (Order.tax_included_minor)."""
        return sum(tax.amount_minor for tax in self.taxes if tax.inclusive)


def _round(value: Fraction) -> int:
    """ROUND_HALF_UP of an exact value through money.round_minor: a half is a terminating decimal, so one
    division at 60 digits yields it exactly, and no other value at till sizes comes near enough to cross it."""
    with localcontext(_EXACT):
        return round_minor(Decimal(value.numerator) / value.denominator)


def _allocate(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Split `total` over `weights` by largest remainder so the parts sum exactly to `total`.

    A part never exceeds its exact share rounded up, so a part never exceeds its weight when total ≤ Σ weights.
    """
    if total == 0:
        return [0] * len(weights)
    weight_sum = sum(weights, Fraction(0))
    if weight_sum <= 0:
        raise PricingError(
            _("Cannot split %(total)s over nothing.") % {"total": total}
        )  # callers never get here: no base, no amount
    exact = [total * Fraction(w) / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def order_totals_compute(
    *, lines: Sequence[LineInput], settings: PricingSettings, order_discount: Discount | None = None
) -> OrderTotals:
    """The totals of a cart, following the steps of the module docstring in order."""
    rules = {tax.code: tax for tax in settings.taxes}
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise PricingError(_("Line keys must be unique."))
    for line in lines:
        unknown = [code for code in line.tax_codes if code not in rules]
        if unknown:
            raise PricingError(
                _("Line %(line)s: unknown tax code(s) %(codes)s.") % {"line": line.key, "codes": ", ".join(unknown)}
            )

    # Steps 1-3: discounts.
    gross = [line.quantity * line.unit_price_minor for line in lines]
    line_discount = [line.discount.amount_off(g) if line.discount else 0 for line, g in zip(lines, gross, strict=True)]
    discounted = [g - d for g, d in zip(gross, line_discount, strict=True)]
    order_discount_minor = order_discount.amount_off(sum(discounted)) if order_discount else 0
    order_share = _allocate(order_discount_minor, discounted)
    net = [d - s for d, s in zip(discounted, order_share, strict=True)]

    line_taxes: list[dict[str, int]] = [{} for _ in lines]
    amounts: dict[str, int] = {}

    def charge(tax: TaxRule, bases: dict[int, Fraction]) -> None:
        """One rounding per tax per order on the summed bases, then the split back to the lines."""
        amounts[tax.code] = _round(sum(bases.values(), Fraction(0)) * Fraction(tax.rate) / 100)
        for i, share in zip(bases, _allocate(amounts[tax.code], list(bases.values())), strict=True):
            line_taxes[i][tax.code] = share

    def carriers(tax: TaxRule) -> list[int]:
        return [i for i, line in enumerate(lines) if tax.code in line.tax_codes]

    # Step 4: inclusive taxes, backed out of the net.
    inclusive_rate = [sum((rules[c].rate for c in line.tax_codes if rules[c].inclusive), Decimal(0)) for line in lines]
    for tax in settings.taxes:
        if tax.inclusive and (idx := carriers(tax)):
            charge(tax, {i: Fraction(net[i]) * 100 / (100 + Fraction(inclusive_rate[i])) for i in idx})
    pretax = [n - sum(t.values()) for n, t in zip(net, line_taxes, strict=True)]
    for line, amount in zip(lines, pretax, strict=True):
        if amount < 0:  # only reachable with several inclusive taxes on a line of a few minor units
            raise PricingError(
                _("Line %(line)s: its inclusive taxes come to more than its price.") % {"line": line.key}
            )

    # Step 5: service charge on the pre-tax amounts.
    service_minor = _round(Fraction(sum(pretax)) * Fraction(settings.service_charge_rate) / 100)
    service_share = _allocate(service_minor, pretax)

    # Step 6: exclusive taxes, on pre-tax amounts plus (when they apply to it) the service charge.
    for tax in settings.taxes:
        if not tax.inclusive and (idx := carriers(tax)):
            with_service = tax.applies_to_service_charge
            charge(tax, {i: Fraction(pretax[i] + (service_share[i] if with_service else 0)) for i in idx})

    # Step 7: totals.
    line_totals = tuple(
        LineTotals(
            key=line.key,
            gross_minor=gross[i],
            line_discount_minor=line_discount[i],
            order_discount_share_minor=order_share[i],
            net_minor=net[i],
            service_charge_share_minor=service_share[i],
            taxes=line_taxes[i],
            total_minor=net[i]
            + service_share[i]
            + sum(amount for code, amount in line_taxes[i].items() if not rules[code].inclusive),
        )
        for i, line in enumerate(lines)
    )
    taxes = tuple(
        TaxAmount(tax.code, tax.name, tax.rate, tax.inclusive, amounts[tax.code])
        for tax in settings.taxes
        if tax.code in amounts
    )
    added = sum(tax.amount_minor for tax in taxes if not tax.inclusive)
    return OrderTotals(
        currency=settings.currency,
        lines=line_totals,
        subtotal_minor=sum(gross),
        discount_minor=sum(line_discount) + order_discount_minor,
        service_charge_minor=service_minor,
        taxes=taxes,
        total_minor=sum(net) + service_minor + added,
    )


def cash_due(total_minor: int, settings: PricingSettings) -> tuple[int, int]:
    """(amount to collect in cash, adjustment = that amount − total), for cash tenders only (step 8).

    "nearest" rounds a half up (Rp 34.650 → Rp 34.700 with a Rp 100 unit), "up" and "down" always go that way.
    The adjustment is recorded on the payment (Payment.rounding_minor) so the drawer still balances.
    """
    if not _is_int(total_minor) or total_minor < 0:
        raise PricingError(
            _("Cash rounding takes an amount owed (whole minor units ≥ 0), got %(total)s.") % {"total": total_minor}
        )
    unit = settings.cash_rounding_unit
    whole, rest = divmod(total_minor, unit)
    mode = settings.cash_rounding_mode
    if rest and (mode == "up" or (mode == "nearest" and 2 * rest >= unit)):
        whole += 1
    rounded = whole * unit
    return rounded, rounded - total_minor

"""The order-total engine against hand-checked carts (arithmetic beside each) and seeded random carts.

Pure functions: no database, no tenant fixtures.
"""

import random
import re
from decimal import Decimal

import pytest

from pos_project.money import round_minor
from sales.pricing import (
    Discount,
    LineInput,
    PricingError,
    PricingSettings,
    TaxAmount,
    TaxRule,
    cash_due,
    order_totals_compute,
)

PB1 = TaxRule("PB1", "Pajak restoran", Decimal("10"), inclusive=False, applies_to_service_charge=True)
PPN = TaxRule("PPN", "PPN", Decimal("11"), inclusive=True, applies_to_service_charge=False)
SALES_TAX = TaxRule("NYC", "Sales tax", Decimal("8.875"), inclusive=False, applies_to_service_charge=False)

RESTAURANT = PricingSettings(
    currency="IDR", taxes=(PB1,), service_charge_rate=Decimal("5"), cash_rounding_unit=100, cash_rounding_mode="nearest"
)
SHOP = PricingSettings(currency="IDR", taxes=(PPN,), cash_rounding_unit=100)
CAFE = PricingSettings(currency="USD", taxes=(SALES_TAX,))
NO_TAX = PricingSettings(currency="IDR")


def line(key: str, price: int, qty: int = 1, taxes: tuple[str, ...] = (), discount: Discount | None = None):
    return LineInput(key=key, quantity=qty, unit_price_minor=price, tax_codes=taxes, discount=discount)


def by_key(totals):
    return {lt.key: lt for lt in totals.lines}


# --- Indonesian restaurant: 5% service, PB1 10% exclusive on subtotal plus service -----------------------------


def test_restaurant_service_then_pb1_on_subtotal_plus_service():
    totals = order_totals_compute(
        lines=[line("nasi", 45_000, qty=2, taxes=("PB1",)), line("teh", 10_000, taxes=("PB1",))], settings=RESTAURANT
    )
    # subtotal = 2×45.000 + 10.000 = 100.000; service = 5% × 100.000 = 5.000
    # PB1 = 10% × (100.000 + 5.000) = 10.500; total = 100.000 + 5.000 + 10.500 = 115.500
    assert totals.subtotal_minor == 100_000
    assert totals.discount_minor == 0
    assert totals.service_charge_minor == 5_000
    assert totals.taxes == (TaxAmount("PB1", "Pajak restoran", Decimal("10"), False, 10_500),)
    assert totals.tax_minor == 10_500 and totals.tax_included_minor == 0
    assert totals.total_minor == 115_500
    # per line: service 5% × 90.000 = 4.500 and 5% × 10.000 = 500;
    # PB1 10% × (90.000 + 4.500) = 9.450 and 10% × (10.000 + 500) = 1.050
    nasi, teh = by_key(totals)["nasi"], by_key(totals)["teh"]
    assert (nasi.gross_minor, nasi.net_minor, nasi.service_charge_share_minor, nasi.taxes) == (
        90_000,
        90_000,
        4_500,
        {"PB1": 9_450},
    )
    assert (teh.service_charge_share_minor, teh.taxes, teh.total_minor) == (500, {"PB1": 1_050}, 11_550)
    # 115.500 is already a multiple of Rp 100: cash pays the same
    assert cash_due(totals.total_minor, RESTAURANT) == (115_500, 0)


def test_restaurant_total_ending_in_50_rounds_half_up_in_cash_and_down_in_down_mode():
    totals = order_totals_compute(
        lines=[line("mie", 25_000, taxes=("PB1",)), line("jeruk", 5_000, taxes=("PB1",))], settings=RESTAURANT
    )
    # subtotal 30.000; service 5% = 1.500; PB1 10% × 31.500 = 3.150; total 30.000 + 1.500 + 3.150 = 34.650
    assert totals.total_minor == 34_650
    # nearest Rp 100: 34.650 is exactly half-way → half up → 34.700 (+50)
    assert cash_due(34_650, RESTAURANT) == (34_700, 50)
    up = PricingSettings(currency="IDR", cash_rounding_unit=100, cash_rounding_mode="up")
    down = PricingSettings(currency="IDR", cash_rounding_unit=100, cash_rounding_mode="down")
    assert cash_due(34_650, up) == (34_700, 50)
    assert cash_due(34_650, down) == (34_600, -50)


def test_restaurant_cash_nearest_rounds_down_below_half_and_up_mode_always_up():
    totals = order_totals_compute(
        lines=[line("nasi", 45_000, taxes=("PB1",)), line("kerupuk", 3_000, taxes=("PB1",))], settings=RESTAURANT
    )
    # subtotal 48.000; service 5% = 2.400; PB1 10% × 50.400 = 5.040; total 55.440
    assert totals.total_minor == 55_440
    # nearest: 40 < 50 → 55.400 (−40); up: 55.500 (+60); card pays 55.440 exactly (no cash_due call)
    assert cash_due(55_440, RESTAURANT) == (55_400, -40)
    up = PricingSettings(currency="IDR", cash_rounding_unit=100, cash_rounding_mode="up")
    assert cash_due(55_440, up) == (55_500, 60)
    assert cash_due(55_400, up) == (55_400, 0)
    assert cash_due(0, up) == (0, 0)
    assert cash_due(55_441, PricingSettings(currency="IDR")) == (55_441, 0)  # unit 1: no rounding


def test_restaurant_order_amount_discount_is_taken_before_service_and_pb1():
    totals = order_totals_compute(
        lines=[line("nasi", 45_000, qty=2, taxes=("PB1",)), line("teh", 10_000, taxes=("PB1",))],
        settings=RESTAURANT,
        order_discount=Discount("amount", 10_000),
    )
    # Rp 10.000 off 100.000, split 90:10 → 9.000 and 1.000 (exact); net 90.000
    # service 5% × 90.000 = 4.500; PB1 10% × 94.500 = 9.450; total 90.000 + 4.500 + 9.450 = 103.950
    lines = by_key(totals)
    assert (lines["nasi"].order_discount_share_minor, lines["teh"].order_discount_share_minor) == (9_000, 1_000)
    assert totals.discount_minor == 10_000 and totals.order_discount_minor == 10_000
    assert (totals.service_charge_minor, totals.tax_minor, totals.total_minor) == (4_500, 9_450, 103_950)
    # cash: 103.950 → half up → 104.000 (+50)
    assert cash_due(103_950, RESTAURANT) == (104_000, 50)


# --- Indonesian shop: PPN 11% included in prices, no service ---------------------------------------------------


def test_shop_ppn_is_reported_as_included_and_not_added():
    totals = order_totals_compute(lines=[line("beras", 111_000, taxes=("PPN",))], settings=SHOP)
    # PPN included = 111.000 × 11 / 111 = 11.000; total stays 111.000
    assert totals.taxes == (TaxAmount("PPN", "PPN", Decimal("11"), True, 11_000),)
    assert totals.tax_included_minor == 11_000 and totals.tax_minor == 0
    assert totals.service_charge_minor == 0
    assert totals.total_minor == 111_000


def test_shop_ppn_is_rounded_once_per_order_and_split_back_by_largest_remainder():
    totals = order_totals_compute(
        lines=[line("beras", 111_000, taxes=("PPN",)), line("sabun", 25_000, taxes=("PPN",))], settings=SHOP
    )
    # PPN = (111.000 + 25.000) × 11 / 111 = 136.000 × 11 / 111 = 13.477,477… → 13.477
    # split 13.477 × 111/136 = 10.999,61 → 10.999 (rem .61); 13.477 × 25/136 = 2.477,39 → 2.477 (rem .39);
    # 10.999 + 2.477 = 13.476, one unit left → largest remainder (beras) → 11.000 and 2.477
    assert totals.tax_included_minor == 13_477
    assert [lt.taxes["PPN"] for lt in totals.lines] == [11_000, 2_477]
    assert totals.total_minor == 136_000
    # cash: 136.000 is a multiple of Rp 100
    assert cash_due(136_000, SHOP) == (136_000, 0)


# --- USD café: 8.875% sales tax, exclusive, no service ---------------------------------------------------------


def test_cafe_sales_tax_is_computed_on_the_order_not_per_line():
    totals = order_totals_compute(
        lines=[line("latte", 450, taxes=("NYC",)), line("bagel", 325, qty=3, taxes=("NYC",))], settings=CAFE
    )
    # subtotal $4.50 + 3 × $3.25 = 450 + 975 = 1425 cents; tax 1425 × 0.08875 = 126.46875 → 126 cents
    # (per line it would be 39.9375 → 40 plus 86.53125 → 87 = 127: one cent too much)
    # split: 126 × 450/1425 = 39.79 → 39 (rem .79), 126 × 975/1425 = 86.21 → 86 (rem .21); 1 left → latte: 40, 86
    assert totals.subtotal_minor == 1_425
    assert totals.tax_minor == 126
    assert [lt.taxes["NYC"] for lt in totals.lines] == [40, 86]
    assert totals.total_minor == 1_551  # $15.51
    assert cash_due(1_551, CAFE) == (1_551, 0)  # no cash rounding set


def test_cafe_half_a_cent_of_tax_rounds_up():
    totals = order_totals_compute(
        lines=[line(key, price, taxes=("NYC",)) for key, price in (("latte", 450), ("bagel", 325), ("muffin", 425))],
        settings=CAFE,
    )
    # 450 + 325 + 425 = 1200 cents; 1200 × 0.08875 = 106.5 → ROUND_HALF_UP → 107 (banker's would say 106)
    assert totals.tax_minor == 107
    assert totals.total_minor == 1_307  # $13.07


# --- Discounts ---------------------------------------------------------------------------------------------------


def test_line_percent_discount_is_rounded_half_up():
    totals = order_totals_compute(
        lines=[line("kopi", 33_333, discount=Discount("percent", Decimal("15")))], settings=NO_TAX
    )
    # 15% × 33.333 = 4.999,95 → 5.000; net 33.333 − 5.000 = 28.333
    (kopi,) = totals.lines
    assert (kopi.line_discount_minor, kopi.net_minor) == (5_000, 28_333)
    assert totals.discount_minor == 5_000 and totals.total_minor == 28_333


def test_line_amount_discount_larger_than_the_line_is_capped_and_the_line_carries_nothing():
    totals = order_totals_compute(
        lines=[
            line("teh", 10_000, taxes=("PB1",), discount=Discount("amount", 15_000)),
            line("nasi", 20_000, taxes=("PB1",)),
        ],
        settings=RESTAURANT,
    )
    # teh: min(15.000, 10.000) = 10.000 off → net 0, no service, no PB1
    # nasi: service 5% × 20.000 = 1.000; PB1 10% × 21.000 = 2.100; total 20.000 + 1.000 + 2.100 = 23.100
    teh, nasi = totals.lines
    assert (teh.line_discount_minor, teh.net_minor, teh.service_charge_share_minor, teh.taxes) == (
        10_000,
        0,
        0,
        {"PB1": 0},
    )
    assert (nasi.service_charge_share_minor, nasi.taxes["PB1"]) == (1_000, 2_100)
    assert (totals.subtotal_minor, totals.discount_minor, totals.total_minor) == (30_000, 10_000, 23_100)


def test_order_percent_discount_shares_sum_exactly():
    totals = order_totals_compute(
        lines=[line("a", 3_333), line("b", 3_333), line("c", 3_334)],
        settings=NO_TAX,
        order_discount=Discount("percent", Decimal("25")),
    )
    # 25% × 10.000 = 2.500; exact shares 833,25 / 833,25 / 833,5 → 833 + 833 + 833 = 2.499;
    # one unit left → largest remainder (c, .5) → 833, 833, 834 = 2.500
    assert [lt.order_discount_share_minor for lt in totals.lines] == [833, 833, 834]
    assert totals.discount_minor == 2_500 and totals.total_minor == 7_500


def test_order_percent_discount_is_rounded_then_split_with_remainders():
    totals = order_totals_compute(
        lines=[line("a", 1_999), line("b", 2_999), line("c", 3_999)],
        settings=PricingSettings(currency="USD"),
        order_discount=Discount("percent", Decimal("10")),
    )
    # 10% × 8.997 = 899,7 → 900; shares 900 × 1999/8997 = 199,97 → 199 (rem .97), 900 × 2999/8997 = 300 exactly,
    # 900 × 3999/8997 = 400,03 → 400 (rem .03); 199 + 300 + 400 = 899, one left → a → 200, 300, 400
    assert [lt.order_discount_share_minor for lt in totals.lines] == [200, 300, 400]
    assert totals.total_minor == 8_997 - 900


def test_order_amount_discount_ties_go_to_the_earlier_line():
    totals = order_totals_compute(
        lines=[line("a", 10_000), line("b", 10_000), line("c", 10_000)],
        settings=NO_TAX,
        order_discount=Discount("amount", 10_000),
    )
    # 10.000 / 3 = 3.333,33 each → 3 × 3.333 = 9.999; one left, equal remainders → first line: 3.334, 3.333, 3.333
    assert [lt.order_discount_share_minor for lt in totals.lines] == [3_334, 3_333, 3_333]
    assert totals.total_minor == 20_000


def test_order_discount_applies_to_the_lines_after_their_own_discounts_and_is_capped():
    totals = order_totals_compute(
        lines=[line("a", 20_000, discount=Discount("percent", Decimal(50))), line("b", 10_000)],
        settings=NO_TAX,
        order_discount=Discount("percent", Decimal(10)),
    )
    # a: 50% × 20.000 = 10.000 off → 10.000; order 10% × (10.000 + 10.000) = 2.000 → 1.000 each
    assert [lt.order_discount_share_minor for lt in totals.lines] == [1_000, 1_000]
    assert (totals.discount_minor, totals.total_minor) == (12_000, 18_000)

    capped = order_totals_compute(
        lines=[line("a", 5_000), line("b", 3_000)], settings=NO_TAX, order_discount=Discount("amount", 50_000)
    )
    # min(50.000, 8.000) = 8.000: the order is free, never negative
    assert [lt.net_minor for lt in capped.lines] == [0, 0]
    assert (capped.discount_minor, capped.total_minor) == (8_000, 0)


# --- Taxes mixed, none, several ----------------------------------------------------------------------------------


def test_mixed_inclusive_and_exclusive_taxes_on_different_lines_and_a_line_without_tax():
    settings = PricingSettings(currency="IDR", taxes=(PB1, PPN), service_charge_rate=Decimal(5), cash_rounding_unit=100)
    totals = order_totals_compute(
        lines=[line("nasi", 45_000, taxes=("PB1",)), line("kopi bubuk", 55_500, taxes=("PPN",)), line("air", 5_000)],
        settings=settings,
    )
    # PPN included in kopi bubuk: 55.500 × 11/111 = 5.500 → pre-tax 50.000
    # service 5% on pre-tax amounts: 5% × (45.000 + 50.000 + 5.000) = 5.000 → 2.250 / 2.500 / 250
    # PB1 only on nasi: 10% × (45.000 + 2.250) = 4.725
    # total = (45.000 + 55.500 + 5.000) + 5.000 + 4.725 = 115.225; PPN is not added
    nasi, kopi, air = totals.lines
    assert [lt.service_charge_share_minor for lt in totals.lines] == [2_250, 2_500, 250]
    assert (nasi.taxes, kopi.taxes, air.taxes) == ({"PB1": 4_725}, {"PPN": 5_500}, {})
    assert totals.taxes == (
        TaxAmount("PB1", "Pajak restoran", Decimal("10"), False, 4_725),
        TaxAmount("PPN", "PPN", Decimal("11"), True, 5_500),
    )
    assert totals.total_minor == 115_225
    assert (air.total_minor, kopi.total_minor, nasi.total_minor) == (5_250, 58_000, 51_975)
    # cash: 25 < 50 → 115.200 (−25)
    assert cash_due(115_225, settings) == (115_200, -25)


def test_two_inclusive_taxes_on_one_line_are_backed_out_together():
    city = TaxRule("CITY", "City tax", Decimal("10"), inclusive=True, applies_to_service_charge=False)
    state = TaxRule("STATE", "State tax", Decimal("10"), inclusive=True, applies_to_service_charge=False)
    settings = PricingSettings(currency="IDR", taxes=(city, state))
    totals = order_totals_compute(lines=[line("x", 12_000, taxes=("CITY", "STATE"))], settings=settings)
    # 12.000 = pre-tax × 1,20 → pre-tax 10.000; each tax 12.000 × 10/120 = 1.000
    assert totals.lines[0].taxes == {"CITY": 1_000, "STATE": 1_000}
    assert (totals.tax_included_minor, totals.total_minor) == (2_000, 12_000)


def test_an_empty_cart_is_all_zeros():
    totals = order_totals_compute(lines=[], settings=RESTAURANT, order_discount=Discount("amount", 5_000))
    assert totals.subtotal_minor == totals.discount_minor == totals.service_charge_minor == totals.total_minor == 0
    assert totals.taxes == () and totals.lines == ()


def test_service_charge_taxable_by_comes_from_the_tax_rules():
    settings = PricingSettings(currency="IDR", taxes=(PB1, PPN, SALES_TAX))
    assert settings.service_charge_taxable_by == ("PB1",)


# --- Validation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: line("nasi", 45_000, qty=0), "Line nasi: the quantity must be a whole number ≥ 1, got 0."),
        (lambda: line("nasi", -1), "Line nasi: the unit price must be whole minor units ≥ 0, got -1."),
        (lambda: Discount("percent", Decimal("101")), "A percent discount must be between 0 and 100 percent, got 101."),
        (lambda: Discount("percent", Decimal("-5")), "A percent discount must be between 0 and 100 percent, got -5."),
        (lambda: Discount("percent", 10.0), "A percent discount must be a Decimal percentage, got 10.0."),
        (lambda: Discount("amount", -100), "An amount discount cannot be negative, got -100."),
        (lambda: Discount("amount", Decimal("100.5")), "An amount discount is a whole number of minor units"),
        (lambda: Discount("free", 1), "A discount is “percent” or “amount”, not “free”."),
        (lambda: PricingSettings(currency="XYZ"), "Unsupported currency “XYZ”."),
        (
            lambda: PricingSettings(currency="IDR", service_charge_rate=Decimal("150")),
            "The service charge rate must be between 0 and 100 percent, got 150.",
        ),
        (
            lambda: TaxRule("PB1", "PB1", Decimal("0.1") * 1001, False, True),
            "The rate of tax PB1 must be between 0 and 100 percent, got 100.1.",
        ),
        (lambda: PricingSettings(currency="IDR", taxes=(PB1, PB1)), "Tax codes must be unique, got PB1, PB1."),
        (
            lambda: PricingSettings(
                currency="IDR",
                taxes=(TaxRule("PPN", "PPN", Decimal(11), inclusive=True, applies_to_service_charge=True),),
                service_charge_rate=Decimal(5),
            ),
            "Tax PPN is included in menu prices, so it cannot also apply to the service charge",
        ),
        (lambda: PricingSettings(currency="IDR", cash_rounding_unit=0), "The cash rounding unit must be a whole"),
        (
            lambda: PricingSettings(currency="IDR", cash_rounding_mode="sideways"),  # type: ignore[arg-type]
            "Cash rounding is “nearest”, “up” or “down”, not “sideways”.",
        ),
        (
            lambda: order_totals_compute(lines=[line("nasi", 45_000, taxes=("PB1", "VAT"))], settings=RESTAURANT),
            "Line nasi: unknown tax code(s) VAT.",
        ),
        (
            lambda: order_totals_compute(lines=[line("a", 1), line("a", 2)], settings=NO_TAX),
            "Line keys must be unique.",
        ),
        (lambda: cash_due(-100, RESTAURANT), "Cash rounding takes an amount owed (whole minor units ≥ 0), got -100."),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(build, message):
    with pytest.raises(PricingError, match=re.escape(message)):
        build()


def test_pricing_error_is_a_value_error():
    assert issubclass(PricingError, ValueError)


# --- Invariants over seeded random carts -------------------------------------------------------------------------

CITY = TaxRule("CITY", "City tax", Decimal("2.5"), inclusive=True, applies_to_service_charge=False)
ALL_TAXES = (PB1, PPN, SALES_TAX, CITY)


def _random_discount(rng: random.Random, base: int) -> Discount | None:
    roll = rng.random()
    if roll < 0.5:
        return None
    if roll < 0.75:
        return Discount("percent", Decimal(rng.randint(0, 10_000)) / 100)  # 0.00 .. 100.00
    return Discount("amount", rng.randint(0, base * 3 // 2 + 1))


def test_invariants_hold_for_seeded_random_carts():
    rng = random.Random(42)
    for _ in range(400):
        settings = PricingSettings(
            currency=rng.choice(["IDR", "USD"]),
            taxes=tuple(t for t in ALL_TAXES if rng.random() < 0.6),
            service_charge_rate=rng.choice([Decimal(0), Decimal(5), Decimal("7.5"), Decimal(10)]),
            cash_rounding_unit=rng.choice([1, 5, 100, 500, 1000]),
            cash_rounding_mode=rng.choice(["nearest", "up", "down"]),
        )
        codes = [t.code for t in settings.taxes]
        lines = []
        for n in range(rng.randint(1, 8)):
            qty, price = rng.randint(1, 5), rng.choice([0, rng.randint(1, 999), rng.randint(1_000, 250_000)])
            taxes = tuple(c for c in codes if rng.random() < 0.5)
            lines.append(line(f"l{n}", price, qty=qty, taxes=taxes, discount=_random_discount(rng, qty * price)))
        order_discount = _random_discount(rng, sum(x.quantity * x.unit_price_minor for x in lines))

        totals = order_totals_compute(lines=lines, settings=settings, order_discount=order_discount)
        parts = totals.lines

        # every amount is non-negative
        for lt in parts:
            assert min(lt.gross_minor, lt.line_discount_minor, lt.order_discount_share_minor, lt.net_minor) >= 0
            assert lt.service_charge_share_minor >= 0 and all(v >= 0 for v in lt.taxes.values())
            assert lt.net_minor == lt.gross_minor - lt.line_discount_minor - lt.order_discount_share_minor
        assert all(t.amount_minor >= 0 for t in totals.taxes) and totals.service_charge_minor >= 0

        # the order discount is what its rule says, and its shares sum to it exactly
        discounted = sum(lt.gross_minor - lt.line_discount_minor for lt in parts)
        if order_discount is None:
            expected = 0
        elif order_discount.kind == "percent":
            expected = round_minor(Decimal(discounted) * order_discount.value / 100)
        else:
            expected = min(order_discount.value, discounted)
        assert sum(lt.order_discount_share_minor for lt in parts) == expected == totals.order_discount_minor

        # order totals are the sums of their line parts
        assert totals.subtotal_minor == sum(lt.gross_minor for lt in parts)
        assert totals.discount_minor == sum(lt.discount_minor for lt in parts)
        assert totals.service_charge_minor == sum(lt.service_charge_share_minor for lt in parts)
        for tax in totals.taxes:
            assert tax.amount_minor == sum(lt.taxes.get(tax.code, 0) for lt in parts)
        assert totals.total_minor == sum(lt.total_minor for lt in parts)
        net = sum(lt.net_minor for lt in parts)
        assert totals.total_minor == net + totals.service_charge_minor + totals.tax_minor
        assert totals.tax_included_minor <= net

        # cash is a multiple of the unit, off the total by less than one unit, in the mode's direction
        unit = settings.cash_rounding_unit
        rounded, adjustment = cash_due(totals.total_minor, settings)
        assert rounded == totals.total_minor + adjustment and rounded % unit == 0
        assert abs(adjustment) < unit
        if settings.cash_rounding_mode == "nearest":
            assert -unit < 2 * adjustment <= unit
        elif settings.cash_rounding_mode == "up":
            assert adjustment >= 0
        else:
            assert adjustment <= 0

"""Small helpers that build catalog rows through the services (so tests exercise the real validation)."""

import itertools

from business.models import Outlet, Tax
from catalog import services
from catalog.models import Category, Product, ProductVariant

_seq = itertools.count(1)


def category(name: str = "") -> Category:
    return services.category_create(name=name or f"Category {next(_seq)}")


def product(
    *,
    category_: Category | None = None,
    name: str = "",
    sku: str = "",
    price_minor: int = 25000,
    barcode: str = "",
    **kwargs,
) -> Product:
    n = next(_seq)
    return services.product_create(
        category=category_ or category(),
        name=name or f"Product {n}",
        sku=sku or f"SKU-{n}",
        price_minor=price_minor,
        barcode=barcode,
        **kwargs,
    )


def variant(
    *, product_: Product, name: str = "", sku: str = "", price_minor: int = 30000, barcode: str = ""
) -> ProductVariant:
    n = next(_seq)
    return services.variant_create(
        product=product_, name=name or f"Size {n}", sku=sku or f"VAR-{n}", price_minor=price_minor, barcode=barcode
    )


def outlet(code: str = "") -> Outlet:
    n = next(_seq)
    return Outlet.objects.create(name=f"Outlet {n}", code=code or f"out-{n}")


def tax(code: str = "PB1", rate: int = 10) -> Tax:
    return Tax.objects.get_or_create(code=code, defaults={"name": code, "rate": rate})[0]

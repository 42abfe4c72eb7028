"""CSV cells and typed prices are bounded and cleaned (issue 12, points 9 and 13)."""

from catalog import csv_io
from catalog.models import Product

from . import factories as f

HEADER = "category,name,sku,price,barcode,taxes,variant,variant_sku,variant_price\n"


def run(text: str) -> csv_io.ImportResult:
    return csv_io.catalog_import(data=text.encode("utf-8"), currency_code="IDR")


def test_csv_cells_lose_nul_and_printer_control_characters(in_tenant):
    """A NUL byte in a cell reached PostgreSQL (500); ESC p in a name opened the drawer when it was printed."""
    result = run(HEADER + "Drinks\x00,Tea\x1bp0\x19\x19,TEA\x00,10.000,,,,,\n")
    assert result.products_created == 1
    product = Product.objects.get(sku="TEA")
    assert (product.name, product.category.name) == ("Teap0", "Drinks")


def test_csv_price_beyond_the_maximum_is_a_line_error_not_an_overflow(in_tenant):
    for price in (str(2**63 - 1), "1" * 5000, "²"):
        try:
            run(HEADER + f"Drinks,Tea,TEA,{price},,,,,\n")
        except csv_io.CsvImportError as exc:
            assert "price" in " ".join(exc.messages)
        else:
            raise AssertionError(f"{price[:20]} was imported")
    assert not Product.objects.filter(sku="TEA").exists()


def test_the_catalog_service_refuses_a_price_no_order_could_total(in_tenant):
    from pos_project.errors import ServiceError
    from pos_project.money import AMOUNT_MAX

    category = f.category("Drinks")
    try:
        f.product(category_=category, sku="BIG", price_minor=2**63 - 1)
    except ServiceError as exc:
        assert "too large" in " ".join(exc.messages)
    else:
        raise AssertionError("a price of 2**63-1 was accepted")
    assert f.product(category_=category, sku="MAX", price_minor=AMOUNT_MAX).price_minor == AMOUNT_MAX

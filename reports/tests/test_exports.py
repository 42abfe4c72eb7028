"""Report downloads: CSV through the one CSV writer, XLSX with typed cells, PDF with a Unicode font and its chart."""

import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pypdfium2
import pytest

from reports import exports
from reports.exports import csv_download, export_filename, export_rows, table_pdf, table_xlsx
from reports.tables import ChartSpec, Column, Kind, ReportTable, add_comparison, compare_totals, sum_totals

BUSINESS = SimpleNamespace(name="Warung Bu Sri", timezone="Asia/Jakarta")
EVIL = '=HYPERLINK("http://evil","Klik")'
MADE = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 00:30 on 1 December in Jakarta


def table(currency="IDR", rows=None) -> ReportTable:
    columns = [
        Column("name", "Produk"),
        Column("quantity", "Qty", Kind.INT, compare=True),
        Column("net", "Net", Kind.MONEY, compare=True),
        Column("share", "Share", Kind.PERCENT),
        Column("prep", "Prep", Kind.DURATION),
        Column("stock", "Stock", Kind.QUANTITY),
        Column("day", "Day", Kind.DATE),
        Column("at", "At", Kind.DATETIME),
    ]
    if rows is None:
        rows = [
            {"name": "Kopi Susu Gula Aren — ½ porsi", "quantity": 12, "net": 1_250_050, "share": Decimal("62.5"),
             "prep": 754, "stock": Decimal("1.250"), "day": date(2026, 11, 3),
             "at": datetime(2026, 11, 3, 1, 5, tzinfo=UTC)},
            {"name": EVIL, "quantity": 3, "net": -5_000, "share": None, "prep": 0, "stock": Decimal("-0.5"),
             "day": date(2026, 11, 4), "at": None},
        ]  # fmt: skip
    t = ReportTable("Produk terlaris", columns, rows, currency=currency, chart=ChartSpec("hbars", "name", "net"),
                    compare_label="Okt 2026", timezone="Asia/Jakarta",
                    notes=["Catatan: harga termasuk pajak."])  # fmt: skip
    t.totals = sum_totals(t.rows, columns, ("name", "Total"))
    add_comparison(t.rows, [{"name": EVIL, "quantity": 1, "net": 10_000}], columns, key=lambda r: r["name"])
    compare_totals(t.totals, {"quantity": 1, "net": 10_000}, columns)
    return t


def test_rows_keep_numbers_as_numbers_in_the_currency_precision():
    header, first, second, totals = export_rows(table(currency="USD"))
    assert header[:7] == [
        "Produk", "Qty", "Qty (Okt 2026)", "Change %", "Net (USD)", "Net (Okt 2026) (USD)", "Change %"
    ]  # fmt: skip
    assert first[4] == Decimal("12500.50") and second[4] == Decimal("-50.00") and second[5] == Decimal("100.00")
    assert second[6] == Decimal("-150.0")  # -50 against 100
    assert first[3] is None  # nothing to compare with
    assert first[-1] == "2026-11-03 08:05"  # in the business's time zone
    assert first[-2] == "2026-11-03" and first[-3] == Decimal("1.250") and first[-4] == 754
    assert totals[0] == "Total" and totals[4] == Decimal("12450.50") and totals[-4] == 754


def test_csv_is_guarded_and_not_cached():
    response = csv_download(table(), filename="top-products_2026-11-01_2026-11-30.csv")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == 'attachment; filename="top-products_2026-11-01_2026-11-30.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == "Kopi Susu Gula Aren — ½ porsi,12,0,,1250050,0,,62.5,754,1.250,2026-11-03,2026-11-03 08:05"
    assert ",-5000," in text  # a negative amount is a number, not guarded text


def test_filenames_are_safe():
    assert export_filename("../../etc/passwd\r\n", date(2026, 1, 1), date(2026, 1, 31), "csv") == (
        "etcpasswd_2026-01-01_2026-01-31.csv"
    )
    assert export_filename("", date(2026, 1, 1), date(2026, 1, 1), "pdf") == "report_2026-01-01_2026-01-01.pdf"


def _xlsx_cells(content: bytes) -> dict[str, tuple[str | None, str]]:
    """cell ref -> (type, text) of the first sheet, shared strings resolved."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)  # noqa: S314
        ]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        styles = z.read("xl/styles.xml").decode()
    cells = {}
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        if v is None:
            continue
        cells[c.get("r")] = (c.get("t"), strings[int(v.text)] if c.get("t") == "s" else v.text)
    cells["styles"] = (None, styles)
    return cells


def test_xlsx_has_numbers_with_formats_and_guarded_text():
    cells = _xlsx_cells(table_xlsx(table(currency="USD"), business=BUSINESS, period_label="1–30 Nov 2026",
                                   outlet_label="Semua outlet", generated_at=MADE))  # fmt: skip
    texts = [v for t, v in cells.values() if t == "s"]
    assert "Produk terlaris" in texts and "Warung Bu Sri" in texts and "Semua outlet" in texts
    assert "Generated 2026-12-01 00:30 WIB" in texts
    assert "'" + EVIL in texts and EVIL not in texts
    header_row = next(ref[1:] for ref, (t, v) in cells.items() if v == "Net (USD)")
    first = str(int(header_row) + 1)
    assert cells["E" + first] == (None, "12500.5")  # a number cell
    assert cells["B" + first] == (None, "12")
    assert "D" + first not in cells  # no change from nothing: a blank cell
    assert cells["H" + first] == (None, "0.625")
    assert abs(float(cells["I" + first][1]) - 754 / 86400) < 1e-9
    assert "#,##0.00" in cells["styles"][1] and "[h]:mm:ss" in cells["styles"][1]


def _pdf_text_and_png(content: bytes, tmp_path) -> tuple[str, object]:
    pdf = pypdfium2.PdfDocument(content)
    try:
        page = pdf[0]
        text = " ".join(page.get_textpage().get_text_range().split())  # cells wrap long names
        image = page.render(scale=1).to_pil()
        page.close()
    finally:
        pdf.close()
    image.save(tmp_path / "page.png")
    return text, image


def test_pdf_has_unicode_text_chart_and_heading(tmp_path):
    content = table_pdf(table(), business=BUSINESS, period_label="1–30 Nov 2026", outlet_label="Semua outlet",
                        generated_at=MADE)  # fmt: skip
    assert content.startswith(b"%PDF")
    text, image = _pdf_text_and_png(content, tmp_path)
    for expected in ("Produk terlaris", "Kopi Susu Gula Aren — ½ porsi", "Rp 1.250.050", "Warung Bu Sri",
                     "1–30 Nov 2026", "Semua outlet", "2026-12-01 00:30", "Compared with Okt 2026", "Total",
                     "Catatan: harga termasuk pajak.", "12:34"):  # fmt: skip
        assert expected in text, expected
    # The chart is drawn: the bar colour (#1f5fa8) is on the page.
    assert (0x1F, 0x5F, 0xA8) in {colour for _n, colour in image.convert("RGB").getcolors(1 << 20)}


def test_pdf_without_a_unicode_font_still_renders(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "pdf_fonts", lambda: None)
    content = table_pdf(table(), business=BUSINESS, period_label="1–30 Nov 2026", generated_at=MADE)
    text, _image = _pdf_text_and_png(content, tmp_path)
    assert "Produk terlaris" in text and "Kopi Susu Gula Aren - ½ porsi" in text and "1?30 Nov 2026" in text


def test_a_long_pdf_repeats_its_headings_and_an_empty_one_says_so(tmp_path):
    rows = [{"name": f"Produk {i}", "quantity": i, "net": i * 1000} for i in range(300)]
    content = table_pdf(table(rows=rows), business=BUSINESS, period_label="2026")
    pdf = pypdfium2.PdfDocument(content)
    try:
        assert len(pdf) > 3
        last = pdf[len(pdf) - 1].get_textpage().get_text_range()
        assert "Produk" in last and "Qty" in last  # the heading row again
    finally:
        pdf.close()
    text, _image = _pdf_text_and_png(table_pdf(table(rows=[]), business=BUSINESS, period_label="2026"), tmp_path)
    assert "Nothing in this period." in text


@pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
def test_every_format_takes_an_empty_table(kind):
    empty = table(rows=[])
    if kind == "csv":
        assert len(export_rows(empty)) == 2  # header and totals
    elif kind == "xlsx":
        assert table_xlsx(empty, business=BUSINESS, period_label="x")[:2] == b"PK"
    else:
        assert table_pdf(empty, business=BUSINESS, period_label="x").startswith(b"%PDF")

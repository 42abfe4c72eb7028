"""A report's table as a download: CSV (through the one CSV writer), XLSX and PDF, and the responses that carry them.

Figures keep their kind: in CSV and XLSX money is a number in major units at the currency's precision (Rp 12500,
$4.50), never text, so a spreadsheet adds it up; a text cell that a spreadsheet would run as a formula gets the
same `'` guard as in CSV (pos_project/csv_export.py). XLSX stores numbers as binary doubles (that is the file
format); amounts up to AMOUNT_MAX with two decimals are exact to the cent there, and a number format shows them
at the currency's precision.

The PDF (fpdf2) is the table with its chart (the same SVG as the page), the business, outlet and period, and when
it was made in the business's time zone. It needs a Unicode font for names like "Kopi Susu Gula Aren — ½": DejaVu
Sans, looked up where Debian's fonts-dejavu-core puts it (the image installs it) or in REPORTS_PDF_FONT_DIR; when
none is found the PDF is still made with a built-in font, characters outside Latin-1 shown as "?".

`table_pdf` is also what the scheduled report e-mail attaches.
"""

import io
import logging
import os
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pos_project.csv_export import csv_cell, csv_response
from pos_project.money import currency, from_minor

from .charts import table_chart
from .tables import Column, Kind, ReportTable

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SVG_NOTES = re.compile(r"<(title|desc)\b[^>]*>.*?</\1>", re.S)
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


# --- Names ------------------------------------------------------------------------------------------------------


def export_filename(slug: str, start: date, end: date, ext: str) -> str:
    """`sales-by-hour_2026-11-01_2026-11-30.csv`: ASCII only, nothing a header or a file system reads specially."""
    name = slugify(slug) or "report"
    return f"{name}_{start.isoformat()}_{end.isoformat()}.{ext}"


def download_response(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Plain rows (CSV, and the values XLSX writes) ----------------------------------------------------------------


def _header(table: ReportTable, column: Column) -> str:
    if column.kind == Kind.MONEY:
        return f"{column.label} ({table.currency})"
    if column.kind == Kind.DURATION:
        return f"{column.label} ({_('seconds')})"
    return column.label


def export_value(value: Any, kind: Kind, table: ReportTable) -> Any:
    """A cell as a spreadsheet should get it: numbers as numbers (money in major units), instants as local text."""
    if value is None:
        return None
    if kind == Kind.MONEY:
        return from_minor(int(value), table.currency)
    if kind in (Kind.INT, Kind.DURATION):
        return int(value)
    if kind in (Kind.PERCENT, Kind.CHANGE, Kind.QUANTITY):
        return Decimal(value)
    if kind == Kind.DATETIME and isinstance(value, datetime):
        return value.astimezone(ZoneInfo(table.timezone)).strftime("%Y-%m-%d %H:%M")
    if kind == Kind.DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_rows(table: ReportTable) -> list[list[Any]]:
    """The header, the rows and the totals row as plain values."""
    columns = table.display_columns()
    rows = [[_header(table, c) for c in columns]]
    rows += [[export_value(r.get(c.key), c.kind, table) for c in columns] for r in table.rows]
    if table.totals is not None:
        rows.append([export_value(table.totals.get(c.key), c.kind, table) for c in columns])
    return rows


def csv_download(table: ReportTable, *, filename: str) -> StreamingHttpResponse:
    return csv_response(export_rows(table), filename=filename)


# --- XLSX ---------------------------------------------------------------------------------------------------------


def _generated_at(business: Any, generated_at: datetime | None) -> str:
    moment = generated_at or timezone.now()
    return moment.astimezone(ZoneInfo(getattr(business, "timezone", "UTC"))).strftime("%Y-%m-%d %H:%M %Z")


def _heading_lines(table: ReportTable, business: Any, period_label: str, outlet_label: str, made: str) -> list[str]:
    lines = [getattr(business, "name", "") or "", period_label]
    if outlet_label:
        lines.append(outlet_label)
    if table.compared:
        lines.append(_("Compared with %(period)s") % {"period": table.compare_label})
    lines.append(_("Generated %(when)s") % {"when": made})
    return [line for line in lines if line]


def table_xlsx(
    table: ReportTable,
    *,
    business: Any,
    period_label: str,
    outlet_label: str = "",
    generated_at: datetime | None = None,
) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    sheet = book.add_worksheet((slugify(table.title) or "report")[:31])
    exponent = currency(table.currency).exponent
    money = "#,##0" + ("." + "0" * exponent if exponent else "")
    formats = {}
    for bold in (False, True):
        base = {"bold": bold}
        formats[bold] = {
            Kind.MONEY: book.add_format({**base, "num_format": money}),
            Kind.INT: book.add_format({**base, "num_format": "#,##0"}),
            Kind.PERCENT: book.add_format({**base, "num_format": "0.0%"}),
            Kind.CHANGE: book.add_format({**base, "num_format": "+0.0%;-0.0%;0.0%"}),
            Kind.QUANTITY: book.add_format({**base, "num_format": "#,##0.###"}),
            Kind.DURATION: book.add_format({**base, "num_format": "[h]:mm:ss"}),
            Kind.DATE: book.add_format({**base, "num_format": "yyyy-mm-dd"}),
            Kind.DATETIME: book.add_format({**base, "num_format": "yyyy-mm-dd hh:mm"}),
            Kind.TEXT: book.add_format(base),
        }
    title_format = book.add_format({"bold": True, "font_size": 14})
    header_format = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})

    sheet.write_string(0, 0, csv_cell(table.title), title_format)
    heading = _heading_lines(table, business, period_label, outlet_label, _generated_at(business, generated_at))
    for i, line in enumerate(heading, start=1):
        sheet.write_string(i, 0, csv_cell(line))
    top = len(heading) + 2
    columns = table.display_columns()
    for j, column in enumerate(columns):
        sheet.write_string(top, j, csv_cell(_header(table, column)), header_format)
        sheet.set_column(j, j, 14 if column.numeric or column.kind in (Kind.DATE, Kind.DATETIME) else 28)

    def write(row_index: int, row: dict, bold: bool) -> None:
        for j, column in enumerate(columns):
            value = row.get(column.key)
            fmt = formats[bold][column.kind]
            if value is None or value == "":
                sheet.write_blank(row_index, j, None, fmt)
            elif column.kind == Kind.MONEY:
                sheet.write_number(row_index, j, float(from_minor(int(value), table.currency)), fmt)
            elif column.kind in (Kind.PERCENT, Kind.CHANGE):
                sheet.write_number(row_index, j, float(Decimal(value) / 100), fmt)
            elif column.kind == Kind.DURATION:
                sheet.write_number(row_index, j, int(value) / 86400, fmt)
            elif column.kind in (Kind.INT, Kind.QUANTITY):
                sheet.write_number(row_index, j, float(value), fmt)
            elif column.kind == Kind.DATETIME and isinstance(value, datetime):
                local = value.astimezone(ZoneInfo(table.timezone)).replace(tzinfo=None)
                sheet.write_datetime(row_index, j, local, fmt)
            elif column.kind == Kind.DATE and isinstance(value, date):
                sheet.write_datetime(row_index, j, datetime(value.year, value.month, value.day), fmt)  # noqa: DTZ001
            else:
                sheet.write_string(row_index, j, csv_cell(value), fmt)

    for i, row in enumerate(table.rows, start=top + 1):
        write(i, row, False)
    last = top + len(table.rows)
    if table.totals is not None:
        last += 1
        write(last, table.totals, True)
    sheet.freeze_panes(top + 1, 0)
    if table.rows:
        sheet.autofilter(top, 0, top + len(table.rows), len(columns) - 1)
    for k, note in enumerate(table.notes, start=last + 2):
        sheet.write_string(k, 0, csv_cell(note))
    book.close()
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def pdf_fonts() -> tuple[str, str] | None:
    """(regular, bold) TrueType files of DejaVu Sans, or None when this machine has none."""
    dirs = [os.environ.get("REPORTS_PDF_FONT_DIR") or getattr(settings, "REPORTS_PDF_FONT_DIR", ""), *FONT_DIRS]
    for folder in filter(None, dirs):
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            return str(regular), str(bold if bold.is_file() else regular)
    logger.warning("reports: no DejaVu Sans font found, PDFs fall back to a Latin-1 font")
    return None


def _pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.font_family, "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, self.footer_text, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, f"{self.page_no()}/{{nb}}", align="R")

    return ReportPDF


def _column_widths(pdf, columns: list[Column], texts: list[list[str]]) -> list[float]:
    """Each column as wide as its widest figure (so an amount stays whole) and its longest heading word, text
    columns at most 60 mm; then fitted to the page, text columns giving way first."""
    widths = []
    for j, column in enumerate(columns):
        word = max((_width(pdf, w) for w in column.label.split()), default=0) * 1.15  # headings are bold
        widest = max((_width(pdf, row[j]) for row in texts), default=0)
        widths.append(max(word, min(widest, 60.0)) + 3)
    scale = pdf.epw / sum(widths)  # the page's width, numbers keeping their room when text has to give
    if scale >= 1:
        return [w * scale for w in widths]
    fixed = sum(w for w, c in zip(widths, columns, strict=True) if c.numeric)
    loose = sum(widths) - fixed
    if fixed < pdf.epw and loose:
        squeeze = (pdf.epw - fixed) / loose
        return [w if c.numeric else w * squeeze for w, c in zip(widths, columns, strict=True)]
    return [w * scale for w in widths]


def _width(pdf, text: str) -> float:
    """The width of `text` in the current font, from its metrics: fpdf2's get_string_width also prepares bidi
    text on each call, which made it most of the table's time."""
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def _fit(pdf, text: str, width: float) -> str:
    """`text` shortened with an ellipsis to fit `width` (the CSV and XLSX carry it whole)."""
    room = width - 2 * pdf.c_margin
    if _width(pdf, text) <= room:
        return text
    ellipsis = "…" if pdf.font_family != "helvetica" else "..."
    while text and _width(pdf, text + ellipsis) > room:
        text = text[: max(0, min(len(text) - 1, int(len(text) * room / max(_width(pdf, text), 0.1))))]
    return text.rstrip() + ellipsis


def _draw_table(pdf, family: str, size: float, columns: list[Column], widths: list[float], rows: list[list[str]],
                totals: list[str] | None, labels: list[str]) -> None:  # fmt: skip
    """The table as text placed on one line per row (fpdf2's own table lays out and wraps every cell: 2.7 s for
    400 rows of 12 columns), its heading again at the top of each page, every other row shaded, totals in bold."""
    from fpdf.enums import MethodReturnValue

    line = pdf.font_size * 1.7
    align = ["R" if c.numeric else "L" for c in columns]

    def heading() -> None:
        pdf.set_font(family, "B", size)
        pdf.set_fill_color(225, 225, 225)
        counts = [len(pdf.multi_cell(w, line, t, dry_run=True, output=MethodReturnValue.LINES))
                  for w, t in zip(widths, labels, strict=True)]  # fmt: skip
        height = line * max(counts)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.rect(x, y, sum(widths), height, style="F")
        for w, text, a, n in zip(widths, labels, align, counts, strict=True):
            pdf.set_xy(x, y + (height - n * line))  # headings sit on the bottom line, over their figures
            pdf.multi_cell(w, line, text, align=a)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
        pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)
        pdf.set_font(family, "", size)

    def draw_row(row: list[str], shaded: bool) -> None:
        if pdf.will_page_break(line):
            pdf.add_page()
            heading()
        y = pdf.get_y()
        if shaded:
            pdf.set_fill_color(244, 244, 244)
            pdf.rect(pdf.l_margin, y, sum(widths), line, style="F")
        x = pdf.l_margin
        for w, text, a in zip(widths, row, align, strict=True):
            text = _fit(pdf, text, w)
            if text:
                left = x + w - pdf.c_margin - _width(pdf, text) if a == "R" else x + pdf.c_margin
                pdf.text(left, y + line * 0.68, text)
            x += w
        pdf.set_xy(pdf.l_margin, y + line)

    heading()
    for i, row in enumerate(rows):
        draw_row(row, i % 2 == 1)
    if totals is not None:
        pdf.set_font(family, "B", size)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + sum(widths), pdf.get_y())
        draw_row(totals, False)
        pdf.set_font(family, "", size)


def table_pdf(
    table: ReportTable,
    *,
    business: Any,
    period_label: str,
    outlet_label: str = "",
    generated_at: datetime | None = None,
) -> bytes:
    """The report as a PDF: heading, chart, table with totals (headings repeated on each page), notes."""
    columns = table.display_columns()
    pdf = _pdf_class()(orientation="L" if len(columns) > 6 else "P", unit="mm", format="A4")
    fonts = pdf_fonts()
    if fonts:
        # The family the charts' SVG names first, so fpdf2 draws their text with it too.
        family = "DejaVu Sans"
        pdf.add_font(family, "", fonts[0])
        pdf.add_font(family, "B", fonts[1])

        def clean(text: str) -> str:
            return text

    else:
        family = "helvetica"

        def clean(text: str) -> str:
            return text.replace("—", "-").replace("…", "...").encode("latin-1", "replace").decode("latin-1")

    made = _generated_at(business, generated_at)
    pdf.set_title(clean(table.title))
    pdf.set_creator("POS reports")
    pdf.footer_text = clean(f"{getattr(business, 'name', '')} · {table.title} · {made}")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, clean(table.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in _heading_lines(table, business, period_label, outlet_label, made):
        pdf.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    svg = table_chart(table, uid="pdf")
    if svg and table.rows:
        try:
            width = min(pdf.epw, 180)
            svg = clean(_SVG_NOTES.sub("", svg))  # fpdf2 warns about <title> and <desc>, which print nothing
            pdf.image(io.BytesIO(svg.encode()), w=width, x=pdf.l_margin)
            pdf.ln(3)
        except Exception:  # a picture fpdf2 cannot draw must not cost the whole PDF
            logger.exception("reports: chart not drawn in the PDF of %s", table.title)

    size = 8 if len(columns) > 6 else 9
    pdf.set_font(family, "", size)
    rows = [[clean(t) for _c, t in r] for r in table.formatted_rows()]
    totals = table.formatted_totals()
    totals_texts = [clean(t) for _c, t in totals] if totals is not None and table.rows else None
    widths = _column_widths(pdf, columns, [*rows, *([totals_texts] if totals_texts else [])])
    _draw_table(pdf, family, size, columns, widths, rows, totals_texts, [clean(c.label) for c in columns])
    if not table.rows:
        pdf.ln(2)
        pdf.multi_cell(0, 5, clean(_("Nothing in this period.")), new_x="LMARGIN", new_y="NEXT")
    if table.notes:
        pdf.ln(3)
        pdf.set_font(family, "", 8)
        for note in table.notes:
            pdf.multi_cell(0, 4, clean(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

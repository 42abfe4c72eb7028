"""What every report returns: a plain table (columns with a kind, rows of plain dicts, totals), read the same way
by the page, the chart, and the CSV, XLSX and PDF exports.

Values stay as stored until shown: money in integer minor units, quantities as Decimal, durations in seconds,
dates as dates, instants as aware datetimes. Each output formats a kind its own way (the page and the PDF through
`format_cell`, a spreadsheet with number formats), so a figure is the same everywhere to the last minor unit.

A column marked `compare` gets two more when the report has a comparison period: the value in that period
(`<key>__cmp`) and the change in percent (`<key>__chg`, None where the earlier value was zero or missing).
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pos_project.money import currency as money_currency
from pos_project.money import format_money


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"  # integer minor units of the table's currency
    PERCENT = "percent"  # Decimal, 12.5 means 12.5 %
    CHANGE = "change"  # a percentage shown with its sign: +12.5 %
    QUANTITY = "quantity"  # Decimal (stock in base units)
    DATE = "date"
    DATETIME = "datetime"  # aware; shown in the business's time zone
    DURATION = "duration"  # whole seconds


NUMERIC = frozenset({Kind.INT, Kind.MONEY, Kind.PERCENT, Kind.CHANGE, Kind.QUANTITY, Kind.DURATION})
CMP, CHG = "__cmp", "__chg"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = Kind.TEXT
    compare: bool = False  # shown with its value in the comparison period and the change

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True)
class ChartSpec:
    """Which picture of the table helps: `kind` is "bars" (vertical, e.g. by hour), "hbars" (a ranking), "line"
    (days over a range) or "share" (parts of a whole, e.g. payment mix). `label` and `value` name columns; the
    comparison series, when the table has one, is `<value>__cmp`."""

    kind: str
    label: str
    value: str
    title: str = ""
    limit: int | None = None  # hbars: the first N rows (the table is already sorted best first)


@dataclass
class ReportTable:
    title: str
    columns: list[Column]
    rows: list[dict]
    totals: dict | None = None
    currency: str = "IDR"
    chart: ChartSpec | None = None
    notes: list[str] = field(default_factory=list)
    compare_label: str = ""  # "11–17 Nov 2026" when compared, "" when not
    compare_name: str = ""  # short, for column headings: "previous", "last year" (the label when empty)
    timezone: str = "UTC"

    @property
    def compared(self) -> bool:
        return bool(self.compare_label)

    def display_columns(self) -> list[Column]:
        """The columns as shown and exported: each compared column followed by its comparison and change."""
        shown = []
        for column in self.columns:
            shown.append(column)
            if column.compare and self.compared:
                name = self.compare_name or self.compare_label
                shown.append(Column(column.key + CMP, f"{column.label} ({name})", column.kind))
                shown.append(Column(column.key + CHG, _("Change %"), Kind.CHANGE))
        return shown

    def cells(self, row: dict) -> list[tuple[Column, Any]]:
        return [(c, row.get(c.key)) for c in self.display_columns()]

    def formatted_rows(self) -> list[list[tuple[Column, str]]]:
        """Rows as text for the page and the PDF: [(column, "Rp 12.500"), ...]."""
        columns = self.display_columns()
        return [self._formatted(r, columns) for r in self.rows]

    def _formatted(self, row: dict, columns: list[Column]) -> list[tuple[Column, str]]:
        return [(c, format_cell(row.get(c.key), c.kind, self.currency, self.timezone)) for c in columns]

    def formatted_totals(self) -> list[tuple[Column, str]] | None:
        if self.totals is None:
            return None
        return self._formatted(self.totals, self.display_columns())

    def body_html(self) -> SafeString:
        """The table's rows as HTML for the page. Built here rather than by a template loop: a year by day with
        a comparison is 4,000 cells, which the template language took 120 ms to render and this takes 10."""
        cell = {True: '<td class="num">{}</td>', False: "<td>{}</td>"}
        rows = ("".join(format_html(cell[c.numeric], text) for c, text in row) for row in self.formatted_rows())
        return mark_safe("".join(f"<tr>{cells}</tr>" for cells in rows))  # noqa: S308 - format_html escaped each text


def change_percent(current: int | Decimal | None, before: int | Decimal | None) -> Decimal | None:
    """The change from `before` to `current` in percent, one decimal; None where there is nothing to compare to
    (no earlier value, or zero: a change from nothing has no percentage)."""
    if current is None or not before:
        return None
    ratio = (Decimal(current) - Decimal(before)) * 100 / abs(Decimal(before))
    return ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def share_percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def sum_totals(rows: Iterable[dict], columns: Iterable[Column], first: tuple[str, str] | None = None) -> dict:
    """The sum of each money, int, quantity and duration column over `rows` (percentages are not summed);
    `first` puts a label (e.g. ("name", "Total")) in a text column."""
    rows = list(rows)
    totals: dict[str, Any] = {}
    for column in columns:
        if column.kind in (Kind.MONEY, Kind.INT, Kind.DURATION):
            totals[column.key] = sum(int(r.get(column.key) or 0) for r in rows)
        elif column.kind == Kind.QUANTITY:
            totals[column.key] = sum((Decimal(r.get(column.key) or 0) for r in rows), Decimal(0))
    if first:
        totals[first[0]] = first[1]
    return totals


def add_comparison(
    rows: list[dict],
    before: Iterable[dict],
    columns: Iterable[Column],
    key: Callable[[dict], Hashable],
) -> None:
    """Fill `<key>__cmp` and `<key>__chg` of each compared column in `rows` (in place) from the rows of the
    comparison period matched by `key` (the same hour, product, weekday...). A row only the comparison period
    had is not added: the table lists what happened in the period asked for."""
    earlier = {key(r): r for r in before}
    compared = [c for c in columns if c.compare]
    for row in rows:
        match = earlier.get(key(row), {})
        for column in compared:
            was = match.get(column.key)
            if was is None and column.numeric:
                was = 0
            row[column.key + CMP] = was
            row[column.key + CHG] = change_percent(row.get(column.key), was)


def compare_totals(totals: dict, before: dict, columns: Iterable[Column]) -> None:
    for column in columns:
        if column.compare:
            was = before.get(column.key) or 0
            totals[column.key + CMP] = was
            totals[column.key + CHG] = change_percent(totals.get(column.key), was)


def format_duration(seconds: int) -> str:
    seconds = int(seconds)
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


def format_cell(value: Any, kind: Kind, currency: str, timezone: str = "UTC") -> str:
    """A value as people read it on the page and in the PDF."""
    if value is None or value == "":
        return "—" if kind in NUMERIC else ""
    if kind == Kind.MONEY:
        return format_money(int(value), currency)
    if kind == Kind.INT:
        return f"{int(value):,}".replace(",", money_currency(currency).thousands)
    if kind in (Kind.PERCENT, Kind.CHANGE):
        sign = "+" if kind == Kind.CHANGE and value > 0 else ""
        return f"{sign}{Decimal(value):.1f} %"
    if kind == Kind.QUANTITY:
        text = f"{Decimal(value).normalize():f}"
        return "0" if text in ("-0", "0") else text
    if kind == Kind.DURATION:
        return format_duration(value)
    if kind == Kind.DATE and isinstance(value, date):
        return value.isoformat()
    if kind == Kind.DATETIME and isinstance(value, datetime):
        return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    return str(value)

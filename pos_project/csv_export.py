"""The one CSV writer of the product (issue 12, finding 6): every export goes through it.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
formula: a product named `=HYPERLINK("http://evil","Click")` in an export becomes a live link, or worse, on the
owner's computer (CSV injection, OWASP). Text cells that start so are written with a `'` in front, which
spreadsheets show but do not run. Numbers stay numbers: pass quantities and amounts as `int` or `Decimal` (never
as text), and a negative one is written as it is. A text cell that already starts with `'` followed by one of
those characters (or another `'`) gets one more, so `csv_cell_read` gives back exactly what was written: the
catalog import reads its own export unchanged.

Download responses are `no-store`: an export holds a business's figures (and names), not for shared caches or the
browser's disk.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def csv_cell(value: Any) -> str:
    """One cell as written: numbers as they are, text neutralised where a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    if text[:1] in FORMULA_STARTS or (text[:1] == "'" and text[1:2] in _ESCAPED_STARTS):
        return "'" + text
    return text


def csv_cell_read(text: str) -> str:
    """A text cell as it was before `csv_cell` wrote it (for imports of our own exports)."""
    if text[:1] == "'" and text[1:2] in _ESCAPED_STARTS:
        return text[1:]
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text line by line (streamed: exports of a big business never sit in memory), starting with a BOM so
    Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])


def csv_response(rows: Iterable[Sequence[Any]], *, filename: str) -> StreamingHttpResponse:
    """A CSV download of `rows` (the header first)."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response

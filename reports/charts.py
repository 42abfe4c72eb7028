"""Charts drawn on the server as SVG: no script, no network, the same picture on the page, on paper and in the PDF.

Each function takes labels and integer values (minor units, counts, seconds) and a `fmt` that writes a value as
people read it (`format_money` for money), and returns one `<svg>` element as text. Colours are set as attributes,
not CSS, so the PDF writer (fpdf2) and a printer see them; they stay apart in grey too (the comparison series is
lighter and dashed). Every chart has a <title> and <desc>, an aria-label, and each bar or point a <title> with its
value; the table under it holds the same figures.

Labels are user input (product and staff names): everything written into the SVG goes through `_text`, which
escapes it and drops characters XML cannot carry. Long labels are shortened on the chart, whole in their <title>.

A long range stays cheap to draw: vertical bars merge neighbours into at most MAX_BARS (summed, labelled
"first–last"), a line keeps at most MAX_POINTS (each the mean of its bucket, so the scale still reads per day).
"""

import html
import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from .tables import ChartSpec, Kind, ReportTable, format_cell

Number = int | Decimal
Fmt = Callable[[int], str]

WIDTH = 720
HEIGHT = 260
MAX_BARS = 62
MAX_POINTS = 400
MAX_LABEL = 28
INK = "#222222"
GRID = "#d0d0d0"
MAIN = "#1f5fa8"
MAIN_NEGATIVE = "#b03030"
COMPARE = "#a9c1de"
PALETTE = ("#1f5fa8", "#e07b00", "#2e8b57", "#b03060", "#6a4c93", "#8c6d1f", "#008b8b", "#5a5a5a")
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _text(value: object, limit: int | None = None) -> str:
    """Escaped text for SVG, shortened to `limit` characters with an ellipsis."""
    text = _NOT_XML.sub("", str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=True)


def _plain(value: Number) -> str:
    return str(int(value))


def _nice_step(span: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `ticks` parts."""
    raw = max(1, span // ticks)
    power = 10 ** (len(str(raw)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * power * ticks >= span:
            return factor * power
    return 10 * power


def _scale(values: Sequence[int]) -> tuple[int, int, int]:
    """The axis: (low, high, step), zero always on it, negative values (a refund-heavy day) below it."""
    low, high = min(0, *values), max(0, *values)
    if low == high:
        return 0, 1, 1
    step = _nice_step(high - low)
    low = -((-low + step - 1) // step) * step  # low <= 0: rounded away from zero
    high = ((high + step - 1) // step) * step
    return low, high, step


def _open(uid: str, title: str, desc: str, width: int, height: int) -> list[str]:
    t, d = _text(title), _text(desc)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{uid}-t {uid}-d" aria-label="{t}" {FONT}>',
        f'<title id="{uid}-t">{t}</title><desc id="{uid}-d">{d}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _empty(uid: str, title: str, width: int = WIDTH, height: int = 80) -> str:
    message = _("No figures for this period.")
    parts = _open(uid, title, message, width, height)
    parts.append(f'<text x="{width // 2}" y="{height // 2 + 5}" text-anchor="middle" font-size="14" fill="{INK}">'
                 f"{_text(message)}</text></svg>")  # fmt: skip
    return "".join(parts)


def _describe(labels: Sequence[str], values: Sequence[int], fmt: Fmt, limit: int = 12) -> str:
    """The <desc>: the first values in words (the table under the chart holds all of them)."""
    pairs = [f"{label}: {fmt(v)}" for label, v in zip(labels[:limit], values[:limit], strict=False)]
    more = len(labels) - limit
    return "; ".join(pairs) + (f"; … (+{more})" if more > 0 else "")


def _merge(labels: Sequence[str], series: Sequence[Sequence[int]], most: int, mean: bool) -> tuple[list, list]:
    """At most `most` buckets of neighbours: labels "first–last", values summed (or their mean)."""
    n = len(labels)
    if n <= most:
        return list(labels), [list(s) for s in series]
    size = -(-n // most)
    merged_labels, merged = [], [[] for _ in series]
    for start in range(0, n, size):
        end = min(n, start + size)
        merged_labels.append(f"{labels[start]}–{labels[end - 1]}" if end - start > 1 else labels[start])
        for out, values in zip(merged, series, strict=True):
            chunk = values[start:end]
            out.append(sum(chunk) // len(chunk) if mean else sum(chunk))
    return merged_labels, merged


def _y_axis(parts: list[str], low: int, high: int, step: int, box: tuple[int, int, int, int], fmt: Fmt) -> None:
    left, top, right, bottom = box
    for tick in range(low, high + 1, step):
        y = bottom - (tick - low) * (bottom - top) / (high - low)
        colour = INK if tick == 0 else GRID
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{colour}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{INK}">'
                     f"{_text(fmt(tick))}</text>")  # fmt: skip


def _legend(parts: list[str], x: int, y: int, items: Sequence[tuple[str, str, bool]]) -> None:
    for label, colour, dashed in items:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{colour}" stroke="{INK}" '
                     f'stroke-width="0.5"{dash}/>')  # fmt: skip
        parts.append(f'<text x="{x + 16}" y="{y}" font-size="11" fill="{INK}">{_text(label, 40)}</text>')
        x += 24 + 7 * min(len(label), 40)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    fmt: Fmt = _plain,
    compare: Sequence[Number] | None = None,
    series_label: str = "",
    compare_label: str = "",
    uid: str = "chart",
) -> str:
    """Vertical bars (sales by hour, by weekday), with the comparison period as a lighter bar beside each."""
    if not labels:
        return _empty(uid, title)
    series = [[int(v) for v in values]] + ([[int(v) for v in compare]] if compare is not None else [])
    labels, series = _merge([str(label) for label in labels], series, MAX_BARS, mean=False)
    values, before = series[0], (series[1] if len(series) > 1 else None)
    low, high, step = _scale(values + (before or []))
    left, top, right, bottom = 100, 28 if before is not None else 14, WIDTH - 10, HEIGHT - 24
    parts = _open(uid, title, _describe(labels, values, fmt), WIDTH, HEIGHT)
    _y_axis(parts, low, high, step, (left, top, right, bottom), fmt)
    n = len(labels)
    group = (right - left) / n
    bar = group * (0.38 if before is not None else 0.72)

    def y_of(v: int) -> float:
        return bottom - (v - low) * (bottom - top) / (high - low)

    zero = y_of(0)
    every = max(1, -(-n // 16))  # at most about 16 axis labels
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x0 = left + i * group + (group - bar * (2 if before is not None else 1)) / 2
        if before is not None:
            was = before[i]
            y = min(y_of(was), zero)
            parts.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{abs(y_of(was) - zero):.1f}" '
                         f'fill="{COMPARE}" stroke="{MAIN}" stroke-width="0.6" stroke-dasharray="3 2">'
                         f"<title>{_text(label)} ({_text(compare_label)}): "
                         f"{_text(fmt(was))}</title></rect>")  # fmt: skip
            x0 += bar
        y = min(y_of(value), zero)
        colour = MAIN if value >= 0 else MAIN_NEGATIVE
        parts.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{abs(y_of(value) - zero):.1f}" '
                     f'fill="{colour}"><title>{_text(label)}: {_text(fmt(value))}</title></rect>')  # fmt: skip
        if value and len(fmt(value)) * 5.4 <= group:  # only where the figure fits over its bar
            ty = y - 3 if value >= 0 else y_of(value) + 11
            parts.append(f'<text x="{x0 + bar / 2:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="9" '
                         f'fill="{INK}">{_text(fmt(value), 14)}</text>')  # fmt: skip
        if i % every == 0:
            cx = left + i * group + group / 2
            parts.append(f'<text x="{cx:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" fill="{INK}">'
                         f"{_text(label, 12)}</text>")  # fmt: skip
    if before is not None:
        _legend(parts, left, 14, [(series_label or _("This period"), MAIN, False), (compare_label, COMPARE, True)])
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    fmt: Fmt = _plain,
    compare: Sequence[Number] | None = None,
    series_label: str = "",
    compare_label: str = "",
    uid: str = "chart",
) -> str:
    """Days over a range, the comparison period as a lighter dashed line over the same positions."""
    if not labels:
        return _empty(uid, title)
    series = [[int(v) for v in values]] + ([[int(v) for v in compare]] if compare is not None else [])
    labels, series = _merge([str(label) for label in labels], series, MAX_POINTS, mean=True)
    values, before = series[0], (series[1] if len(series) > 1 else None)
    low, high, step = _scale(values + (before or []))
    left, top, right, bottom = 100, 28 if before is not None else 14, WIDTH - 16, HEIGHT - 24
    parts = _open(uid, title, _describe(labels, values, fmt), WIDTH, HEIGHT)
    _y_axis(parts, low, high, step, (left, top, right, bottom), fmt)
    n = len(labels)

    def x_of(i: int) -> float:
        return left + (right - left) / 2 if n == 1 else left + i * (right - left) / (n - 1)

    def y_of(v: int) -> float:
        return bottom - (v - low) * (bottom - top) / (high - low)

    for points, colour, dashed, width in ((before, COMPARE, True, 2), (values, MAIN, False, 2.5)):
        if points is None:
            continue
        coords = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(points))
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        if n > 1:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>')
    if n <= 62:
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3" fill="{MAIN}">'
                         f"<title>{_text(label)}: {_text(fmt(value))}</title></circle>")  # fmt: skip
    marks = sorted({round(i * (n - 1) / 5) for i in range(6)}) if n > 6 else range(n)
    for i in marks:
        parts.append(f'<text x="{x_of(i):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" fill="{INK}">'
                     f"{_text(labels[i], 23)}</text>")  # fmt: skip
    if before is not None:
        _legend(parts, left, 14, [(series_label or _("This period"), MAIN, False), (compare_label, COMPARE, True)])
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    fmt: Fmt = _plain,
    limit: int = 10,
    uid: str = "chart",
) -> str:
    """A ranking (top products, staff): one horizontal bar per row, its value written at its end."""
    if not labels:
        return _empty(uid, title)
    labels, values = [str(label) for label in labels[:limit]], [int(v) for v in values[:limit]]
    row = 24
    height = 16 + row * len(labels)
    left, right = 210, WIDTH - 120
    low, high = min(0, *values), max(0, *values)
    if low == high:
        high = 1
    parts = _open(uid, title, _describe(labels, values, fmt), WIDTH, height)

    def x_of(v: int) -> float:
        return left + (v - low) * (right - left) / (high - low)

    zero = x_of(0)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row
        x = min(x_of(value), zero)
        colour = MAIN if value >= 0 else MAIN_NEGATIVE
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">'
                     f"{_text(label, MAX_LABEL)}</text>")  # fmt: skip
        parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{abs(x_of(value) - zero):.1f}" height="{row - 8}" '
                     f'fill="{colour}"><title>{_text(label)}: {_text(fmt(value))}</title></rect>')  # fmt: skip
        parts.append(f'<text x="{max(x_of(value), zero) + 6:.1f}" y="{y + 15}" font-size="11" fill="{INK}">'
                     f"{_text(fmt(value))}</text>")  # fmt: skip
    parts.append(f'<line x1="{zero:.1f}" y1="6" x2="{zero:.1f}" y2="{height - 6}" stroke="{INK}" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def share_bar(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    fmt: Fmt = _plain,
    uid: str = "chart",
) -> str:
    """Parts of a whole (payment mix) as one stacked bar, each part's value and share in a legend below.
    A part below zero (more refunded than taken) has no slice; it is listed with its value."""
    labels, values = [str(label) for label in labels], [int(v) for v in values]
    whole = sum(v for v in values if v > 0)
    if not labels or whole <= 0:
        return _empty(uid, title)
    per_line = 3
    lines = -(-len(labels) // per_line)
    height = 64 + 20 * lines
    left, right = 10, WIDTH - 10
    parts = _open(uid, title, _describe(labels, values, fmt), WIDTH, height)
    x = float(left)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        share = value * 100 / whole if value > 0 else 0
        if value > 0:
            w = (right - left) * value / whole
            parts.append(f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="32" fill="{colour}" stroke="#ffffff" '
                         f'stroke-width="1"><title>{_text(label)}: {_text(fmt(value))} ({share:.1f} %)'
                         "</title></rect>")  # fmt: skip
            if w > 44:
                parts.append(f'<text x="{x + w / 2:.1f}" y="31" text-anchor="middle" font-size="12" '
                             f'fill="#ffffff">{share:.0f} %</text>')  # fmt: skip
            x += w
        lx, ly = left + (i % per_line) * (WIDTH // per_line), 64 + (i // per_line) * 20
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly}" font-size="12" fill="{INK}">{_text(label, 18)}: '
                     f"{_text(fmt(value))}{f' ({share:.1f} %)' if value > 0 else ''}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


CHARTS = {"bars": bar_chart, "line": line_chart, "hbars": hbar_chart, "share": share_bar}


def value_formatter(kind: Kind, currency: str) -> Fmt:
    if kind == Kind.MONEY:
        return lambda v: format_cell(v, Kind.MONEY, currency)
    if kind == Kind.DURATION:
        return lambda v: format_cell(v, Kind.DURATION, currency)
    return lambda v: format_cell(v, Kind.INT, currency)


def table_chart(table: ReportTable, *, uid: str = "chart") -> str | None:
    """The chart a report's table asks for (its ChartSpec), or None."""
    spec: ChartSpec | None = table.chart
    if spec is None:
        return None
    columns = {c.key: c for c in table.columns}
    label_column, value_column = columns[spec.label], columns[spec.value]
    labels = [format_cell(r.get(spec.label), label_column.kind, table.currency, table.timezone) for r in table.rows]
    values = [int(r.get(spec.value) or 0) for r in table.rows]
    fmt = value_formatter(value_column.kind, table.currency)
    title = spec.title or f"{table.title}: {value_column.label}"
    if spec.kind == "hbars":
        return hbar_chart(labels, values, title=title, fmt=fmt, limit=spec.limit or 10, uid=uid)
    if spec.kind == "share":
        return share_bar(labels, values, title=title, fmt=fmt, uid=uid)
    compare = None
    if table.compared and value_column.compare:
        compare = [int(r.get(spec.value + "__cmp") or 0) for r in table.rows]
    draw = CHARTS[spec.kind]
    return draw(labels, values, title=title, fmt=fmt, compare=compare, series_label=value_column.label,
                compare_label=table.compare_label, uid=uid)  # fmt: skip

"""Server-side SVG charts: well-formed, accessible, escaped, and cheap on any amount of data."""

import time
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from pos_project.money import format_money
from reports.charts import MAX_BARS, MAX_POINTS, bar_chart, hbar_chart, line_chart, share_bar, table_chart
from reports.tables import ChartSpec, Column, Kind, ReportTable, add_comparison

SVG = "{http://www.w3.org/2000/svg}"
CHARTS = (bar_chart, line_chart, hbar_chart, share_bar)


def rupiah(v):
    return format_money(v, "IDR")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    """The value shapes (the first rect is the white background; legend swatches have no <title>)."""
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("draw", CHARTS)
def test_no_data_says_so(draw):
    root = parse(draw([], [], title="Sales by hour"))
    assert "No figures for this period." in texts(root)
    assert root.find(f"{SVG}title").text == "Sales by hour"


@pytest.mark.parametrize("draw", CHARTS)
def test_one_point(draw):
    root = parse(draw(["10:00"], [125_000], title="One", fmt=rupiah))
    titles = [e.text for e in root.iter(f"{SVG}title")]
    assert "10:00: Rp 125.000" in " ".join(titles)


@pytest.mark.parametrize("draw", (bar_chart, line_chart, hbar_chart))
def test_all_zeros_draw_a_flat_chart(draw):
    root = parse(draw(["a", "b", "c"], [0, 0, 0], title="Zeros", fmt=rupiah))
    for shape in bars(root):
        assert float(shape.get("height")) >= 0 and float(shape.get("width")) >= 0


def test_a_share_of_nothing_is_no_data():
    root = parse(share_bar(["cash", "card"], [0, 0], title="Mix"))
    assert "No figures for this period." in texts(root)


def test_negative_values_hang_below_zero():
    """A refund-heavy day: its bar goes down from the zero line, in the negative colour, with a negative tick."""
    root = parse(bar_chart(["Mon", "Tue"], [300_000, -120_000], title="Days", fmt=rupiah))
    up, down = bars(root)
    assert float(down.get("height")) > 0 and down.get("fill") != up.get("fill")
    assert float(down.get("y")) >= float(up.get("y")) + float(up.get("height")) - 0.2  # starts at zero
    assert any(t.startswith("-Rp") for t in texts(root))
    root = parse(hbar_chart(["Refunds", "Sales"], [-50_000, 80_000], title="H", fmt=rupiah))
    assert all(float(r.get("width")) > 0 for r in bars(root))
    root = parse(line_chart(["a", "b", "c"], [1000, -2000, 500], title="L", fmt=rupiah))
    assert root.find(f"{SVG}polyline") is not None
    root = parse(share_bar(["cash", "card"], [100_000, -5_000], title="Mix", fmt=rupiah))
    assert len(bars(root)) == 1 and "card: -Rp 5.000" in " ".join(texts(root))


def test_labels_are_escaped_and_long_ones_shortened():
    evil = '<script>alert("x")</script> & "quotes" \x00\x1f'
    long = "Es Kopi Susu Gula Aren Dengan Extra Shot Dan Oat Milk Ukuran Besar"
    svg = hbar_chart([evil, long], [2, 1], title=f"Top <b>{evil}</b>")
    assert "<script" not in svg and "<b>" not in svg and "\x00" not in svg
    root = parse(svg)  # the escaping keeps it well-formed
    shown = texts(root)
    assert any(t.startswith("Es Kopi Susu") and t.endswith("…") and len(t) <= 28 for t in shown)
    assert any(long in (e.text or "") for e in root.iter(f"{SVG}title"))  # whole in its title
    assert any('<script>alert("x")</script>' in t for t in shown)  # text, not markup


@pytest.mark.parametrize("draw", (bar_chart, line_chart))
def test_ten_thousand_points_stay_fast_and_small(draw):
    labels = [f"p{i}" for i in range(10_000)]
    values = [i % 97 * 1000 - 3000 for i in range(10_000)]
    start = time.perf_counter()
    svg = draw(labels, values, title="Many", compare=values[::-1], compare_label="Before")
    assert time.perf_counter() - start < 0.5
    root = parse(svg)
    assert len(svg) < 200_000
    if draw is bar_chart:
        shapes = [b for b in bars(root) if b.get("fill") != "#a9c1de"]
        assert len(shapes) <= MAX_BARS
        # Merged bars add up to the same total: each title ends with its sum.
        total = sum(int(b.find(f"{SVG}title").text.rsplit(": ", 1)[1]) for b in shapes)
        assert total == sum(values)
    else:
        points = root.findall(f"{SVG}polyline")[-1].get("points").split()
        assert len(points) <= MAX_POINTS


def test_comparison_is_drawn_lighter_with_a_legend():
    svg = bar_chart(["08:00", "09:00"], [10, 20], compare=[5, 30], title="Hours", compare_label="Last week")
    root = parse(svg)
    fills = {b.get("fill") for b in bars(root)}
    assert len(fills) == 2
    assert "Last week" in texts(root)


def test_a_report_table_picks_its_chart():
    columns = [Column("hour", "Hour"), Column("net", "Net sales", Kind.MONEY, compare=True)]
    rows = [{"hour": "08:00", "net": 50_000}, {"hour": "09:00", "net": 75_000}]
    table = ReportTable("Sales by hour", columns, rows, chart=ChartSpec("bars", "hour", "net"), compare_label="Prev")
    add_comparison(table.rows, [{"hour": "08:00", "net": 40_000}], columns, key=lambda r: r["hour"])
    root = parse(table_chart(table))
    titles = " ".join(e.text or "" for e in root.iter(f"{SVG}title"))
    assert "08:00: Rp 50.000" in titles and "08:00 (Prev): Rp 40.000" in titles and "09:00 (Prev): Rp 0" in titles
    table.chart = ChartSpec("hbars", "hour", "net", limit=1)
    assert len(bars(parse(table_chart(table)))) == 1
    table.chart = None
    assert table_chart(table) is None


def test_durations_and_counts_format_their_own_way():
    columns = [Column("station", "Station"), Column("avg", "Average", Kind.DURATION), Column("n", "N", Kind.INT)]
    table = ReportTable("Kitchen", columns, [{"station": "Grill", "avg": 754, "n": Decimal(3)}],
                        chart=ChartSpec("hbars", "station", "avg"))  # fmt: skip
    assert "12:34" in texts(parse(table_chart(table)))

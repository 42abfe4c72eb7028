"""Sales by hour as an inline SVG bar chart, drawn on the server: no script, no network, no style attributes
(the Content-Security-Policy refuses them; colours come from classes in static/css/dashboard.css)."""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pos_project.money import format_money

WIDTH_PER_HOUR = 40
BAR = 15
PLOT = 140  # bar area height; labels below it
HEIGHT = PLOT + 22


def hour_chart(bars: Sequence, currency: str) -> SafeString:
    """Two bars per hour (the same weekday last week, then today), scaled to the tallest; each bar's <title> says
    the hour and the amount, and the hour is written under every second pair (every pair when there are few)."""
    if not bars:
        return SafeString("")
    width = WIDTH_PER_HOUR * len(bars)
    every = 1 if len(bars) <= 12 else 2
    parts = []
    for i, bar in enumerate(bars):
        x = i * WIDTH_PER_HOUR + (WIDTH_PER_HOUR - 2 * BAR - 2) // 2
        for offset, value, percent, css, who in (
            (0, bar.before, bar.before_percent, "chart__bar chart__bar--before", _("same day last week")),
            (BAR + 2, bar.now, bar.now_percent, "chart__bar chart__bar--now", _("today")),
        ):
            height = max(round(PLOT * percent / 100), 1 if value else 0)
            label = f"{bar.hour:02d}:00 · {who}: {format_money(value, currency)}"
            parts.append(
                format_html(
                    '<rect class="{}{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
                    css,
                    " is-current" if bar.is_current and offset else "",
                    x + offset,
                    PLOT - height,
                    BAR,
                    height,
                    label,
                )
            )
        if i % every == 0:
            parts.append(
                format_html(
                    '<text class="chart__label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    i * WIDTH_PER_HOUR + WIDTH_PER_HOUR // 2,
                    HEIGHT - 4,
                    f"{bar.hour:02d}",
                )
            )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<line class="chart__axis" x1="0" y1="{}" x2="{}" y2="{}"></line>{}</svg>',
        width,
        HEIGHT,
        _("Sales by hour: today against the same weekday last week"),
        PLOT + 0.5,
        width,
        PLOT + 0.5,
        format_html_join("", "{}", ((part,) for part in parts)),
    )

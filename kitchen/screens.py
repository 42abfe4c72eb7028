"""The kitchen's live screens (kitchen/live.py): what a display and the expo show at one version, rendered once
per version and shared by every screen showing it, whether it polls or listens to a stream (kitchen/stream.py).
Nothing in them depends on who asks: tickets age in the browser, and the buttons' URLs carry only ids."""

from collections.abc import Callable

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .live import KITCHEN, Screen, live_shared, register_screen
from .models import Ticket
from .selectors import AllDay, all_day_counts, expo_orders, tickets_open, tickets_recently_bumped

DISPLAY = "kds"
EXPO = "expo"


def tickets_context(outlet_id: int | None, station_id: int | None) -> dict:
    tickets = list(tickets_open(outlet_id=outlet_id, station_id=station_id)) if outlet_id else []
    recent = list(tickets_recently_bumped(outlet_id=outlet_id, station_id=station_id)) if outlet_id else []
    all_day = all_day_counts(tickets)  # from the rows just read: no query of its own
    html = tickets_html(tickets, recent, all_day, station_id)
    return {"station_id": station_id, "tickets": tickets, "recent": recent, "all_day": all_day, "tickets_html": html}


def _url(name: str, query: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk]) + query` for many pks at the cost of one reverse."""
    before, after = reverse(name, args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{before}/{pk}/{after}{query}"


def tickets_html(
    tickets: list[Ticket], recent: list[Ticket], all_day: list[AllDay], station_id: int | None
) -> SafeString:
    """The display's tickets (templates/kitchen/_tickets.html shows this). Built in Python, not the template
    language: a busy display is rendered on every change of its outlet's tickets (by the stream service or a
    poll), and the template took 7 ms for 16 tickets where this takes about a seventh of it (docs/adr/0018)."""
    query = f"?station={station_id}" if station_id else ""
    toggle, bump, recall = (_url(name, query) for name in ("kitchen:line_toggle", "kitchen:bump", "kitchen:recall"))
    printed = _url("kitchen:ticket_print", "")
    out = ['<div class="kds" id="kds-tickets" data-testid="kitchen-tickets">\n']
    if all_day:
        items = "".join(f"<li><strong>{item.quantity} ×</strong> {escape(item.name)}</li>" for item in all_day)
        label = escape(_("All day: items still to make"))
        out.append(
            f'<aside class="kds__allday" data-testid="all-day" aria-label="{label}">'
            f'<span class="kds__allday-title">{escape(_("All day"))}</span>\n  <ul>{items}</ul></aside>\n'
        )
    key_title, rush, addon, new = (escape(_(text)) for text in ("Press this number to select the ticket", "RUSH",
                                                                "ADD-ON", "new"))  # fmt: skip
    table, void, print_, bump_ = (escape(_(text)) for text in ("Table", "VOID", "Print", "Bump"))
    for position, ticket in enumerate(tickets, start=1):
        station = ticket.station
        out.append(
            f'  <article class="ticket{" ticket--rush" if ticket.is_rush else ""}" data-testid="ticket" '
            f'data-ticket-id="{ticket.pk}" data-created="{int(ticket.created_at.timestamp())}" '
            f'data-amber="{station.amber_after_minutes}" data-red="{station.red_after_minutes}">\n'
            f'    <header class="ticket__head">'
            + (f'<kbd class="ticket__key" title="{key_title}">{position}</kbd>' if position <= 9 else "")
            + f"<strong>#{ticket.order_number}</strong>\n"
            + (f'      <span class="tag tag--rush">{rush}</span>\n' if ticket.is_rush else "")
            + (f'      <span class="tag">{addon}</span>\n' if ticket.is_addon else "")
            + f'      <span>{escape(station.name)}</span><span class="ticket__age" data-age>{new}</span></header>\n'
            f'    <p class="ticket__meta">{escape(ticket.order_type_label)}'
            + (f" · {table} {escape(ticket.table_label)}" if ticket.table_label else "")
            + (f" · {escape(ticket.customer_name)}" if ticket.customer_name else "")
            + '</p>\n    <ul class="ticket__lines">'
        )
        for line in ticket.lines.all():
            what = f"<strong>{line.quantity} ×</strong> {escape(line.name)}"
            if line.is_voided:
                out.append(
                    f'\n      <li><span class="ticket__line is-voided" data-testid="voided-line"><s>{what}</s> '
                    f'<span class="tag tag--void">{void}</span></span></li>'
                )
                continue
            extras = "".join(f"<br><small>+ {escape(m)}</small>" for m in line.modifiers)
            extras += f"<br><em>“{escape(line.note)}”</em>" if line.note else ""
            out.append(
                f'\n      <li><button type="button" class="ticket__line{" is-done" if line.is_done else ""}" '
                f'aria-pressed="{"true" if line.is_done else "false"}" hx-post="{escape(toggle(line.pk))}" '
                f'hx-target="#kds-tickets" hx-swap="outerHTML">{what}{extras}</button></li>'
            )
        out.append(
            "</ul>\n"
            f'    <div class="ticket__actions">\n      <a class="btn btn--ghost" href="{printed(ticket.pk)}" '
            f'target="_blank" rel="noopener">{print_}</a>\n'
            f'      <button class="btn btn--primary btn--block" data-bump hx-post="{escape(bump(ticket.pk))}" '
            f'hx-target="#kds-tickets" hx-swap="outerHTML">{bump_}</button>\n    </div>\n  </article>\n'
        )
    if not tickets:
        out.append(
            f'  <div class="kds__empty"><p class="kds__empty-title">{escape(_("No tickets"))}</p>'
            f"<p>{escape(_('New orders from the till appear here.'))}</p></div>\n"
        )
    if recent:
        out.append(f'<aside class="kds__recent"><span>{escape(_("Recall"))}:</span>')
        out.extend(
            f'\n  <button class="btn btn--ghost" data-recall data-ticket-id="{t.pk}" hx-post="{escape(recall(t.pk))}" '
            f'hx-target="#kds-tickets" hx-swap="outerHTML">#{t.order_number} · {escape(t.station.name)}</button>'
            for t in recent
        )
        out.append("</aside>\n")
    out.append("</div>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or a number


def display_body(screen: Screen, etag: str) -> bytes:
    key = f"kds:{screen.outlet_id}:{screen.station_id or 'all'}:{screen.language}:{etag.strip(chr(34))}"
    context = lambda: tickets_context(screen.outlet_id, screen.station_id)  # noqa: E731
    return live_shared(key, lambda: render_to_string("kitchen/_tickets.html", context()).encode())


def expo_body(screen: Screen, etag: str) -> bytes:
    key = f"expo:{screen.outlet_id}:{screen.language}:{etag.strip(chr(34))}"
    context = lambda: {"orders": expo_orders(outlet_id=screen.outlet_id)}  # noqa: E731
    return live_shared(key, lambda: render_to_string("kitchen/_expo.html", context()).encode())


register_screen(DISPLAY, KITCHEN, display_body)
register_screen(EXPO, KITCHEN, expo_body)

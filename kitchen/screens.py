"""The kitchen's live screens (kitchen/live.py): what a display and the expo show at one version, rendered once
per version and shared by every screen showing it, whether it polls or listens to a stream (kitchen/stream.py).
Nothing in them depends on who asks: tickets age in the browser, and the buttons' URLs carry only ids."""

from django.template.loader import render_to_string

from .live import KITCHEN, Screen, live_shared, register_screen
from .selectors import all_day_counts, expo_orders, tickets_open, tickets_recently_bumped

DISPLAY = "kds"
EXPO = "expo"


def tickets_context(outlet_id: int | None, station_id: int | None) -> dict:
    tickets = list(tickets_open(outlet_id=outlet_id, station_id=station_id)) if outlet_id else []
    recent = list(tickets_recently_bumped(outlet_id=outlet_id, station_id=station_id)) if outlet_id else []
    all_day = all_day_counts(tickets)  # from the rows just read: no query of its own
    return {"station_id": station_id, "tickets": tickets, "recent": recent, "all_day": all_day}


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

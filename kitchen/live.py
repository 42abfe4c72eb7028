"""Live updates for polling screens (the kitchen display, the expo, the till's ready strip): docs/adr/0011.

Each outlet has two versions in Redis: KITCHEN names "the outlet's tickets as they are now" (the displays and the
expo show it) and READY names "the outlet's orders ready to hand over" (the tills' ready strip). Every change a
screen shows goes through a service that moves the versions it touches (at once, and again when the change
commits). A screen polls with the ETag of its last answer, `"lv-<topic><outlet>-<version>"`; while that version
has not moved, `LivePollMiddleware` answers 304 before sessions, users or the database are touched. When it
moved, the view renders and answers the new ETag. A till's strip therefore does not refresh when a ticket is
merely made or a line ticked, and one outlet's kitchen never refreshes another outlet's screens. With Redis down
there is no version: the middleware steps aside and the views fall back to fingerprints read from the database.
"""

import re
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseNotModified

KITCHEN = "k"  # the tickets of an outlet: kitchen displays and the expo
READY = "r"  # the orders of an outlet ready to hand over: the tills' ready strip
SECONDS = 600  # a version nobody moved for 10 minutes is replaced: every screen refreshes once, cheaply
SHARED_SECONDS = 60  # an answer shared by the screens of one version (`live_shared`)
PREFIX = "lv-"
# The polling endpoints that may be answered early (their paths as the tenant URL conf has them) and the
# version each one shows.
POLL_PATHS = {"/kitchen/poll/": KITCHEN, "/kitchen/expo/poll/": KITCHEN, "/till/ready/": READY}
T = TypeVar("T")
_HELD = re.compile(r'^"lv-([kr])(\d{1,12})-([0-9a-f]{12})"$')


def _key(topic: str, outlet_id: int) -> str:
    return f"live:{topic}:{outlet_id}"


def live_version(topic: str, outlet_id: int) -> str | None:
    """The outlet's current version of `topic`, made on first use; None when Redis cannot be reached."""
    key = _key(topic, outlet_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex[:12], SECONDS)
        version = cache.get(key)
    return version


def live_etag(topic: str, outlet_id: int, version: str) -> str:
    return f'"{PREFIX}{topic}{outlet_id}-{version}"'


def live_shared(key: str, compute: Callable[[], T]) -> T:
    """What screens show at one version (`key` names the screen and the version), computed by the first screen
    that asks and shared by all the others for a minute: a change makes every screen of an outlet fetch at
    once. The version is read before `compute` runs and moves again when a change commits, so what is kept
    under a version is never older than it. The cache is per tenant; with Redis down each screen computes."""
    shared_key = f"live:shared:{key}"
    value = cache.get(shared_key)
    if value is None:
        value = compute()
        cache.set(shared_key, value, SHARED_SECONDS)
    return value


def live_changed(outlet_id: int, *topics: str) -> None:
    """Something the outlet's screens show changed (`topics`: KITCHEN, READY or both; both when none is named).
    The versions move now (a screen polling before the commit renders what it can see, under the new version)
    and again when the change commits (so no screen keeps a version whose content it read before the commit)."""
    keys = [_key(topic, outlet_id) for topic in topics or (KITCHEN, READY)]

    def move() -> None:
        cache.set_many({key: uuid.uuid4().hex[:12] for key in keys}, SECONDS)

    move()
    transaction.on_commit(move)


def live_changed_if(outlet_id: int, topic: str, condition: Callable[[], bool]) -> None:
    """Move `topic`'s version if `condition()` holds: now, as `live_changed` does, and again when the change
    commits, read afresh then, so of two changes committing side by side the later one always sees both (a bump
    of an order's last open ticket makes it ready whichever station taps first). A condition that cannot be read
    moves it anyway."""

    def move_if() -> None:
        try:
            changed = condition()
        except Exception:  # noqa: BLE001 - a screen refreshing once too often is the safe side
            changed = True
        if changed:
            cache.set(_key(topic, outlet_id), uuid.uuid4().hex[:12], SECONDS)

    move_if()
    transaction.on_commit(move_if)


class LivePollMiddleware:
    """Answer an unchanged poll with 304 before sessions, users or the database: a poll that finds nothing new
    should cost next to nothing. Placed right after the tenant middleware (the cache key is the tenant's). A
    304 tells only that an ETag the caller already holds (a random version it was given) is still current;
    everything else goes to the view, which checks who is asking."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        topic = POLL_PATHS.get(request.path_info)
        if topic is not None and request.method == "GET":
            held = _HELD.match(request.headers.get("If-None-Match", ""))
            if held is not None and held[1] == topic and cache.get(_key(topic, int(held[2]))) == held[3]:
                response = HttpResponseNotModified()
                response["ETag"] = held[0]
                response["Cache-Control"] = "no-cache"
                return response
        return self.get_response(request)

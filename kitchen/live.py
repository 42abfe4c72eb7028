"""Live updates for polling screens (the kitchen display, the expo, the till's ready strip): docs/adr/0011.

Each outlet has two versions in Redis: KITCHEN names "the outlet's tickets as they are now" (the displays and the
expo show it) and READY names "the outlet's orders ready to hand over" (the tills' ready strip). Every change a
screen shows goes through a service that moves the versions it touches (at once, and again when the change
commits). A screen polls with the ETag of its last answer, `"lv-<topic><outlet>-<version>"`; while that version
has not moved, `LivePollMiddleware` answers 304 before sessions, users or the database are touched. When it
moved, the view renders and answers the new ETag. A till's strip therefore does not refresh when a ticket is
merely made or a line ticked, and one outlet's kitchen never refreshes another outlet's screens. With Redis down
there is no version: the middleware steps aside and the views fall back to fingerprints read from the database.

Push (docs/adr/0018): where a live stream service runs (`kitchen/stream.py`, `LIVE_STREAM_PORT` or
`LIVE_STREAM_SAME_ORIGIN`), a version moved by a committed change is also published on Redis, and the service
sends each open screen its new state (the same body a poll would answer) instead of the screen asking every 1.5 s.
A screen names what it shows in a signed token (`live_stream_url`), given by its page and by every full poll
answer; polling stays the fallback whenever the stream is down.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponseNotModified
from django.utils.translation import get_language
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)

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
# Redis pub/sub channels, livepush:<cache prefix>:<schema>:<topic>:<outlet>, the new version as message. Channels
# span Redis's numbered databases: the cache's prefix keeps sites sharing one Redis (and test workers) apart.
PUSH_PREFIX = "livepush:" + settings.CACHES["default"].get("KEY_PREFIX", "")
STREAM_PATH = "/live/stream/"
STREAM_SECONDS = 600  # a stream ends this long after its token was signed; the screen polls once and reconnects
_STREAM_SALT = "kitchen.live.stream"


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

    def move() -> dict[str, str]:
        versions = {topic: uuid.uuid4().hex[:12] for topic in topics or (KITCHEN, READY)}
        cache.set_many({_key(topic, outlet_id): version for topic, version in versions.items()}, SECONDS)
        return versions

    move()
    transaction.on_commit(lambda: _publish(outlet_id, move()))


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
            version = uuid.uuid4().hex[:12]
            cache.set(_key(topic, outlet_id), version, SECONDS)
            return {topic: version}
        return {}

    move_if()
    transaction.on_commit(lambda: _publish(outlet_id, move_if()))


def live_push_on() -> bool:
    """Whether a live stream service runs beside this site (the screens then listen instead of polling)."""
    return bool(settings.LIVE_STREAM_PORT or settings.LIVE_STREAM_SAME_ORIGIN)


def _publish(outlet_id: int, versions: dict[str, str]) -> None:
    """Tell the stream service that a committed change moved these versions (by topic). Only
    committed changes are published: a state rendered on a message is never older than the change. Redis down
    costs the screens nothing but their push: they poll until it is back."""
    if not versions or not live_push_on():
        return
    try:
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for topic, version in versions.items():
            pipe.publish(channel(connection.schema_name, topic, outlet_id), version)
        pipe.execute()
    except Exception:  # noqa: BLE001 - a screen that misses a push catches up when it falls back to polling
        logger.warning("live push not published", exc_info=True)


@dataclass(frozen=True)
class Screen:
    """What one live screen shows: a kind of screen (`register_screen`) of one outlet in one schema, for one
    station (kitchen displays) or all, in one language. Everything a stream needs, so it needs no session."""

    kind: str
    schema: str
    outlet_id: int
    station_id: int | None = None
    language: str = ""

    @property
    def topic(self) -> str:
        return SCREENS[self.kind][0]

    @property
    def channel(self) -> str:
        return channel(self.schema, self.topic, self.outlet_id)


def channel(schema: str, topic: str, outlet_id: int) -> str:
    return f"{PUSH_PREFIX}:{schema}:{topic}:{outlet_id}"


# kind -> (topic, body): body(screen, etag) is the bytes a full poll of that screen answers at that ETag, shared
# per version (live_shared). The apps register their screens when they are ready (kitchen, sales).
SCREENS: dict[str, tuple[str, Callable[[Screen, str], bytes]]] = {}


def register_screen(kind: str, topic: str, body: Callable[[Screen, str], bytes]) -> None:
    SCREENS[kind] = (topic, body)


def screen_state(screen: Screen) -> tuple[str, bytes] | None:
    """The screen's ETag and body now (run in its schema and language); None when Redis cannot be reached,
    since a stream without versions could not tell a screen when to refresh."""
    version = live_version(screen.topic, screen.outlet_id)
    if version is None:
        return None
    etag = live_etag(screen.topic, screen.outlet_id, version)
    return etag, SCREENS[screen.kind][1](screen, etag)


def live_stream_url(request: HttpRequest, kind: str, outlet_id: int, station_id: int | None = None) -> str | None:
    """Where this screen listens for its states (None when no stream service runs): the stream path with a
    signed token naming the screen. The token is the screen's pass: it is only given to someone the page's
    or poll's own access checks let see it, and it lapses after STREAM_SECONDS."""
    if not live_push_on():
        return None
    screen = [kind, connection.schema_name, outlet_id, station_id, get_language() or "", int(time.time())]
    path = f"{STREAM_PATH}?t={signing.dumps(screen, salt=_STREAM_SALT)}"
    if settings.LIVE_STREAM_PORT:  # a service on its own port of the same host (make run, the load test)
        return f"{request.scheme}://{request.get_host().rsplit(':', 1)[0]}:{settings.LIVE_STREAM_PORT}{path}"
    return path  # the same origin: nginx sends STREAM_PATH to the service


def screen_from_token(token: str) -> tuple[Screen, float] | None:
    """The screen a stream token names and when its stream must end; None for a token that is forged, lapsed or
    names a screen this site does not have."""
    try:
        kind, schema, outlet_id, station_id, language, signed_at = signing.loads(
            token, salt=_STREAM_SALT, max_age=STREAM_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if kind not in SCREENS:
        return None
    return Screen(kind, schema, int(outlet_id), station_id, language), signed_at + STREAM_SECONDS


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

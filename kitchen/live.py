"""Live updates for polling screens (the kitchen display, the expo, the till's ready strip): docs/adr/0011.

One version per tenant in Redis names "the kitchen as it is now". Every change a polling screen shows goes
through kitchen's services, which move the version (at once and again when the change commits). A screen polls
with the ETag of its last answer, `"lv-<version>"`; while the version has not moved, `LivePollMiddleware`
answers 304 before sessions, users or the database are touched. When it moved, the view renders (once per
version and screen kind, shared through the tenant's cache) and answers the new ETag. With Redis down there is
no version: the middleware steps aside and the views fall back to fingerprints read from the database.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseNotModified

KEY = "live:kitchen"
SECONDS = 600  # a version nobody moved for 10 minutes is replaced: every screen refreshes once, cheaply
PREFIX = "lv-"
# The polling endpoints that may be answered early (their paths, as the tenant URL conf has them).
POLL_PATHS = frozenset({"/kitchen/poll/", "/kitchen/expo/poll/", "/till/ready/"})


def live_version() -> str | None:
    """The current version, made on first use; None when Redis cannot be reached."""
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, uuid.uuid4().hex[:12], SECONDS)
        version = cache.get(KEY)
    return version


def live_etag(version: str) -> str:
    return f'"{PREFIX}{version}"'


def live_changed() -> None:
    """Something a polling screen shows changed: move the version now (a screen polling before the commit
    renders what it can see, under the new version) and again when the change commits (so no screen keeps
    a version whose content it read before the commit)."""

    def move() -> None:
        cache.set(KEY, uuid.uuid4().hex[:12], SECONDS)

    move()
    transaction.on_commit(move)


class LivePollMiddleware:
    """Answer an unchanged poll with 304 before sessions, users or the database: a poll that finds nothing new
    should cost next to nothing. Placed right after the tenant middleware (the cache key is the tenant's). A
    304 tells only that an ETag the caller already holds is still current; everything else goes to the view,
    which checks who is asking."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path_info in POLL_PATHS:
            held = request.headers.get("If-None-Match", "")
            if held.startswith(f'"{PREFIX}'):
                version = cache.get(KEY)
                if version is not None and held == live_etag(version):
                    response = HttpResponseNotModified()
                    response["ETag"] = held
                    response["Cache-Control"] = "no-cache"
                    return response
        return self.get_response(request)

"""Signed-in sessions: what a session records about itself, and which sessions count as back office.

A session is indexed by one `UserSession` row (browser, address, signed in at, last seen), written at sign-in
(signals.py), re-keyed and deleted by the session engine (session_store.py). Everything the per-request check
(middleware.SessionActivityMiddleware) needs is in the session itself, which the request has loaded anyway:

- `_pos_sid`: the row's id; `_pos_kind`: back office, till or support; `_pos_seen`: when the row's `last_seen_at`
  was last written (seconds since the epoch).

So an ordinary request costs no query: the row is written only when `_pos_seen` is older than `touch_seconds`
(5 minutes on a till, 1 minute elsewhere, where it also measures idleness). The keys start with "_": they belong
to the person, and a till's lock or a PIN switch (devices.py) drops them with the person.

Which sessions are back office: every session except one signed in on a registered till (devices.py) by someone who
cannot open the back office (`backoffice.view`), and kitchen staff's (a display on the wall). Tills keep the idle
lock the owner sets (business settings, static/js/lock.js) and a session as long as a shift. Everything else (owners
anywhere, including on a till; supervisors and cashiers on a browser that is not a registered till; the platform's
Django admin; support access) ends after SESSION_IDLE_SECONDS (30 minutes) without a request, to within a minute:
the middleware signs it out at the next request, and the store itself forgets it soon after (its expiry is renewed
at each write of `_pos_seen`), so an abandoned one does not linger in Redis or the table.
"""

from django.conf import settings

from .access import can
from .models import UserSession

SID_KEY = "_pos_sid"
KIND_KEY = "_pos_kind"
SEEN_KEY = "_pos_seen"

BACKOFFICE, TILL, SUPPORT = UserSession.Kind.BACKOFFICE, UserSession.Kind.TILL, UserSession.Kind.SUPPORT
TILL_TOUCH_SECONDS = 300
BACKOFFICE_TOUCH_SECONDS = 60


def touch_seconds(kind: str) -> int:
    """How old `_pos_seen` may get before the row (and the session's expiry) is written again."""
    return TILL_TOUCH_SECONDS if kind == TILL else BACKOFFICE_TOUCH_SECONDS


def idle_limited(kind: str) -> bool:
    return kind != TILL


def idle_seconds() -> int:
    return settings.SESSION_IDLE_SECONDS


def store_expiry_seconds(kind: str) -> int | None:
    """The session store's own expiry for a kind (None: the site's SESSION_COOKIE_AGE): a back-office session
    left alone is gone from Redis and the table shortly after the middleware would have ended it."""
    return idle_seconds() + 2 * touch_seconds(kind) if idle_limited(kind) else None


def is_idle(kind: str, seen: int, now: int) -> bool:
    """`seen` is at most `touch_seconds` older than the last request, so allow that much on top."""
    return idle_limited(kind) and now - seen > idle_seconds() + touch_seconds(kind)


def needs_touch(kind: str, seen: int, now: int) -> bool:
    return now - seen >= touch_seconds(kind)


def session_kind(*, user, device: object | None, support: bool = False) -> str:
    """Classify a session as it is signed in (`device`: the registered till it is signed in on, if any)."""
    if support:
        return SUPPORT
    if can(user, "backoffice.view"):
        return BACKOFFICE
    # A registered till, or a kitchen screen: the display polls all day and its unchanged polls never reach the
    # session (kitchen/live.py), so a quiet hour must not look like someone walking away from a desk.
    if device is not None or (can(user, "kitchen.use") and not can(user, "till.use")):
        return TILL
    return BACKOFFICE

"""The per-request check of a signed-in session (accounts/sessions.py): idle back-office sessions end, ended
ones are signed out, `last_seen` is refreshed every few minutes. No query on an ordinary request."""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from . import sessions
from .devices import device_of
from .services import session_record, session_touch


class SessionActivityMiddleware:
    """After the message middleware, so an idle sign-out can say why on the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session = request.session
        seen = session.get(sessions.SEEN_KEY)
        if session.get(sessions.SID_KEY) is None or seen is None:
            # Signed in before sessions were indexed: adopt it once (one lookup and one write, then never again).
            user = request.user
            device = getattr(request, "pin_device", None) or device_of(request)
            session_record(request=request, user=user, kind=sessions.session_kind(user=user, device=device))
            return
        kind = session.get(sessions.KIND_KEY, sessions.BACKOFFICE)
        now = int(time.time())
        if sessions.is_idle(kind, seen, now):
            logout(request)
            minutes = sessions.idle_seconds() // 60
            messages.info(request, _("You were signed out after %(minutes)d minutes without activity.")
                          % {"minutes": minutes})  # fmt: skip
        elif sessions.needs_touch(kind, seen, now) and not session_touch(request=request):
            logout(request)  # the session was ended from another device or by the owner

"""The session engine: Django's `cached_db` (Redis first, this schema's table behind it), keeping the index of
signed-in sessions (`accounts.models.UserSession`) in step with the store.

Every way a session's key changes or a session goes passes through here: `cycle_key()` (sign-in as the same
person, a password change) re-keys the index row, `flush()` (sign-out, the till's lock, switching person)
deletes it. Nothing here runs on an ordinary request: loading a session is the parent's cache read.
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

from .models import UserSession
from .sessions import SID_KEY


class SessionStore(CachedDbStore):
    def cycle_key(self) -> None:
        old_key, indexed = self.session_key, self.get(SID_KEY) is not None  # an anonymous session has no row
        super().cycle_key()
        if old_key and indexed:
            UserSession.objects.filter(session_key=old_key).update(session_key=self.session_key)

    def flush(self) -> None:
        old_key, indexed = self.session_key, self.get(SID_KEY) is not None
        super().flush()
        if old_key and indexed:
            UserSession.objects.filter(session_key=old_key).delete()

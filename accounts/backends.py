"""Signing in, and finding the signed-in person on every request without asking PostgreSQL each time."""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connection

from pos_project.caching import cache_forget

from .access import is_platform_support

USER_CACHE_SECONDS = 300


def _key(user_id) -> str:
    return f"auth-user:{user_id}"


def user_cache_forget(user_id) -> None:
    """Now, and again when the change commits: a request reading the old row meanwhile may have cached it."""
    cache_forget(_key(user_id))


class CachedModelBackend(ModelBackend):
    """Django's model backend, with the signed-in user read from the tenant-prefixed cache (one query less on
    every request). Any save or delete of a user forgets the copy (accounts/apps.py), so a new password, role
    or deactivation counts at the next request; the session's password hash is still checked against the row
    as it was cached. Read inside a transaction (which may roll back) it goes to the database, and with Redis
    down simply to the database."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """A support stand-in (tenants/support.py) never signs in by password, whatever its row says."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return None if is_platform_support(user) else user

    def get_user(self, user_id):
        if connection.in_atomic_block:
            return super().get_user(user_id)
        user = cache.get(_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(_key(user_id), user, USER_CACHE_SECONDS)
        return user if user is not None and self.user_can_authenticate(user) else None

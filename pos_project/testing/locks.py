"""Waiting for a race to be set up, by asking PostgreSQL, never by sleeping and hoping."""

import time

from django.db import connection


def lock_waiters(query_contains: str = "") -> int:
    """How many other backends of this database are waiting on a lock (whose query mentions the text).

    PostgreSQL reads pg_stat_activity once per transaction and serves that snapshot until it ends, so a test
    polling from inside its own transaction (holding the lock the others wait for) would never see them arrive:
    the snapshot is dropped before each read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [f"%{query_contains}%"],
        )
        return cursor.fetchone()[0]


def wait_for_lock_waiters(count: int = 1, *, query_contains: str = "", timeout: float = 15.0) -> bool:
    """Poll until `count` backends wait on a lock (True), or give up after `timeout` seconds (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_waiters(query_contains) >= count:
            return True
        time.sleep(0.02)
    return False


def wait_until(condition, *, timeout: float = 15.0, interval: float = 0.02) -> bool:
    """Poll `condition()` until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False

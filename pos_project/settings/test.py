"""Tests: real PostgreSQL and Redis (the given URLs, else the embedded ones started by `make test`)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key")
os.environ.setdefault("DEBUG", "false")
os.environ["BASE_DOMAIN"] = "pos.test"  # tenants answer on <slug>.pos.test in tests

from .base import *  # noqa: E402,F403
from .base import CACHES, LOGGING  # noqa: E402

# xdist workers share one Redis: each gets its own key prefix so their entries never meet.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
CACHES["default"]["KEY_PREFIX"] = f"test-{_worker}"
CACHES["global"]["KEY_PREFIX"] = f"test-{_worker}-global"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["handlers"]["console"]["formatter"] = "plain"
LOGGING["root"]["level"] = "WARNING"
# Browser and view tests sign in often from 127.0.0.1; the sign-in limit tests set the production figures themselves.
LOGIN_FREE_FAILURES = LOGIN_FREE_FAILURES_PER_ADDRESS = PIN_FREE_FAILURES_PER_DEVICE = 1000
TWO_FACTOR_RATE_LIMIT = TWO_FACTOR_RATE_LIMIT_PER_IP = "1000/m"
QR_SIMULATOR_ENABLED = True
# Worker processes started by core/tests/test_outbox_worker.py also load that test's outbox subscribers.
if os.environ.get("OUTBOX_TEST_SUBSCRIBERS"):
    INSTALLED_APPS = [*INSTALLED_APPS, "core.tests.outbox_app"]  # noqa: F405
# Every commit kicks its own relay in tests, so a test never waits for another test's coalescing window.
OUTBOX_KICK_COALESCE_SECONDS = 0
# The commit's kick is what makes the worker tests' relay run; on a busy 2-core CI box (browser tests beside them)
# a publish to Redis took over production's 50 ms at times, the kick gave up and the test waited in vain. A refused
# connection (the broker-down test) still fails at once.
OUTBOX_KICK_TIMEOUT = 0.5

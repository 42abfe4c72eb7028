"""Local development: `make run` sets DATABASE_URL/REDIS_URL to the embedded servers when none are given.

The development server runs with DEBUG on and, unless given one, a secret key everyone knows (sessions and
signatures can be forged with it): it listens on loopback (`HOST`, default 127.0.0.1, see Procfile). Serving the
network (`HOST=0.0.0.0`) takes a secret key of your own; with the known one the settings refuse to load.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

KNOWN_DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"
os.environ.setdefault("SECRET_KEY", KNOWN_DEVELOPMENT_KEY)
os.environ.setdefault("DEBUG", "true")


def _loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LISTEN_HOST = os.environ.get("HOST") or "127.0.0.1"
if os.environ["SECRET_KEY"] == KNOWN_DEVELOPMENT_KEY and not _loopback(LISTEN_HOST):
    raise ImproperlyConfigured(
        f"HOST={LISTEN_HOST} serves the network with DEBUG on and the known development secret key: set "
        "SECRET_KEY to a key of your own (python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or leave HOST unset to listen on 127.0.0.1 only."
    )

from .base import *  # noqa: E402,F403
from .base import LOGGING  # noqa: E402

LOGGING["handlers"]["console"]["formatter"] = os.environ.get("LOG_FORMAT", "plain")
SITE_PORT = os.environ.get("SITE_PORT", os.environ.get("PORT", "8000"))

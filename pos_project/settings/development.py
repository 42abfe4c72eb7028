"""Local development: `make run` sets DATABASE_URL/REDIS_URL to the embedded servers when none are given."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-change-me")
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import LOGGING  # noqa: E402

LOGGING["handlers"]["console"]["formatter"] = os.environ.get("LOG_FORMAT", "plain")
SITE_PORT = os.environ.get("SITE_PORT", os.environ.get("PORT", "8000"))

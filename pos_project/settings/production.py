"""Production: DEBUG off, secrets required, secure cookies; HSTS and the HTTPS redirect when behind TLS."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", False)
# The QR payment simulator marks payments paid with no money moving: never on a server taking real payments. A
# public demo on the production shape says so with DEMO=true.
QR_SIMULATOR_ENABLED = env_bool("QR_SIMULATOR_ENABLED", False)
if QR_SIMULATOR_ENABLED and not env_bool("DEMO", False):
    raise ImproperlyConfigured(
        "QR_SIMULATOR_ENABLED is for development and demos only: unset it, or set DEMO=true on a demo server."
    )
SITE_SCHEME = env("SITE_SCHEME", "https")

# Behind TLS (nginx or a load balancer terminating it) unless explicitly told otherwise.
BEHIND_TLS = env_bool("BEHIND_TLS", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
# Behind nginx every request comes from nginx: rate limits key on the client address nginx passes on.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", "HTTP_X_REAL_IP")
if BEHIND_TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes come over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    # Preloading HSTS is hard to undo and binds every subdomain (every tenant): an operator's decision.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

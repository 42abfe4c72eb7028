"""Settings shared by every environment; everything that differs comes from environment variables.

The per-environment modules (development, production, test) only flip a few defaults. A variable that is
required and missing stops the process at start-up with a message naming it.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"Environment variable {name} is required (see .env.example).")
        return default if default is not None else ""
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be true or false, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", required=True)

# The platform (signup, super admin) answers on BASE_DOMAIN; each tenant on <slug>.BASE_DOMAIN.
BASE_DOMAIN = env("BASE_DOMAIN", "localhost").lower()
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env_list("ALLOWED_HOSTS")]
# Scheme used when the app prints links to itself (provisioning output, e-mails).
SITE_SCHEME = env("SITE_SCHEME", "http")
SITE_PORT = env("SITE_PORT", "")

# --- Applications ---------------------------------------------------------------------------------------------
# The public schema holds the platform; each tenant schema holds one business. Apps in both lists get tables
# in both places (auth users in public are platform super admins; in a tenant they are that tenant's staff).
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "billing",
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The platform admin requires a second factor (accounts/admin_site.py: an OTP-checking site).
    "accounts.admin_apps.PlatformAdminConfig",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "django_prometheus",
    "django_htmx",
    "template_partials",
    "statici18n",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "demo",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts",
    # Two-factor devices live beside the users they belong to: platform super admins in public, staff per tenant.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "business",
    "catalog",
    "inventory",
    "sales",
    "kitchen",
    "timeclock",
    "gdpr",
    "reports",
    "integrations",
    "mailer",
    "backoffice",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are cloned from this schema instead of replaying every migration (see docs/adr/0001).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Set search_path once per connection and tenant switch, not before every query.
TENANT_LIMIT_SET_CALLS = True
# A host's tenant is looked up once per process every this many seconds (tenants/middleware.py); a deactivated
# business is refused by every process within this time.
TENANT_CACHE_SECONDS = int(env("TENANT_CACHE_SECONDS", "30"))
ROOT_URLCONF = "pos_project.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "pos_project.urls_public"

MIDDLEWARE = [
    # Probes answer for any Host header (a load balancer asks by IP), before tenant routing.
    "pos_project.health.HealthCheckMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before tenant routing, so the "no such business" and "inactive" pages carry the policies too.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.TenantMiddleware",
    # An unchanged poll of a kitchen display or the till's ready strip is answered here (kitchen/live.py).
    "kitchen.live.LivePollMiddleware",
    "pos_project.logging.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second step (the device read from the cache, not SQL).
    "accounts.middleware.CachedOTPMiddleware",
    "accounts.middleware.TenantSessionGuardMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # Who must have a second factor and has none is sent to enrol it; nothing else opens until then.
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle back-office sessions end here; `last_seen` is refreshed every few minutes (accounts/sessions.py).
    "accounts.activity.SessionActivityMiddleware",
    # A platform admin's support session lasts only as long as its grant (tenants/support.py).
    "tenants.middleware.SupportAccessMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Bad input answers 400 with a message, never 500 (pos_project/parsing.py).
    "pos_project.error_pages.ServiceErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.access",
                "business.context_processors.money",
            ],
            "builtins": ["pos_project.templatetags.money"],
        },
    },
]

WSGI_APPLICATION = "pos_project.wsgi.application"

# --- Database ---------------------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", required=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Tenant routing on top of the Prometheus-instrumented backend (STACK-NOTES: the chain, not either alone).
ORIGINAL_BACKEND = "django_prometheus.db.backends.postgresql"
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = int(env("DB_CONNECT_TIMEOUT", "5"))
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions fallback, rate limits, Celery broker -------------------------------------------------
REDIS_URL = env("REDIS_URL", required=True)
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Keys carry the tenant's schema name so tenants never read each other's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "pos"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            # The till keeps selling when Redis is down: a cache miss is slower, never an error page.
            "IGNORE_EXCEPTIONS": True,
        },
    },
}
# Counters that must span every business (failed sign-ins per address: accounts/throttle.py). No tenant key
# function here (STACK-NOTES): what is per tenant in these keys is put there by hand.
CACHES["global"] = {
    **{k: v for k, v in CACHES["default"].items() if k not in ("KEY_FUNCTION", "REVERSE_KEY_FUNCTION")},
    "KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + "-global",
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Live screens (kitchen displays, the expo, the tills' ready strip) listen to a stream service (kitchen/stream.py,
# docs/adr/0018) where one runs: on its own port of the same host (make run, the load test), or on this origin's
# /live/stream/ behind nginx (compose). Neither: the screens poll (docs/adr/0011).
LIVE_STREAM_PORT = env("LIVE_STREAM_PORT", "")
LIVE_STREAM_SAME_ORIGIN = env_bool("LIVE_STREAM_SAME_ORIGIN", False)
DJANGO_REDIS_LOGGER = "pos.cache"

# Sessions live in each tenant's own schema (a session made on tenant A does not exist on tenant B), read through
# the tenant-prefixed cache: a signed-in request reads Redis, not PostgreSQL. With Redis down they are read from
# the database, so the till keeps selling.
# The engine is `cached_db` keeping the index of signed-in sessions (accounts.UserSession) in step: see
# accounts/session_store.py and accounts/sessions.py.
SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 60 * 60)))  # one long shift
# A back-office session (anything but a till: accounts/sessions.py) ends after this long without a request.
SESSION_IDLE_SECONDS = int(env("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Celery -----------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
# pos_project is not an app, and the webhooks' tasks live in a package: autodiscovery misses both.
CELERY_IMPORTS = ("pos_project.tasks", "integrations.webhooks.tasks")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat records each run (last_run_at, what the super admin sees) right after sending it, not up to 3 minutes later
# (Celery's default batches the writes): a restart then never sends a daily job twice. A write every few seconds.
CELERY_BEAT_SYNC_EVERY = 1
# Beat's schedule lives in the public schema (django_celery_beat is a shared app). Each entry is a public task
# that fans out one tenant-scoped task per tenant; see pos_project/tasks.py.
# How often beat sends the mail outbox (mailer/services.py); tests with a real beat make it a second.
MAILER_SEND_EVERY_SECONDS = float(env("MAILER_SEND_EVERY_SECONDS", "60"))
# How often beat sends due webhook deliveries (integrations/webhooks/services.py); tests with a real beat make it 1.
WEBHOOKS_SEND_EVERY_SECONDS = float(env("WEBHOOKS_SEND_EVERY_SECONDS", "10"))
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=3, minute=30),
        "args": ("accounts.tasks.clear_expired_sessions",),
    },
    "purge-idempotency-keys-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=3, minute=45),
        "args": ("core.tasks.purge_idempotency_keys",),
    },
    # The outbox's safety net: a kick lost to a broker outage is relayed within a minute (core/outbox.py).
    "relay-outbox-every-minute": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": 60.0,
        "args": ("core.tasks.relay_outbox",),
        "kwargs": {"expires": 55},
        "options": {"expires": 55},
    },
    # Staff apps' tokens expired a day ago (integrations/services.py tokens_purge).
    "purge-staff-tokens-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=3, minute=40),
        "args": ("integrations.tasks.purge_staff_tokens",),
    },
    "purge-outbox-events-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=3, minute=50),
        "args": ("core.tasks.purge_outbox_events",),
    },
    # Kitchen and stock roll-ups of yesterday and today, rebuilt from tickets and movements (reports/rollups.py).
    "refresh-report-rollups": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": 300.0,
        "args": ("reports.tasks.rollups_refresh",),
        "kwargs": {"expires": 290},
        "options": {"expires": 290},
    },
    # The mail outbox (mailer/services.py): due messages go out every minute; expired if workers are down.
    "send-mail-every-minute": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": MAILER_SEND_EVERY_SECONDS,
        "args": ("mailer.tasks.mail_send_due",),
        "kwargs": {"expires": max(MAILER_SEND_EVERY_SECONDS - 5, 1)},
        "options": {"expires": max(MAILER_SEND_EVERY_SECONDS - 5, 1)},
    },
    # Webhook deliveries due (first attempts and retries), every 10 s; expired if workers are down.
    "send-webhooks-every-10-seconds": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": WEBHOOKS_SEND_EVERY_SECONDS,
        "args": ("integrations.webhooks.tasks.webhook_send_due",),
        # only businesses with an endpoint on (Tenant.webhooks_on)
        "kwargs": {"expires": max(WEBHOOKS_SEND_EVERY_SECONDS - 1, 1), "flag": "webhooks_on"},
        "options": {"expires": max(WEBHOOKS_SEND_EVERY_SECONDS - 1, 1)},
    },
    # The owners' daily and weekly summary e-mails, queued once each business's morning has come (reports/emails.py).
    "report-summaries-hourly": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(minute=5),
        "args": ("reports.tasks.summaries_send",),
        "kwargs": {"expires": 3000},
        "options": {"expires": 3000},
    },
    "purge-mail-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=3, minute=55),
        "args": ("mailer.tasks.mail_purge",),
    },
    "purge-webhook-deliveries-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=4, minute=10),
        "args": ("integrations.webhooks.tasks.webhook_purge",),
    },
    "low-stock-digest-daily": {
        "task": "pos_project.tasks.run_for_each_tenant",
        "schedule": crontab(hour=6, minute=0),
        "args": ("inventory.tasks.send_low_stock_digest",),
    },
}

# Idempotency keys are kept this long (at least 24 h) before the daily purge forgets them (core/idempotency.py).
IDEMPOTENCY_KEY_TTL_HOURS = int(env("IDEMPOTENCY_KEY_TTL_HOURS", "48"))
# Done outbox events are kept this long (days, at least 1) before the daily purge deletes them (core/outbox.py).
OUTBOX_RETENTION_DAYS = int(env("OUTBOX_RETENTION_DAYS", "30"))
# Seconds a relay kick may wait for the broker (connect, then each send) before giving up to beat's next relay.
OUTBOX_KICK_TIMEOUT = float(env("OUTBOX_KICK_TIMEOUT", "0.05"))
# Commits of one tenant within this many seconds share one relay (core/outbox.py _kick_coalesce_seconds).
OUTBOX_KICK_COALESCE_SECONDS = int(env("OUTBOX_KICK_COALESCE_SECONDS", "1"))

# --- Auth -------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idOwaspHasher",  # Argon2id at OWASP's minimum: see accounts/hashers.py
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # None of the last five (chosen, reset or one-time): accounts/passwords.py.
    {"NAME": "accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]
# Failed sign-ins slow down progressively (accounts/throttle.py): after this many failures in a row for a username
# (in one business), each further try waits 1 s, 2 s, 4 s … up to LOGIN_DELAY_MAX_SECONDS; the same from one
# client address across every business, with a larger allowance (a café's tills and guests share one address).
# A registered till, or a browser where the person signed in before, is counted on its own instead, so strangers'
# failures never refuse a correct password there. Failures are forgotten after LOGIN_FAILURE_MEMORY_SECONDS
# without a try.
LOGIN_FREE_FAILURES = int(env("LOGIN_FREE_FAILURES", "5"))
LOGIN_FREE_FAILURES_PER_ADDRESS = int(env("LOGIN_FREE_FAILURES_PER_ADDRESS", "30"))
LOGIN_DELAY_MAX_SECONDS = int(env("LOGIN_DELAY_MAX_SECONDS", "900"))
LOGIN_FAILURE_MEMORY_SECONDS = int(env("LOGIN_FAILURE_MEMORY_SECONDS", "3600"))
# Wrong PINs on one registered till (any person) before its lock screen slows down likewise. Each person's PIN
# also locks after five wrong tries (accounts.services.pin_check).
PIN_FREE_FAILURES_PER_DEVICE = int(env("PIN_FREE_FAILURES_PER_DEVICE", "10"))
RATELIMIT_VIEW = "accounts.views.rate_limited"
# Receipts e-mailed from the tills (to any address typed there): per person and per business.
RECEIPT_EMAIL_RATE_PER_USER = env("RECEIPT_EMAIL_RATE_PER_USER", "20/h")
RECEIPT_EMAIL_RATE_PER_TENANT = env("RECEIPT_EMAIL_RATE_PER_TENANT", "200/h")
# The second step of signing in (a TOTP or a backup code), per pending sign-in and per address. django-otp's own
# throttle also makes each device wait 1, 2, 4... seconds after each wrong code.
TWO_FACTOR_RATE_LIMIT = env("TWO_FACTOR_RATE_LIMIT", "5/m")
TWO_FACTOR_RATE_LIMIT_PER_IP = env("TWO_FACTOR_RATE_LIMIT_PER_IP", "30/m")
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "POS")
# Rate limits fail open when Redis is down rather than locking every cashier out.
RATELIMIT_FAIL_OPEN = True

# --- I18n -------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Indonesian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The scripts' strings (gettext() in static/js) compiled to static catalogues by django-statici18n
# (`make messages` runs compilejsi18n; the files under static/jsi18n/ are committed): no catalogue request per page.
STATICI18N_ROOT = BASE_DIR / "static"
TIME_ZONE = env("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Serve straight from the app's static folders too, so runserver/gunicorn need no collectstatic in dev and tests.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded files are stored under a per-tenant folder (django-tenants' storage adds the schema to the path).
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

# --- Security ---------------------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline code,
# no event-handler attributes, no eval, no `style=` attributes (a script sets a computed style through the CSSOM,
# which the policy allows). A page that truly needs an inline <script> gives it nonce="{{ request.csp_nonce }}";
# the nonce is new on every response. Nothing frames our pages (receipts print in their own tab), hence
# frame-ancestors 'none' beside X-Frame-Options DENY for older browsers. htmx runs with its indicator styles in
# app.css and eval off (base.html's htmx-config). Tests: pos_project/tests/test_csp.py and test_csp_browser.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # A stream service on its own port is another origin (any host of ours, that port)
        "connect-src": [SELF, *([f"{s}://*:{LIVE_STREAM_PORT}" for s in ("http", "https") if LIVE_STREAM_PORT])],
        "media-src": [SELF],
        "object-src": [NONE],
        "frame-src": [NONE],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page of ours uses are switched off for our pages and anything they might embed. The
# barcode scanners are keyboard wedges (no camera); the kitchen's chime is Web Audio (autoplay for ourselves);
# receipts and reports print (no permission needed); fullscreen is for a kitchen screen.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": ["self"],
    "bluetooth": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default for forms
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Operations -------------------------------------------------------------------------------------------------
# /metrics answers only to requests carrying this bearer token (or from loopback when it is empty).
METRICS_TOKEN = env("METRICS_TOKEN", "")
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOG_FORMAT = env("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "pos_project.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s %(user)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(tenant)s %(user)s %(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
        # fpdf2 subsets the PDF font with fontTools, which logs every table it prunes.
        "fontTools": {"level": "WARNING"},
    },
}

# --- The JSON API (/api/v1/, docs/api.md; the shared pieces in core/api.py) -----------------------------------------
# Everything under this path is the API: the page middlewares that redirect (password change, second factor) and
# keep sessions leave it alone; it is authenticated by bearer credentials only, never a session (so no CSRF).
API_PATH_PREFIX = "/api/"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.api.ApiAutoSchema",
    # Defined in integrations, named here: core (and every app's api.py) never imports integrations.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.ApiKeyAuthentication",
        "integrations.authentication.StaffTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api_rules.ApiPermission"],
    "DEFAULT_PAGINATION_CLASS": "core.api_rules.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["core.api_rules.UpdatedSinceFilter", "core.api_rules.ApiOrderingFilter"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api_rules.ApiThrottle"],
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "ORDERING_PARAM": "ordering",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
# Per API key (or per person, for staff tokens), counted in Redis (core/api_rules.py ApiThrottle): a burst limit
# and a daily quota (UTC days), shown to the owner on the key's page. Over either: 429 with Retry-After.
API_RATE_PER_MINUTE = int(env("API_RATE_PER_MINUTE", "300"))
API_DAILY_QUOTA = int(env("API_DAILY_QUOTA", "50000"))
# A version being retired (docs/api.md): its responses carry Deprecation and Sunset headers, e.g.
# {"v1": {"deprecated_at": datetime(2027, 6, 1, tzinfo=UTC), "sunset_at": ..., "successor": "/api/v2/"}}.
API_DEPRECATIONS: dict = {}
# Staff apps' tokens (POST /api/v1/auth/token, docs/adr/0017): a short access token, a refresh token used once.
API_ACCESS_TOKEN_SECONDS = int(env("API_ACCESS_TOKEN_SECONDS", str(15 * 60)))
API_REFRESH_TOKEN_DAYS = int(env("API_REFRESH_TOKEN_DAYS", "7"))
SPECTACULAR_SETTINGS = {
    "TITLE": "POS API",
    "DESCRIPTION": (
        "The JSON API of one business, on its own host (`https://<business>.<domain>/api/v1/`); the servers listed "
        "are relative to the host you call. Authenticate with `Authorization: Bearer pos_live_...` (an API key made "
        "in the back office) or a staff access token. Every write needs an `Idempotency-Key` header. Errors are "
        '`{"error": {"code", "message", "fields"}}`. See docs/api.md for scopes, paging, sync, limits and the '
        "versioning policy."
    ),
    "VERSION": "1.0.0",
    "SERVERS": [{"url": "/", "description": "This business's host"}],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "status" or a "kind" of their own: each enum named after its model.
    "ENUM_NAME_OVERRIDES": {
        "StockItemKindEnum": "inventory.models.StockItem.Kind",
        "StockMovementKindEnum": "inventory.models.StockMovement.Kind",
        "StockAdjustmentStatusEnum": "inventory.api.adjustments.STATUS_CHOICES",
        "TransferStatusEnum": "inventory.models.Transfer.Status",
        "PurchaseOrderStatusEnum": "inventory.models.PurchaseOrder.Status",
        "KitchenTicketStatusEnum": "kitchen.models.Ticket.Status",
        "OrderStatusEnum": "sales.models.Order.Status",
        "PaymentStatusEnum": "sales.models.Payment.Status",
        "ShiftStatusEnum": "sales.models.Shift.Status",
        "PaymentTenderEnum": "sales.models.Payment.Tender",
        "ApiTenderEnum": [("cash", "Cash"), ("card", "Card")],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key (pos_live_<prefix>_<secret>) or a staff access token.",
            }
        }
    },
    "SECURITY": [{"bearer": []}],
    "AUTHENTICATION_WHITELIST": [],
}

# The built-in QR payment simulator (sales/providers) marks charges paid without any money moving: a business may
# choose it only where this is on (development and demos; `make run`'s demo has DEBUG on). Each business signs
# its callbacks with its own secret, made for it (never SECRET_KEY). Production refuses it unless DEMO is set.
QR_SIMULATOR_ENABLED = env_bool("QR_SIMULATOR_ENABLED", DEBUG)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "POS <no-reply@localhost>")
# The SMTP server (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend). A slow server holds one message's
# sending for at most EMAIL_TIMEOUT seconds; the message stays claimed meanwhile, no transaction open.
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
# The mail outbox (mailer/services.py): beat sends due messages every MAILER_SEND_EVERY_SECONDS; a failed attempt
# is tried again after 1, 2, 4... minutes (at most MAILER_BACKOFF_MAX_SECONDS apart), MAILER_MAX_ATTEMPTS times in
# all (12: about six hours of an unreachable server), then the message is marked failed for the owner to send
# again. A message claimed longer than the lease was left by a dead worker and goes back to the queue.
MAILER_MAX_ATTEMPTS = int(env("MAILER_MAX_ATTEMPTS", "12"))
MAILER_BACKOFF_FIRST_SECONDS = int(env("MAILER_BACKOFF_FIRST_SECONDS", "60"))
MAILER_BACKOFF_MAX_SECONDS = int(env("MAILER_BACKOFF_MAX_SECONDS", "3600"))
MAILER_SENDING_LEASE_SECONDS = int(env("MAILER_SENDING_LEASE_SECONDS", "600"))
# Sent and failed messages (and their attachments) are kept this long for the e-mail log, then purged daily.
MAILER_RETENTION_DAYS = int(env("MAILER_RETENTION_DAYS", "90"))

# Outgoing webhooks (integrations/webhooks/, docs/webhooks.md). Each attempt: WEBHOOKS_CONNECT_TIMEOUT seconds to
# connect, WEBHOOKS_TOTAL_TIMEOUT for the whole exchange, at most WEBHOOKS_RESPONSE_MAX_BYTES of the answer kept.
WEBHOOKS_CONNECT_TIMEOUT = float(env("WEBHOOKS_CONNECT_TIMEOUT", "3"))
WEBHOOKS_TOTAL_TIMEOUT = float(env("WEBHOOKS_TOTAL_TIMEOUT", "10"))
WEBHOOKS_RESPONSE_MAX_BYTES = int(env("WEBHOOKS_RESPONSE_MAX_BYTES", "2048"))
# A failed attempt is tried again after about 10, 20, 40 s... (doubling, with jitter, at most an hour apart) until
# WEBHOOKS_RETRY_HOURS after the event; an endpoint failing for WEBHOOKS_DISABLE_AFTER_HOURS is turned off.
WEBHOOKS_BACKOFF_FIRST_SECONDS = float(env("WEBHOOKS_BACKOFF_FIRST_SECONDS", "10"))
WEBHOOKS_BACKOFF_MAX_SECONDS = float(env("WEBHOOKS_BACKOFF_MAX_SECONDS", "3600"))
WEBHOOKS_RETRY_HOURS = float(env("WEBHOOKS_RETRY_HOURS", "72"))
WEBHOOKS_DISABLE_AFTER_HOURS = float(env("WEBHOOKS_DISABLE_AFTER_HOURS", "24"))
# After a secret rotation the old secret still signs (a second v1=) for this long.
WEBHOOKS_SECRET_OVERLAP_HOURS = float(env("WEBHOOKS_SECRET_OVERLAP_HOURS", "24"))
# A delivery claimed by a worker that died is sent again after this long.
WEBHOOKS_SENDING_LEASE_SECONDS = int(env("WEBHOOKS_SENDING_LEASE_SECONDS", "60"))
# Delivered and failed deliveries stay in the owner's log this long (days) before the daily purge.
WEBHOOKS_RETENTION_DAYS = int(env("WEBHOOKS_RETENTION_DAYS", "30"))
# SSRF: deliveries reach public addresses only. An operator may allow some networks (CIDRs, comma-separated), or
# every private network for a closed installation; both off by default.
WEBHOOKS_ALLOWED_NETWORKS = env_list("WEBHOOKS_ALLOWED_NETWORKS")
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)

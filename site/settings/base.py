"""Settings shared by every environment.

Everything that differs between a laptop and a deployment comes from the
environment. With nothing set, PeerLearn runs on the *embedded default*:
SQLite, the in-memory channel layer, the local-memory cache and Celery in
eager mode. ``DATABASE_URL`` and ``REDIS_URL`` switch to the real stack.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent  # site/
BASE_DIR = PROJECT_DIR.parent  # the checkout
THEMES_DIR = BASE_DIR / "themes"

PEERLEARN_VERSION = "0.1.0"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "")
# Rotation: the previous keys, comma-separated, still verify signatures and decrypt plugin secrets.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# Plugin secrets are encrypted with this key when set (else with SECRET_KEY); see core/plugins/encryption.py.
PEERLEARN_SECRETS_KEY = env("PEERLEARN_SECRETS_KEY", "")
PEERLEARN_SECRETS_KEY_FALLBACKS = env_list("PEERLEARN_SECRETS_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # daphne first: `runserver` then serves HTTP *and* WebSockets over ASGI.
    "daphne",
    "core.accounts",
    "core.taxonomy",
    "core.plugins",
    "core.themes",
    "core.pages",
    "core.notifications",
    "core.messaging",
    "core.dashboards",
    "core.catalogue",
    "core.scheduling",
    "core.calendars",
    "core.intake",
    "core.rooms",
    "core.recordings",
    "core.payments",
    "core.subscriptions",
    "core.sponsorship",
    "core.pricing",
    "core.packages",
    "core.recommendations",
    "core.analytics",
    "core.demo",
    "core.api",
    "core.security",
    # Built-in plugins that keep data of their own are Django apps too (their entry point loads the hooks).
    "plugins.payments.giftcard",
    "wagtail.locales",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer before host checks, HTTPS redirects and sessions.
    "core.health.middleware.HealthCheckMiddleware",
    # Work the answer does not wait for runs once the answer is sent (core/ops/after_response.py).
    "core.ops.after_response.AfterResponseMiddleware",
    # Times everything after the probes; not loaded unless METRICS_ENABLED (see Metrics below).
    "core.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Visitors' pages from the cache: after the CSP nonce is chosen, before sessions, CSRF and auth.
    "core.pages.cache.AnonymousPageCacheMiddleware",
    # Past the cache: at most WEB_CONCURRENT_REQUESTS requests per process hold a database connection at once.
    "core.ops.limiter.ConcurrencyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the django_language cookie (the header's switcher sets it), else Accept-Language.
    # The page cache above keys its pages by the same choice (translation.get_language_from_request).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in person kept in the cache between their saves (no query per request).
    "core.accounts.session_person.KeptPersonAuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: a signed-in person's own language (profile) overrides the cookie and Accept-Language.
    "core.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.accounts.middleware.UserTimezoneMiddleware",
    "core.scheduling.middleware.ExpireLapsedHoldsMiddleware",
    "core.themes.middleware.ActiveThemeMiddleware",
    "core.api.middleware.InputGuardMiddleware",
    "core.sponsorship.middleware.SponsoredNoCacheMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "peerlearn.urls"
WSGI_APPLICATION = "peerlearn.wsgi.application"
ASGI_APPLICATION = "peerlearn.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "OPTIONS": {
            # The theme loader serves the active theme's templates first, then
            # the default theme's, then the apps' own.
            "loaders": [
                "core.themes.loaders.ThemeLoader",
                "django.template.loaders.app_directories.Loader",
            ],
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "core.themes.context_processors.theme",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
# PostgreSQL connections one process may hold, whatever its concurrency: a psycopg 3
# pool (Django's own, CONN_MAX_AGE=0 hands connections back after each request).
# Without it an ASGI process kept one connection per worker thread and ran
# PostgreSQL out of connections under load (see README, "Database connections").
DATABASE_POOL_MIN_SIZE = int(env("DATABASE_POOL_MIN_SIZE", "1"))
DATABASE_POOL_MAX_SIZE = int(env("DATABASE_POOL_MAX_SIZE", "8"))
# Seconds a request waits for a free connection before it fails (503).
DATABASE_POOL_TIMEOUT = float(env("DATABASE_POOL_TIMEOUT", "10"))
# Requests of one process that hold a database connection at once (core/ops/limiter.py: a request waits
# for its turn before its first query, up to WEB_QUEUE_TIMEOUT seconds, then gets 503; one answered from
# the cache never waits). Below the pool's size, so sockets and analytics writes find a connection.
# 0: no limit (the default without a pool: SQLite).
WEB_CONCURRENT_REQUESTS = int(
    env("WEB_CONCURRENT_REQUESTS", str(max(1, DATABASE_POOL_MAX_SIZE - 2)) if DATABASE_URL else "0")
)
WEB_QUEUE_TIMEOUT = float(env("WEB_QUEUE_TIMEOUT", "10"))
# How long a busy thread of a server process keeps the interpreter before a thread whose query answered
# gets it (sys.setswitchinterval, in milliseconds; 0 keeps Python's 5). See peerlearn/asgi_http.py.
WEB_SWITCH_INTERVAL_MS = float(env("WEB_SWITCH_INTERVAL_MS", "1"))
# Requests of one server process that run their middleware and view at once; the others wait on the
# event loop, visitors' pages first, and a request stops counting after 2 s (peerlearn/running.py).
# 0: no limit.
WEB_RUNNING_REQUESTS = int(env("WEB_RUNNING_REQUESTS", "4"))
# A server process loads the plugins and compiles the templates before its first request (peerlearn/warmup.py).
WEB_WARM_UP = env_bool("WEB_WARM_UP", True)
# Seconds each /readyz check may take before it counts as failed.
HEALTH_CHECK_TIMEOUT = float(env("HEALTH_CHECK_TIMEOUT", "2"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE > 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(DATABASE_POOL_MIN_SIZE, DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
        }
        # Django's backend, with a request's turn (WEB_CONCURRENT_REQUESTS) taken before it borrows a connection.
        DATABASES["default"]["ENGINE"] = "core.ops.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Wait for a writer instead of failing at once: bookings race.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery ------------------------------------
REDIS_URL = env("REDIS_URL")


def default_instance(database: dict) -> str:
    """A name for this site derived from its database, so two sites on one Redis never meet.

    The Redis database number does not separate pub/sub channels (they are
    server-wide), so every Redis name this site uses carries this prefix.
    """
    import hashlib
    import re

    where = f"{database.get('HOST') or ''}:{database.get('PORT') or ''}/{database.get('NAME') or ''}"
    label = re.sub(r"[^a-z0-9]+", "-", Path(str(database.get("NAME") or "site")).stem.lower()).strip("-")[:24]
    return f"pl-{label or 'site'}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"


# Prefix of every channel-layer group and channel, cache key, Celery queue and
# broker key of this site; set it when two deployments share one database name.
PEERLEARN_INSTANCE = env("PEERLEARN_INSTANCE") or default_instance(DATABASES["default"])
if REDIS_URL:
    # The pub/sub layer: the default RedisChannelLayer stops near 100 sockets
    # per process (its connection pool), the pub/sub one held 1,000.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": PEERLEARN_INSTANCE},
        }
    }
    CACHES = {
        "default": {
            # Redis down: a cache miss and a log line, never a failed page.
            "BACKEND": "peerlearn.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": PEERLEARN_INSTANCE,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", "memory://")
    CELERY_TASK_ALWAYS_EAGER = True
# Queues and every broker/result key carry the site's prefix: a worker consumes its own site's tasks only.
CELERY_TASK_DEFAULT_QUEUE = PEERLEARN_INSTANCE
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": f"{PEERLEARN_INSTANCE}:",
    # A task a killed worker held comes back after this many seconds (acks are late, below).
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{PEERLEARN_INSTANCE}:"}
# A task is acknowledged when it has finished, not when it was received: a worker
# killed mid-task leaves it to the next one. Every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes a worker child's connection pool before and after every task: each task
# then opened a new pool and PostgreSQL started a backend for it (4,124 connections in a 4-minute run of
# the load benchmark, README "Holding a crowd"). It closes the pool every this many tasks instead;
# peerlearn/celery.py hands the connection back to the pool around each task, as a request's end does.
CELERY_DB_REUSE_MAX = int(env("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "prune-plugin-errors": {
        "task": "core.plugins.tasks.prune_plugin_errors",
        "schedule": 6 * 3600,
    },
    "refit-recommenders": {
        "task": "core.recommendations.tasks.refit_recommenders",
        "schedule": 3 * 3600,
    },
    "send-session-reminders": {
        "task": "core.notifications.tasks.send_due_reminders",
        "schedule": 60,
    },
    # Scheduling: unpaid holds, waitlist offers, sessions never started or overrunning.
    "scheduling-expire-holds": {"task": "core.scheduling.tasks.expire_holds", "schedule": 60},
    "scheduling-expire-waitlist-offers": {"task": "core.scheduling.tasks.expire_waitlist_offers", "schedule": 60},
    "scheduling-sweep-sessions": {"task": "core.scheduling.tasks.sweep_sessions", "schedule": 300},
    # Calendar sync: mentors' connected calendars read again before their cached busy times expire.
    "calendars-refresh-busy": {"task": "core.calendars.tasks.refresh_all", "schedule": 240},
    # Booking approval: requests nobody decided by their deadline release the seat.
    "intake-expire-approvals": {"task": "core.intake.tasks.expire_approvals", "schedule": 60},
    # Recordings past the site's retention are deleted with their files.
    "recordings-expire": {"task": "core.recordings.tasks.expire_recordings", "schedule": 15 * 60},
    # Payments: compare recent payments at their gateways with the ledger, flag differences.
    "payments-reconcile": {"task": "core.payments.tasks.reconcile_payments", "schedule": 30 * 60},
    # Analytics: refit the four prediction models and rescore churn nightly; prune the event log.
    "analytics-refit-models": {"task": "core.analytics.tasks.refit_models", "schedule": 24 * 3600},
    "analytics-prune-events": {"task": "core.analytics.tasks.prune_events", "schedule": 24 * 3600},
    # Premium plans: remind mentors whose renewal failed, end benefits when the grace period is over.
    "subscriptions-grace-reminders": {"task": "core.subscriptions.tasks.send_grace_reminders", "schedule": 3600},
    "subscriptions-end-lapsed-grace": {"task": "core.subscriptions.tasks.end_lapsed_grace", "schedule": 15 * 60},
    # Session packages: expire packages past their date (unused credits refunded or forfeited, per policy).
    "packages-expire": {"task": "core.packages.tasks.expire_packages", "schedule": 3600},
    # Messages: one email per person about messages left unread for a while.
    "messaging-unread-digests": {"task": "core.messaging.tasks.send_unread_digests", "schedule": 15 * 60},
}

# --- Auth -----------------------------------------------------------------
# Sessions are read from the cache (Redis in production) and written through to the database:
# a signed-in page or socket saves the session query (README, "Holding a crowd").
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SIGNUP_FORM_CLASS = "core.accounts.forms.ProfileSignupForm"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PeerLearn] "
# Sign-up never says "already registered": the owner gets a mail instead (needs mandatory verification).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "core.accounts.adapter.AccountAdapter"
# Reverse proxies in front of the site that append to X-Forwarded-For (0: the header is ignored).
# Every per-address limit keys on the client they saw: core/security/client_ip.py.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# --- Content-Security-Policy (core/security/csp.py) ------------------------
# On every response. The middleware adds the request's nonce to script-src and
# this host's ws:/wss: to connect-src; views add a payment gateway's sources.
# Styles may be inline (Wagtail's admin, Alpine's x-show); scripts may not.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    # Wagtail's admin asks releases.wagtail.org whether a newer Wagtail is out.
    "connect-src": ["'self'", "https://releases.wagtail.org"],
    "media-src": ["'self'", "blob:"],
    "worker-src": ["'self'", "blob:"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# CSP_REPORT_ONLY=1 sends Content-Security-Policy-Report-Only instead (to try a stricter policy first).
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

# --- Anonymous page cache (core/pages/cache.py) --------------------------------
# Visitors' pages (home, search, mentors, topics, sessions) are rendered once and served from
# the cache until something they show changes, or for PAGE_CACHE_TIMEOUT seconds at most.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", True)
PAGE_CACHE_TIMEOUT = int(env("PAGE_CACHE_TIMEOUT", "300"))
# Seconds a person's ranked recommendations are kept at most (their interests, skills, reviews and
# dismissals, the catalogue and a fitted model make them stale sooner; the seats they hold leave
# each answer at once); what moves with time alone (trending, popularity, the exploration slots)
# waits this long. At 60, a crowd's dashboards and API calls ranked 15 times a second (three
# questions per learner a minute): README, "Holding a crowd". The page cache switch rules.
RECOMMENDATION_CACHE_SECONDS = int(env("RECOMMENDATION_CACHE_SECONDS", "300"))

# --- Email ----------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "PeerLearn <no-reply@peerlearn.local>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- I18N / time ----------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages the product speaks: a catalogue for each in locale/ (scripts/_venv.sh compiles them).
# No language prefix in URLs: the choice lives in the django_language cookie (visitors) or the
# profile (core.accounts.middleware.UserLanguageMiddleware), so Wagtail's page paths, links in
# emails and the anonymous page cache (keyed by language) stay as they are.
LANGUAGES = [("en", "English"), ("hi", "Hindi"), ("es", "Spanish")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Editors translate the site's own pages (How it works, About...) in the admin: wagtail.locales and
# simple_translation copy a page into another locale's tree; Wagtail serves the one of the active language.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STATICFILES_DIRS = (
    [path / "static" for path in sorted(THEMES_DIR.iterdir()) if (path / "static").is_dir()]
    if THEMES_DIR.is_dir()
    else []
) + sorted(
    # Built-in plugins ship browser files in plugins/<kind>/<name>/static/plugins/<name>/ (no app needed).
    path
    for path in (BASE_DIR / "plugins").glob("*/*/static")
    if path.is_dir()
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads (profile photos, Wagtail images and documents) go to an S3-compatible bucket when one
# is named (AWS S3, MinIO, Ceph, Cloudflare R2...), else to MEDIA_ROOT. Credentials come from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by django-storages and boto3 themselves.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL"),
        "region_name": env("AWS_S3_REGION_NAME"),
        "custom_domain": env("AWS_S3_CUSTOM_DOMAIN"),
        "location": env("AWS_LOCATION"),
        # Private objects, links signed for an hour; False for a public bucket or a CDN domain.
        "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {key: value for key, value in _s3_options.items() if value is not None},
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The API's JSON bodies (core/api/parsers.py): larger gets 413, deeper nesting 400.
API_JSON_MAX_BYTES = 1024 * 1024
API_JSON_MAX_DEPTH = 32
PROFILE_PHOTO_MAX_BYTES = 2 * 1024 * 1024
# Messages between learners and mentors (core.messaging).
MESSAGE_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
MESSAGES_PER_MINUTE = 20
# A digest email names messages left unread at least this long.
MESSAGE_DIGEST_AFTER_MINUTES = 30

# --- Wagtail --------------------------------------------------------------
WAGTAIL_SITE_NAME = "PeerLearn"
# The one public root of every absolute link (emails, .ics invitations and feeds, Wagtail's admin mails,
# the Wagtail Site's hostname and port). Unset, it follows the development server (PORT, as scripts/dev serves).
PEERLEARN_BASE_URL = (
    env("PEERLEARN_BASE_URL") or env("WAGTAILADMIN_BASE_URL") or f"http://127.0.0.1:{env('PORT', '8000')}"
).rstrip("/")
WAGTAILADMIN_BASE_URL = PEERLEARN_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# No avatars from gravatar.com: the admin loads nothing from elsewhere (CSP img-src, offline sites).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
# The admin loads nothing from other sites: initials instead of Gravatar, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.auth.KeptTokenAuthentication",  # DRF's token check, kept in the cache
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": "30/min", "messaging": "60/min"},
    # DRF's own reading of X-Forwarded-For, for any throttle that does not use core.security.client_ip.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PeerLearn API",
    "DESCRIPTION": "Accounts, catalogue, bookings, payments and recommendations of PeerLearn.",
    "VERSION": PEERLEARN_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from our own static files: the site may be offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge from validator.swagger.io; Redoc in the theme's own font (see the theme's
    # drf_spectacular/redoc.html, which also keeps Redoc's attribution logo off its CDN).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "Inter, system-ui, sans-serif",
                "headings": {"fontFamily": "Inter, system-ui, sans-serif"},
                "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, monospace"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["core.api.schema.only_public_api"],
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "core.payments.models.Payment.STATUS_CHOICES",
        "RefundStatusEnum": "core.payments.models.Refund.STATUS_CHOICES",
        "SessionStatusEnum": "core.scheduling.models.Session.STATUS_CHOICES",
        "BookingStatusEnum": "core.scheduling.models.Booking.STATUS_CHOICES",
        "WaitlistStatusEnum": "core.scheduling.models.WaitlistEntry.STATUS_CHOICES",
        "RoleEnum": "core.accounts.api.ROLE_CHOICES",
        "BookingQuestionKindEnum": "core.intake.models.BookingQuestion.KIND_CHOICES",
        # without the blank "pending" (a BlankEnum of its own in the schema)
        "ApprovalDecisionEnum": ["approved", "declined", "expired", "moved", "withdrawn"],
        "ConsentDecisionEnum": "core.recordings.models.ConsentDecision.DECISION_CHOICES",
    },
}

# --- Plugins --------------------------------------------------------------
PEERLEARN_PLUGINS = {
    # Seconds one plugin call may take before the core gives up on it.
    "TIME_BUDGET": float(env("PLUGIN_TIME_BUDGET", "2.0")),
    # Failures in a row that open a plugin's circuit breaker, and for how long.
    "BREAKER_THRESHOLD": int(env("PLUGIN_BREAKER_THRESHOLD", "5")),
    "BREAKER_COOLDOWN": int(env("PLUGIN_BREAKER_COOLDOWN", "60")),
    # Calls one plugin may have running at once per site and process (its bulkhead).
    "CONCURRENCY": int(env("PLUGIN_CONCURRENCY", "4")),
    # Plugin errors kept for the admin page.
    "ERRORS_KEPT": 200,
}

# --- Calendar sync (mentors' own calendars, core.calendars) ----------------------------
PEERLEARN_CALENDARS = {
    # Seconds busy times read from a calendar stay cached; the beat task reads them again before.
    "BUSY_TTL": int(env("CALENDAR_BUSY_TTL", "300")),
    # Older than this (or the last read failed), availability says it may be stale.
    "STALE_AFTER": int(env("CALENDAR_STALE_AFTER", "900")),
    # Seconds a calendar read may take while a page or API request waits (then: stale, not down).
    "READ_BUDGET": float(env("CALENDAR_READ_BUDGET", "2.0")),
    # Seconds a read or write may take in a Celery task.
    "TASK_BUDGET": float(env("CALENDAR_TASK_BUDGET", "20.0")),
    # After a failed read, requests use the last busy times for this long before trying again.
    "BACKOFF": int(env("CALENDAR_BACKOFF", "60")),
}

# --- Logging ----------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line, for a log collector; `plain` for people.
LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "core.ops.jsonlog.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Celery's worker and beat log through the same handlers (else they install their own format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics ----------------------------------------------------------------
# Prometheus at /metrics, off by default and never public: a scraper sends
# `Authorization: Bearer $METRICS_TOKEN`. Several worker processes share figures
# through PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = env("METRICS_TOKEN", "")
if METRICS_ENABLED and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_ENABLED needs METRICS_TOKEN, a random string of 32 characters or more.")


def require_secret_key(key: str | None) -> str:
    # Render's generated secrets are 256 random bits in 44 base64 characters: strong, though short.
    if not key or (len(key) < 50 and not _is_256_bit_base64(key)) or len(set(key)) < 5:
        raise ImproperlyConfigured("Set SECRET_KEY to a random string of 50 characters or more.")
    return key


def _is_256_bit_base64(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) >= 32
    except ValueError:
        return False


# WhiteNoise serves collected files in production; in dev and tests it finds them
# in the apps and themes instead, so an empty STATIC_ROOT is expected there.
WHITENOISE_USE_FINDERS = DEBUG

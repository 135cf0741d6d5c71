"""Production: everything from the environment, secure by default.

Passes ``manage.py check --deploy`` without warnings when SECRET_KEY and
ALLOWED_HOSTS are set. TLS is assumed to end at a proxy that sets
``X-Forwarded-Proto``.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, STORAGES, TEMPLATES, env, env_bool, env_list, require_secret_key

DEBUG = False
SECRET_KEY = require_secret_key(SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the comma-separated host names the site answers to.")
ACCOUNT_EMAIL_VERIFICATION = "mandatory"

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Uploads where base.py put them (MEDIA_ROOT, or S3 when configured).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# Templates are read once per process and theme.
TEMPLATES[0]["OPTIONS"]["loaders"] = [
    ("core.themes.loaders.CachedThemeLoader", TEMPLATES[0]["OPTIONS"]["loaders"]),
]

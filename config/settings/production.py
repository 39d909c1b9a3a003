"""Production: every secret from the environment, HTTPS only, PostgreSQL expected. Passes
`manage.py check --deploy` with the environment of docs/deploy.md (tests/test_deploy_settings.py)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("生产环境必须设置环境变量 SECRET_KEY")
SECRET_KEY = os.environ["SECRET_KEY"]
# The audit chain's key must not be a file generated next to the database: it is what makes a rewritten
# audit row detectable (docs/guide/audit.md).
AUDIT_HMAC_KEY = audit_key_from_env()  # noqa: F405
if len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("生产环境必须设置审计链密钥 AUDIT_HMAC_KEY（或 AUDIT_HMAC_KEY_FILE），至少 32 个字符")
DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# HTTPS. nginx terminates TLS and tells Django the original scheme in X-Forwarded-Proto (docs/deploy.md);
# NRCMS_BEHIND_PROXY=0 only if Django is reached without a proxy, which production should never be.
# A proxy that does not overwrite X-Forwarded-Proto would let a client claim https: nginx must set it.
if env_bool("NRCMS_BEHIND_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the local health check speaks plain HTTP to gunicorn
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# The API's description is for the county's and the hospitals' developers, not the public internet.
NRCMS_API_DOCS = os.environ.get("NRCMS_API_DOCS", "login")

# Keep database connections between requests (each gunicorn thread keeps its own): opening a PostgreSQL
# connection costs a backend process and an authentication per request, more than a whole trial
# settlement's queries. CONN_MAX_AGE in the environment (seconds; 0 = one connection per request) overrides.
if "CONN_MAX_AGE" not in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = 300  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405 — a connection the server dropped is reopened

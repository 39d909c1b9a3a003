"""Production: every secret from the environment, secure cookies, PostgreSQL expected."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

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

# Keep database connections between requests (each gunicorn thread keeps its own): opening a PostgreSQL
# connection costs a backend process and an authentication per request, more than a whole trial
# settlement's queries. CONN_MAX_AGE in the environment (seconds; 0 = one connection per request) overrides.
if "CONN_MAX_AGE" not in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = 300  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405 — a connection the server dropped is reopened

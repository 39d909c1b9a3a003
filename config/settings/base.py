"""Settings shared by every environment. Values that differ come from the environment:

DATABASE_URL  SQLite file under var/ by default; postgres://... in production and CI
CONN_MAX_AGE  seconds a database connection is kept between requests (default 0 here, 300 in production)
SECRET_KEY    required in production; development keeps a generated one in var/secret_key
AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) the audit chain's key: required in production; var/audit_hmac_key
              in development
AUDIT_CHECKPOINT_DIR, AUDIT_CHECKPOINT_URL, AUDIT_ARCHIVE_DIR  where the audit trail's anchors go
DEBUG         "1"/"true" to enable
ALLOWED_HOSTS comma-separated
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("NRCMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key() -> str:
    """A per-checkout key for development, never committed (var/ is ignored)."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or development_secret_key()


def development_audit_key() -> str:
    """The audit chain's HMAC key for development, kept beside the secret key in var/ (never committed).
    Production requires AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE (config/settings/production.py)."""
    path = VAR_DIR / "audit_hmac_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def audit_key_from_env() -> str:
    if os.environ.get("AUDIT_HMAC_KEY"):
        return os.environ["AUDIT_HMAC_KEY"]
    if os.environ.get("AUDIT_HMAC_KEY_FILE"):
        return Path(os.environ["AUDIT_HMAC_KEY_FILE"]).read_text().strip()
    return ""


# The audit trail (docs/guide/audit.md): the chain's key lives outside the database; checkpoints of the
# chain's head are written to a directory (and POSTed to AUDIT_CHECKPOINT_URL when set) by
# `nrcms audit checkpoint`; `nrcms audit archive` writes rows older than the retention to AUDIT_ARCHIVE_DIR.
AUDIT_HMAC_KEY = audit_key_from_env() or development_audit_key()
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR") or VAR_DIR / "audit-checkpoints")
AUDIT_CHECKPOINT_URL = os.environ.get("AUDIT_CHECKPOINT_URL", "")
AUDIT_ARCHIVE_DIR = Path(os.environ.get("AUDIT_ARCHIVE_DIR") or VAR_DIR / "audit-archive")
AUDIT_RETENTION_MONTHS = 6
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its bundled Swagger UI for /api/docs, served from our static files (the CSP allows no CDN)
    "django_tasks",
    "django_tasks_db",
    "nrcms.core",
    "nrcms.accounts",
    "nrcms.registry",
    "nrcms.facilities",
    "nrcms.funding",
    "nrcms.claims",
    "nrcms.payments",
    "nrcms.supervision",
    "nrcms.ops",
    "nrcms.stats",
    "nrcms.complaints",
    "nrcms.schemes",
    "nrcms.disclosure",
    "nrcms.simulation",
    "nrcms.poverty",
    "nrcms.family_doctors",
    "nrcms.conditions",
    "nrcms.api",
    "nrcms.web",
    "nrcms.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "nrcms.web.middleware.RejectNulMiddleware",  # a NUL byte anywhere: one Chinese 400, before the session looks
    "nrcms.web.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "nrcms.web.middleware.CookieLocaleMiddleware",  # Chinese unless chosen in the header; no Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "nrcms.accounts.middleware.LoginRequiredMiddleware",
    "nrcms.accounts.middleware.TwoFactorEnrolmentRequiredMiddleware",
    "nrcms.accounts.middleware.PasswordChangeRequiredMiddleware",
    "nrcms.web.middleware.NrcmsErrorPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nrcms.web.context.menu",
            ],
            # money and number filters (`|yuan`, `|plain`) in every template without a {% load %}
            "builtins": ["nrcms.web.templatetags.numbers", "nrcms.web.templatetags.masking"],
        },
    }
]


def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'nrcms.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while a desk writes; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue instead of failing half-way with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# The password policy (docs/guide/admin.md, nrcms/accounts/password_policy.py and passwords.py): length,
# character classes (of upper, lower, digit, symbol), no username or name in pinyin, no common password;
# the last N passwords may not come back; a password older than the days must be changed (0 = never).
NRCMS_PASSWORD_MIN_LENGTH = int(os.environ.get("NRCMS_PASSWORD_MIN_LENGTH", "10"))
NRCMS_PASSWORD_MIN_CLASSES = int(os.environ.get("NRCMS_PASSWORD_MIN_CLASSES", "3"))
NRCMS_PASSWORD_HISTORY = int(os.environ.get("NRCMS_PASSWORD_HISTORY", "5"))
NRCMS_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("NRCMS_PASSWORD_MAX_AGE_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "nrcms.accounts.password_policy.MinimumLengthValidator"},
    {"NAME": "nrcms.accounts.password_policy.CharacterClassValidator"},
    {"NAME": "nrcms.accounts.password_policy.PersonalInfoValidator"},
    {"NAME": "nrcms.accounts.password_policy.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The county's benefit scheme file (dated versions inside); see docs/guide/benefit-engine.md.
NRCMS_SCHEME_FILE = os.environ.get("NRCMS_SCHEME_FILE", str(BASE_DIR / "nrcms" / "policy" / "schemes" / "demo-layered-2020.yaml"))

# Lockout (docs/guide/login.md, nrcms/accounts/login.py): this many failed passwords for one account from one
# address lock that account from that address for the minutes; the account-wide limit counts every address
# together, much higher, and locks the account everywhere (its API tokens too).
NRCMS_LOGIN_MAX_FAILURES = int(os.environ.get("NRCMS_LOGIN_MAX_FAILURES", "5"))
NRCMS_LOGIN_LOCK_MINUTES = int(os.environ.get("NRCMS_LOGIN_LOCK_MINUTES", "15"))
NRCMS_LOGIN_ACCOUNT_MAX_FAILURES = int(os.environ.get("NRCMS_LOGIN_ACCOUNT_MAX_FAILURES", "50"))
NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES = int(os.environ.get("NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES", "60"))
NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES = int(os.environ.get("NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES", "30"))
# The hospital desk's member lookup (by certificate or ID number): per API token, or per signed-in user on the page.
NRCMS_DESK_LOOKUP_PER_MINUTE = int(os.environ.get("NRCMS_DESK_LOOKUP_PER_MINUTE", "30"))
# Complaints (docs/guide/complaints.md): days from receipt to the answer, and the public page's limit of
# complaints per client address and hour.
NRCMS_COMPLAINT_DAYS = int(os.environ.get("NRCMS_COMPLAINT_DAYS", "15"))
NRCMS_PUBLIC_COMPLAINTS_PER_HOUR = int(os.environ.get("NRCMS_PUBLIC_COMPLAINTS_PER_HOUR", "5"))
# The public disclosure page and API (/public/, /api/public/…, no login): requests per minute per client address.
NRCMS_PUBLIC_PER_MINUTE = int(os.environ.get("NRCMS_PUBLIC_PER_MINUTE", "60"))

# Two-step sign-in (docs/guide/login.md, nrcms/accounts/two_factor.py): these roles must use a TOTP code after the
# password (enrolment is forced at their next sign-in); every other role may choose it on the "两步验证" page.
# Comma-separated in the environment. API tokens are not affected.
NRCMS_TOTP_REQUIRED_ROLES = [r.strip() for r in os.environ.get(
    "NRCMS_TOTP_REQUIRED_ROLES",
    "system_admin,security_admin,audit_admin,finance,county_reviewer,county_director").split(",") if r.strip()]
# The name authenticator apps show above the code.
NRCMS_TOTP_ISSUER = os.environ.get("NRCMS_TOTP_ISSUER", "新农合信息系统")

# The client's address behind a reverse proxy (nrcms/accounts/client_ip.py): the META key of the one header
# the proxy sets, e.g. HTTP_X_REAL_IP or HTTP_X_FORWARDED_FOR; empty = REMOTE_ADDR, headers never trusted.
# For X-Forwarded-For, how many proxies of ours append to it.
NRCMS_CLIENT_IP_HEADER = os.environ.get("NRCMS_CLIENT_IP_HEADER", "")
NRCMS_TRUSTED_PROXY_COUNT = int(os.environ.get("NRCMS_TRUSTED_PROXY_COUNT", "1"))

# /api/docs and /api/openapi.json: "public", "login" (signed in or a valid token) or "off". Production: login.
NRCMS_API_DOCS = os.environ.get("NRCMS_API_DOCS", "public")

# API tokens expire: by default this many days after creation, never more than the maximum.
NRCMS_API_TOKEN_DAYS = int(os.environ.get("NRCMS_API_TOKEN_DAYS", "365"))
NRCMS_API_TOKEN_MAX_DAYS = int(os.environ.get("NRCMS_API_TOKEN_MAX_DAYS", "730"))

# Sessions end after 30 idle minutes and when the browser closes (shared office computers).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie; kept default-safe

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "nrcms" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# Background tasks (roster imports): queued in the database, run by `nrcms db_worker` (one process per
# machine is enough; see docs/guide/admin.md). dev.py and test.py run them at once instead.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running roster import with no progress for this long is marked 中断 (its process died) and can be resumed.
NRCMS_IMPORT_STALE_MINUTES = int(os.environ.get("NRCMS_IMPORT_STALE_MINUTES", "15"))
# A simulation run (测算) with no progress for this long is taken for dead and marked failed when read.
NRCMS_SIMULATION_STALE_MINUTES = int(os.environ.get("NRCMS_SIMULATION_STALE_MINUTES", "30"))
# 健康扶贫 (nrcms/poverty): the share of registered-poor inpatients' cost outside the policy a facility may reach,
# in percent, by facility level — 3 % at prefecture-level hospitals and above, 2 % at county level and below
# (seed 003). The county changes it here, not in code.
NRCMS_POVERTY_OUT_OF_POLICY_LIMITS = {"village": "2", "township": "2", "county": "2", "prefecture": "3",
                                      "province": "3"}

# Backups (`nrcms backup`, `nrcms backup verify`, `nrcms restore`): where they are written, and after how
# many days without a verified backup the admin page warns.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
NRCMS_BACKUP_VERIFY_MAX_DAYS = int(os.environ.get("NRCMS_BACKUP_VERIFY_MAX_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

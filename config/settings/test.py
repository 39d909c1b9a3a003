"""The test suite: fast hashing, in-memory SQLite unless DATABASE_URL points at PostgreSQL."""

import os

from .base import *  # noqa: F403
from .base import database_from_env

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
DATABASES = {"default": database_from_env()}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fixed, public audit key (the suite must not depend on var/); no checkpoints unless a test sets a directory.
AUDIT_HMAC_KEY = "test-audit-key-not-a-secret-0123456789abcdef"
AUDIT_CHECKPOINT_DIR = VAR_DIR / "no-test-checkpoints"  # noqa: F405 — tests that write use tmp_path
AUDIT_CHECKPOINT_URL = ""
# background tasks run at once, in the test's transaction
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

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
# background tasks run at once, in the test's transaction
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

"""Local development and `make demo`."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

# `make demo` needs no worker: background tasks (roster imports) run at once, inside the request.
# NRCMS_TASK_WORKER=1 queues them in the database instead, for `nrcms db_worker` to run.
if not env_bool("NRCMS_TASK_WORKER", False):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

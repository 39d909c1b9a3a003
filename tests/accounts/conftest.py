"""How the tamper tests get past the append-only triggers: the way an attacker holding the database would,
by dropping them (inside the test's transaction, which is rolled back)."""

from contextlib import contextmanager

import pytest
from django.db import connection

from nrcms.accounts import audit_guard


@pytest.fixture
def guard_dropped(db):
    return _guard_dropped


@contextmanager
def _guard_dropped():
    with connection.cursor() as cursor:
        for sql in audit_guard.remove_sql(connection.vendor):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in audit_guard.install_sql(connection.vendor):
                cursor.execute(sql)

"""Fixtures for the audit trail's tests. How the tamper tests get past the append-only triggers: the way an attacker holding the database would,
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


@pytest.fixture
def empty_trail(db, settings, tmp_path):
    """An empty audit trail (inside the test's rolled-back transaction) and a checkpoint directory of its own."""
    from nrcms.accounts.models import AuditChainHead, AuditEntry

    with _guard_dropped():
        AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    return tmp_path


@pytest.fixture
def entries(empty_trail):
    """append(n) writes n rows and returns them in order."""
    from nrcms.accounts.audit import audit_record

    def append(n: int, start: int = 0):
        return [audit_record(actor=None, action="test.change", object_type="thing", object_id=str(i),
                             before={"v": i}, after={"v": i + 1}, reason=f"第{i}次") for i in range(start, start + n)]

    return append


@pytest.fixture
def fail_login():
    """fail_login(username, ip): one wrong password, through the same two steps as the login form."""
    from nrcms.accounts.login import login_begin, login_finish

    def _fail(username: str, ip: str | None = "10.0.0.9"):
        charge = login_begin(username=username, ip=ip)
        if charge.allowed:
            login_finish(charge=charge, user=None)
        return charge

    return _fail

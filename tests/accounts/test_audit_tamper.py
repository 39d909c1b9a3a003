"""Each way of rewriting the audit trail quietly, done as an attacker holding the database would (triggers
dropped), and what `audit verify` says about it."""

import datetime as dt
import hashlib
import hmac

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.audit_checkpoint_issue import checkpoint_create
from nrcms.accounts.audit_hashing import entry_digest, hashed_text
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _rechain(from_seq: int, digest, change: dict | None = None):
    """Rewrite rows from from_seq on with the given digest function, and move the head: a full re-hash."""
    prev = AuditEntry.objects.get(seq=from_seq - 1).hash if from_seq > 1 else "0" * 64
    for row in AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq").values():
        if row["seq"] == from_seq and change:
            row.update(change)
        new = digest(prev, row)
        AuditEntry.objects.filter(seq=row["seq"]).update(prev_hash=prev, hash=new, **(
            change if row["seq"] == from_seq and change else {}))
        prev = new
    AuditChainHead.objects.filter(id=1).update(last_hash=prev)


def _guessed_key_digest(prev, row):
    return hmac.new(b"a guessed key", (prev + hashed_text(row)).encode(), hashlib.sha256).hexdigest()


def test_an_edit_in_place_is_reported_as_an_edit_at_that_row(entries, guard_dropped):
    entries(5)
    with guard_dropped():
        AuditEntry.objects.filter(seq=3).update(reason="改过的原因")
    report = audit_verify()
    assert not report.ok
    assert (report.kind, report.bad_seq) == ("edited", 3)
    assert [p.kind for p in report.problems] == ["edited"]


def test_an_edit_rehashed_without_the_key_is_reported_as_a_rewrite(entries, guard_dropped):
    entries(5)
    with guard_dropped():
        _rechain(3, _guessed_key_digest, {"reason": "伪造"})
    report = audit_verify()
    assert (report.ok, report.kind, report.bad_seq) == (False, "rehashed", 3)
    assert "第 3–5 条" in report.problem


def test_an_edit_rehashed_with_plain_sha256_as_before_the_key_is_detected(entries, guard_dropped):
    entries(4)

    def unkeyed(prev, row):
        return hashlib.sha256((prev + hashed_text(row)).encode()).hexdigest()

    with guard_dropped():
        _rechain(2, unkeyed, {"after": {"v": 999}})
    report = audit_verify()
    assert (report.ok, report.kind, report.bad_seq) == (False, "rehashed", 2)


def test_deleting_a_middle_row_is_reported_as_missing(entries, guard_dropped):
    entries(5)
    with guard_dropped():
        AuditEntry.objects.filter(seq=3).delete()
    report = audit_verify()
    assert (report.ok, report.kind, report.bad_seq) == (False, "deleted", 3)
    assert "第 3 条记录缺失" in report.problem


def test_a_cut_tail_with_the_head_moved_back_is_found_by_the_checkpoint(entries, guard_dropped):
    rows = entries(5)
    checkpoint_create()
    with guard_dropped():
        AuditEntry.objects.filter(seq__gte=4).delete()
    AuditChainHead.objects.filter(id=1).update(last_seq=3, last_hash=rows[2].hash)
    report = audit_verify()
    assert (report.ok, report.kind) == (False, "cut_tail")
    assert "检查点记到第 5 条" in report.problem and "库中只到第 3 条" in report.problem


def test_a_cut_tail_hidden_by_new_rows_is_found_by_the_checkpoint(entries, guard_dropped):
    rows = entries(5)
    checkpoint_create()
    with guard_dropped():
        AuditEntry.objects.filter(seq__gte=4).delete()
    AuditChainHead.objects.filter(id=1).update(last_seq=3, last_hash=rows[2].hash)
    entries(3, start=10)  # the application carries on: rows 4, 5, 6 again
    report = audit_verify()
    assert (report.ok, report.kind, report.bad_seq) == (False, "checkpoint", 5)


def test_without_a_checkpoint_a_cut_tail_with_the_head_moved_is_not_detected(entries, guard_dropped):
    """The limit the guide states: the chain alone cannot tell a cut tail from a shorter history."""
    rows = entries(5)
    with guard_dropped():
        AuditEntry.objects.filter(seq__gte=4).delete()
    AuditChainHead.objects.filter(id=1).update(last_seq=3, last_hash=rows[2].hash)
    assert audit_verify().ok


def test_a_rewrite_with_the_key_is_still_caught_by_an_earlier_checkpoint(entries, guard_dropped):
    entries(5)
    checkpoint_create()
    with guard_dropped():
        _rechain(2, entry_digest, {"reason": "持有密钥者改写"})
    report = audit_verify()
    assert (report.ok, report.kind, report.bad_seq) == (False, "checkpoint", 5)


def test_a_forged_checkpoint_file_is_reported(entries, settings):
    entries(2)
    written = checkpoint_create()
    written.path.write_text(written.path.read_text().replace('"count": 2', '"count": 20'))
    report = audit_verify()
    assert not report.ok and report.kind == "checkpoint"
    assert "签名不符" in report.problem


def test_the_database_refuses_update_and_delete_of_audit_rows(entries):
    entries(2)
    table = AuditEntry._meta.db_table
    statements = [f"UPDATE {table} SET reason = 'x' WHERE seq = 1", f"DELETE FROM {table} WHERE seq = 2"]
    if connection.vendor == "postgresql":
        # the rows' deferred foreign-key checks must run first, or PostgreSQL refuses TRUNCATE for that reason
        statements += ["SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE " + table]
    for sql in statements:
        with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert AuditEntry.objects.count() == 2 and AuditEntry.objects.get(seq=1).reason == "第0次"


def test_the_database_refuses_changes_to_archive_markers(entries):
    from nrcms.accounts.models import AuditArchive

    AuditArchive.objects.create(first_seq=1, last_seq=1, last_hash="0" * 64, before=dt.date(2020, 1, 1),
                                at=timezone.now(), file_name="f", file_sha256="0" * 64, signature="x")
    table = AuditArchive._meta.db_table
    for sql in (f"UPDATE {table} SET last_hash = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert AuditArchive.objects.get().last_hash == "0" * 64


def test_a_key_longer_than_a_block_gives_the_same_digest_on_every_database(empty_trail, settings):
    settings.AUDIT_HMAC_KEY = "k" * 100
    entry = audit_record(actor=None, action="test.long_key", reason="长密钥")
    row = AuditEntry.objects.filter(seq=entry.seq).values().get()
    assert row["hash"] == entry_digest(row["prev_hash"], row) == entry.hash
    assert audit_verify().ok

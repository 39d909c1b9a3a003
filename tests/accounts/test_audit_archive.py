"""Archiving old audit rows: exported with a signed manifest, removed through the one sanctioned path, and
the chain still verifies from the archived head."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from nrcms.accounts.audit_archive import archive_file_verify, audit_archive, months_before
from nrcms.accounts.audit_checkpoint_issue import checkpoint_create
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import AuditArchive, AuditEntry
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def old_and_new(entries, monkeypatch):
    """Three rows from January 2026, then (after a checkpoint) two from now."""
    january = timezone.make_aware(dt.datetime(2026, 1, 10, 9, 0))
    monkeypatch.setattr(timezone, "now", lambda: january)
    old = entries(3)
    checkpoint_create()
    monkeypatch.undo()
    return old, entries(2, start=3)


def test_archive_round_trip(old_and_new, demo):
    old, new = old_and_new
    done = audit_archive(before=dt.date(2026, 3, 1), actor=demo["admin"], today=TODAY, reason="年度归档")
    assert (done.first_seq, done.last_seq, done.count) == (1, 3, 3)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5, 6]
    lines = [json.loads(line) for line in done.path.read_text().splitlines()]
    assert [row["hash"] for row in lines] == [row.hash for row in old]
    assert archive_file_verify(done.manifest_path)[0]
    marker = AuditArchive.objects.get()
    assert (marker.last_seq, marker.last_hash) == (3, old[-1].hash)
    assert AuditEntry.objects.get(seq=6).action == "audit.archive"
    report = audit_verify()
    assert report.ok, report.problem
    assert (report.checked, report.last_seq) == (3, 6)
    checkpoint_create()  # the next checkpoint counts the rows online
    assert audit_verify().ok


def test_a_second_archive_continues_from_the_first(entries, monkeypatch):
    for month in (1, 2):
        moment = timezone.make_aware(dt.datetime(2026, month, 10, 9, 0))
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        entries(2)
    monkeypatch.undo()
    first = audit_archive(before=dt.date(2026, 2, 1), today=TODAY)
    second = audit_archive(before=dt.date(2026, 3, 1), today=TODAY)
    assert (first.first_seq, first.last_seq) == (1, 2)
    assert (second.first_seq, second.last_seq) == (3, 4)  # row 5, the first archive's own record, is recent
    assert archive_file_verify(second.manifest_path)[0]
    assert audit_verify().ok and AuditArchive.objects.count() == 2


def test_nothing_to_archive_is_refused(old_and_new):
    with pytest.raises(ValidationFailed, match="没有早于 2026-01-10 的审计记录"):
        audit_archive(before=dt.date(2026, 1, 10), today=TODAY)


def test_a_cut_off_within_six_months_is_refused(old_and_new):
    with pytest.raises(ValidationFailed) as refused:
        audit_archive(before=dt.date(2026, 6, 1), today=TODAY)
    assert refused.value.field == "before"
    assert "至少在线保存 6 个月" in refused.value.message and "2026-05-28" in refused.value.message
    assert AuditEntry.objects.count() == 5


def test_six_months_before_the_end_of_a_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)


def test_a_moved_archive_marker_is_detected(old_and_new, guard_dropped):
    audit_archive(before=dt.date(2026, 3, 1), today=TODAY)
    with guard_dropped():
        AuditArchive.objects.update(last_seq=4)  # hide row 4 by claiming it was archived
    report = audit_verify()
    assert not report.ok and report.kind == "marker"


def test_an_altered_archive_file_is_detected(old_and_new):
    done = audit_archive(before=dt.date(2026, 3, 1), today=TODAY)
    done.path.write_text(done.path.read_text().replace("第1次", "第9次"))
    ok, message = archive_file_verify(done.manifest_path)
    assert not ok and "SHA-256" in message
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("audit_verify", "--archive", str(done.manifest_path))


def test_a_broken_chain_is_not_archived(old_and_new, guard_dropped):
    with guard_dropped():
        AuditEntry.objects.filter(seq=2).update(reason="改")
    with pytest.raises(Exception, match="不能归档"):
        audit_archive(before=dt.date(2026, 3, 1), today=TODAY)
    assert AuditEntry.objects.count() == 5


def test_the_command_archives_and_refuses_a_recent_date(old_and_new, capsys):
    recent = timezone.localdate() - dt.timedelta(days=30)
    with pytest.raises(CommandError, match="至少在线保存"):
        call_command("audit_archive", "--before", recent.isoformat())
    call_command("audit_archive", "--before", "2026-03-01", "--reason", "年度归档")
    assert "已归档第 1–3 条共 3 条" in capsys.readouterr().out
    call_command("audit_verify")

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nrcms.accounts.audit import audit_record
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_chain(db, guard_dropped):
    """These tests read the chain from its first link: start each (inside its rolled-back transaction) from
    an empty trail rather than the demo county's."""
    with guard_dropped():
        AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()


def _three_entries(actor=None):
    for n in range(3):
        audit_record(actor=actor, action="test.change", object_type="thing", object_id=str(n),
                     before={"v": n}, after={"v": n + 1}, reason=f"第{n}次")


def test_each_entry_chains_to_the_previous_one():
    _three_entries()
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert audit_verify().ok and audit_verify().checked == 3


def test_altering_a_row_breaks_verification_at_that_row(guard_dropped):
    _three_entries()
    with guard_dropped():
        AuditEntry.objects.filter(seq=2).update(reason="改过的原因")
    report = audit_verify()
    assert not report.ok
    assert report.bad_seq == 2
    assert "改动" in report.problem


def test_altering_the_before_value_is_detected(guard_dropped):
    _three_entries()
    with guard_dropped():
        AuditEntry.objects.filter(seq=1).update(after={"v": 999})
    assert audit_verify().bad_seq == 1


def test_deleting_a_middle_row_is_detected(guard_dropped):
    _three_entries()
    with guard_dropped():
        AuditEntry.objects.filter(seq=2).delete()
    report = audit_verify()
    assert not report.ok and report.bad_seq == 2


def test_deleting_the_last_row_is_detected_by_the_chain_head(guard_dropped):
    _three_entries()
    with guard_dropped():
        AuditEntry.objects.filter(seq=3).delete()
    report = audit_verify()
    assert not report.ok
    assert AuditChainHead.objects.get().last_seq == 3


def test_rehashing_a_forged_row_still_breaks_the_next_link(guard_dropped):
    from nrcms.accounts.audit_hashing import entry_digest

    _three_entries()
    row = AuditEntry.objects.filter(seq=2).values().get()
    row["reason"] = "伪造"
    forged = entry_digest(row["prev_hash"], row)
    with guard_dropped():
        AuditEntry.objects.filter(seq=2).update(reason="伪造", hash=forged)
    report = audit_verify()
    assert not report.ok and report.bad_seq == 3


def test_entries_refuse_update_and_delete_through_the_model():
    _three_entries()
    entry = AuditEntry.objects.get(seq=1)
    entry.reason = "x"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_verify_command_fails_loudly_on_tampering(guard_dropped):
    _three_entries()
    call_command("audit_verify")
    with guard_dropped():
        AuditEntry.objects.filter(seq=3).update(action="test.other")
    with pytest.raises(CommandError, match="第 3 条"):
        call_command("audit_verify")


def test_floats_are_refused_in_audit_values():
    with pytest.raises(TypeError):
        audit_record(actor=None, action="test", after={"amount": 1.5})


def test_decimal_values_are_kept_exactly():
    from decimal import Decimal

    entry = audit_record(actor=None, action="test", after={"amount": Decimal("4000.10")})
    assert AuditEntry.objects.get(seq=entry.seq).after == {"amount": "4000.10"}
    assert audit_verify().ok

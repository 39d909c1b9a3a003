"""The review's second thoughts: withdrawing a violation deduction, sending a statement back to the hospital,
and the hospital submitting it again.

The flow a county office expects (docs/guide/facility-payments.md):
- a deduction taken in review can be withdrawn while the statement is still in review — with a reason; the row
  is kept (marked withdrawn, who, when, why) and the statement's deduction total is recomputed from the
  deductions still standing. Nothing reaches the ledger before approval, so nothing needs reversing there;
- a statement that is submitted or in review can be sent back (退回) to the hospital with a reason: it leaves
  the review queue and cannot be approved or disbursed. The hospital desk sees the reason on the statement;
- the hospital answers with a note and submits it again (重新报送). The statement is generated again from the
  month's settlements (the month has ended, so this normally gives the same lines; a settlement error found in
  review is corrected by reversal and resettlement, which land on the current month's statement) and goes
  back to the reviewer as 已生成待审核. Deductions taken before stay (the reviewer may withdraw them)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.core.money import ZERO, round_amount

from .common import audit_scope, not_longer
from .models import FacilityStatement, StatementDeduction, StatementLine, StatementStatus
from .services import _locked, _reviewer, _totals, month_settlements

REASON_MAX = 300


def _reason(text: str, *, field: str, label: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("required", f"{what}必须填写{label}", field=field)
    not_longer(text, REASON_MAX, field=field, label=label)
    return text


def _status(statement: FacilityStatement, allowed: tuple[str, ...], doing: str) -> None:
    if statement.status not in allowed:
        labels = "或".join(f"“{StatementStatus(s).label}”" for s in allowed)
        raise ValidationFailed("invalid_status", f"月结算单 {statement.number} 当前为“{statement.get_status_display()}”，"
                               f"只有{labels}的月结算单可以{doing}", field="status")


def deduction_total_of(statement: FacilityStatement):
    total = statement.deductions.filter(withdrawn_at__isnull=True).aggregate(s=Sum("amount"))["s"]
    return round_amount(total) if total is not None else ZERO


@transaction.atomic
def statement_deduction_withdraw(*, actor: User, statement: FacilityStatement, deduction_id: int,
                                 reason: str) -> StatementDeduction:
    """撤销违规扣款 during review: the deduction is marked withdrawn and the statement's total recomputed."""
    _reviewer(actor)
    reason = _reason(reason, field="reason", label="撤销原因", what="撤销违规扣款")
    statement = _locked(statement)
    _status(statement, (StatementStatus.IN_REVIEW,), "撤销扣款")
    deduction = statement.deductions.select_for_update().filter(pk=deduction_id).first()
    if deduction is None:
        raise NotFound("违规扣款", deduction_id)
    if deduction.withdrawn_at is not None:
        raise ValidationFailed("already_withdrawn", f"该笔违规扣款（{deduction.amount} 元）已于 "
                               f"{timezone.localtime(deduction.withdrawn_at):%Y-%m-%d %H:%M} 撤销", field="deduction")
    deduction.withdrawn_at, deduction.withdrawn_by, deduction.withdrawal_reason = timezone.now(), actor, reason
    deduction.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    before = statement.deduction_total
    statement.deduction_total = deduction_total_of(statement)
    statement.save(update_fields=["deduction_total"])
    audit_record(actor=actor, action="statement.deduction_withdraw", obj=statement, reason=reason,
                 **audit_scope(statement.facility), before={"deduction_total": before, "amount": deduction.amount},
                 after={"deduction_total": statement.deduction_total, "deduction": deduction.pk,
                        "amount": deduction.amount})
    return deduction


@transaction.atomic
def statement_return(*, actor: User, statement: FacilityStatement, reason: str) -> FacilityStatement:
    """退回医院: the reviewer sends a submitted or in-review statement back with a reason."""
    _reviewer(actor)
    reason = _reason(reason, field="reason", label="退回原因", what="退回月结算单")
    statement = _locked(statement)
    _status(statement, (StatementStatus.SUBMITTED, StatementStatus.IN_REVIEW), "退回医院")
    before = statement.status
    statement.status, statement.return_reason = StatementStatus.RETURNED, reason
    statement.returned_by, statement.returned_at = actor, timezone.now()
    statement.save(update_fields=["status", "return_reason", "returned_by", "returned_at"])
    audit_record(actor=actor, action="statement.return", obj=statement, reason=reason, **audit_scope(statement.facility),
                 before={"status": before}, after={"status": StatementStatus.RETURNED})
    return statement


@transaction.atomic
def statement_resubmit(*, actor: User, statement: FacilityStatement, note: str) -> FacilityStatement:
    """重新报送: the facility's desk answers the return with a note; the statement is generated again from the
    month's settlements and waits for review (已生成待审核)."""
    if not (actor.can(Cap.DESK_SETTLE) and actor.facility_id == statement.facility_id):
        raise Forbidden("只有本机构合疗科可以重新报送被退回的月结算单")
    note = _reason(note, field="note", label="报送说明（对退回原因的答复）", what="重新报送")
    statement = _locked(statement)
    _status(statement, (StatementStatus.RETURNED,), "重新报送")
    rows = month_settlements(facility=statement.facility, month=statement.month)
    taken = (StatementLine.objects.filter(settlement__in=rows).exclude(statement=statement)
             .select_related("statement", "settlement").first())
    if taken is not None:
        raise ValidationFailed("settlement_on_statement", f"结算单 {taken.settlement.number} 已列入月结算单 "
                               f"{taken.statement.number}", field="statement")
    before = {"fund_total": statement.fund_total, "lines": statement.lines.count(), "status": statement.status}
    totals = _totals(rows)  # deductions above the new total are kept: approval carries the rest forward
    statement.lines.all().delete()
    StatementLine.objects.bulk_create([StatementLine(statement=statement, settlement=s) for s in rows])
    for name, value in totals.items():
        setattr(statement, name, value)
    statement.status, statement.resubmission_note, statement.resubmitted_at = (
        StatementStatus.SUBMITTED, note, timezone.now())
    statement.reviewed_by = statement.reviewed_at = None
    statement.save()
    audit_record(actor=actor, action="statement.resubmit", obj=statement, reason=note, **audit_scope(statement.facility),
                 before=before, after={"fund_total": statement.fund_total, "lines": len(rows),
                                       "status": StatementStatus.SUBMITTED})
    return statement

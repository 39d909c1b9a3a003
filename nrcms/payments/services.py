"""Paying the facilities: generate the monthly statement, review it (deductions), approve, disburse.

Which settlements a month's statement holds (decided here, tested in tests/payments):
- every Settlement row of the facility whose `settled_at` (local time) falls in the month — settlements and
  reversals alike; a settlement is paid on one statement only (StatementLine.settlement is unique);
- a settlement reversed within the same month is left out together with its reversal: they net to zero and
  the facility was never owed it;
- a reversal posted in a later month than its settlement lands on the later month's statement as a negative
  line (the earlier statement may already be paid; it is never reopened).
A statement is generated only for a month that has ended, so what it holds can no longer change; generating
it again returns the same statement.

Family-doctor fees (家庭医生签约服务费, nrcms/family_doctors): the fee of month M paid to a team posts
Dr 3101 / Cr 2201-<the team's facility>. When the facility's statement for M is generated it takes every such
payment of M or an earlier month not yet on a statement, as its family_doctor_fee_total; the disbursement then
clears the payable with the claims. A fee paid after the statement of its month was generated is not added to
that statement (a generated statement never changes, as with refunds): it lands on the facility's next
statement generated — a facility with only fees to be paid gets a statement too.

Ledger: a violation deduction posts Dr 2201-机构 / Cr 3101 when the statement is approved (deductions are
provisional while under review); so does each patient refund the statement recovers (Dr 2201-机构 / Cr 2202,
refunds.py); the disbursement posts Dr 2201-机构 / Cr 1001 for fund total + family-doctor fees − deductions − recoveries −
what an earlier negative month brought forward.

A negative month (deductions, recoveries and the brought-forward above the month's claims, or reversals above
settlements) is not refused: the statement pays zero and its remainder (carried_forward) is taken onto the
facility's next statement as 上月结转扣款. The ledger needs no entry for the carry: 2201-机构 simply stays in
debit (the facility owes the fund) until the next month's claims cover it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require_separation
from nrcms.claims.models import EpisodeKind, Settlement, SettlementKind
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.facilities.models import Facility
from nrcms.funding import ledger

from .common import audit_scope, decimal_input, month_bounds, month_next, month_parse, not_longer
from .models import (
    LAYERS,
    MULTIPLIER_RANGE,
    FacilityStatement,
    StatementDeduction,
    StatementLine,
    StatementStatus,
    ViolationKind,
)

AMOUNTS = ("total_cost", *LAYERS, "fund_total", "self_pay", "facility_borne")


# --- months --------------------------------------------------------------------------------------

def statement_number(facility: Facility, month: dt.date) -> str:
    return f"YJ{month:%Y%m}-{facility.code}"


# --- generate ------------------------------------------------------------------------------------

def month_settlements(*, facility: Facility, month: dt.date) -> list[Settlement]:
    """The rows a month's statement holds (see the module docstring)."""
    start, end = month_bounds(month)
    rows = list(Settlement.objects.select_related("episode").filter(
        episode__facility=facility, settled_at__gte=start, settled_at__lt=end).order_by("settled_at", "id"))
    ids = {s.pk for s in rows}
    netted = set()
    for s in rows:
        if s.kind == SettlementKind.REVERSAL and s.reverses_id in ids:
            netted |= {s.pk, s.reverses_id}
    return [s for s in rows if s.pk not in netted]


def _totals(rows: list[Settlement]) -> dict:
    out = {name: ZERO for name in AMOUNTS}
    out.update(inpatient_count=0, outpatient_count=0, reversal_count=0, inpatient_total_cost=ZERO,
               inpatient_fund_total=ZERO, outpatient_total_cost=ZERO, outpatient_fund_total=ZERO)
    for s in rows:
        for name in AMOUNTS:
            out[name] += getattr(s, name)
        if s.kind == SettlementKind.REVERSAL:
            out["reversal_count"] += 1
        kind = "inpatient" if s.episode.kind == EpisodeKind.INPATIENT else "outpatient"
        out[f"{kind}_count"] += 1 if s.kind == SettlementKind.SETTLEMENT else -1
        out[f"{kind}_total_cost"] += s.total_cost
        out[f"{kind}_fund_total"] += s.fund_total
    return out


@transaction.atomic
def statement_generate(*, actor: User | None, facility: Facility, month: dt.date | str,
                       today: dt.date | None = None) -> tuple[FacilityStatement, bool]:
    """Generate the facility's statement for a month that has ended. Returns (statement, created); generating
    again returns the first. actor=None for the installation's own commands (CLI, demo)."""
    month = month_parse(month)
    if actor is not None:
        if actor.can(Cap.DESK_SETTLE):
            if actor.facility_id != facility.pk:
                raise Forbidden("定点医疗机构只能生成本机构的月结算单")
        elif not actor.can(Cap.CLAIMS_REVIEW):
            raise Forbidden("只有县合管办审核员或本机构合疗科可以生成月结算单")
    existing = FacilityStatement.objects.filter(facility=facility, month=month).first()
    if existing is not None:
        return existing, False
    today = today or timezone.localdate()
    if month_next(month) > today:
        raise ValidationFailed("month_not_ended", f"{month:%Y 年 %m 月}尚未结束，月末之后才能生成月结算单",
                               field="month")
    rows = month_settlements(facility=facility, month=month)
    from nrcms.family_doctors.services import fees_attach, fees_pending

    from .refunds import refunds_attach, refunds_pending

    if (not rows and not refunds_pending(facility, month) and not _carries(facility, month).exists()
            and not fees_pending(facility, month).exists()):
        raise ValidationFailed("empty_month", f"{facility.name} {month:%Y 年 %m 月}没有结算记录，无需生成月结算单",
                               field="month")
    taken = StatementLine.objects.filter(settlement__in=rows).select_related("statement", "settlement").first()
    if taken is not None:
        raise Conflict("settlement_on_statement",
                       f"结算单 {taken.settlement.number} 已列入月结算单 {taken.statement.number}", field="month")
    statement = FacilityStatement.objects.create(
        number=statement_number(facility, month), facility=facility, month=month, prepared_by=actor,
        **_totals(rows))
    StatementLine.objects.bulk_create([StatementLine(statement=statement, settlement=s) for s in rows])
    statement.recovery_total = refunds_attach(statement)
    statement.family_doctor_fee_total = fees_attach(statement)
    statement.brought_forward = bring_forward(statement)
    statement.save(update_fields=["recovery_total", "family_doctor_fee_total", "brought_forward"])
    audit_record(actor=actor, action="statement.generate", obj=statement, **audit_scope(facility),
                 after={"month": f"{month:%Y-%m}", "lines": len(rows), "fund_total": statement.fund_total,
                        "total_cost": statement.total_cost, "recovery_total": statement.recovery_total,
                        "family_doctor_fee_total": statement.family_doctor_fee_total,
                        "brought_forward": statement.brought_forward, "status": statement.status})
    return statement, True


# --- a negative month: what it could not take off is carried into the next statement ---------------

def _carries(facility: Facility, month: dt.date):
    """Earlier approved statements of the facility whose negative remainder no later statement has taken."""
    return FacilityStatement.objects.filter(
        facility=facility, month__lt=month, carried_forward__gt=0, carried_into__isnull=True,
        status__in=[StatementStatus.APPROVED, StatementStatus.DISBURSED])


def bring_forward(statement: FacilityStatement):
    """Take the facility's outstanding carries onto this statement (上月结转扣款); returns its whole
    brought-forward amount. Called when the statement is generated and again when it is approved (a carry
    approved in between is taken then)."""
    _carries(statement.facility, statement.month).update(carried_into=statement)
    total = statement.carries.aggregate(s=Sum("carried_forward"))["s"]
    return round_amount(total) if total is not None else ZERO


# --- review --------------------------------------------------------------------------------------

def _reviewer(actor: User) -> None:
    if not actor.can(Cap.CLAIMS_REVIEW):
        raise Forbidden("只有县合管办审核员可以审核月结算单")


def _locked(statement: FacilityStatement) -> FacilityStatement:
    return FacilityStatement.objects.select_for_update(of=("self",)).select_related("facility", "facility__region").get(
        pk=statement.pk)


@transaction.atomic
def statement_review_start(*, actor: User, statement: FacilityStatement) -> FacilityStatement:
    """The county reviewer takes the statement into review (deductions can then be added)."""
    _reviewer(actor)
    statement = _locked(statement)
    if statement.status != StatementStatus.SUBMITTED:
        raise ValidationFailed("invalid_status", f"月结算单 {statement.number} 当前为“{statement.get_status_display()}”，"
                               "不能再开始审核", field="status")
    statement.status, statement.reviewed_by, statement.reviewed_at = StatementStatus.IN_REVIEW, actor, timezone.now()
    statement.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(actor=actor, action="statement.review", obj=statement, **audit_scope(statement.facility),
                 before={"status": "submitted"}, after={"status": "in_review"})
    return statement


@transaction.atomic
def statement_deduct(*, actor: User, statement: FacilityStatement, kind: str, base_amount, multiplier,
                     reason: str, settlement_number: str = "") -> StatementDeduction:
    """违规扣款 = base amount × multiplier (1–2× loss to the fund, 2–5× fraud), with a reason."""
    _reviewer(actor)
    if not (reason or "").strip():
        raise ValidationFailed("required", "违规扣款必须填写扣款原因", field="reason")
    not_longer(reason.strip(), 300, field="reason", label="扣款原因")
    if kind not in ViolationKind.values:
        raise ValidationFailed("invalid", f"违规性质“{kind}”不存在，应为造成基金损失或欺诈骗保", field="kind")
    base = decimal_input(base_amount, "base_amount", "违规金额")
    if base <= 0 or base != round_amount(base):
        raise ValidationFailed("invalid", "违规金额应为正数且精确到分", field="base_amount")
    times = decimal_input(multiplier, "multiplier", "倍数")
    low, high = (Decimal(v) for v in MULTIPLIER_RANGE[kind])
    if not low <= times <= high or times != times.quantize(Decimal("0.01")):
        raise ValidationFailed("out_of_range", f"{ViolationKind(kind).label}的扣款倍数应在 {low} 至 {high} 倍之间"
                               f"（最多两位小数），填写的是 {multiplier}", field="multiplier")
    statement = _locked(statement)
    if statement.status != StatementStatus.IN_REVIEW:
        raise ValidationFailed("invalid_status", f"月结算单 {statement.number} 当前为“{statement.get_status_display()}”，"
                               "只有审核中的月结算单可以扣款", field="status")
    settlement = None
    if settlement_number.strip():
        line = statement.lines.select_related("settlement").filter(settlement__number=settlement_number.strip()).first()
        if line is None:
            raise ValidationFailed("invalid", f"结算单 {settlement_number} 不在月结算单 {statement.number} 中",
                                   field="settlement_number")
        settlement = line.settlement
    # Deductions above the month's claims are taken in full: the statement pays nothing and carries the rest.
    amount = round_amount(base * times)
    deduction = StatementDeduction.objects.create(statement=statement, settlement=settlement, kind=kind,
                                                  base_amount=base, multiplier=times, amount=amount,
                                                  reason=reason.strip(), created_by=actor)
    before = statement.deduction_total
    statement.deduction_total = before + amount
    statement.save(update_fields=["deduction_total"])
    audit_record(actor=actor, action="statement.deduct", obj=statement, reason=reason.strip(),
                 **audit_scope(statement.facility), before={"deduction_total": before},
                 after={"deduction_total": statement.deduction_total, "kind": kind, "base_amount": base,
                        "multiplier": times, "amount": amount,
                        "settlement": settlement.number if settlement else None})
    return deduction


@transaction.atomic
def statement_approve(*, actor: User, statement: FacilityStatement) -> FacilityStatement:
    """审定: fixes the amount to pay (fund total − deductions) and posts each deduction to the ledger."""
    _reviewer(actor)
    statement = _locked(statement)
    if statement.status != StatementStatus.IN_REVIEW:
        raise ValidationFailed("invalid_status", f"月结算单 {statement.number} 当前为“{statement.get_status_display()}”，"
                               "只有审核中的月结算单可以审定", field="status")
    for d in statement.deductions.filter(withdrawn_at__isnull=True):
        ledger.violation_deduction_post(
            facility=statement.facility, amount=d.amount, actor=actor, source=d,
            description=f"违规扣款 {statement.number}（{statement.facility.name}）：{d.reason}",
            idempotency_key=f"violation-deduction-{d.pk}")
    from .refunds import refunds_recover

    refunds_recover(actor=actor, statement=statement)
    statement.brought_forward = bring_forward(statement)
    statement.status, statement.approved_by, statement.approved_at = StatementStatus.APPROVED, actor, timezone.now()
    statement.approved_amount, statement.carried_forward = statement.net_payable, statement.carry_estimate
    statement.save(update_fields=["status", "approved_by", "approved_at", "approved_amount", "brought_forward",
                                  "carried_forward"])
    audit_record(actor=actor, action="statement.approve", obj=statement, **audit_scope(statement.facility),
                 before={"status": "in_review"},
                 after={"status": "approved", "fund_total": statement.fund_total,
                        "family_doctor_fee_total": statement.family_doctor_fee_total,
                        "deduction_total": statement.deduction_total, "recovery_total": statement.recovery_total,
                        "brought_forward": statement.brought_forward, "carried_forward": statement.carried_forward,
                        "approved_amount": statement.approved_amount})
    return statement


# --- disburse ------------------------------------------------------------------------------------

@transaction.atomic
def statement_disburse(*, actor: User, statement: FacilityStatement, reference: str,
                       idempotency_key: str | None = None) -> tuple[FacilityStatement, bool]:
    """拨付 by finance, never by the user who approved: Dr 2201-机构 / Cr 1001 for the approved amount.
    Returns (statement, created); a retry with the same key returns the first disbursement."""
    statement = _locked(statement)
    require_separation(preparer=statement.approved_by, approver=actor, what="月结算单拨付")
    if not actor.can(Cap.FUND_DISBURSE):
        raise Forbidden("只有财政局（基金专户）可以拨付")
    if statement.status == StatementStatus.DISBURSED:
        if idempotency_key and idempotency_key == statement.disbursement_key:
            return statement, False
        raise Conflict("already_disbursed", f"月结算单 {statement.number} 已于 "
                       f"{timezone.localtime(statement.disbursed_at):%Y-%m-%d %H:%M} 拨付 {statement.disbursed_amount} 元，"
                       "不能重复拨付", field="statement")
    if statement.status != StatementStatus.APPROVED:
        raise ValidationFailed("not_approved", f"月结算单 {statement.number} 当前为“{statement.get_status_display()}”，"
                               "审定后才能拨付", field="status")
    if not (reference or "").strip():
        raise ValidationFailed("required", "拨付必须填写拨付凭证号（银行回单号）", field="reference")
    not_longer((reference or "").strip(), 60, field="reference", label="拨付凭证号")
    not_longer(idempotency_key or "", 80, field="idempotency_key", label="幂等键（Idempotency-Key）")
    if idempotency_key and FacilityStatement.objects.filter(disbursement_key=idempotency_key).exists():
        raise Conflict("idempotency_key_reused", "幂等键已用于另一张月结算单的拨付", field="idempotency_key")
    amount = statement.approved_amount
    if amount < 0:
        raise ValidationFailed("negative_net", f"本月净额为 {amount} 元（冲正多于结算），应由医疗机构退回，不能拨付",
                               field="statement")
    if amount > 0:
        ledger.disbursement_post(
            facility=statement.facility, amount=amount, actor=actor, source=statement,
            description=f"拨付 {statement.number}（{statement.facility.name}）凭证 {reference.strip()}",
            idempotency_key=f"statement-disbursement-{statement.pk}")
    statement.status, statement.disbursed_by, statement.disbursed_at = StatementStatus.DISBURSED, actor, timezone.now()
    statement.disbursed_amount, statement.disbursement_reference = amount, reference.strip()
    statement.disbursement_key = idempotency_key or None
    statement.save(update_fields=["status", "disbursed_by", "disbursed_at", "disbursed_amount",
                                  "disbursement_reference", "disbursement_key"])
    audit_record(actor=actor, action="statement.disburse", obj=statement, **audit_scope(statement.facility),
                 before={"status": "approved"},
                 after={"status": "disbursed", "amount": amount, "reference": statement.disbursement_reference})
    return statement, True


def statement_for(*, facility_code: str, month) -> FacilityStatement:
    """For the CLI: a statement by facility code and month."""
    statement = FacilityStatement.objects.filter(facility__code=facility_code, month=month_parse(month)).first()
    if statement is None:
        raise NotFound("月结算单", f"{facility_code} {month}")
    return statement

"""The review queue's decisions: accept, deduct (base × multiplier, the fund-supervision regulation's 1–2× or
2–5×), refer to an expert, refund the patient — each with a reason, audited.

A deduction flows into the facility's statement through the payments service that adds a deduction
(`statement_deduct`), so the statement's total and, at approval, the ledger stay right: the statement of the
month the settlement was settled in, or — when that one is already approved or paid — the next one still open
(carried). While no such statement is in review the decision waits as 待计入月结算单 and is posted by
`pending_deductions_post` (the queue's button, and after every decision). Above the rules file's threshold a
deduction needs a second reviewer (another account) to confirm before it takes effect.

A refund to the patient is recorded as a decision with its amount and reason, status 待退还, and registered at
once as a PatientRefund (nrcms/payments/refunds.py) against the hit's settlement: the facility's statement
recovers it and finance pays the patient there."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NotFound, NrcmsError, ValidationFailed
from nrcms.core.money import round_amount
from nrcms.payments.models import MULTIPLIER_RANGE, FacilityStatement, StatementStatus, ViolationKind
from nrcms.payments.services import statement_deduct, statement_review_start

from .models import AuditHit, DecisionKind, DecisionStatus, HitStatus, ReviewDecision, SamplingRate
from .ruleset import ruleset_latest

REASON_MAX = 300
CLOSED = (StatementStatus.APPROVED, StatementStatus.DISBURSED)


def _reviewer(actor: User) -> None:
    if not actor.can(Cap.SUPERVISION_REVIEW):
        raise Forbidden("只有县合管办审核员可以审核智能审核疑点")


def _scope(hit: AuditHit) -> dict:
    return {"facility_code": hit.facility.code,
            "region_code": hit.facility.region.code if hit.facility.region_id else ""}


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("required", "审核处理必须填写理由（reason）", field="reason")
    if len(text) > REASON_MAX:
        raise ValidationFailed("too_long", f"理由（reason）最多 {REASON_MAX} 个字，现有 {len(text)} 个字", field="reason")
    return text


def _amount(value, field: str, label: str) -> Decimal:
    if value is None or value == "":
        raise ValidationFailed("required", f"{label}（{field}）必须填写", field=field)
    if isinstance(value, float):
        raise ValidationFailed("invalid", f"{label}（{field}）不能是浮点数，请用文本", field=field)
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationFailed("invalid", f"{label}（{field}）“{value}”不是数字", field=field) from None
    if not number.is_finite() or number <= 0 or number != round_amount(number) or number > Decimal("999999999.99"):
        raise ValidationFailed("invalid", f"{label}（{field}）应为大于 0 的金额，精确到分", field=field)
    return number


def _multiplier(kind: str, value) -> Decimal:
    if kind not in ViolationKind.values:
        raise ValidationFailed("invalid", f"违规性质（violation_kind）“{kind}”应为 loss（造成基金损失）或 fraud（欺诈骗保）",
                               field="violation_kind")
    try:
        times = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValidationFailed("invalid", f"倍数（multiplier）“{value}”不是数字", field="multiplier") from None
    low, high = (Decimal(v) for v in MULTIPLIER_RANGE[kind])
    if not times.is_finite() or not low <= times <= high or times != times.quantize(Decimal("0.01")):
        raise ValidationFailed("out_of_range", f"{ViolationKind(kind).label}的倍数（multiplier）应在 {low} 至 {high} 倍之间，"
                               "最多两位小数", field="multiplier")
    return times


@transaction.atomic
def hit_decide(*, actor: User, hit: AuditHit, kind: str, reason: str, base_amount=None, multiplier=None,
               violation_kind: str = "", refund_amount=None) -> ReviewDecision:
    """Decide a hit in the queue. Returns the decision (a deduction may be waiting for a second reviewer or
    for the facility's statement)."""
    _reviewer(actor)
    reason = _reason(reason)
    if kind not in DecisionKind.values:
        raise ValidationFailed("invalid", f"处理意见（kind）“{kind}”应为 accept、deduct、refer 或 refund", field="kind")
    hit = AuditHit.objects.select_for_update(of=("self",)).select_related("facility__region", "settlement").get(
        pk=hit.pk)
    if hit.status in (HitStatus.DECIDED, HitStatus.AWAITING_SECOND):
        raise ValidationFailed("already_decided", f"该疑点已{hit.get_status_display()}，不能重复处理", field="hit")
    values: dict = {"hit": hit, "kind": kind, "reason": reason, "decided_by": actor}
    if kind == DecisionKind.DEDUCT:
        if hit.settlement_id is None:
            raise ValidationFailed("no_settlement", "该疑点没有对应的结算单，不能扣款", field="kind")
        base = _amount(base_amount, "base_amount", "违规金额")
        if base > hit.settlement.fund_total:
            raise ValidationFailed("above_fund", f"违规金额（base_amount）{base} 元超过该结算单基金支付 "
                                   f"{hit.settlement.fund_total} 元", field="base_amount")
        times = _multiplier(violation_kind, multiplier)
        amount = round_amount(base * times)
        above = amount > ruleset_latest().second_reviewer_above
        values.update(violation_kind=violation_kind, base_amount=base, multiplier=times, amount=amount,
                      status=DecisionStatus.AWAITING_SECOND if above else DecisionStatus.PENDING_STATEMENT)
        hit.status = HitStatus.AWAITING_SECOND if above else HitStatus.DECIDED
    elif kind == DecisionKind.REFUND:
        amount = _amount(refund_amount, "refund_amount", "退还金额")
        if hit.settlement_id is not None and amount > hit.settlement.self_pay:
            raise ValidationFailed("above_self_pay", f"退还金额（refund_amount）{amount} 元超过患者自付 "
                                   f"{hit.settlement.self_pay} 元", field="refund_amount")
        values.update(amount=amount, status=DecisionStatus.REFUND_PENDING)
        hit.status = HitStatus.DECIDED
        if hit.settlement_id is not None:
            from nrcms.payments.models import RefundReason
            from nrcms.payments.refunds import refund_create

            refund, _ = refund_create(actor=actor, settlement=hit.settlement, amount=amount, reason=reason,
                                      authority=f"智能审核疑点 #{hit.pk}（{hit.rule_code} {hit.rule_name}）",
                                      reason_kind=RefundReason.UNREASONABLE_CHARGE,
                                      idempotency_key=f"audit-hit-{hit.pk}")
            values["reason"] = f"{reason}（返还单 {refund.number}）"[:300]
            values["refund"] = refund  # the statement that recovers it links back to this hit
    elif kind == DecisionKind.REFER:
        values.update(status=DecisionStatus.DONE)
        hit.status = HitStatus.REFERRED
    else:
        values.update(status=DecisionStatus.DONE)
        hit.status = HitStatus.DECIDED
    decision = ReviewDecision.objects.create(**values)
    hit.save(update_fields=["status"])
    audit_record(actor=actor, action="supervision.decide", obj=hit, reason=reason, **_scope(hit),
                 after={"kind": kind, "rule": hit.rule_code, "settlement": hit.settlement.number if hit.settlement_id
                        else None, "base_amount": values.get("base_amount"), "multiplier": values.get("multiplier"),
                        "amount": values.get("amount"), "status": decision.status})
    if decision.status == DecisionStatus.PENDING_STATEMENT:
        _post(actor, decision)
    return decision


@transaction.atomic
def decision_confirm(*, actor: User, decision: ReviewDecision) -> ReviewDecision:
    """复核: a second reviewer — not the one who decided — confirms a deduction above the threshold."""
    _reviewer(actor)
    decision = ReviewDecision.objects.select_for_update(of=("self",)).select_related(
        "hit__facility__region", "hit__settlement").get(pk=decision.pk)
    if decision.status != DecisionStatus.AWAITING_SECOND:
        raise ValidationFailed("invalid_status", f"该处理意见当前为“{decision.get_status_display()}”，不需要复核",
                               field="decision")
    if decision.decided_by_id == actor.pk:
        raise Forbidden("扣款须由另一名审核员复核，不能复核自己的处理意见", code="separation_of_duties")
    decision.confirmed_by, decision.confirmed_at = actor, timezone.now()
    decision.status = DecisionStatus.PENDING_STATEMENT
    decision.save(update_fields=["confirmed_by", "confirmed_at", "status"])
    hit = decision.hit
    hit.status = HitStatus.DECIDED
    hit.save(update_fields=["status"])
    audit_record(actor=actor, action="supervision.confirm", obj=hit, **_scope(hit),
                 before={"status": DecisionStatus.AWAITING_SECOND},
                 after={"status": decision.status, "amount": decision.amount, "decided_by": decision.decided_by.username})
    _post(actor, decision)
    return decision


def _target_statement(decision: ReviewDecision) -> FacilityStatement | None:
    """The month's statement, or when it is approved/paid the first later one not yet approved; None if that
    statement has not been generated yet (the decision waits)."""
    hit = decision.hit
    settled_month = timezone.localtime(hit.settlement.settled_at).date().replace(day=1)
    statements = list(FacilityStatement.objects.filter(facility_id=hit.facility_id, month__gte=settled_month)
                      .order_by("month"))
    if not statements or statements[0].month != settled_month:
        return None  # the month's own statement is not generated yet: the deduction waits for it
    return next((s for s in statements if s.status not in CLOSED), None)


def _post(actor: User, decision: ReviewDecision) -> bool:
    """Try to put a pending deduction on its statement. False (and the decision stays pending) when there is no
    open statement yet, or it is back at the hospital, or the payments service refuses."""
    statement = _target_statement(decision)
    if statement is None or statement.status == StatementStatus.RETURNED:
        return False
    hit = decision.hit
    on_it = statement.lines.filter(settlement_id=hit.settlement_id).exists()
    reason = f"智能审核 {hit.rule_code} {hit.rule_name}：{decision.reason}"[:300]
    try:
        with transaction.atomic():
            if statement.status == StatementStatus.SUBMITTED:
                statement = statement_review_start(actor=actor, statement=statement)
            deduction = statement_deduct(actor=actor, statement=statement, kind=decision.violation_kind,
                                         base_amount=decision.base_amount, multiplier=decision.multiplier,
                                         reason=reason, settlement_number=hit.settlement.number if on_it else "")
    except NrcmsError:
        return False
    decision.deduction, decision.status = deduction, DecisionStatus.APPLIED
    decision.save(update_fields=["deduction", "status"])
    audit_record(actor=actor, action="supervision.deduction_post", obj=hit, **_scope(hit),
                 after={"statement": statement.number, "amount": decision.amount,
                        "carried": statement.month != timezone.localtime(hit.settlement.settled_at).date()
                        .replace(day=1)})
    return True


@transaction.atomic
def pending_deductions_post(*, actor: User, facility_id: int | None = None) -> tuple[int, int]:
    """Post every deduction waiting for a statement (one facility's, or all). Returns (posted, still waiting)."""
    _reviewer(actor)
    qs = (ReviewDecision.objects.select_for_update(of=("self",)).filter(status=DecisionStatus.PENDING_STATEMENT)
          .select_related("hit__facility__region", "hit__settlement").order_by("id"))
    if facility_id is not None:
        qs = qs.filter(hit__facility_id=facility_id)
    posted = waiting = 0
    for decision in qs:
        if _post(actor, decision):
            posted += 1
        else:
            waiting += 1
    return posted, waiting


@transaction.atomic
def sampling_rate_set(*, actor: User, facility, rate, reason: str) -> SamplingRate:
    """抽查比例 of one facility (0–1): the share of its warn-level hits that enter the queue."""
    _reviewer(actor)
    reason = _reason(reason)
    try:
        value = Decimal(str(rate).strip())
    except ArithmeticError:
        raise ValidationFailed("invalid", f"抽查比例（rate）“{rate}”不是数字", field="rate") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1) or value != value.quantize(Decimal("0.0001")):
        raise ValidationFailed("out_of_range", "抽查比例（rate）应在 0 到 1 之间，最多四位小数（0.2 即 20%）", field="rate")
    row = SamplingRate.objects.select_for_update().filter(facility=facility).first()
    before = row.rate if row else ruleset_latest().default_sampling_rate
    if row is None:
        row = SamplingRate.objects.create(facility=facility, rate=value, reason=reason, set_by=actor)
    else:
        row.rate, row.reason, row.set_by = value, reason, actor
        row.save()
    audit_record(actor=actor, action="supervision.sampling_rate", obj=row, reason=reason,
                 facility_code=facility.code, before={"rate": before}, after={"rate": value})
    return row


def hit_get(pk: int) -> AuditHit:
    hit = (AuditHit.objects.select_related("facility__region", "settlement", "episode", "person", "run")
           .filter(pk=pk).first())
    if hit is None:
        raise NotFound("审核疑点", pk)
    return hit

"""Refunds to patients (返还): a patient paid too much out of pocket on a settlement — the amount was
miscalculated, or the facility charged what it should not have. The county records the refund against the
settlement; the facility's next monthly statement carries it as a recovery line (the facility is paid that
much less: approval posts Dr 2201-机构 / Cr 2202); finance then pays the patient (Dr 2202 / Cr 1001) and
prints the notice slip (返还通知单).

    recorded (已登记待追回) → recovered (已在月结算单追回待支付) → paid (已支付给患者)

The refund is never more than what the patient paid on that settlement (个人自付) less what was refunded on it
already. `refund_create` is the one entry point — the review queue's "refund the patient" decision calls it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import facility_list
from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.funding import ledger

from .common import audit_scope, decimal_input, month_bounds, not_longer
from .models import FacilityStatement, PatientRefund, RefundReason, RefundStatus

READERS = (Cap.CLAIMS_REVIEW, Cap.FUND_DISBURSE, Cap.FUND_VIEW)


def can_read(actor: User) -> bool:
    return any(actor.can(cap) for cap in READERS)


def refunded_on(settlement: Settlement) -> Decimal:
    total = PatientRefund.objects.filter(settlement=settlement).aggregate(s=Sum("amount"))["s"]
    return round_amount(total) if total is not None else ZERO


def _settlement_in_scope(actor: User, settlement: Settlement) -> Settlement:
    locked = (Settlement.objects.select_for_update(of=("self",))
              .select_related("episode", "episode__facility", "episode__facility__region", "episode__person")
              .filter(pk=settlement.pk, episode__facility__in=facility_list(actor=actor)).first())
    if locked is None:
        raise NotFound("结算单", settlement.number)
    return locked


@transaction.atomic
def refund_create(*, actor: User, settlement: Settlement, amount, reason: str, authority: str = "",
                  reason_kind: str = RefundReason.OTHER,
                  idempotency_key: str | None = None) -> tuple[PatientRefund, bool]:
    """登记返还 against a settlement. Returns (refund, created); a retry with the same idempotency key returns
    the first refund (the same key with a different settlement or amount is refused)."""
    if not actor.can(Cap.CLAIMS_REVIEW):
        raise Forbidden("只有县合管办审核员可以登记患者返还")
    not_longer(idempotency_key or "", 80, field="idempotency_key", label="幂等键（Idempotency-Key）")
    if idempotency_key:
        existing = PatientRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.settlement_id != settlement.pk or existing.amount != decimal_input(amount, "amount", "返还金额"):
                raise Conflict("idempotency_key_reused", "幂等键已用于另一笔返还（结算单或金额不同）",
                               field="idempotency_key")
            return existing, False
    if reason_kind not in RefundReason.values:
        raise ValidationFailed("invalid", f"返还原因类别“{reason_kind}”不存在，应为计算错误、不合理收费或其他",
                               field="reason_kind")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "登记返还必须填写返还原因", field="reason")
    not_longer(reason, 300, field="reason", label="返还原因")
    authority = (authority or "").strip()
    not_longer(authority, 200, field="authority", label="依据")
    value = decimal_input(amount, "amount", "返还金额")
    if value <= 0 or value != round_amount(value):
        raise ValidationFailed("invalid", f"返还金额应为正数且精确到分，填写的是 {amount}", field="amount")
    settlement = _settlement_in_scope(actor, settlement)
    if settlement.kind != SettlementKind.SETTLEMENT or settlement.status != SettlementStatus.ACTIVE:
        raise ValidationFailed("settlement_not_active", f"结算单 {settlement.number} 是冲正或已冲正的结算，"
                               "冲正已退回全部金额，不能再登记返还", field="settlement")
    already = refunded_on(settlement)
    room = settlement.self_pay - already
    if value > room:
        raise ValidationFailed("above_self_pay", f"返还金额 {value} 元超过患者在结算单 {settlement.number} 的个人自付 "
                               f"{settlement.self_pay} 元可返还的部分（已返还 {already} 元，最多还可返还 {room} 元）",
                               field="amount")
    refund = PatientRefund.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:20]}", settlement=settlement, facility=settlement.episode.facility,
        amount=value, reason_kind=reason_kind, reason=reason, authority=authority,
        idempotency_key=idempotency_key or None, recorded_by=actor)
    refund.number = f"FH{timezone.localdate():%Y%m}-{refund.pk:06d}"
    refund.save(update_fields=["number"])
    audit_record(actor=actor, action="refund.create", obj=refund, reason=reason, authority=authority,
                 **audit_scope(refund.facility),
                 after={"settlement": settlement.number, "amount": value, "reason_kind": reason_kind,
                        "status": RefundStatus.RECORDED})
    return refund, True


# --- on the facility's statement -----------------------------------------------------------------------

def refunds_attach(statement: FacilityStatement) -> Decimal:
    """Put the facility's refunds recorded up to the end of the statement's month and not yet on a statement
    on this one; returns the statement's recovery total (its refunds' sum)."""
    _, end = month_bounds(statement.month)
    (PatientRefund.objects.filter(facility=statement.facility, statement__isnull=True,
                                  status=RefundStatus.RECORDED, recorded_at__lt=end)
     .update(statement=statement))
    total = statement.refunds.aggregate(s=Sum("amount"))["s"]
    return round_amount(total) if total is not None else ZERO


def refunds_pending(facility, month: dt.date) -> bool:
    _, end = month_bounds(month)
    return PatientRefund.objects.filter(facility=facility, statement__isnull=True, status=RefundStatus.RECORDED,
                                        recorded_at__lt=end).exists()


def refunds_recover(*, actor: User, statement: FacilityStatement) -> None:
    """At the statement's approval: each refund it carries is recovered from the facility — Dr 2201 / Cr 2202."""
    for refund in statement.refunds.select_related("settlement").filter(status=RefundStatus.RECORDED):
        ledger.refund_recovery_post(
            facility=statement.facility, amount=refund.amount, actor=actor, source=refund,
            description=f"返还追回 {refund.number}（{statement.number}，结算单 {refund.settlement.number}）",
            idempotency_key=f"refund-recovery-{refund.pk}")
    statement.refunds.filter(status=RefundStatus.RECORDED).update(status=RefundStatus.RECOVERED)


# --- paying the patient -------------------------------------------------------------------------------

@transaction.atomic
def refund_pay(*, actor: User, refund: PatientRefund, reference: str,
               idempotency_key: str | None = None) -> tuple[PatientRefund, bool]:
    """支付返还 to the patient by finance: Dr 2202 / Cr 1001. Returns (refund, created); paying a refund already
    paid with the same key returns it unchanged."""
    if not actor.can(Cap.FUND_DISBURSE):
        raise Forbidden("只有财政局（基金专户）可以支付患者返还")
    refund = (PatientRefund.objects.select_for_update(of=("self",))
              .select_related("facility", "facility__region", "settlement", "statement").get(pk=refund.pk))
    not_longer(idempotency_key or "", 80, field="idempotency_key", label="幂等键（Idempotency-Key）")
    if refund.status == RefundStatus.PAID:
        if idempotency_key and idempotency_key == refund.paid_key:
            return refund, False
        raise Conflict("already_paid", f"返还 {refund.number} 已于 {timezone.localtime(refund.paid_at):%Y-%m-%d %H:%M} "
                       "支付给患者，不能重复支付", field="refund")
    if refund.status != RefundStatus.RECOVERED:
        raise ValidationFailed("not_recovered", f"返还 {refund.number} 当前为“{refund.get_status_display()}”，须待所在"
                               "月结算单审定（从医疗机构追回）后才能支付给患者", field="status")
    if idempotency_key and PatientRefund.objects.filter(paid_key=idempotency_key).exists():
        raise Conflict("idempotency_key_reused", "幂等键已用于另一笔返还的支付", field="idempotency_key")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("required", "支付返还必须填写支付凭证号（银行回单号）", field="reference")
    not_longer(reference, 60, field="reference", label="支付凭证号")
    ledger.refund_payment_post(
        amount=refund.amount, actor=actor, source=refund,
        description=f"返还支付 {refund.number}（结算单 {refund.settlement.number}）凭证 {reference}",
        idempotency_key=f"refund-payment-{refund.pk}")
    refund.status, refund.paid_by, refund.paid_at = RefundStatus.PAID, actor, timezone.now()
    refund.payment_reference, refund.paid_key = reference, idempotency_key or None
    refund.save(update_fields=["status", "paid_by", "paid_at", "payment_reference", "paid_key"])
    audit_record(actor=actor, action="refund.pay", obj=refund, **audit_scope(refund.facility),
                 before={"status": RefundStatus.RECOVERED},
                 after={"status": RefundStatus.PAID, "amount": refund.amount, "reference": reference})
    return refund, True


def refunds_payable(*, month: dt.date | None = None):
    """Refunds recovered and not yet paid; with a month, those whose statement is of that month."""
    qs = PatientRefund.objects.filter(status=RefundStatus.RECOVERED).select_related("settlement", "statement")
    if month is not None:
        qs = qs.filter(statement__month=month)
    return qs.order_by("id")


def refund_get(*, actor: User, pk: int | None = None, number: str | None = None) -> PatientRefund:
    key = {"pk": pk} if pk is not None else {"number": number}
    refund = refund_list(actor=actor).filter(**key).first()
    if refund is None:
        raise NotFound("患者返还", pk if pk is not None else number)
    return refund


def refund_list(*, actor: User, status: str = "", q: str = "", month: dt.date | None = None):
    if not can_read(actor):
        return PatientRefund.objects.none()
    qs = (PatientRefund.objects.select_related("settlement", "settlement__episode", "settlement__episode__person",
                                               "facility", "statement", "recorded_by", "paid_by")
          .filter(facility__in=facility_list(actor=actor)))
    if status:
        qs = qs.filter(status=status)
    if q:
        from django.db.models import Q

        qs = qs.filter(Q(number=q) | Q(settlement__number=q) | Q(settlement__episode__person__name=q)
                       | Q(facility__code=q))
    if month is not None:
        start, end = month_bounds(month)
        qs = qs.filter(recorded_at__gte=start, recorded_at__lt=end)
    return qs.order_by("-recorded_at", "-id")

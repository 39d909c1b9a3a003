"""The one-stop window's advances (一站式垫付): at the desk the patient is paid every layer at once, and the fund
repays the facility for all of them; what the layers after the basic scheme paid is then due to the fund —
大病保险 from the insurer (1301), 医疗救助 (1302) and 兜底保障 (1303) from civil affairs.

Each month finance claims them (垫付申报): one claim per layer, whose lines are the settlements' amounts of that
layer settled up to the month's end and not yet claimed — a reversal in a later month is a negative line of
that later month's claim (it nets). A claim whose net is not positive is not made: its lines wait for the next.

    drafted (已生成待报送) → sent (已报送待回款) → partly repaid (部分回款) → repaid (已全部回款)

Manual claims (手工报销, out-of-county care settled at the county centre): the centre pays the patient every layer
itself (Dr 130x / Cr 1001, ledger.manual_claim_post), so what catastrophic insurance, assistance and the safety
net owe for them is due to the fund just the same, and is claimed on the same monthly claim: a paid manual
claim is a line from its payment date, a reversal (冲正) a negative line from its reversal date. They are never
on a facility's statement: no facility advanced anything (the statement is built from settlements only).

A repayment posts Dr 1001 / Cr 130x. The receivable's balance is checked to the fen: it equals the claims not
yet repaid plus the layer amounts not yet claimed (settlements and manual claims)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.claims.models import Settlement
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.funding import ledger

from .common import decimal_input, month_bounds, month_next, month_parse, not_longer
from .models import (
    ADVANCE_PAYERS,
    AdvanceClaim,
    AdvanceClaimLine,
    AdvanceClaimStatus,
    AdvanceLayer,
    AdvanceRepayment,
)

READERS = (Cap.FUND_DISBURSE, Cap.FUND_VIEW)


def can_read(actor: User) -> bool:
    return any(actor.can(cap) for cap in READERS)


def _finance(actor: User | None) -> None:
    if actor is not None and not actor.can(Cap.FUND_DISBURSE):
        raise Forbidden("只有财政局（基金专户）可以办理垫付申报与回款")


def _layer(layer: str) -> str:
    if layer not in AdvanceLayer.values:
        raise ValidationFailed("invalid", f"垫付类别“{layer}”不存在，应为大病保险、医疗救助或兜底保障", field="layer")
    return layer


def unclaimed(layer: str, *, until: dt.datetime | None = None):
    """Settlements with an amount of the layer not yet on a claim of that layer (settled before `until`)."""
    qs = Settlement.objects.exclude(**{layer: 0}).exclude(advance_lines__layer=layer)
    if until is not None:
        qs = qs.filter(settled_at__lt=until)
    return qs


def unclaimed_manual(layer: str, *, until: dt.datetime | None = None) -> list[tuple[int, bool, object, dt.datetime]]:
    """Manual claims' amounts of the layer not yet on a claim: (manual claim id, reversal?, amount, date) — the
    payment of every claim that was paid (a reversed one was paid first) and the reversal of every reversed one,
    dated before `until`."""
    from nrcms.claims.models import ManualClaim, ManualClaimStatus

    def claimed(reversal: bool):
        return Exists(AdvanceClaimLine.objects.filter(manual_claim=OuterRef("pk"), layer=layer, reversal=reversal))

    with_layer = ManualClaim.objects.exclude(**{layer: 0})
    paid = with_layer.filter(~claimed(False), paid_at__isnull=False,
                             status__in=(ManualClaimStatus.PAID, ManualClaimStatus.REVERSED))
    reversed_ = with_layer.filter(~claimed(True), status=ManualClaimStatus.REVERSED, closed_at__isnull=False)
    if until is not None:
        paid, reversed_ = paid.filter(paid_at__lt=until), reversed_.filter(closed_at__lt=until)
    rows = [(pk, False, amount, at) for pk, amount, at in paid.values_list("pk", layer, "paid_at")]
    rows += [(pk, True, -amount, at) for pk, amount, at in reversed_.values_list("pk", layer, "closed_at")]
    return sorted(rows, key=lambda r: (r[3], r[0], r[1]))


def claim_number(layer: str, month: dt.date) -> str:
    return f"DF{ledger.LAYER_RECEIVABLE[layer]}-{month:%Y%m}"


@transaction.atomic
def advance_claim_create(*, actor: User | None, layer: str, month, today: dt.date | None = None
                         ) -> tuple[AdvanceClaim, bool]:
    """生成垫付申报单 for a month that has ended. Returns (claim, created); the same layer and month again
    returns the first. actor=None for the installation's own command."""
    _finance(actor)
    layer, month = _layer(layer), month_parse(month)
    existing = AdvanceClaim.objects.filter(layer=layer, month=month).first()
    if existing is not None:
        return existing, False
    today = today or timezone.localdate()
    if month_next(month) > today:
        raise ValidationFailed("month_not_ended", f"{month:%Y 年 %m 月}尚未结束，月末之后才能申报", field="month")
    _, end = month_bounds(month)
    # lock the layer's claims so two finance clerks cannot claim the same settlements twice
    list(AdvanceClaim.objects.select_for_update().filter(layer=layer).values_list("pk", flat=True))
    rows = list(unclaimed(layer, until=end).order_by("settled_at", "id").values_list("pk", layer))
    manual = unclaimed_manual(layer, until=end)
    label = AdvanceLayer(layer).label
    if not rows and not manual:
        raise ValidationFailed("empty_month", f"截至 {month:%Y 年 %m 月}末没有未申报的{label}垫付", field="month")
    amount = round_amount(sum((amount for _, amount in rows), ZERO) + sum((r[2] for r in manual), ZERO))
    if amount <= 0:
        raise ValidationFailed("not_positive", f"截至 {month:%Y 年 %m 月}末未申报的{label}垫付净额为 {amount} 元（冲正多于"
                               "结算），不生成申报单，并入下月申报", field="month")
    claim = AdvanceClaim.objects.create(number=claim_number(layer, month), layer=layer, month=month, amount=amount,
                                        line_count=len(rows) + len(manual), created_by=actor)
    AdvanceClaimLine.objects.bulk_create(
        [AdvanceClaimLine(claim=claim, layer=layer, settlement_id=pk, amount=value) for pk, value in rows]
        + [AdvanceClaimLine(claim=claim, layer=layer, manual_claim_id=pk, reversal=rev, amount=value)
           for pk, rev, value, _ in manual])
    audit_record(actor=actor, action="advance_claim.create", obj=claim,
                 after={"layer": layer, "month": f"{month:%Y-%m}", "lines": len(rows) + len(manual),
                        "manual_lines": len(manual), "amount": amount, "status": AdvanceClaimStatus.DRAFTED})
    return claim, True


def _locked(claim: AdvanceClaim) -> AdvanceClaim:
    return AdvanceClaim.objects.select_for_update().get(pk=claim.pk)


@transaction.atomic
def advance_claim_send(*, actor: User, claim: AdvanceClaim) -> AdvanceClaim:
    """报送: the claim and its detail list went to the payer."""
    _finance(actor)
    claim = _locked(claim)
    if claim.status != AdvanceClaimStatus.DRAFTED:
        raise ValidationFailed("invalid_status", f"垫付申报单 {claim.number} 当前为“{claim.get_status_display()}”，"
                               "只有已生成待报送的申报单可以报送", field="status")
    claim.status, claim.sent_by, claim.sent_at = AdvanceClaimStatus.SENT, actor, timezone.now()
    claim.save(update_fields=["status", "sent_by", "sent_at"])
    audit_record(actor=actor, action="advance_claim.send", obj=claim, before={"status": AdvanceClaimStatus.DRAFTED},
                 after={"status": AdvanceClaimStatus.SENT, "amount": claim.amount})
    return claim


@transaction.atomic
def advance_claim_repay(*, actor: User | None, claim: AdvanceClaim, amount, reference: str,
                        received_on: dt.date | None = None,
                        idempotency_key: str | None = None) -> tuple[AdvanceRepayment, bool]:
    """登记回款 (full or partial): Dr 1001 / Cr 130x. Returns (repayment, created); a retry with the same key
    returns the first repayment."""
    _finance(actor)
    not_longer(idempotency_key or "", 80, field="idempotency_key", label="幂等键（Idempotency-Key）")
    if idempotency_key:
        existing = AdvanceRepayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.claim_id != claim.pk:
                raise Conflict("idempotency_key_reused", "幂等键已用于另一张申报单的回款", field="idempotency_key")
            return existing, False
    claim = _locked(claim)
    if claim.status not in (AdvanceClaimStatus.SENT, AdvanceClaimStatus.PARTLY_REPAID):
        raise ValidationFailed("invalid_status", f"垫付申报单 {claim.number} 当前为“{claim.get_status_display()}”，"
                               "报送后、全部回款前才能登记回款", field="status")
    value = decimal_input(amount, "amount", "回款金额")
    if value <= 0 or value != round_amount(value):
        raise ValidationFailed("invalid", f"回款金额应为正数且精确到分，填写的是 {amount}", field="amount")
    if value > claim.outstanding:
        raise ValidationFailed("above_outstanding", f"回款金额 {value} 元超过申报单 {claim.number} 未回款的 "
                               f"{claim.outstanding} 元", field="amount")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("required", "登记回款必须填写回款凭证号（银行回单号）", field="reference")
    not_longer(reference, 60, field="reference", label="回款凭证号")
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise ValidationFailed("future_date", f"到账日期 {received_on} 不能晚于今天", field="received_on")
    repayment = AdvanceRepayment.objects.create(claim=claim, amount=value, reference=reference,
                                                idempotency_key=idempotency_key or None, received_on=received_on,
                                                recorded_by=actor)
    ledger.advance_repayment_post(
        code=claim.account_code, amount=value, date=received_on, actor=actor, source=repayment,
        description=f"垫付回款 {claim.number}（{ADVANCE_PAYERS[claim.layer]}）凭证 {reference}",
        idempotency_key=f"advance-repayment-{repayment.pk}")
    before = {"status": claim.status, "repaid_amount": claim.repaid_amount}
    claim.repaid_amount += value
    claim.status = AdvanceClaimStatus.REPAID if claim.repaid_amount == claim.amount else AdvanceClaimStatus.PARTLY_REPAID
    claim.save(update_fields=["repaid_amount", "status"])
    audit_record(actor=actor, action="advance_claim.repay", obj=claim, before=before,
                 after={"status": claim.status, "repaid_amount": claim.repaid_amount, "amount": value,
                        "reference": reference})
    return repayment, True


# --- reading and checking ------------------------------------------------------------------------------

def claim_list(*, actor: User, layer: str = "", status: str = "", month: dt.date | None = None):
    if not can_read(actor):
        return AdvanceClaim.objects.none()
    qs = AdvanceClaim.objects.select_related("created_by", "sent_by")
    if layer:
        qs = qs.filter(layer=layer)
    if status:
        qs = qs.filter(status=status)
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "layer")


def claim_get(*, actor: User, pk: int | None = None, number: str | None = None) -> AdvanceClaim:
    key = {"pk": pk} if pk is not None else {"number": number}
    claim = claim_list(actor=actor).filter(**key).first()
    if claim is None:
        raise NotFound("垫付申报单", pk if pk is not None else number)
    return claim


def claim_lines(claim: AdvanceClaim):
    """Settlements first (by settlement time), then manual claims."""
    return (claim.lines.select_related("settlement", "settlement__episode", "settlement__episode__person",
                                       "settlement__episode__facility", "manual_claim",
                                       "manual_claim__episode__person")
            .order_by(F("settlement__settled_at").asc(nulls_last=True), "settlement_id", "manual_claim_id",
                      "reversal"))


def _sum(qs, field: str):
    total = qs.aggregate(s=Sum(field))["s"]
    return round_amount(total) if total is not None else ZERO


def receivable_check() -> list[dict]:
    """Per layer: the receivable's ledger balance against claims not yet repaid + amounts not yet claimed."""
    out = []
    for layer, code in ledger.LAYER_RECEIVABLE.items():
        balance = ledger.balance(code)
        claims = AdvanceClaim.objects.filter(layer=layer)
        outstanding = _sum(claims, "amount") - _sum(claims, "repaid_amount")
        not_claimed = _sum(unclaimed(layer), layer)
        manual = round_amount(sum((r[2] for r in unclaimed_manual(layer)), ZERO))  # 手工报销 not yet claimed
        out.append({"layer": layer, "label": AdvanceLayer(layer).label, "code": code, "balance": balance,
                    "outstanding": outstanding, "unclaimed": not_claimed, "manual": manual,
                    "difference": balance - outstanding - not_claimed - manual})
    return out

"""手工报销: out-of-county care reimbursed at the county centre from the patient's receipts (domain.md §7, §13).

The steps, each audited, each by a county reviewer (Cap.CLAIMS_REVIEW):
record (the person, the referral, the facility, dates, diagnosis, receipt lines by catalogue class) →
trial (the engine's whole answer, nothing written) → post for public notice (公示) → settle, at least
NOTICE_DAYS after the notice began, by a reviewer other than the one who recorded it (职责分离) → voucher.
A paid claim can be reversed with a reason; a claim not yet paid can be rejected with a reason.

Rules (documented in docs/guide/manual-reimbursement.md):
- Referral: the person's own referral, filed no later than REFERRAL_DAYS after admission (an emergency
  admission may be referred afterwards), valid on the admission date, to this facility if it names one.
  No referral, or one filed late, is refused — unless the reviewer ticks 按未转诊报销, when the claim is
  settled at the scheme's unreferred out-of-county terms (a higher deductible, a lower rate, or a refusal
  if the scheme pays nothing without referral).
- Papers: handed in no later than PAPERS_DAYS after discharge, else refused.
- Notice: payable from notice_from + NOTICE_DAYS. If the amount computed at payment differs from the amount
  noticed (another settlement changed this year's totals meanwhile), payment is refused until re-noticed.
- The same stay (person, facility, admission date) is claimed once while a claim for it is live."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require_separation
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import round_amount
from nrcms.core.parsing import where
from nrcms.facilities.models import CatalogueItem, Facility
from nrcms.funding import ledger
from nrcms.policy import Settlement as EngineSettlement
from nrcms.registry.models import EnrollmentStatus, Person
from nrcms.stats import facts

from .issued import holder_particulars
from .models import (
    YTD_FIELDS,
    ChargeLine,
    Episode,
    EpisodeKind,
    EpisodeStatus,
    ManualClaim,
    ManualClaimStatus,
    PersonYear,
    Referral,
)
from .referral import FILE_DAYS, referral_check
from .settlement import AMOUNT_FIELDS, _compute, _locked_year_row, _number

REFERRAL_DAYS = FILE_DAYS  # the shared referral rule lives in referral.py
PAPERS_DAYS = 20
NOTICE_DAYS = 15
CLASSES = {"A": "甲类", "B": "乙类", "C": "丙类"}
LIVE = (ManualClaimStatus.RECORDED, ManualClaimStatus.NOTICED, ManualClaimStatus.PAID)


def _today() -> dt.date:
    return timezone.localdate()


def _reviewer(actor: User) -> None:
    if not actor.can(Cap.CLAIMS_REVIEW):
        raise Forbidden("只有县合管办审核人员可以办理手工报销")


@dataclass(frozen=True)
class ReceiptLine:
    """One line from the receipts: an item, or a total by catalogue class (e.g. 乙类药品合计)."""

    item_name: str
    amount: Decimal
    catalogue_class: str = ""
    first_self_pay_share: Decimal | None = None
    catalogue_code: str = ""


@dataclass(frozen=True)
class ManualClaimInput:
    id_number: str
    facility_code: str
    admission_date: dt.date
    discharge_date: dt.date
    papers_received_on: dt.date
    diagnosis_code: str = ""
    diagnosis_name: str = ""
    referral_number: str = ""
    unreferred: bool = False
    note: str = ""
    lines: tuple[ReceiptLine, ...] = ()


def payable_from(claim: ManualClaim) -> dt.date | None:
    return claim.notice_from + dt.timedelta(days=NOTICE_DAYS) if claim.notice_from else None


def _facility(code: str) -> Facility:
    facility = Facility.objects.filter(code=(code or "").strip()).first()
    if facility is None:
        raise ValidationFailed("not_found", f"医疗机构编码 {code} 不存在", field="facility_code")
    if facility.in_county:
        raise ValidationFailed("in_county", f"{facility.name}是县内机构：县内就诊在医院结算台即时结报，不走手工报销",
                               field="facility_code")
    return facility


def _dates(data: ManualClaimInput) -> None:
    today = _today()
    if data.discharge_date < data.admission_date:
        raise ValidationFailed("invalid", f"出院日期 {data.discharge_date} 早于入院日期 {data.admission_date}",
                               field="discharge_date")
    if data.discharge_date > today:
        raise ValidationFailed("invalid", f"出院日期 {data.discharge_date} 晚于今天", field="discharge_date")
    if not data.discharge_date <= data.papers_received_on <= today:
        raise ValidationFailed("invalid", f"材料受理日期 {data.papers_received_on} 应在出院日期 {data.discharge_date} "
                               "与今天之间", field="papers_received_on")
    late = (data.papers_received_on - data.discharge_date).days
    if late > PAPERS_DAYS:
        raise ValidationFailed("papers_late", f"报销材料应在出院后 {PAPERS_DAYS} 天内交到县合管办：出院 "
                               f"{data.discharge_date}，受理 {data.papers_received_on}，已过 {late} 天，不予受理",
                               field="papers_received_on")


def _referral(person: Person, facility: Facility, data: ManualClaimInput) -> tuple[Referral | None, bool]:
    """(referral to record, whether it counts as referred)."""
    if not data.referral_number.strip():
        if data.unreferred:
            return None, False
        raise ValidationFailed("no_referral", "县外住院须有转诊备案：请填写转诊单号；确无转诊的，勾选“按未转诊报销”"
                               "按方案的未转诊标准计算", field="referral_number")
    referral, problem = referral_check(number=data.referral_number, person=person, facility=facility,
                                       admission_date=data.admission_date)
    if problem is not None and not data.unreferred:
        raise ValidationFailed("referral_late", problem.message + "；如按未转诊报销，请勾选“按未转诊报销”",
                               field="referral_number")
    return referral, problem is None and not data.unreferred


def _line(n: int, line: ReceiptLine, on: dt.date) -> dict:
    try:
        amount = Decimal(str(line.amount))
    except (InvalidOperation, TypeError) as exc:
        raise ValidationFailed("invalid", where(n, "金额", f"“{line.amount}”不是数字"), field="lines") from exc
    if amount <= 0 or amount != round_amount(amount):
        raise ValidationFailed("invalid", where(n, "金额", f"{amount} 应为大于 0、精确到分的数"), field="lines")
    if not (line.item_name or "").strip():
        raise ValidationFailed("required", where(n, "项目名称", "不能为空"), field="lines")
    code, cls, share = (line.catalogue_code or "").strip(), (line.catalogue_class or "").strip().upper(), None
    if code:
        item = (CatalogueItem.objects.filter(code=code, valid_from__lte=on)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("-valid_from").first())
        if item is None:
            raise ValidationFailed("not_found", where(n, "目录编码", f"{code} 在 {on} 不存在"), field="lines")
        if cls and cls != item.catalogue_class:
            raise ValidationFailed("invalid", where(n, "目录分类", f"{CLASSES.get(cls, cls)}与目录 {code} 的"
                                   f"{CLASSES[item.catalogue_class]}不符"), field="lines")
        cls, share = item.catalogue_class, item.first_self_pay_share
    elif cls not in CLASSES:
        raise ValidationFailed("invalid", where(n, "目录分类", "须选择甲/乙/丙，或填写目录编码"), field="lines")
    if share is None:
        share = Decimal(str(line.first_self_pay_share)) if line.first_self_pay_share not in (None, "") else None
        if cls == "B" and share is None:
            raise ValidationFailed("required", where(n, "先行自付比例", "乙类须填写先行自付比例（如 0.2）"),
                                   field="lines")
        share = share if cls == "B" else Decimal("0")
        if not Decimal("0") <= share <= Decimal("1"):
            raise ValidationFailed("invalid", where(n, "先行自付比例", "应在 0 与 1 之间"), field="lines")
    return {"line_no": n, "facility_item_code": "票据", "item_name": line.item_name.strip()[:120], "charged_on": on,
            "quantity": Decimal("1"), "unit_price": amount, "amount": amount,
            "catalogue_code": code or f"手工-{cls}", "catalogue_class": cls, "first_self_pay_share": share}


@transaction.atomic
def manual_claim_record(*, actor: User, data: ManualClaimInput, idempotency_key: str | None = None
                        ) -> tuple[ManualClaim, bool]:
    """Record a claim from the receipts. A retry with the same key returns the first (created=False)."""
    _reviewer(actor)
    if idempotency_key:
        earlier = ManualClaim.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier, False
    facility = _facility(data.facility_code)
    _dates(data)
    person = Person.objects.select_related("household").filter(id_number=data.id_number.strip().upper()).first()
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {data.id_number} 未在新农合登记", field="id_number")
    year = data.admission_date.year
    enrollment = person.enrollments.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED).first()
    if enrollment is None:
        raise ValidationFailed("not_enrolled", f"{person.name}未参加 {year} 年度新农合，不能报销", field="id_number")
    referral, referred = _referral(person, facility, data)
    from .desk_admission import diagnosis_resolve  # one ICD-10 check for the desk and the county centre

    diagnosis_code, diagnosis_name = diagnosis_resolve(data.diagnosis_code, data.diagnosis_name)
    if not data.lines:
        raise ValidationFailed("required", "请录入票据费用（逐项或按甲/乙/丙类合计）", field="lines")
    lines = [_line(n, line, data.admission_date) for n, line in enumerate(data.lines, start=1)]
    twin = ManualClaim.objects.filter(episode__person=person, episode__facility=facility,
                                      episode__admission_date=data.admission_date, status__in=LIVE).first()
    if twin is not None:
        raise Conflict("duplicate_claim", f"{person.name}在{facility.name} {data.admission_date} 入院的费用已有报销单 "
                       f"{twin.number}（{twin.get_status_display()}），不能重复报销", field="admission_date")
    number = _number("SG", year)
    episode = Episode.objects.create(
        facility=facility, serial=number, kind=EpisodeKind.INPATIENT, person=person, household=person.household,
        enrollment=enrollment, scheme_year=year, admission_date=data.admission_date,
        discharge_date=data.discharge_date, diagnosis_code=diagnosis_code,
        diagnosis_name=diagnosis_name, referral=referral if referred else None,
        status=EpisodeStatus.DISCHARGED, created_by=actor)
    ChargeLine.objects.bulk_create([ChargeLine(episode=episode, **line) for line in lines])
    claim = ManualClaim.objects.create(
        number=number, episode=episode, referral=referral, unreferred=not referred,
        papers_received_on=data.papers_received_on, note=data.note[:300], idempotency_key=idempotency_key or None,
        recorded_by=actor)
    audit_record(actor=actor, action="manual_claim.record", obj=claim, region_code=person.household.region.code,
                 facility_code=facility.code,
                 after={"person": person.id_number, "admission_date": data.admission_date,
                        "discharge_date": data.discharge_date, "referral": referral.number if referral else "",
                        "unreferred": not referred, "papers_received_on": data.papers_received_on,
                        "total": sum((line["amount"] for line in lines), Decimal("0")), "lines": len(lines)})
    return claim, True


def manual_claim_trial(*, actor: User, claim: ManualClaim) -> EngineSettlement:
    """试算 with this year's totals as they stand; nothing is written."""
    _reviewer(actor)
    row = PersonYear.objects.filter(person=claim.episode.person, scheme_year=claim.episode.scheme_year).first()
    result, _ = _compute(claim.episode, row)
    return result


def _refusal_text(result: EngineSettlement) -> str:
    return "；".join(line.text for line in result.lines if line.step == "refused")


@transaction.atomic
def manual_claim_notice(*, actor: User, claim: ManualClaim) -> ManualClaim:
    """公示: the amount the trial gives is posted from today. Posting again with the same amount changes
    nothing; with a changed amount it starts a new notice period."""
    _reviewer(actor)
    claim = ManualClaim.objects.select_for_update().select_related("episode").get(pk=claim.pk)
    if claim.status not in (ManualClaimStatus.RECORDED, ManualClaimStatus.NOTICED):
        raise ValidationFailed("claim_closed", f"报销单 {claim.number} {claim.get_status_display()}，不能公示",
                               field="claim")
    result = manual_claim_trial(actor=actor, claim=claim)
    if result.refused:
        raise ValidationFailed("refused", "按方案不予补偿，不能公示：" + _refusal_text(result), field="claim")
    if claim.status == ManualClaimStatus.NOTICED and claim.notice_amount == result.fund_total:
        return claim
    before = {"status": claim.status, "notice_from": claim.notice_from, "notice_amount": claim.notice_amount}
    claim.status, claim.notice_from, claim.notice_amount = ManualClaimStatus.NOTICED, _today(), result.fund_total
    claim.noticed_by = actor
    claim.save(update_fields=["status", "notice_from", "notice_amount", "noticed_by"])
    audit_record(actor=actor, action="manual_claim.notice", obj=claim, before=before,
                 region_code=claim.episode.household.region.code,
                 after={"notice_from": claim.notice_from, "notice_amount": claim.notice_amount,
                        "payable_from": payable_from(claim)})
    return claim


@transaction.atomic
def manual_claim_settle(*, actor: User, claim: ManualClaim) -> tuple[ManualClaim, bool]:
    """Approve and pay, once. Returns (claim, created); settling a paid claim again returns it unchanged."""
    _reviewer(actor)
    require_separation(preparer=claim.recorded_by, approver=actor, what="手工报销支付")
    claim = ManualClaim.objects.select_for_update().select_related("episode").get(pk=claim.pk)
    if claim.status == ManualClaimStatus.PAID:
        return claim, False
    if claim.status == ManualClaimStatus.RECORDED:
        raise ValidationFailed("not_noticed", f"报销单 {claim.number} 尚未公示，公示满 {NOTICE_DAYS} 天后方可支付",
                               field="claim")
    if claim.status != ManualClaimStatus.NOTICED:
        raise ValidationFailed("claim_closed", f"报销单 {claim.number} {claim.get_status_display()}，不能支付",
                               field="claim")
    today, start = _today(), payable_from(claim)
    if today < start:
        raise ValidationFailed("notice_period", f"公示期未满 {NOTICE_DAYS} 天：{claim.notice_from} 起公示，"
                               f"{start} 起方可支付（今天 {today}，还差 {(start - today).days} 天）", field="claim")
    episode = Episode.objects.select_for_update().get(pk=claim.episode_id)
    row = _locked_year_row(episode)
    result, inputs = _compute(episode, row)
    if result.refused:
        raise ValidationFailed("refused", "不予补偿：" + _refusal_text(result), field="claim")
    if result.fund_total != claim.notice_amount:
        raise Conflict("amount_changed", f"按本年度累计重新计算的补偿 {result.fund_total} 元与公示的 "
                       f"{claim.notice_amount} 元不同（公示后又有结算），请重新公示", field="claim")
    for name in AMOUNT_FIELDS:
        setattr(claim, name, getattr(result, name))
    claim.scheme_id, claim.scheme_version = result.scheme_id, result.scheme_version
    claim.scheme_effective, claim.inputs, claim.result = result.scheme_effective, inputs, result.to_dict()
    claim.status, claim.paid_by, claim.paid_at = ManualClaimStatus.PAID, actor, timezone.now()
    claim.issued = holder_particulars(episode.household)
    claim.save()
    for name in YTD_FIELDS:
        setattr(row, name, getattr(result.ytd_after, name))
    row.save()
    episode.status = EpisodeStatus.SETTLED
    episode.save(update_fields=["status"])
    ledger.manual_claim_post(claim=claim, actor=actor)
    facts.add(claim_ids=[claim.pk])  # the statistics' row of the payment, in this transaction
    audit_record(actor=actor, action="manual_claim.settle", obj=claim, region_code=episode.household.region.code,
                 facility_code=episode.facility.code,
                 after={"scheme_version": result.scheme_version, "total_cost": result.total_cost,
                        "fund_total": result.fund_total, "self_pay": result.self_pay})
    return claim, True


def _close(actor: User, claim: ManualClaim, reason: str, allowed: tuple, status: str, action: str) -> ManualClaim:
    if not (reason or "").strip():
        raise ValidationFailed("required", "必须填写原因", field="reason")
    claim = ManualClaim.objects.select_for_update().select_related("episode").get(pk=claim.pk)
    if claim.status not in allowed:
        raise ValidationFailed("claim_closed", f"报销单 {claim.number} {claim.get_status_display()}，不能办理", field="claim")
    before = claim.status
    claim.status, claim.closed_by, claim.closed_at, claim.reason = status, actor, timezone.now(), reason.strip()[:300]
    claim.save(update_fields=["status", "closed_by", "closed_at", "reason"])
    Episode.objects.filter(pk=claim.episode_id).update(status=EpisodeStatus.CANCELLED)
    audit_record(actor=actor, action=action, obj=claim, reason=reason, before={"status": before},
                 after={"status": status, "fund_total": claim.fund_total},
                 region_code=claim.episode.household.region.code)
    return claim


@transaction.atomic
def manual_claim_reverse(*, actor: User, claim: ManualClaim, reason: str) -> ManualClaim:
    """冲正 a paid claim: the year's totals given back, the payment posted back (the patient repays)."""
    _reviewer(actor)
    if claim.status != ManualClaimStatus.PAID:
        raise ValidationFailed("not_paid", f"报销单 {claim.number} {claim.get_status_display()}，只有已支付的才能冲正",
                               field="claim")
    row = _locked_year_row(claim.episode)
    claim = _close(actor, claim, reason, (ManualClaimStatus.PAID,), ManualClaimStatus.REVERSED, "manual_claim.reverse")
    for name in YTD_FIELDS:
        delta = Decimal(str(claim.result["ytd_after"][name])) - Decimal(str(claim.inputs["year_to_date"][name]))
        setattr(row, name, getattr(row, name) - (int(delta) if name == "admissions" else delta))
    row.save()
    ledger.manual_claim_post(claim=claim, actor=actor, reversal=True)
    facts.add(claim_ids=[claim.pk])  # the payment's fact and the reversal's
    return claim


@transaction.atomic
def manual_claim_reject(*, actor: User, claim: ManualClaim, reason: str) -> ManualClaim:
    """不予报销 before payment (e.g. an objection during the notice turned out true)."""
    _reviewer(actor)
    return _close(actor, claim, reason, (ManualClaimStatus.RECORDED, ManualClaimStatus.NOTICED),
                  ManualClaimStatus.REJECTED, "manual_claim.reject")


def manual_claims(*, actor: User, q: str = "", status: str = ""):
    """The county's claims (a reviewer is bound to the county: every claim is in the jurisdiction)."""
    _reviewer(actor)
    qs = ManualClaim.objects.select_related("episode", "episode__person", "episode__facility",
                                            "episode__household__region", "recorded_by", "paid_by")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(episode__person__name__contains=q)
                       | Q(episode__person__id_number=q.upper()))
    return qs


def manual_claim_get(*, actor: User, number: str) -> ManualClaim:
    _reviewer(actor)
    claim = manual_claims(actor=actor).filter(number=number).first()
    if claim is None:
        raise NotFound("手工报销单", number)
    return claim

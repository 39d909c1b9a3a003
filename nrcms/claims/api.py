"""The hospital-system API: the same transaction as the desk pages, idempotent on the facility's serial
numbers, line numbers and an Idempotency-Key header for settlement. Authenticate with the facility
account's token (`Authorization: Bearer …`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Prefetch
from django.http import HttpResponse
from ninja import Field, Header, Router, Schema, Status

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, ErrorOut, LayerAmountsOut, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import CatalogueClass
from nrcms.registry import reads
from nrcms.registry.models import Sex

from .desk import episode_cancel, episode_discharge, episode_referral_attach
from .desk_admission import AdmissionInput, admission_register
from .desk_charges import ChargeInput, charge_withdraw, charges_upload
from .desk_lookup import lookup_client_key, member_lookup_at_desk
from .desk_rules import MAX_LINE_NO, MAX_QUANTITY, MAX_REASON, MAX_UNIT_PRICE, MIN_QUANTITY
from .models import (
    ChargeLine,
    Episode,
    EpisodeKind,
    EpisodeStatus,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from .settlement import settlement_reverse, settlement_settle, settlement_trial_checked
from .voucher import voucher_pdf

router = Router(tags=["医院结算"], auth=requires(Cap.DESK_SETTLE))


def _desk(request):
    if not request.user.can(Cap.DESK_SETTLE) or request.user.facility_id is None:
        raise Forbidden("只有定点医疗机构合疗科账号可以调用结算接口")


def _episode(request, serial: str, related: tuple[str, ...] = ()) -> Episode:
    _desk(request)
    episode = (Episode.objects.select_related(*related) if related else Episode.objects).filter(
        facility_id=request.user.facility_id, serial=serial).first()
    if episode is None:
        raise NotFound("就诊记录", serial)
    return episode


class MemberOut(Schema):
    name: str
    sex: coded(Sex)
    birth_date: dt.date
    id_number: MaskedIdNumber
    certificate_number: str | None
    scheme_year: int
    enrolled: bool
    family_account_balance: Decimal
    categories: list[str]  # identity categories held on the day asked for (wubao, dibao, registered_poor …)


@router.get("/members", response={200: MemberOut, 429: ErrorOut, **ERRORS},
            summary="按合作医疗证号或身份证号查询参合人员（精确匹配；每个令牌每分钟限查 NRCMS_DESK_LOOKUP_PER_MINUTE 次，"
            "默认 30 次，超过返回 429；每次查询记入审计）")
def member(request, certificate_number: str = "", id_number: str = "", on: dt.date | None = None):
    card = member_lookup_at_desk(actor=request.user, key=lookup_client_key(request), on=on or dt.date.today(),
                                 certificate_number=certificate_number, id_number=id_number, via=reads.VIA_DESK_API,
                                 ip=client_ip(request))
    p = card.person
    return {"name": p.name, "sex": p.sex, "birth_date": p.birth_date, "id_number": p.id_number,
            "certificate_number": card.certificate.number if card.certificate else None,
            "scheme_year": card.scheme_year, "enrolled": card.enrolled,
            "family_account_balance": card.family_account_balance, "categories": card.categories}


class EpisodeIn(Schema):
    serial: str = Field(min_length=1, max_length=40)
    kind: coded(EpisodeKind, description="就诊类别（门诊：就诊日期即结算日期，不办出院）") = "inpatient"
    id_number: str = Field(max_length=18)
    admission_date: dt.date
    diagnosis_code: str = Field("", max_length=20, description="ICD-10 编码，须在本县诊断目录中（不区分大小写）")
    diagnosis_name: str = Field("", max_length=120, description="留空时按诊断目录填写")
    referral_number: str = Field("", max_length=30)
    department: str = Field("", max_length=40)


class EpisodeSettlementOut(LayerAmountsOut):
    """The admission's settlement in force (none before settlement and after a reversal)."""

    number: str
    settled_at: dt.datetime
    eligible_cost: Decimal
    deductible: Decimal


class EpisodeOut(Schema):
    serial: str
    kind: coded(EpisodeKind)
    status: coded(EpisodeStatus)
    status_label: str
    person_name: str
    id_number: MaskedIdNumber
    scheme_year: int
    admission_date: dt.date
    discharge_date: dt.date | None
    diagnosis_code: str
    diagnosis_name: str
    referral_number: str | None
    cancel_reason: str
    settlement: EpisodeSettlementOut | None = Field(
        description="结算后为本次就诊有效的结算单（单号与各项金额）；未结算或已冲正时为 null")


def _in_force():
    """Settlements in force, without the stored engine inputs and explanation (only the amounts are shown)."""
    return Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE).defer(
        "inputs", "result")


def _active_settlement(e: Episode) -> Settlement | None:
    if e.status != EpisodeStatus.SETTLED:
        return None
    prefetched = getattr(e, "active_settlements", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return _in_force().filter(episode=e).first()


def _episode_settlement_out(s: Settlement | None) -> dict | None:
    if s is None:
        return None
    return {"number": s.number, "settled_at": s.settled_at,
            **{name: getattr(s, name) for name in EpisodeSettlementOut.model_fields if name not in ("number", "settled_at")}}


def _out(e: Episode) -> dict:
    return {"serial": e.serial, "kind": e.kind, "status": e.status, "status_label": e.status_label,
            "person_name": e.person.name, "id_number": e.person.id_number, "scheme_year": e.scheme_year,
            "admission_date": e.admission_date, "discharge_date": e.discharge_date,
            "diagnosis_code": e.diagnosis_code, "diagnosis_name": e.diagnosis_name,
            "referral_number": e.referral.number if e.referral else None, "cancel_reason": e.cancel_reason,
            "settlement": _episode_settlement_out(_active_settlement(e))}


@router.post("/episodes", response={200: EpisodeOut, 201: EpisodeOut, **ERRORS},
             summary="登记入院或门诊（kind=outpatient 为门诊：就诊日期即结算日期，不办出院；按流水号幂等，重复提交返回第一次的登记，状态 200）")
def episode_register(request, payload: EpisodeIn):
    _desk(request)
    episode, created = admission_register(actor=request.user, data=AdmissionInput(**payload.dict()))
    return Status(201 if created else 200, _out(episode))


class EpisodePage(PageOut):
    items: list[EpisodeOut]


@router.get("/episodes", response={200: EpisodePage, **ERRORS}, summary="本机构就诊列表")
def episodes(request, status: coded_query(EpisodeStatus) = "", offset: int = 0, limit: int = 50):
    _desk(request)
    qs = (Episode.objects.filter(facility_id=request.user.facility_id).select_related("person", "referral")
          .prefetch_related(Prefetch("settlements", queryset=_in_force(), to_attr="active_settlements")))
    if status:
        qs = qs.filter(status=status)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_out(e) for e in items]}


@router.get("/episodes/{serial}", response={200: EpisodeOut, **ERRORS}, summary="一次就诊")
def episode_get(request, serial: str):
    return _out(_episode(request, serial))


class ChargeIn(Schema):
    line_no: int = Field(ge=1, le=MAX_LINE_NO)
    facility_item_code: str = Field(min_length=1, max_length=40)
    item_name: str = Field(max_length=120)
    charged_on: dt.date
    quantity: Decimal = Field(ge=MIN_QUANTITY, le=MAX_QUANTITY, decimal_places=4)
    unit_price: Decimal = Field(ge=0, le=MAX_UNIT_PRICE, decimal_places=4)
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class ChargesIn(Schema):
    lines: list[ChargeIn]


class LineError(Schema):
    line_no: int | str | None
    field: str
    message: str


class UploadOut(Schema):
    ok: bool
    added: int
    unchanged: int
    errors: list[LineError]


@router.post("/episodes/{serial}/charges", response={200: UploadOut, **ERRORS},
             summary="上传费用明细（整批成功或整批不写，错误逐行列在 details；同一明细序号同一内容重复上传不变化）")
def charges(request, serial: str, payload: ChargesIn):
    episode = _episode(request, serial)
    result = charges_upload(actor=request.user, episode=episode,
                            lines=[ChargeInput(**line.dict()) for line in payload.lines])
    if not result.ok:
        raise ValidationFailed("charges_invalid", f"本批有 {len(result.errors)} 处错误，整批未写入：{result.errors[0]['message']}",
                               field="lines", details=result.errors)
    return {"ok": True, "added": result.added, "unchanged": result.unchanged, "errors": []}


class DeskReasonIn(Schema):
    reason: str = Field(max_length=MAX_REASON)


class ChargeLineOut(Schema):
    line_no: int
    facility_item_code: str
    item_name: str
    charged_on: dt.date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    catalogue_code: str
    catalogue_class: coded(CatalogueClass)
    withdrawn: bool
    withdrawn_reason: str


def _line_out(c: ChargeLine) -> dict:
    return {"line_no": c.line_no, "facility_item_code": c.facility_item_code, "item_name": c.item_name,
            "charged_on": c.charged_on, "quantity": c.quantity, "unit_price": c.unit_price, "amount": c.amount,
            "catalogue_code": c.catalogue_code, "catalogue_class": c.catalogue_class, "withdrawn": c.withdrawn,
            "withdrawn_reason": c.withdrawn_reason}


@router.get("/episodes/{serial}/charges", response={200: list[ChargeLineOut], **ERRORS},
            summary="费用明细（含已撤销的明细，withdrawn=true 的不计入结算）")
def charge_list(request, serial: str):
    episode = _episode(request, serial)
    return [_line_out(c) for c in ChargeLine.with_withdrawn.filter(episode=episode).order_by("line_no")]


@router.post("/episodes/{serial}/charges/{line_no}/withdraw", response={200: ChargeLineOut, **ERRORS},
             summary="撤销一行费用明细（须填原因；仅限未结算或已冲正的就诊；原行保留并注明，不计入结算；"
             "更正后的明细用新的明细序号上传）")
def charge_withdraw_api(request, serial: str, line_no: int, payload: DeskReasonIn):
    line = charge_withdraw(actor=request.user, episode=_episode(request, serial), line_no=line_no,
                           reason=payload.reason)
    return _line_out(line)


@router.post("/episodes/{serial}/cancel", response={200: EpisodeOut, **ERRORS},
             summary="撤销登记错误的就诊（须填原因；仅限未结算或已冲正的就诊；流水号不能再用）")
def episode_cancel_api(request, serial: str, payload: DeskReasonIn):
    return _out(episode_cancel(actor=request.user, episode=_episode(request, serial), reason=payload.reason))


class ReferralAttachIn(Schema):
    referral_number: str = Field(max_length=30)


@router.post("/episodes/{serial}/referral", response={200: EpisodeOut, **ERRORS},
             summary="补录转诊单号（先入院后转诊：转诊备案不晚于入院后 7 天；仅限未结算的住院）")
def episode_referral_attach_api(request, serial: str, payload: ReferralAttachIn):
    return _out(episode_referral_attach(actor=request.user, episode=_episode(request, serial),
                                        referral_number=payload.referral_number))


class DischargeIn(Schema):
    discharge_date: dt.date


@router.post("/episodes/{serial}/discharge", response={200: EpisodeOut, **ERRORS}, summary="登记出院")
def discharge(request, serial: str, payload: DischargeIn):
    return _out(episode_discharge(actor=request.user, episode=_episode(request, serial),
                                  discharge_date=payload.discharge_date))


@router.post("/episodes/{serial}/trial", response={200: dict, **ERRORS}, summary="试算：完整结果与计算说明，不入账")
def trial(request, serial: str):
    result, warnings = settlement_trial_checked(actor=request.user, episode=_episode(request, serial, ("facility",)))
    return {**result.to_dict(), "audit_warnings": warnings}


class SettlementOut(Schema):
    number: str
    kind: coded(SettlementKind)
    status: coded(SettlementStatus)
    episode_serial: str
    scheme_id: str
    scheme_version: str
    total_cost: Decimal
    eligible_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal
    basic: Decimal
    family_account: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    lines: list[dict]


def _settlement_out(s: Settlement) -> dict:
    return {"number": s.number, "kind": s.kind, "status": s.status, "episode_serial": s.episode.serial,
            "scheme_id": s.scheme_id, "scheme_version": s.scheme_version, "total_cost": s.total_cost,
            "eligible_cost": s.eligible_cost, "fund_total": s.fund_total, "self_pay": s.self_pay, "basic": s.basic, "family_account": s.family_account,
            "catastrophic": s.catastrophic, "assistance": s.assistance, "safety_net": s.safety_net,
            "lines": s.result.get("lines", [])}


@router.post("/episodes/{serial}/settle", response={200: SettlementOut, 201: SettlementOut, **ERRORS},
             summary="结算（同一就诊只结算一次；带 Idempotency-Key 重试返回第一次的结果；该结算单冲正后原幂等键被拒绝（409），重新结算须用新的幂等键）")
def settle(request, serial: str, idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    settlement, created = settlement_settle(actor=request.user, episode=_episode(request, serial),
                                            idempotency_key=idempotency_key)
    return Status(201 if created else 200, _settlement_out(settlement))


def _settlement(request, number: str) -> Settlement:
    _desk(request)
    s = Settlement.objects.filter(number=number, episode__facility_id=request.user.facility_id).first()
    if s is None:
        raise NotFound("结算单", number)
    return s


class ReverseIn(Schema):
    reason: str = Field(max_length=MAX_REASON)


@router.post("/settlements/{number}/reverse", response={200: SettlementOut, **ERRORS}, summary="冲正（须填原因）")
def reverse(request, number: str, payload: ReverseIn):
    if not payload.reason.strip():
        raise ValidationFailed("required", "冲正必须填写原因", field="reason")
    return _settlement_out(settlement_reverse(actor=request.user, settlement=_settlement(request, number),
                                              reason=payload.reason))


@router.get("/settlements/{number}/voucher.pdf", response={200: None, **ERRORS}, summary="补偿凭据 PDF")
def voucher(request, number: str) -> HttpResponse:
    s = _settlement(request, number)
    return audited_pdf(actor=request.user, what=f"补偿凭据 {s.number}（患者，身份证号已脱敏）",
                       file_name=f"补偿凭据-{s.number}.pdf", content=voucher_pdf(s), rows=1)

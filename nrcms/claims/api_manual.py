"""The county centre's manual reimbursement (手工报销) API: record a claim from receipts, trial, post for
public notice, settle after the notice period (by a reviewer other than the recorder), voucher, reverse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Header, Router, Schema, Status

from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.facilities.models import CatalogueClass

from .manual import (
    ManualClaimInput,
    ReceiptLine,
    manual_claim_get,
    manual_claim_notice,
    manual_claim_record,
    manual_claim_reject,
    manual_claim_reverse,
    manual_claim_settle,
    manual_claim_trial,
    manual_claims,
    payable_from,
)
from .manual_voucher import manual_voucher_pdf
from .models import ManualClaim, ManualClaimStatus

router = Router(tags=["手工报销"], auth=requires(Cap.CLAIMS_REVIEW))


class ReceiptLineIn(Schema):
    item_name: str
    amount: Decimal
    catalogue_class: coded(CatalogueClass, blank="按目录编码确定", description="目录分类；填写目录编码时须与目录一致") = ""
    first_self_pay_share: Decimal | None = None
    catalogue_code: str = ""


class ClaimIn(Schema):
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
    lines: list[ReceiptLineIn]


class ClaimOut(Schema):
    number: str
    status: coded(ManualClaimStatus)
    person_name: str
    id_number: MaskedIdNumber
    facility_code: str
    facility_name: str
    admission_date: dt.date
    discharge_date: dt.date
    diagnosis_code: str
    referral_number: str | None
    unreferred: bool
    papers_received_on: dt.date
    notice_from: dt.date | None
    notice_amount: Decimal | None
    payable_from: dt.date | None
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal
    recorded_by: str
    paid_by: str | None
    reason: str


def _out(c: ManualClaim) -> dict:
    e = c.episode
    return {"number": c.number, "status": c.status, "person_name": e.person.name, "id_number": e.person.id_number,
            "facility_code": e.facility.code, "facility_name": e.facility.name, "admission_date": e.admission_date,
            "discharge_date": e.discharge_date, "diagnosis_code": e.diagnosis_code,
            "referral_number": c.referral.number if c.referral else None, "unreferred": c.unreferred,
            "papers_received_on": c.papers_received_on, "notice_from": c.notice_from,
            "notice_amount": c.notice_amount, "payable_from": payable_from(c),
            "total_cost": c.total_cost if c.paid_at else sum(ch.amount for ch in e.charges.all()),
            "fund_total": c.fund_total, "self_pay": c.self_pay, "recorded_by": c.recorded_by.username,
            "paid_by": c.paid_by.username if c.paid_by else None, "reason": c.reason}


class ClaimPage(PageOut):
    items: list[ClaimOut]


@router.get("", response={200: ClaimPage, **ERRORS}, summary="手工报销单列表（q 按单号、姓名或身份证号；status 按状态）")
def claims(request, q: str = "", status: coded_query(ManualClaimStatus) = "", offset: int = 0, limit: int = 50):
    items, page = paginate(manual_claims(actor=request.user, q=q.strip(), status=status), offset, limit)
    return {**page, "items": [_out(c) for c in items]}


@router.post("", response={200: ClaimOut, 201: ClaimOut, **ERRORS},
             summary="录入手工报销（检查转诊备案 7 天、材料 20 天；同一住院不重复报销；带 Idempotency-Key 重试返回第一次的结果）")
def record(request, payload: ClaimIn, idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    data = payload.dict()
    lines = tuple(ReceiptLine(**line) for line in data.pop("lines"))
    claim, created = manual_claim_record(actor=request.user, data=ManualClaimInput(lines=lines, **data),
                                         idempotency_key=idempotency_key)
    return Status(201 if created else 200, _out(claim))


@router.get("/{number}", response={200: ClaimOut, **ERRORS}, summary="一张手工报销单")
def claim(request, number: str):
    return _out(manual_claim_get(actor=request.user, number=number))


@router.post("/{number}/trial", response={200: dict, **ERRORS}, summary="试算：完整结果与计算说明，不入账")
def trial(request, number: str):
    return manual_claim_trial(actor=request.user, claim=manual_claim_get(actor=request.user, number=number)).to_dict()


@router.post("/{number}/notice", response={200: ClaimOut, **ERRORS},
             summary="公示：按试算金额自今日起公示，满 15 天后方可支付（金额未变时重复提交不重新起算）")
def notice(request, number: str):
    return _out(manual_claim_notice(actor=request.user, claim=manual_claim_get(actor=request.user, number=number)))


@router.post("/{number}/settle", response={200: ClaimOut, 201: ClaimOut, **ERRORS},
             summary="结算支付：公示满 15 天、由录入人以外的审核人员审批；已支付的重复提交返回原结果（200）")
def settle(request, number: str):
    claim, created = manual_claim_settle(actor=request.user, claim=manual_claim_get(actor=request.user, number=number))
    return Status(201 if created else 200, _out(claim))


class ManualClaimReasonIn(Schema):
    reason: str


@router.post("/{number}/reverse", response={200: ClaimOut, **ERRORS}, summary="冲正已支付的报销（须填原因）")
def reverse(request, number: str, payload: ManualClaimReasonIn):
    return _out(manual_claim_reverse(actor=request.user, claim=manual_claim_get(actor=request.user, number=number),
                                     reason=payload.reason))


@router.post("/{number}/reject", response={200: ClaimOut, **ERRORS}, summary="不予报销（支付前，须填原因）")
def reject(request, number: str, payload: ManualClaimReasonIn):
    return _out(manual_claim_reject(actor=request.user, claim=manual_claim_get(actor=request.user, number=number),
                                    reason=payload.reason))


@router.get("/{number}/voucher.pdf", response={200: None, **ERRORS}, summary="手工报销补偿凭据 PDF（已支付的）")
def voucher(request, number: str) -> HttpResponse:
    claim = manual_claim_get(actor=request.user, number=number)
    return audited_pdf(actor=request.user, what=f"手工报销补偿凭据 {claim.number}（患者，身份证号已脱敏）",
                       file_name=f"补偿凭据-{claim.number}.pdf", content=manual_voucher_pdf(claim), rows=1)

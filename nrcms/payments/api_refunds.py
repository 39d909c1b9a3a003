"""The API of refunds to patients (/api/payments/refunds) and of the window's advances claimed from the
insurer and civil affairs (/api/payments/advances): the same services as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status

from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.claims.models import Settlement
from nrcms.core.errors import NotFound

from . import advances, refunds
from .common import month_parse
from .models import (
    AdvanceClaim,
    AdvanceClaimStatus,
    AdvanceLayer,
    AdvanceRepayment,
    PatientRefund,
    RefundReason,
    RefundStatus,
)
from .refund_slip import refund_slip_pdf

refunds_router = Router(tags=["患者返还"], auth=requires(*refunds.READERS))
advances_router = Router(tags=["一站式垫付申报与回款"], auth=requires(*advances.READERS))


def _name(user) -> str | None:
    return user.username if user is not None else None


class RefundOut(Schema):
    number: str
    settlement_number: str
    facility_code: str
    facility_name: str
    patient_name: str
    patient_id_number: MaskedIdNumber
    amount: Decimal
    reason_kind: coded(RefundReason, description="返还原因类别")
    reason: str
    authority: str
    status: coded(RefundStatus)
    statement_number: str | None = Field(description="追回所在月结算单")
    recorded_by: str
    recorded_at: dt.datetime
    paid_by: str | None
    paid_at: dt.datetime | None
    payment_reference: str


def _refund_out(r: PatientRefund) -> dict:
    person = r.settlement.episode.person
    return {"number": r.number, "settlement_number": r.settlement.number, "facility_code": r.facility.code,
            "facility_name": r.facility.name, "patient_name": person.name, "patient_id_number": person.id_number,
            "amount": r.amount, "reason_kind": r.reason_kind, "reason": r.reason, "authority": r.authority,
            "status": r.status, "statement_number": r.statement.number if r.statement_id else None,
            "recorded_by": r.recorded_by.username, "recorded_at": r.recorded_at, "paid_by": _name(r.paid_by),
            "paid_at": r.paid_at, "payment_reference": r.payment_reference}


class RefundPage(PageOut):
    items: list[RefundOut]


@refunds_router.get("/refunds", response={200: RefundPage, **ERRORS},
                    summary="患者返还列表（q：返还单号、结算单号、患者姓名或机构编码）")
def refund_list(request, q: str = Query("", max_length=40, description="返还单号、结算单号、患者姓名或机构编码"), status: coded_query(RefundStatus) = "",
                offset: int = 0, limit: int = 50):
    items, page = paginate(refunds.refund_list(actor=request.user, status=status, q=q.strip()), offset, limit)
    return {**page, "items": [_refund_out(r) for r in items]}


class RefundIn(Schema):
    settlement_number: str = Field(max_length=30)
    amount: Decimal
    reason_kind: coded(RefundReason, description="返还原因类别")
    reason: str = Field(max_length=300)
    authority: str = Field("", max_length=200, description="依据：审核决定或稽查通知编号")


@refunds_router.post("/refunds", auth=requires(Cap.CLAIMS_REVIEW), response={200: RefundOut, 201: RefundOut, **ERRORS},
                     summary="登记患者返还（不超过该结算单的个人自付减已返还；带 Idempotency-Key 重试返回第一次的结果，状态 200）")
def refund_create(request, payload: RefundIn,
                  idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    settlement = Settlement.objects.filter(number=payload.settlement_number.strip()).first()
    if settlement is None:
        raise NotFound("结算单", payload.settlement_number)
    refund, created = refunds.refund_create(
        actor=request.user, settlement=settlement, amount=payload.amount, reason=payload.reason,
        authority=payload.authority, reason_kind=payload.reason_kind, idempotency_key=idempotency_key)
    return Status(201 if created else 200, _refund_out(refunds.refund_get(actor=request.user, pk=refund.pk)))


@refunds_router.get("/refunds/{number}", response={200: RefundOut, **ERRORS}, summary="一笔患者返还")
def refund_one(request, number: str):
    return _refund_out(refunds.refund_get(actor=request.user, number=number))


class RefundPayIn(Schema):
    reference: str = Field(max_length=60)


@refunds_router.post("/refunds/{number}/pay", auth=requires(Cap.FUND_DISBURSE),
                     response={200: RefundOut, 201: RefundOut, **ERRORS},
                     summary="支付返还给患者（须已在月结算单追回；带 Idempotency-Key 重试返回第一次的结果，状态 200）")
def refund_pay(request, number: str, payload: RefundPayIn,
               idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    refund = refunds.refund_get(actor=request.user, number=number)
    refund, created = refunds.refund_pay(actor=request.user, refund=refund, reference=payload.reference,
                                         idempotency_key=idempotency_key)
    return Status(201 if created else 200, _refund_out(refunds.refund_get(actor=request.user, pk=refund.pk)))


@refunds_router.get("/refunds/{number}/slip.pdf", response={200: None, **ERRORS},
                    summary="返还通知单 PDF（身份证号脱敏）")
def refund_slip(request, number: str) -> HttpResponse:
    refund = refunds.refund_get(actor=request.user, number=number)
    return audited_pdf(actor=request.user, what=f"返还通知单 {refund.number}", file_name=f"返还通知单-{refund.number}.pdf",
                       content=refund_slip_pdf(refund), rows=1, facility_code=refund.facility.code)


# --- advances -----------------------------------------------------------------------------------------

class AdvanceRepaymentOut(Schema):
    amount: Decimal
    reference: str
    received_on: dt.date
    recorded_by: str | None
    recorded_at: dt.datetime


class AdvanceClaimOut(Schema):
    number: str
    layer: coded(AdvanceLayer, description="垫付类别")
    account_code: str = Field(description="应收科目 1301/1302/1303")
    month: str
    amount: Decimal
    line_count: int
    repaid_amount: Decimal
    outstanding: Decimal
    status: coded(AdvanceClaimStatus)
    created_by: str | None
    created_at: dt.datetime
    sent_by: str | None
    sent_at: dt.datetime | None
    repayments: list[AdvanceRepaymentOut]


def _claim_out(c: AdvanceClaim) -> dict:
    return {"number": c.number, "layer": c.layer, "account_code": c.account_code, "month": f"{c.month:%Y-%m}",
            "amount": c.amount, "line_count": c.line_count, "repaid_amount": c.repaid_amount,
            "outstanding": c.outstanding, "status": c.status, "created_by": _name(c.created_by),
            "created_at": c.created_at, "sent_by": _name(c.sent_by), "sent_at": c.sent_at,
            "repayments": [_repayment_out(p) for p in c.repayments.select_related("recorded_by")]}


def _repayment_out(p: AdvanceRepayment) -> dict:
    return {"amount": p.amount, "reference": p.reference, "received_on": p.received_on,
            "recorded_by": _name(p.recorded_by), "recorded_at": p.recorded_at}


class AdvanceClaimPage(PageOut):
    items: list[AdvanceClaimOut]


@advances_router.get("/advances", response={200: AdvanceClaimPage, **ERRORS}, summary="垫付申报单列表")
def claim_list(request, layer: coded_query(AdvanceLayer) = "", status: coded_query(AdvanceClaimStatus) = "",
               offset: int = 0, limit: int = 50):
    items, page = paginate(advances.claim_list(actor=request.user, layer=layer, status=status), offset, limit)
    return {**page, "items": [_claim_out(c) for c in items]}


class AdvanceClaimIn(Schema):
    layer: coded(AdvanceLayer, description="垫付类别")
    month: str = Field(max_length=7, description="已结束的月份，形如 2026-10")


@advances_router.post("/advances", auth=requires(Cap.FUND_DISBURSE),
                      response={200: AdvanceClaimOut, 201: AdvanceClaimOut, **ERRORS},
                      summary="生成垫付申报单（截至该月末未申报的结算；同类别同月份重复生成返回已有的一张，状态 200）")
def claim_create(request, payload: AdvanceClaimIn):
    claim, created = advances.advance_claim_create(actor=request.user, layer=payload.layer,
                                                   month=month_parse(payload.month))
    return Status(201 if created else 200, _claim_out(claim))


@advances_router.get("/advances/{number}", response={200: AdvanceClaimOut, **ERRORS}, summary="一张垫付申报单")
def claim_one(request, number: str):
    return _claim_out(advances.claim_get(actor=request.user, number=number))


class AdvanceLineOut(Schema):
    settlement_number: str = Field(description="结算单号；手工报销为报销单号（冲正的注明“（冲正）”）")
    settled_at: dt.datetime = Field(description="结算时间；手工报销为支付时间，冲正为冲正时间")
    facility_code: str | None = Field(description="垫付的医疗机构；手工报销由县合管办直接支付患者，为空")
    source: str = Field(description="settlement（医院一站式结算）或 manual_claim（手工报销）")
    patient_name: str
    patient_id_number: MaskedIdNumber
    amount: Decimal


class AdvanceLinePage(PageOut):
    items: list[AdvanceLineOut]


@advances_router.get("/advances/{number}/lines", response={200: AdvanceLinePage, **ERRORS},
                     summary="垫付申报明细（跨月冲正为负数）")
def claim_lines(request, number: str, offset: int = 0, limit: int = 200):
    claim = advances.claim_get(actor=request.user, number=number)
    items, page = paginate(advances.claim_lines(claim), offset, limit, max_limit=1000)
    return {**page, "items": [{
        "settlement_number": line.number, "settled_at": line.at, "facility_code": line.facility_code,
        "source": "settlement" if line.settlement_id else "manual_claim", "patient_name": line.person.name,
        "patient_id_number": line.person.id_number, "amount": line.amount} for line in items]}


@advances_router.post("/advances/{number}/send", auth=requires(Cap.FUND_DISBURSE),
                      response={200: AdvanceClaimOut, **ERRORS}, summary="标记垫付申报单已报送")
def claim_send(request, number: str):
    return _claim_out(advances.advance_claim_send(actor=request.user,
                                                  claim=advances.claim_get(actor=request.user, number=number)))


class AdvanceRepayIn(Schema):
    amount: Decimal
    reference: str = Field(max_length=60)
    received_on: dt.date | None = Field(None, description="到账日期，默认今天")


@advances_router.post("/advances/{number}/repayments", auth=requires(Cap.FUND_DISBURSE),
                      response={200: AdvanceClaimOut, 201: AdvanceClaimOut, **ERRORS},
                      summary="登记回款（可部分回款；记 借 1001 / 贷 130x；带 Idempotency-Key 重试返回第一次的结果，状态 200）")
def claim_repay(request, number: str, payload: AdvanceRepayIn,
                idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    claim = advances.claim_get(actor=request.user, number=number)
    _, created = advances.advance_claim_repay(actor=request.user, claim=claim, amount=payload.amount,
                                              reference=payload.reference, received_on=payload.received_on,
                                              idempotency_key=idempotency_key)
    return Status(201 if created else 200, _claim_out(advances.claim_get(actor=request.user, pk=claim.pk)))

"""The payments API: a hospital system (the facility desk's token, `Authorization: Bearer …`, as for the
desk API) reads its monthly statements and submits its daily reconciliation; the county reviewer and finance
can review, approve and disburse through the same operations as the pages. Every answer is scoped: a facility
sees only its own statements (another facility's answers 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Header, Router, Schema, Status

from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, LayerAmountsOut, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.claims.models import EpisodeKind, SettlementKind
from nrcms.core.errors import Forbidden, ValidationFailed

from . import selectors
from .models import (
    DailyReconciliation,
    FacilityStatement,
    ReconciliationResult,
    StatementStatus,
    ViolationKind,
)
from .printout import statement_pdf
from .reconciliation import ReconciliationInput, differences_to_fen, reconciliation_submit, totals_to_fen
from .review import statement_deduction_withdraw, statement_resubmit, statement_return
from .services import (
    month_parse,
    statement_approve,
    statement_deduct,
    statement_disburse,
    statement_generate,
    statement_review_start,
)

router = Router(tags=["医疗机构月结算与拨付"], auth=requires(*selectors.READERS))


def _reader(request) -> None:
    if not selectors.can_read(request.user):
        raise Forbidden("您的角色无权查看医疗机构月结算单")


def _statement(request, number: str) -> FacilityStatement:
    _reader(request)
    return selectors.statement_get(actor=request.user, number=number)


class DeductionOut(Schema):
    id: int
    kind: coded(ViolationKind, description="违规性质")
    settlement_number: str | None
    base_amount: Decimal
    multiplier: Decimal
    amount: Decimal
    reason: str
    created_by: str
    created_at: dt.datetime
    withdrawn: bool
    withdrawn_by: str | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str


class StatementFamilyDoctorFeeOut(Schema):
    """家庭医生签约服务费: one team's fee for one month, paid out on this statement."""

    month: str = Field(description="费用月份 YYYY-MM")
    team: str = Field(description="家庭医生团队")
    contract_months: int = Field(description="计费签约数")
    fund_fees: Decimal = Field(description="签约基金承担年费合计")
    amount: Decimal = Field(description="本月金额 = 签约基金承担年费合计 ÷ 12，四舍五入到分")


class StatementOut(LayerAmountsOut):
    number: str
    facility_code: str
    facility_name: str
    month: str
    status: coded(StatementStatus)
    inpatient_count: int
    inpatient_total_cost: Decimal
    inpatient_fund_total: Decimal
    outpatient_count: int
    outpatient_total_cost: Decimal
    outpatient_fund_total: Decimal
    reversal_count: int
    deduction_total: Decimal
    recovery_total: Decimal = Field(description="患者返还追回合计")
    family_doctor_fee_total: Decimal = Field(description="家庭医生签约服务费合计（基金承担部分，与基金支付合计一并拨付）")
    brought_forward: Decimal = Field(description="上月结转扣款（以前月份扣款超过基金支付的余额）")
    carried_forward: Decimal = Field(description="结转下月扣款（审定时本月扣款与追回超过基金支付的余额）")
    approved_amount: Decimal | None
    disbursed_amount: Decimal | None
    disbursement_reference: str
    prepared_by: str | None
    prepared_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None
    disbursed_by: str | None
    disbursed_at: dt.datetime | None
    return_reason: str
    returned_by: str | None
    returned_at: dt.datetime | None
    resubmission_note: str
    resubmitted_at: dt.datetime | None
    deductions: list[DeductionOut]
    family_doctor_fees: list[StatementFamilyDoctorFeeOut] = Field(description="家庭医生签约服务费明细")


def _name(user) -> str | None:
    return user.username if user is not None else None


MONEY = ("inpatient_total_cost", "inpatient_fund_total", "outpatient_total_cost", "outpatient_fund_total",
         "total_cost", "basic", "family_account", "fixed_fee", "subsidy", "catastrophic", "assistance", "safety_net",
         "fund_total", "self_pay", "facility_borne", "deduction_total", "recovery_total", "family_doctor_fee_total",
         "brought_forward",
         "carried_forward", "approved_amount", "disbursed_amount")


def _out(st: FacilityStatement) -> dict:
    return {
        "number": st.number, "facility_code": st.facility.code, "facility_name": st.facility.name,
        "month": f"{st.month:%Y-%m}", "status": st.status, "inpatient_count": st.inpatient_count,
        "outpatient_count": st.outpatient_count, "reversal_count": st.reversal_count,
        **{name: getattr(st, name) for name in MONEY},
        "disbursement_reference": st.disbursement_reference,
        "prepared_by": _name(st.prepared_by), "prepared_at": st.prepared_at,
        "reviewed_by": _name(st.reviewed_by), "reviewed_at": st.reviewed_at,
        "approved_by": _name(st.approved_by), "approved_at": st.approved_at,
        "disbursed_by": _name(st.disbursed_by), "disbursed_at": st.disbursed_at,
        "return_reason": st.return_reason, "returned_by": _name(st.returned_by), "returned_at": st.returned_at,
        "resubmission_note": st.resubmission_note, "resubmitted_at": st.resubmitted_at,
        "deductions": [{"id": d.pk, "kind": d.kind, "settlement_number": d.settlement.number if d.settlement else None,
                        "base_amount": d.base_amount, "multiplier": d.multiplier, "amount": d.amount,
                        "reason": d.reason, "created_by": d.created_by.username, "created_at": d.created_at,
                        "withdrawn": d.withdrawn_at is not None, "withdrawn_by": _name(d.withdrawn_by),
                        "withdrawn_at": d.withdrawn_at, "withdrawal_reason": d.withdrawal_reason}
                       for d in st.deductions.select_related("settlement", "created_by", "withdrawn_by")],
        "family_doctor_fees": [{"month": f"{f.month:%Y-%m}", "team": f.team.name, "contract_months": f.contract_months,
                                "fund_fees": f.fund_fees, "amount": f.amount}
                               for f in st.family_doctor_fees.select_related("team").order_by("month", "team__name")],
    }


class StatementPage(PageOut):
    items: list[StatementOut]


@router.get("/statements", response={200: StatementPage, **ERRORS},
            summary="月结算单列表（医疗机构只见本机构；month 形如 2026-10）")
def statements(request, month: str = "", facility_code: str = "", status: coded_query(StatementStatus) = "", offset: int = 0,
               limit: int = 50):
    _reader(request)
    qs = selectors.statement_list(actor=request.user, month=month_parse(month) if month else None,
                                  facility_code=facility_code, status=status)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_out(s) for s in items]}


class GenerateIn(Schema):
    month: str
    facility_code: str = Field("", description="县合管办须填写；医疗机构只能生成本机构的（填写其他机构编码将被拒绝，403）")


@router.post("/statements", auth=requires(Cap.DESK_SETTLE, Cap.CLAIMS_REVIEW),
             response={200: StatementOut, 201: StatementOut, **ERRORS},
             summary="生成月结算单（已结束的月份；同一机构同一月份重复生成返回已有的一张，状态 200）")
def generate(request, payload: GenerateIn):
    user = request.user
    facility = selectors.statement_facility(actor=user, facility_code=payload.facility_code)
    statement, created = statement_generate(actor=user, facility=facility, month=payload.month)
    return Status(201 if created else 200, _out(statement))


@router.get("/statements/{number}", response={200: StatementOut, **ERRORS}, summary="一张月结算单")
def statement(request, number: str):
    return _out(_statement(request, number))


class StatementLineOut(Schema):
    number: str
    kind: coded(SettlementKind)
    reverses: str | None
    episode_serial: str
    episode_kind: coded(EpisodeKind)
    settled_at: dt.datetime
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal


class StatementLinePage(PageOut):
    items: list[StatementLineOut]


@router.get("/statements/{number}/settlements", response={200: StatementLinePage, **ERRORS},
            summary="月结算单所列结算单（含跨月冲正，冲正为负数）")
def statement_settlements(request, number: str, offset: int = 0, limit: int = 200):
    items, page = paginate(selectors.statement_lines(_statement(request, number)), offset, limit, max_limit=1000)
    return {**page, "items": [{
        "number": s.number, "kind": s.kind, "reverses": s.reverses.number if s.reverses else None,
        "episode_serial": s.episode.serial, "episode_kind": s.episode.kind, "settled_at": s.settled_at,
        "total_cost": s.total_cost, "fund_total": s.fund_total, "self_pay": s.self_pay}
        for s in (line.settlement for line in items)]}


@router.get("/statements/{number}/statement.pdf", response={200: None, **ERRORS}, summary="月结算单 PDF（含大写金额）")
def statement_pdf_get(request, number: str) -> HttpResponse:
    st = _statement(request, number)
    return audited_pdf(actor=request.user, what=f"月结算单 {st.number}（患者姓名）", file_name=f"月结算单-{st.number}.pdf",
                       content=statement_pdf(st), rows=st.lines.count())


@router.post("/statements/{number}/review", auth=requires(Cap.CLAIMS_REVIEW),
             response={200: StatementOut, **ERRORS},
             summary="县合管办开始审核")
def review(request, number: str):
    return _out(statement_review_start(actor=request.user, statement=_statement(request, number)))


class DeductionIn(Schema):
    kind: coded(ViolationKind, description="违规性质")
    base_amount: Decimal
    multiplier: Decimal
    reason: str = Field(max_length=300)
    settlement_number: str = Field("", max_length=30)


@router.post("/statements/{number}/deductions", auth=requires(Cap.CLAIMS_REVIEW),
             response={201: StatementOut, **ERRORS},
             summary="登记违规扣款：违规金额 × 倍数（造成基金损失 1–2 倍，欺诈骗保 2–5 倍），须填原因")
def deduct(request, number: str, payload: DeductionIn):
    st = _statement(request, number)
    statement_deduct(actor=request.user, statement=st, **payload.dict())
    return Status(201, _out(selectors.statement_get(actor=request.user, pk=st.pk)))


@router.post("/statements/{number}/approve", auth=requires(Cap.CLAIMS_REVIEW),
             response={200: StatementOut, **ERRORS},
             summary="审定（扣款与返还追回记账；应拨付 = 基金支付合计 − 违规扣款 − 返还追回 − 上月结转，不足部分结转下月）")
def approve(request, number: str):
    return _out(statement_approve(actor=request.user, statement=_statement(request, number)))


class StatementReasonIn(Schema):
    reason: str = Field(max_length=300)


@router.post("/statements/{number}/deductions/{deduction_id}/withdraw", auth=requires(Cap.CLAIMS_REVIEW),
             response={200: StatementOut, **ERRORS},
             summary="审核中撤销一笔违规扣款（须填原因；扣款合计重算，记审计）")
def deduction_withdraw(request, number: str, deduction_id: int, payload: StatementReasonIn):
    st = _statement(request, number)
    statement_deduction_withdraw(actor=request.user, statement=st, deduction_id=deduction_id, reason=payload.reason)
    return _out(selectors.statement_get(actor=request.user, pk=st.pk))


@router.post("/statements/{number}/return", auth=requires(Cap.CLAIMS_REVIEW),
             response={200: StatementOut, **ERRORS},
             summary="退回医院（已生成待审核或审核中的月结算单；须填退回原因，医院可见）")
def send_back(request, number: str, payload: StatementReasonIn):
    return _out(statement_return(actor=request.user, statement=_statement(request, number), reason=payload.reason))


class ResubmitIn(Schema):
    note: str = Field(max_length=300)


@router.post("/statements/{number}/resubmit", auth=requires(Cap.DESK_SETTLE),
             response={200: StatementOut, **ERRORS},
             summary="医院重新报送被退回的月结算单（按本月结算重新生成，须填报送说明）")
def resubmit(request, number: str, payload: ResubmitIn):
    return _out(statement_resubmit(actor=request.user, statement=_statement(request, number), note=payload.note))


class DisburseIn(Schema):
    reference: str = Field(max_length=60)


@router.post("/statements/{number}/disburse", auth=requires(Cap.FUND_DISBURSE),
             response={200: StatementOut, 201: StatementOut, **ERRORS},
             summary="财政拨付（拨付人不能是审定人；带 Idempotency-Key 重试返回第一次的结果，状态 200）")
def disburse(request, number: str, payload: DisburseIn,
             idempotency_key: str | None = Header(default=None, alias="Idempotency-Key")):
    st, created = statement_disburse(actor=request.user, statement=_statement(request, number),
                                     reference=payload.reference, idempotency_key=idempotency_key)
    return Status(201 if created else 200, _out(st))


class ReconciliationLineIn(Schema):
    number: str
    fund_total: Decimal


class ReconciliationIn(Schema):
    date: dt.date
    settlement_count: int
    reversal_count: int = 0
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal
    lines: list[ReconciliationLineIn] = []


class DifferenceOut(Schema):
    item: str
    label: str
    number: str | None = None
    facility: str | int | None
    system: str | int | None
    difference: str | int


class ReconciliationOut(Schema):
    id: int
    facility_code: str
    date: dt.date
    result: coded(ReconciliationResult)
    facility_totals: dict
    system_totals: dict
    differences: list[DifferenceOut]
    submitted_by: str
    submitted_at: dt.datetime


def _reconciliation_out(r: DailyReconciliation) -> dict:
    return {"id": r.pk, "facility_code": r.facility.code, "date": r.date, "result": r.result,
            "facility_totals": totals_to_fen(r.facility_totals), "system_totals": totals_to_fen(r.system_totals),
            "differences": differences_to_fen(r.differences),
            "submitted_by": r.submitted_by.username, "submitted_at": r.submitted_at}


@router.post("/reconciliations", auth=requires(Cap.DESK_SETTLE), response={201: ReconciliationOut, **ERRORS},
             summary="提交当日对账：本机构当日合计（可附逐笔结算单号与基金支付），返回一致或逐项差异")
def reconcile(request, payload: ReconciliationIn):
    data = payload.dict()
    data["lines"] = [{"number": line["number"], "fund_total": line["fund_total"]} for line in data["lines"]]
    if data["settlement_count"] < 0 or data["reversal_count"] < 0:
        raise ValidationFailed("invalid", "笔数不能为负数", field="settlement_count")
    row = reconciliation_submit(actor=request.user, data=ReconciliationInput(**data))
    return Status(201, _reconciliation_out(row))


class ReconciliationPage(PageOut):
    items: list[ReconciliationOut]


@router.get("/reconciliations", response={200: ReconciliationPage, **ERRORS}, summary="对账记录（医疗机构只见本机构）")
def reconciliations(request, date: dt.date | None = None, facility_code: str = "",
                    result: coded_query(ReconciliationResult) = "",
                    offset: int = 0, limit: int = 50):
    _reader(request)
    qs = selectors.reconciliation_list(actor=request.user, date=date, facility_code=facility_code, result=result)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_reconciliation_out(r) for r in items]}

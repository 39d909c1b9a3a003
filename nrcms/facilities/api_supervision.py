"""/api/facilities: scorecards, alerts, adding a facility, assessments and designation requests (issue 12).

Registered on the facilities router before its /{code} routes (`register(router)`), so that /scorecards,
/alerts and /designation-requests are not taken for facility codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from nrcms.accounts import selectors
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.facilities.measures import MEASURES
from nrcms.stats.scorecards import ranking, scorecards, thresholds_on, trend
from nrcms.web.params import last_month, month_param

from .designation import assessment_record, designation_approve, designation_reject, designation_request
from .models import (
    AlertStatus,
    DesignationAction,
    DesignationRequest,
    FacilityAlert,
    FacilityLevel,
    RequestStatus,
)
from .services import facility_register
from .supervision import alert_acknowledge

SORT_KEYS = [m.key for m in MEASURES]


class ScorecardMeasureOut(Schema):
    key: str = Field(description="指标代码：" + "、".join(f"{m.key}（{m.label}，{m.unit}）" for m in MEASURES))
    label: str
    unit: str
    value: Decimal | None = Field(description="指标值；分母为零或数据来源（审核规则、投诉）未启用时为空")
    threshold: Decimal | None = Field(description="阈值（%），无阈值的指标为空")
    above: bool = Field(description="是否超过阈值")


class ScorecardOut(Schema):
    code: str
    name: str
    level: coded(FacilityLevel, description="机构级别")
    rank: int | None = Field(description="同级机构中按排序指标从高到低的名次；无该指标值时为空")
    settlements: int = Field(description="结算人次（冲正已抵减）")
    admissions: int = Field(description="住院人次")
    total_cost: Decimal = Field(description="医疗总费用（元）")
    measures: list[ScorecardMeasureOut]


class ScorecardListOut(Schema):
    month: str
    thresholds_from_scheme: bool = Field(description="阈值是否取自补偿方案（否：默认值）")
    items: list[ScorecardOut]


class ScorecardMonthOut(Schema):
    month: str
    card: ScorecardOut | None = Field(description="该月无结算时为空")


class ScorecardTrendOut(Schema):
    code: str
    name: str
    months: list[ScorecardMonthOut]


def _card_out(card) -> dict:
    return {"code": card.code, "name": card.name, "level": card.level, "rank": card.rank,
            "settlements": card.settlements, "admissions": card.admissions, "total_cost": card.total_cost,
            "measures": [{"key": x["measure"].key, "label": x["measure"].label, "unit": x["measure"].unit,
                          "value": x["value"], "threshold": x["threshold"], "above": x["above"]} for x in card.cells]}


def _county_only(request) -> None:
    if not jurisdiction_of(request.user).is_county:
        raise Forbidden("定点机构监管指标只对县级账号开放")


def _month(month: str) -> tuple[int, int]:
    return month_param({"month": month}, default=last_month(timezone.localdate()))


class AlertOut(Schema):
    id: int
    facility_code: str
    facility_name: str
    month: str
    measure: str
    measure_label: str
    value: Decimal
    threshold: Decimal
    status: coded(AlertStatus)
    note: str


class AlertPage(PageOut):
    items: list[AlertOut]


def _alert_out(a: FacilityAlert) -> dict:
    return {"id": a.pk, "facility_code": a.facility.code, "facility_name": a.facility.name,
            "month": f"{a.month:%Y-%m}", "measure": a.measure, "measure_label": a.measure_label, "value": a.value,
            "threshold": a.threshold, "status": a.status, "note": a.note}


class AlertAcknowledgeIn(Schema):
    note: str = Field(max_length=300, description="处理说明（必填）")


class FacilityCreateIn(Schema):
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    level: coded(FacilityLevel, description="机构级别")
    in_county: bool = True
    region_code: str = Field("", max_length=12, description="所在乡镇或村的区划代码（县内机构必填）")
    address: str = Field("", max_length=200)
    authority: str = Field("", max_length=200, description="依据（文件号）")


class FacilityCreatedOut(Schema):
    code: str
    name: str
    level: coded(FacilityLevel, description="机构级别")
    in_county: bool
    region_code: str | None


class AssessmentIn(Schema):
    assessed_on: dt.date
    score: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2, description="考核得分（百分制）")
    findings: str = Field(max_length=2000)
    assessor: str = Field(max_length=100)


class AssessmentOut(Schema):
    id: int
    assessed_on: dt.date
    score: Decimal
    findings: str
    assessor: str


class AssessmentPage(PageOut):
    items: list[AssessmentOut]


class DesignationRequestIn(Schema):
    action: coded(DesignationAction, description="处理类别")
    effective_date: dt.date = Field(description="生效日期，不能早于今天")
    reason: str = Field(max_length=300)
    authority: str = Field("", max_length=200)


class DesignationRequestOut(Schema):
    id: int
    facility_code: str
    action: coded(DesignationAction, description="处理类别")
    effective_date: dt.date
    reason: str
    authority: str
    status: coded(RequestStatus, description="审批状态")
    requested_by: str
    decided_by: str | None
    decision_note: str


class DesignationRequestPage(PageOut):
    items: list[DesignationRequestOut]


class DesignationDecisionIn(Schema):
    note: str = Field("", max_length=300, description="审批意见（驳回时必填）")


def _request_out(r: DesignationRequest) -> dict:
    return {"id": r.pk, "facility_code": r.facility.code, "action": r.action, "effective_date": r.effective_date,
            "reason": r.reason, "authority": r.authority, "status": r.status,
            "requested_by": r.requested_by.username, "decided_by": r.decided_by.username if r.decided_by else None,
            "decision_note": r.decision_note}


def _request_get(request_id: int) -> DesignationRequest:
    item = DesignationRequest.objects.select_related("facility", "requested_by", "decided_by").filter(
        pk=request_id).first()
    if item is None:
        raise NotFound("定点处理申请", request_id)
    return item


def register(router: Router) -> None:  # noqa: C901 — one place for the routes, in the order they must match
    @router.get("/scorecards", auth=requires(Cap.FACILITY_SUPERVISE), response={200: ScorecardListOut, **ERRORS},
                summary="定点机构月度监管指标，按级别排名（县级账号）")
    def scorecard_list_api(request, month: str = "",
                           level: coded_query(FacilityLevel) = "", sort: str = "drug_share"):
        _county_only(request)
        if sort not in SORT_KEYS:
            raise NrcmsError("invalid", f"排序指标“{sort[:20]}”应为：{'、'.join(SORT_KEYS)}", field="sort")
        year, mon = _month(month)
        groups = ranking(scorecards(year, mon, level=level), sort)
        return {"month": f"{year}-{mon:02d}", "thresholds_from_scheme": thresholds_on(dt.date(year, mon, 1))[1],
                "items": [_card_out(c) for _, _, cards in groups for c in cards]}

    @router.get("/alerts", auth=requires(Cap.FACILITY_SUPERVISE), response={200: AlertPage, **ERRORS},
                summary="监管指标超阈值预警")
    def alert_list_api(request, status: coded_query(AlertStatus) = "", offset: int = 0, limit: int = 100):
        _county_only(request)
        qs = FacilityAlert.objects.select_related("facility").order_by("-month", "facility__code", "measure")
        if status:
            qs = qs.filter(status=status)
        items, page = paginate(qs, offset, limit)
        return {**page, "items": [_alert_out(a) for a in items]}

    @router.post("/alerts/{alert_id}/acknowledge", auth=requires(Cap.FACILITY_MANAGE),
                 response={200: AlertOut, **ERRORS}, summary="处理预警（县合管办，须填处理说明）")
    def alert_acknowledge_api(request, alert_id: int, payload: AlertAcknowledgeIn):
        alert = FacilityAlert.objects.select_related("facility").filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("监管预警", alert_id)
        return _alert_out(alert_acknowledge(actor=request.user, alert=alert, note=payload.note))

    @router.get("/designation-requests", auth=requires(Cap.FACILITY_SUPERVISE),
                response={200: DesignationRequestPage, **ERRORS},
                summary="定点处理申请（警告、暂停、取消、恢复定点）")
    def designation_request_list_api(request, status: coded_query(RequestStatus) = "", offset: int = 0,
                                     limit: int = 100):
        qs = DesignationRequest.objects.select_related("facility", "requested_by", "decided_by")
        if status:
            qs = qs.filter(status=status)
        items, page = paginate(qs, offset, limit)
        return {**page, "items": [_request_out(r) for r in items]}

    @router.post("/designation-requests/{request_id}/approve", auth=requires(Cap.FACILITY_DESIGNATION_APPROVE),
                 response={200: DesignationRequestOut, **ERRORS},
                 summary="批准定点处理申请（主任；申请人本人不能批准）")
    def designation_approve_api(request, request_id: int, payload: DesignationDecisionIn):
        item = designation_approve(actor=request.user, request=_request_get(request_id), note=payload.note)
        return _request_out(_request_get(item.pk))

    @router.post("/designation-requests/{request_id}/reject", auth=requires(Cap.FACILITY_DESIGNATION_APPROVE),
                 response={200: DesignationRequestOut, **ERRORS}, summary="驳回定点处理申请（主任，须填理由）")
    def designation_reject_api(request, request_id: int, payload: DesignationDecisionIn):
        item = designation_reject(actor=request.user, request=_request_get(request_id), note=payload.note)
        return _request_out(_request_get(item.pk))

    @router.post("", auth=requires(Cap.FACILITY_MANAGE), response={201: FacilityCreatedOut, **ERRORS},
                 summary="新增定点医疗机构（县合管办）")
    def facility_create_api(request, payload: FacilityCreateIn):
        facility = facility_register(actor=request.user, **payload.dict())
        return Status(201, {"code": facility.code, "name": facility.name, "level": facility.level,
                            "in_county": facility.in_county,
                            "region_code": facility.region.code if facility.region_id else None})

    @router.get("/{code}/scorecard", auth=requires(Cap.FACILITY_SUPERVISE), response={200: ScorecardTrendOut, **ERRORS},
                summary="一个机构近 12 个月的监管指标（趋势）")
    def facility_scorecard_api(request, code: str, month: str = ""):
        _county_only(request)
        facility = selectors.facility_get(actor=request.user, code=code)
        year, mon = _month(month)
        return {"code": facility.code, "name": facility.name,
                "months": [{"month": label, "card": _card_out(card) if card else None}
                           for label, card in trend(facility.code, year, mon)]}

    @router.get("/{code}/assessments", auth=requires(Cap.FACILITY_VIEW), response={200: AssessmentPage, **ERRORS},
                summary="机构考核记录")
    def assessment_list_api(request, code: str, offset: int = 0, limit: int = 100):
        facility = selectors.facility_get(actor=request.user, code=code)
        items, page = paginate(facility.assessments.all(), offset, limit)
        return {**page, "items": items}

    @router.post("/{code}/assessments", auth=requires(Cap.FACILITY_MANAGE), response={201: AssessmentOut, **ERRORS},
                 summary="登记机构考核（县合管办）")
    def assessment_create_api(request, code: str, payload: AssessmentIn):
        facility = selectors.facility_get(actor=request.user, code=code)
        return Status(201, assessment_record(actor=request.user, facility=facility, **payload.dict()))

    @router.post("/{code}/designation-requests", auth=requires(Cap.FACILITY_MANAGE),
                 response={201: DesignationRequestOut, **ERRORS},
                 summary="提出警告、暂停、取消或恢复定点（县合管办；主任批准后按生效日期生效）")
    def designation_request_create_api(request, code: str, payload: DesignationRequestIn):
        facility = selectors.facility_get(actor=request.user, code=code)
        item = designation_request(actor=request.user, facility=facility, **payload.dict())
        return Status(201, _request_out(_request_get(item.pk)))

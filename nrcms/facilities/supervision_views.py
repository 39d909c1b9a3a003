"""Pages of facility supervision (issue 12): the monthly scorecards ranked by level (and their Excel), one
facility's trend, the alerts, adding a facility, assessments and the designation requests the director decides."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts import selectors
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.facilities.measures import MEASURE_BY_KEY, MEASURES
from nrcms.stats.scorecards import (
    level_thresholds,
    ranking,
    scorecards,
    thresholds_on,
    trend,
)
from nrcms.web.params import choice_param, last_month, month_param
from nrcms.web.views import need

from .designation import assessment_record, designation_approve, designation_reject, designation_request
from .forms import AcknowledgeForm, AssessmentForm, DecisionForm, DesignationRequestForm, FacilityCreateForm
from .models import AlertStatus, DesignationRequest, FacilityAlert, FacilityLevel, RequestStatus
from .services import facility_register
from .supervision import alert_acknowledge

SORTS = [(m.key, m.label) for m in MEASURES]


def _supervisor(request) -> None:
    """Scorecards are the county office's: county-bound roles with FACILITY_SUPERVISE."""
    need(request, Cap.FACILITY_SUPERVISE)
    if not jurisdiction_of(request.user).is_county:
        raise Forbidden("定点机构监管指标只对县级账号开放")


def _month(request):
    return month_param(request.GET, default=last_month(timezone.localdate()))


def _fmt(value) -> str:
    return "—" if value is None else str(value)


def scorecard_list(request):
    _supervisor(request)
    year, month = _month(request)
    sort = choice_param(request.GET, "sort", "排序指标", SORTS) or "drug_share"
    level = choice_param(request.GET, "level", "机构级别", FacilityLevel.choices)
    fmt = choice_param(request.GET, "format", "导出格式", [("xlsx", "Excel")])
    groups = ranking(scorecards(year, month, level=level), sort)
    if fmt == "xlsx":
        headers = ["机构级别", "排名", "机构编码", "机构名称", "结算人次", "住院人次",
                   *[f"{m.label}（{m.unit}）" if m.unit != "元" else f"{m.label}（元）" for m in MEASURES],
                   "超过阈值的指标"]
        rows = [[label, c.rank, c.code, c.name, c.settlements, c.admissions, *[c.values[m.key] for m in MEASURES],
                 "、".join(MEASURE_BY_KEY[k].label for k in c.above_keys)]
                for _, label, cards in groups for c in cards]
        return xlsx_response(f"定点机构监管指标{year}年{month:02d}月.xlsx", "监管指标", headers, rows)
    thresholds, from_scheme = thresholds_on(dt.date(year, month, 1))
    alerts = FacilityAlert.objects.filter(month__year=year, month__month=month).select_related("facility")
    return render(request, "facilities/scorecards.html", {
        "groups": groups, "measures": MEASURES, "sorts": SORTS, "sort": sort, "levels": FacilityLevel.choices,
        "level": level, "month_value": f"{year}-{month:02d}", "year": year, "month": month,
        "threshold_rows": [(label, level_thresholds(thresholds, code)) for code, label in FacilityLevel.choices],
        "from_scheme": from_scheme, "alerts": alerts,
        "can_manage": request.user.can(Cap.FACILITY_MANAGE)})


def facility_scorecard(request, code: str):
    _supervisor(request)
    facility = selectors.facility_get(actor=request.user, code=code)
    year, month = _month(request)
    months = trend(facility.code, year, month)
    limits = [card.thresholds if card else level_thresholds(
        thresholds_on(dt.date(int(label[:4]), int(label[5:]), 1))[0], facility.level) for label, card in months]
    chart = {"months": [label for label, _ in months],
             "series": [{"key": m.key, "name": f"{m.label}（{m.unit}）",
                         "data": [_fmt(card.values[m.key]) if card else "—" for _, card in months],
                         "threshold": [_fmt(limit.get(m.key)) for limit in limits]}
                        for m in MEASURES]}
    return render(request, "facilities/facility_scorecard.html", {
        "facility": facility, "months": months, "measures": MEASURES, "chart": chart,
        "month_value": f"{year}-{month:02d}",
        "alerts": facility.alerts.order_by("-month", "measure")[:24]})


def alert_list(request):
    _supervisor(request)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        need(request, Cap.FACILITY_MANAGE)
        if form.is_valid():
            alert = FacilityAlert.objects.filter(pk=form.cleaned_data["alert"]).first()
            try:
                if alert is None:
                    raise NotFound("监管预警", form.cleaned_data["alert"])
                alert_acknowledge(actor=request.user, alert=alert, note=form.cleaned_data["note"])
            except NrcmsError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已处理：{alert.facility.name} {alert.month:%Y-%m} "
                                 f"{MEASURE_BY_KEY[alert.measure].label}")
                return redirect("facility_alert_list")
    status = choice_param(request.GET, "status", "状态", AlertStatus.choices) or AlertStatus.OPEN
    alerts = FacilityAlert.objects.filter(status=status).select_related("facility", "acknowledged_by")
    rows = [(a, MEASURE_BY_KEY.get(a.measure)) for a in alerts[:500]]
    return render(request, "facilities/alert_list.html", {
        "rows": rows, "status": status, "statuses": AlertStatus.choices, "form": form,
        "can_manage": request.user.can(Cap.FACILITY_MANAGE)})


def facility_create(request):
    need(request, Cap.FACILITY_MANAGE)
    form = FacilityCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            facility = facility_register(actor=request.user, code=data["code"], name=data["name"],
                                         level=data["level"], region_code=data["region"],
                                         in_county=data["in_county"], address=data["address"],
                                         authority=data["authority"])
        except NrcmsError as exc:
            field = "region" if exc.field == "region_code" else exc.field
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已新增定点医疗机构：{facility.name}（{facility.code}）")
            return redirect("facility_detail", code=facility.code)
    return render(request, "facilities/facility_create.html", {"form": form})


def designation_request_list(request):
    """The director's queue (and everyone's record): pending first; approve or reject here."""
    need(request, Cap.FACILITY_SUPERVISE)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        need(request, Cap.FACILITY_DESIGNATION_APPROVE)
        if form.is_valid():
            item = DesignationRequest.objects.filter(pk=form.cleaned_data["request"]).first()
            try:
                if item is None:
                    raise NotFound("定点处理申请", form.cleaned_data["request"])
                if form.cleaned_data["decision"] == "approve":
                    designation_approve(actor=request.user, request=item, note=form.cleaned_data["note"])
                    messages.success(request, f"已批准：{item.facility.name}{item.get_action_display()}"
                                     f"（{item.effective_date} 起）")
                else:
                    designation_reject(actor=request.user, request=item, note=form.cleaned_data["note"])
                    messages.success(request, f"已驳回：{item.facility.name}{item.get_action_display()}")
            except NrcmsError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("designation_request_list")
    status = choice_param(request.GET, "status", "审批状态", RequestStatus.choices) or RequestStatus.PENDING
    items = (DesignationRequest.objects.filter(status=status)
             .select_related("facility", "requested_by", "decided_by")[:500])
    return render(request, "facilities/designation_requests.html", {
        "items": items, "status": status, "statuses": RequestStatus.choices, "form": form,
        "can_approve": request.user.can(Cap.FACILITY_DESIGNATION_APPROVE)})


def facility_supervision(request, code: str):
    """On a facility: its assessments and designation requests, with the county office's forms."""
    need(request, Cap.FACILITY_VIEW)
    facility = selectors.facility_get(actor=request.user, code=code)
    action = request.POST.get("form") if request.method == "POST" else None  # which of the two forms
    assessment_form = AssessmentForm(request.POST if action == "assessment" else None,
                                     initial={"assessed_on": timezone.localdate()})
    request_form = DesignationRequestForm(request.POST if action == "request" else None,
                                          initial={"effective_date": timezone.localdate()})
    if action is not None:
        need(request, Cap.FACILITY_MANAGE)
    if action == "assessment" and assessment_form.is_valid():
        try:
            assessment_record(actor=request.user, facility=facility, **assessment_form.cleaned_data)
        except NrcmsError as exc:
            assessment_form.add_error(exc.field if exc.field in assessment_form.fields else None, exc.message)
        else:
            messages.success(request, "已登记考核记录")
            return redirect("facility_supervision", code=facility.code)
    elif action == "request" and request_form.is_valid():
        try:
            item = designation_request(actor=request.user, facility=facility, **request_form.cleaned_data)
        except NrcmsError as exc:
            request_form.add_error(exc.field if exc.field in request_form.fields else None, exc.message)
        else:
            messages.success(request, f"已提交{item.get_action_display()}申请，待主任审批")
            return redirect("facility_supervision", code=facility.code)
    return render(request, "facilities/facility_supervision.html", {
        "facility": facility, "assessments": facility.assessments.select_related("recorded_by"),
        "requests": facility.designation_requests.select_related("requested_by", "decided_by"),
        "assessment_form": assessment_form, "request_form": request_form,
        "can_manage": request.user.can(Cap.FACILITY_MANAGE),
        "can_supervise": request.user.can(Cap.FACILITY_SUPERVISE)})

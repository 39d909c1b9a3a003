"""Pages under /conditions/: the chronic-disease register (list, export, certify, detail with follow-ups and
revocation), serious-illness records (list, record, detail with follow-ups and closing), home sickbeds (list,
open, detail with visits, closing and settlement) and one person's page with all three."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrcms.accounts.export_log import export_filters
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region
from nrcms.web.params import amount_param, choice_param, date_param, int_param, text_param
from nrcms.web.views import need, paged

from . import exports, lists, services, sickbed
from .models import ChronicStatus, SeriousIllness, SeriousStatus, SickbedStatus
from .selectors import chronic_diseases


def _townships(request):
    j = jurisdiction_of(request.user)
    return Region.objects.filter(code__startswith=j.region_prefix or "-", level="township").order_by("code")


def _hospitals():
    return Facility.objects.filter(level__in=services.COUNTY_OR_ABOVE).order_by("level", "code")


def _xlsx(request, export: exports.Export):
    """An export answered as the file, recorded on the audit trail with the page's filters."""
    export.record(actor=request.user, filters=export_filters(request.GET))
    return xlsx_response(export.file_name, export.sheet, export.headers, export.rows)


def _posted(request, write, done: str, back):
    """Run a write from a posted form; the outcome as a message; back to the page."""
    try:
        write()
    except NrcmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return back


# ---- 慢性病认定 ----

def _chronic_filters(request) -> dict:
    g = request.GET
    return {"q": text_param(g, "q", "姓名或身份证号", max_length=40), "township": text_param(g, "township", "乡镇", max_length=12),
            "disease": text_param(g, "disease", "病种", max_length=20),
            "status": choice_param(g, "status", "状态", ChronicStatus.choices)}


def chronic_list(request):
    need(request, Cap.CONDITIONS_VIEW)
    filters = _chronic_filters(request)
    today = timezone.localdate()
    rows = lists.chronic_list(actor=request.user, today=today, **filters)
    return render(request, "conditions/chronic_list.html", {
        "page": paged(request, rows), "f": filters, "townships": _townships(request), "today": today,
        "diseases": chronic_diseases(today), "statuses": ChronicStatus.choices, "query": request.GET.urlencode(),
        "can_manage": request.user.can(Cap.CONDITIONS_MANAGE)})


def chronic_xlsx(request):
    need(request, Cap.CONDITIONS_VIEW)
    export = exports.chronic_export(actor=request.user, today=timezone.localdate(), **_chronic_filters(request))
    return _xlsx(request, export)


def chronic_new(request):
    need(request, Cap.CONDITIONS_MANAGE)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        p = request.POST
        try:
            cert = services.chronic_certify(
                actor=request.user, id_number=text_param(p, "id_number", "身份证号", max_length=18),
                disease_code=text_param(p, "disease_code", "病种", max_length=20),
                facility_code=text_param(p, "facility_code", "认定医疗机构", max_length=20),
                certified_on=date_param(p, "certified_on", "认定日期"), valid_until=date_param(p, "valid_until", "有效期至"))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已登记{cert.person.name}的{cert.disease_name}认定")
            return redirect("conditions_chronic_detail", pk=cert.pk)
    return render(request, "conditions/chronic_new.html", {
        "diseases": chronic_diseases(today), "hospitals": _hospitals(), "today": today, "data": data,
        "valid_default": today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year + 1, day=28)})


def chronic_detail(request, pk: int):
    cert = lists.chronic_get(actor=request.user, pk=pk)
    today = timezone.localdate()
    return render(request, "conditions/chronic_detail.html", {
        "cert": cert, "status_label": ChronicStatus(cert.status_on(today)).label, "today": today,
        "follow_ups": cert.follow_ups.select_related("recorded_by"), "can_manage": request.user.can(Cap.CONDITIONS_MANAGE)})


@require_POST
def chronic_follow_up(request, pk: int):
    cert = lists.chronic_get(actor=request.user, pk=pk)
    p = request.POST
    return _posted(request, lambda: services.chronic_follow_up_record(
        actor=request.user, certificate=cert, date=date_param(p, "date", "随访日期"),
        by_whom=text_param(p, "by_whom", "随访人", max_length=40),
        blood_pressure=text_param(p, "blood_pressure", "血压", max_length=40),
        glucose=text_param(p, "glucose", "血糖", max_length=40), note=text_param(p, "note", "随访情况", max_length=500)),
        "慢病随访已保存", redirect("conditions_chronic_detail", pk=cert.pk))


@require_POST
def chronic_revoke(request, pk: int):
    cert = lists.chronic_get(actor=request.user, pk=pk)
    p = request.POST
    return _posted(request, lambda: services.chronic_revoke(
        actor=request.user, certificate=cert, revoked_on=date_param(p, "revoked_on", "撤销日期"),
        reason=text_param(p, "reason", "撤销原因", max_length=300)), "认定已撤销",
        redirect("conditions_chronic_detail", pk=cert.pk))


# ---- 大病集中救治 ----

def _serious_filters(request) -> dict:
    g = request.GET
    return {"q": text_param(g, "q", "姓名或身份证号", max_length=40), "township": text_param(g, "township", "乡镇", max_length=12),
            "disease": choice_param(g, "disease", "病种", SeriousIllness.choices),
            "status": choice_param(g, "status", "状态", SeriousStatus.choices)}


def serious_list(request):
    need(request, Cap.CONDITIONS_VIEW)
    filters = _serious_filters(request)
    return render(request, "conditions/serious_list.html", {
        "page": paged(request, lists.serious_list(actor=request.user, **filters)), "f": filters,
        "townships": _townships(request), "diseases": SeriousIllness.choices, "statuses": SeriousStatus.choices,
        "query": request.GET.urlencode(), "can_manage": request.user.can(Cap.CONDITIONS_MANAGE)})


def serious_xlsx(request):
    need(request, Cap.CONDITIONS_VIEW)
    export = exports.serious_export(actor=request.user, today=timezone.localdate(), **_serious_filters(request))
    return _xlsx(request, export)


def serious_new(request):
    need(request, Cap.CONDITIONS_MANAGE)
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        p = request.POST
        try:
            case = services.serious_case_record(
                actor=request.user, id_number=text_param(p, "id_number", "身份证号", max_length=18),
                disease=choice_param(p, "disease", "病种", SeriousIllness.choices),
                facility_code=text_param(p, "facility_code", "定点救治医院", max_length=20),
                pathway=text_param(p, "pathway", "临床路径", max_length=1000),
                started_on=date_param(p, "started_on", "开始救治日期"))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已登记{case.person.name}的{case.get_disease_display()}集中救治")
            return redirect("conditions_serious_detail", pk=case.pk)
    return render(request, "conditions/serious_new.html", {
        "diseases": SeriousIllness.choices, "hospitals": _hospitals(), "today": timezone.localdate(), "data": data})


def serious_detail(request, pk: int):
    case = lists.serious_get(actor=request.user, pk=pk)
    return render(request, "conditions/serious_detail.html", {
        "case": case, "follow_ups": case.follow_ups.select_related("recorded_by"), "today": timezone.localdate(),
        "close_statuses": [(SeriousStatus.COMPLETED.value, SeriousStatus.COMPLETED.label),
                           (SeriousStatus.STOPPED.value, SeriousStatus.STOPPED.label)],
        "can_manage": request.user.can(Cap.CONDITIONS_MANAGE)})


@require_POST
def serious_follow_up(request, pk: int):
    case = lists.serious_get(actor=request.user, pk=pk)
    p = request.POST
    return _posted(request, lambda: services.serious_follow_up_record(
        actor=request.user, case=case, date=date_param(p, "date", "随访日期"),
        by_whom=text_param(p, "by_whom", "随访人", max_length=40), note=text_param(p, "note", "随访情况", max_length=500)),
        "大病随访已保存", redirect("conditions_serious_detail", pk=case.pk))


@require_POST
def serious_close(request, pk: int):
    case = lists.serious_get(actor=request.user, pk=pk)
    p = request.POST
    return _posted(request, lambda: services.serious_case_close(
        actor=request.user, case=case, status=choice_param(p, "status", "结束状态", SeriousStatus.choices),
        closed_on=date_param(p, "closed_on", "结束日期"), note=text_param(p, "note", "结束说明", max_length=300)),
        "救治记录已结束", redirect("conditions_serious_detail", pk=case.pk))


# ---- 家庭病床 ----

def _sickbed_need(request) -> None:
    if not (request.user.can(Cap.CONDITIONS_VIEW) or request.user.can(Cap.HOME_SICKBED_MANAGE)):
        need(request, Cap.CONDITIONS_VIEW)


def _sickbed_rows(request):
    status = choice_param(request.GET, "status", "状态", SickbedStatus.choices)
    rows = sickbed.sickbeds(actor=request.user)
    return (rows.filter(status=status) if status else rows), status


def sickbed_list(request):
    _sickbed_need(request)
    rows, status = _sickbed_rows(request)
    return render(request, "conditions/sickbed_list.html", {
        "page": paged(request, rows), "status": status, "statuses": SickbedStatus.choices,
        "query": request.GET.urlencode(),
        "can_open": request.user.can(Cap.HOME_SICKBED_MANAGE) and request.user.facility_id is not None})


def sickbed_xlsx(request):
    """The beds the actor sees, with their visits' cost and, once settled, the settlement and the fund's share."""
    _sickbed_need(request)
    status = choice_param(request.GET, "status", "状态", SickbedStatus.choices)
    return _xlsx(request, exports.sickbed_export(actor=request.user, today=timezone.localdate(), status=status))


def sickbed_new(request):
    need(request, Cap.HOME_SICKBED_MANAGE)
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        p = request.POST
        try:
            bed = sickbed.sickbed_open(
                actor=request.user, id_number=text_param(p, "id_number", "身份证号", max_length=18),
                doctor=text_param(p, "doctor", "责任医生", max_length=40),
                diagnosis_code=text_param(p, "diagnosis_code", "诊断编码", max_length=20),
                opened_on=date_param(p, "opened_on", "建床日期"),
                planned_days=int_param(p, "planned_days", "计划天数", min_value=1, max_value=sickbed.MAX_PLANNED_DAYS))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已为{bed.person.name}建家庭病床 {bed.number}")
            return redirect("conditions_sickbed_detail", pk=bed.pk)
    return render(request, "conditions/sickbed_new.html", {"today": timezone.localdate(), "data": data})


def sickbed_detail(request, pk: int):
    _sickbed_need(request)
    bed = sickbed.sickbed_get(actor=request.user, pk=pk)
    settlement = bed.episode.settlements.filter(kind="settlement", status="active").first() if bed.episode_id else None
    visits = list(bed.visits.all())
    return render(request, "conditions/sickbed_detail.html", {
        "bed": bed, "visits": visits, "visits_total": sum((v.amount for v in visits), 0), "settlement": settlement,
        "today": timezone.localdate(),
        "can_manage": request.user.can(Cap.HOME_SICKBED_MANAGE) and request.user.facility_id == bed.facility_id})


@require_POST
def sickbed_visit(request, pk: int):
    bed = sickbed.sickbed_get(actor=request.user, pk=pk)
    p = request.POST
    return _posted(request, lambda: sickbed.sickbed_visit_record(
        actor=request.user, sickbed=bed, date=date_param(p, "date", "查床日期"),
        services=text_param(p, "services", "服务内容", max_length=300),
        item_code=text_param(p, "item_code", "收费项目编码", max_length=40),
        quantity=amount_param(p, "quantity", "数量"), unit_price=amount_param(p, "unit_price", "单价")),
        "查床记录已保存", redirect("conditions_sickbed_detail", pk=bed.pk))


@require_POST
def sickbed_close(request, pk: int):
    bed = sickbed.sickbed_get(actor=request.user, pk=pk)
    return _posted(request, lambda: sickbed.sickbed_close(
        actor=request.user, sickbed=bed, closed_on=date_param(request.POST, "closed_on", "撤床日期")),
        "已撤床，可以结算", redirect("conditions_sickbed_detail", pk=bed.pk))


@require_POST
def sickbed_settle(request, pk: int):
    bed = sickbed.sickbed_get(actor=request.user, pk=pk)
    return _posted(request, lambda: sickbed.sickbed_settle(actor=request.user, sickbed=bed),
                   "家庭病床已按住院结算", redirect("conditions_sickbed_detail", pk=bed.pk))


# ---- 个人 ----

def person_page(request, person_id: int):
    need(request, Cap.CONDITIONS_VIEW)
    person = services.person_get(actor=request.user, person_id=person_id)
    return render(request, "conditions/person.html", {"person": person, "today": timezone.localdate(),
                                                      **lists.person_conditions(person)})

"""Pages under /poverty/: the list import (civil affairs, county office), the 90 % monitor with its drill-down
and Excel, and one file per patient (page and PDF)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrcms.accounts.export_log import audited_pdf, export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of, region_q
from nrcms.core.errors import NotFound, NrcmsError, ValidationFailed
from nrcms.core.export import xlsx_response
from nrcms.core.masking import mask_id
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import POVERTY_CATEGORIES, Person, PersonCategory, Region
from nrcms.stats.scope import scope_from
from nrcms.web.params import choice_param, date_param, text_param
from nrcms.web.views import need

from . import importer, monitor
from .models import FollowUpKind, PovertyImport
from .patient_file import follow_up_record, patient_file, patient_get, treatment_plan_record

BELOW_HEADERS = ["姓名", "身份证号（脱敏）", "住址", "住院人次", "医疗总费用（元）", "政策范围内费用（元）", "各层补偿合计（元）",
                 "实际补偿比（%）", "距 90% 差额（元）", "原因", "责任医疗机构"]


def poverty_imports(request):
    need(request, Cap.POVERTY_MANAGE)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("required", "请选择扶贫办名单文件（.xlsx 或 .csv）", field="file")
            as_of = date_param(request.POST, "as_of", "名单日期")
            if as_of is None:
                raise ValidationFailed("required", "请填写名单日期（扶贫办导出名单的日期）", field="as_of")
            job, new = importer.poverty_import(actor=request.user, file_name=upload.name, content=upload.read(),
                                               as_of=as_of)
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            if not new:
                messages.info(request, f"该文件已于 {timezone.localtime(job.created_at):%Y-%m-%d %H:%M} 导入过，"
                                       "本次未作任何更改")
            return redirect("poverty_import_detail", pk=job.pk)
    return render(request, "poverty/imports.html", {
        "imports": PovertyImport.objects.select_related("created_by")[:20], "today": timezone.localdate()})


def _import_get(request, pk: int) -> PovertyImport:
    need(request, Cap.POVERTY_MANAGE)
    job = PovertyImport.objects.filter(pk=pk).select_related("created_by").first()
    if job is None:
        raise NotFound("名单导入", pk)
    return job


def poverty_import_detail(request, pk: int):
    return render(request, "poverty/import_detail.html", {"job": _import_get(request, pk)})


def poverty_import_problems(request, pk: int):
    job = _import_get(request, pk)
    name = f"扶贫办名单问题行-{job.as_of:%Y%m%d}-{job.pk}.xlsx"
    export_record(actor=request.user, what="扶贫办名单导入问题行", file_name=name, rows=len(job.problems))
    return xlsx_response(name, "问题行", importer.PROBLEM_HEADERS, importer.problem_rows(job))


def _monitor_context(request) -> dict:
    need(request, Cap.POVERTY_VIEW)
    data = {k: request.GET.get(k, "") for k in ("year", "month", "region")}
    scope = scope_from(data, actor=request.user)
    return {"scope": scope, "below": monitor.below_target(scope), "q": data}


def poverty_monitor(request):
    ctx = _monitor_context(request)
    scope = ctx["scope"]
    j = jurisdiction_of(request.user)
    regions = Region.objects.filter(code__startswith=j.region_prefix or "-", level__in=("county", "township", "village"))
    return render(request, "poverty/monitor.html", {
        **ctx, "regions": regions.order_by("code"), "months": range(1, 13), "target": monitor.POOR_TARGET,
        "region_rows": monitor.region_rows(scope), "month_rows": monitor.month_rows(scope, scope.end.year),
        "facility_rows": monitor.facility_rows(scope), "query": request.GET.urlencode()})


def poverty_monitor_xlsx(request):
    ctx = _monitor_context(request)
    scope = ctx["scope"]
    name = f"档卡户未达90%患者-{scope.region_name}-{scope.label}.xlsx".replace(" ", "")
    rows = [[r["name"], mask_id(r["id_number"]), r["region"], r["count"], r["total_cost"], r["eligible_cost"],
             r["fund_total"], r["effective_ratio"], r["gap"], "；".join(r["reasons"]), r["facility"]]
            for r in ctx["below"]]
    export_record(actor=request.user, what="档卡户住院实际补偿比未达 90% 患者", file_name=name, rows=len(rows),
                  filters=export_filters(request.GET))
    return xlsx_response(name, "未达90%患者", BELOW_HEADERS, rows)


def poverty_patients(request):
    need(request, Cap.POVERTY_VIEW)
    q = text_param(request.GET, "q", "姓名", max_length=40)
    held = PersonCategory.objects.filter(category__in=POVERTY_CATEGORIES)
    people = (Person.objects.filter(region_q(request.user, "household__region__code"), pk__in=held.values("person_id"))
              .select_related("household__region").order_by("household__region__code", "id"))
    if q:
        people = people.filter(name__contains=q)
    return render(request, "poverty/patients.html", {"people": people[:200], "q": q})


def poverty_patient(request, person_id: int):
    person = patient_get(actor=request.user, person_id=person_id)
    return render(request, "poverty/patient.html", {
        **patient_file(person), "kinds": FollowUpKind.choices, "today": timezone.localdate(),
        "can_manage": request.user.can(Cap.POVERTY_MANAGE)})


def poverty_patient_pdf(request, person_id: int):
    person = patient_get(actor=request.user, person_id=person_id)
    file = patient_file(person)
    county = Region.objects.filter(level="county").first()
    content = render_pdf("poverty/patient_pdf.html", {**file, "county": county.name if county else "",
                                                      "printed": timezone.localtime()})
    return audited_pdf(actor=request.user, what="贫困患者一人一档", file_name=f"一人一档-{person.pk}.pdf",
                       content=content, rows=1, region_code=person.household.region.code)


def _record(request, person_id: int, write, done: str):
    """A follow-up or a treatment plan posted from the file; back to the file with the outcome."""
    person = patient_get(actor=request.user, person_id=person_id)
    try:
        write(person)
    except NrcmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("poverty_patient", person_id=person.pk)


@require_POST
def poverty_follow_up(request, person_id: int):
    p = request.POST
    return _record(request, person_id, lambda person: follow_up_record(
        actor=request.user, person=person, date=date_param(p, "date", "随访日期"),
        kind=choice_param(p, "kind", "随访方式", FollowUpKind.choices),
        note=text_param(p, "note", "随访情况", max_length=500)), "随访记录已保存")


@require_POST
def poverty_treatment_plan(request, person_id: int):
    p = request.POST
    return _record(request, person_id, lambda person: treatment_plan_record(
        actor=request.user, person=person, date=date_param(p, "date", "制定日期"),
        text=text_param(p, "text", "治疗方案", max_length=1000)), "治疗方案已保存")

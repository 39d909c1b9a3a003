"""Pages for township and village clerks: households, people, enrollment, certificates, roster import.
Each view reads through a selector or calls exactly one service; refusals come back as messages naming the field."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.export_log import export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_list
from nrcms.claims.selectors import person_reimbursements, settlement_can_read
from nrcms.core.errors import NrcmsError, ValidationFailed
from nrcms.core.export import XLSX, xlsx_response
from nrcms.core.masking import mask_id, mask_phone
from nrcms.core.pdf import pdf_response
from nrcms.funding.outstanding import household_payment
from nrcms.web.params import int_list_param, int_param, parse_int, year_param
from nrcms.web.views import need, paged

from . import enrollment, people, reads
from . import roster_import as importer
from . import selectors_people as sel
from .certificate_pdf import certificate_pdf
from .models import Category, ExemptionReason, ImportStatus, PersonStatus, Region, RegionLevel, Relation
from .roster_template import template_xlsx

MEMBER_SLOTS = 6  # rows the new-household form starts with; "增加一行" (or ?rows=N) adds more
MAX_MEMBERS = 40  # a household register (户口簿) page count no real household reaches


def _member_slots(request) -> int:
    """As many rows as were posted (a household of any size up to MAX_MEMBERS), at least MEMBER_SLOTS."""
    def number(text: str) -> int:  # ASCII digits only ("²".isdigit() is true but int("²") fails), capped
        return min(int(text), MAX_MEMBERS) if text.isascii() and text.isdigit() else 0

    posted = [number(k[5:]) + 1 for k in request.POST if k.startswith("name_")]
    return max([MEMBER_SLOTS, *posted, number(request.GET.get("rows", ""))])


def current_year() -> int:
    return timezone.localdate().year


def _date(value: str, field: str = "date") -> dt.date:
    try:
        parsed = parse_date(value or "")
    except ValueError:  # well formed but no such day, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise ValidationFailed("invalid", f"日期“{value}”格式不正确，应为 YYYY-MM-DD", field=field)
    return parsed


def _fail(request, exc: NrcmsError) -> None:
    messages.error(request, exc.message)


# --- households ------------------------------------------------------------------------------------

def household_list(request):
    need(request, Cap.REGISTRY_VIEW)
    g = request.GET
    year = year_param(g, default=current_year())
    qs = sel.household_list(actor=request.user, search=g.get("q", "").strip(), region_code=g.get("region", ""),
                            scheme_year=year)
    if g.get("export") == "xlsx":
        export_record(actor=request.user, what="家庭户（户主姓名、住址）", file_name="家庭户.xlsx", rows=qs.count(),
                      filters=export_filters(g))
        rows = ((h.number, h.heads[0].name if h.heads else "", h.region.full_name, h.address, h.member_count,
                 h.enrolled_count, h.valid_certificates[0].number if h.valid_certificates else "") for h in qs)
        return xlsx_response("家庭户.xlsx", "家庭户", ["户编号", "户主", "住址", "详细地址", "在册人数",
                                                   f"{year}年参合人数", "合作医疗证号"], rows)
    villages = region_list(actor=request.user, level=RegionLevel.VILLAGE)
    page = paged(request, qs)
    reads.id_search_record_if_id(actor=request.user, search=g.get("q", ""), count=page.paginator.count,
                                 via=reads.VIA_REGISTRY_SEARCH, ip=client_ip(request))
    return render(request, "registry/household_list.html", {
        "page": page, "q": g.get("q", ""), "region": g.get("region", ""), "villages": villages,
        "year": year, "can_edit": request.user.can(Cap.REGISTRY_EDIT),
    })


def household_detail(request, pk: int):
    need(request, Cap.REGISTRY_VIEW)
    household = sel.household_get(actor=request.user, pk=pk)
    year = year_param(request.GET, default=current_year())
    members = sel.household_members(household)
    sel.mark_categories_held(members, timezone.localdate())
    years = sel.household_enrollments(household)
    this_year = years.get(year, {"enrolled": set(), "exempt": {}})
    for m in members:
        m.enrolled_now = m.pk in this_year["enrolled"]
        m.exemption_now = this_year["exempt"].get(m.pk)
    pending = [m for m in members if m.status == PersonStatus.ACTIVE and not m.enrolled_now and not m.exemption_now]
    reads.household_view_record(actor=request.user, household=household, via=reads.VIA_HOUSEHOLD_PAGE,
                                ip=client_ip(request))
    return render(request, "registry/household_detail.html", {
        "h": household, "members": members, "active": [m for m in members if m.status == PersonStatus.ACTIVE],
        "year": year, "years": years, "this_year": this_year, "pending": pending, "certificate": sel.valid_certificate(household),
        "certificates": household.certificates.order_by("-issued_at"),
        "missing": enrollment.missing_members(household, year) if this_year["enrolled"] else [],
        "relations": [r for r in Relation.choices if r[0] != Relation.HEAD], "reasons": ExemptionReason.choices,
        "categories": Category.choices, "can_edit": request.user.can(Cap.REGISTRY_EDIT),
        "add_kinds": [(k, v) for k, v in people.ADD_KINDS.items()], "today": timezone.localdate(),
        "payment": household_payment(household=household, scheme_year=year),
        "can_collect": request.user.can(Cap.CONTRIBUTION_COLLECT),
    })


def _group_choices(user):
    return region_list(actor=user).filter(level__in=[RegionLevel.GROUP, RegionLevel.VILLAGE]).select_related("parent")


def household_new(request):
    need(request, Cap.REGISTRY_EDIT)
    post = request.POST
    rows = [{"name": post.get(f"name_{i}", ""), "id_number": post.get(f"id_number_{i}", ""),
             "relation": post.get(f"relation_{i}", "")} for i in range(_member_slots(request))]
    error_field = None
    if request.method == "POST":
        try:
            if len(rows) > MAX_MEMBERS:
                raise ValidationFailed("too_many", f"家庭成员一次最多登记 {MAX_MEMBERS} 人，现有 {len(rows)} 行",
                                       field="members")
            region = Region.objects.filter(code=post.get("region", "")).first()
            if region is None:
                raise ValidationFailed("required", "请选择住址（村民小组）", field="region")
            filled = [r for r in rows[1:] if r["name"].strip() or r["id_number"].strip()]
            household = people.household_register(
                actor=request.user, region=region, address=post.get("address", ""), phone=post.get("phone", ""),
                head=people.PersonInput(name=rows[0]["name"], id_number=rows[0]["id_number"], relation="head",
                                        phone=post.get("phone", "")),
                members=[people.PersonInput(name=r["name"], id_number=r["id_number"], relation=r["relation"])
                         for r in filled],
                authority=post.get("authority", ""),
            )
        except NrcmsError as exc:
            _fail(request, exc)
            error_field = exc.field
        else:
            messages.success(request, f"已建档：户 {household.number}")
            return redirect("household_detail", pk=household.pk)
    return render(request, "registry/household_new.html", {
        "rows": rows, "groups": _group_choices(request.user), "relations": Relation.choices, "post": post,
        "error_field": error_field, "max_members": MAX_MEMBERS, "more_rows": min(len(rows) + 4, MAX_MEMBERS),
    })


# --- life events -----------------------------------------------------------------------------------

@require_POST
def member_add(request, pk: int):
    household = sel.household_get(actor=request.user, pk=pk)
    p = request.POST
    try:
        person = people.person_add(
            actor=request.user, household=household, kind=p.get("kind", ""), date=_date(p.get("date")),
            person=people.PersonInput(name=p.get("name", ""), id_number=p.get("id_number", ""),
                                      relation=p.get("relation", ""), phone=p.get("phone", "")),
            authority=p.get("authority", ""), note=p.get("note", ""))
        messages.success(request, f"已登记{people.ADD_KINDS[p['kind']]}：{person.name}")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("household_detail", pk=household.pk)


MEMBER_EVENTS = {"death": people.person_record_death, "marriage_out": people.person_record_marriage_out,
                 "move_out": people.person_record_move_out}


@require_POST
def member_event(request, pk: int):
    person = sel.person_get(actor=request.user, pk=pk)
    p = request.POST
    try:
        new_head_pk = int_param(p, "new_head", "新户主")
        new_head = sel.person_get(actor=request.user, pk=new_head_pk) if new_head_pk is not None else None
        action = p.get("action", "")
        if action == "move":
            target = sel.household_by_number(actor=request.user, number=p.get("to_household", "").strip())
            people.person_move(actor=request.user, person=person, to_household=target,
                               relation=p.get("relation", "other"), date=_date(p.get("date")), new_head=new_head,
                               reason=p.get("reason", ""))
        elif action in MEMBER_EVENTS:
            MEMBER_EVENTS[action](actor=request.user, person=person, date=_date(p.get("date")), new_head=new_head,
                                  reason=p.get("reason", ""), authority=p.get("authority", ""))
        else:
            raise ValidationFailed("invalid", "请选择变动类型", field="action")
        messages.success(request, f"已登记 {person.name} 的变动")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("household_detail", pk=person.household_id)


@require_POST
def category_grant(request, pk: int):
    person = sel.person_get(actor=request.user, pk=pk)
    p = request.POST
    try:
        people.person_category_grant(actor=request.user, person=person, category=p.get("category", ""),
                                     valid_from=_date(p.get("valid_from"), "valid_from"),
                                     authority=p.get("authority", ""))
        messages.success(request, f"已认定 {person.name} 的人员类别")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("person_detail", pk=person.pk)


@require_POST
def category_end(request, pk: int, category_pk: int):
    person = sel.person_get(actor=request.user, pk=pk)
    p = request.POST
    try:
        row = people.person_category_end(actor=request.user, category=sel.person_category_get(person=person, pk=category_pk),
                                         valid_to=_date(p.get("valid_to"), "valid_to"), reason=p.get("reason", ""))
        messages.success(request, f"已终止 {person.name} 的{row.get_category_display()}认定（{row.valid_to} 为最后一天）")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("person_detail", pk=person.pk)


# --- enrollment and certificates -------------------------------------------------------------------

@require_POST
def household_enroll(request, pk: int):
    household = sel.household_get(actor=request.user, pk=pk)
    p = request.POST
    year = year_param(p, default=current_year())
    chosen = int_list_param(p.getlist("enroll"), "enroll", "参合人员")
    exemptions = {}
    for key, reason in p.items():
        if key.startswith("reason_") and reason:
            person_pk = parse_int(key[7:], field=key, label="未参合人员")
            if person_pk not in chosen:
                exemptions[person_pk] = (reason, p.get(f"note_{key[7:]}", ""))
    try:
        result = enrollment.household_enroll(actor=request.user, household=household, scheme_year=year,
                                             person_ids=chosen, exemptions=exemptions,
                                             authority=p.get("authority", ""))
        messages.success(request, f"{year} 年度参合 {len(result.enrolled)} 人，登记未参合原因 {len(result.exempted)} 人")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect(f"/registry/households/{household.pk}/?year={year}")


@require_POST
def certificate_issue(request, pk: int):
    household = sel.household_get(actor=request.user, pk=pk)
    try:
        if request.POST.get("reason"):
            cert = enrollment.certificate_reissue(actor=request.user, household=household,
                                                  reason=request.POST["reason"])
        else:
            cert = enrollment.certificate_issue(actor=request.user, household=household)
        messages.success(request, f"已发证：{cert.number}")
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("household_detail", pk=household.pk)


def certificate_print(request, pk: int):
    need(request, Cap.REGISTRY_VIEW)
    household = sel.household_get(actor=request.user, pk=pk)
    cert = sel.valid_certificate(household)
    if cert is None:
        raise ValidationFailed("invalid", f"户 {household.number} 没有有效的合作医疗证", field="household")
    year = year_param(request.GET, default=current_year())
    content = certificate_pdf(cert, scheme_year=year)
    export_record(actor=request.user, what=f"合作医疗证 {cert.number}（家庭成员，身份证号已脱敏）",
                  file_name=f"合作医疗证-{cert.number}.pdf", rows=household.members.count(),
                  filters=export_filters(request.GET), region_code=household.region.code)
    return pdf_response(f"合作医疗证-{cert.number}.pdf", content)


# --- people ----------------------------------------------------------------------------------------

def person_search(request):
    need(request, Cap.REGISTRY_VIEW)
    g = request.GET
    qs = sel.person_search(actor=request.user, search=g.get("q", "").strip(), region_code=g.get("region", ""),
                           status=g.get("status", ""), category=g.get("category", ""))
    if g.get("export") == "xlsx":
        export_record(actor=request.user, what="人员（姓名、身份证号、电话，号码已脱敏）", file_name="人员.xlsx",
                      rows=qs.count(), filters=export_filters(g))
        rows = ((p.name, mask_id(p.id_number), p.get_sex_display(), p.birth_date, p.household.number,
                 p.get_relation_display(), p.household.region.full_name, p.get_status_display(), mask_phone(p.phone))
                for p in qs.iterator())
        return xlsx_response("人员.xlsx", "人员", ["姓名", "身份证号", "性别", "出生日期", "户编号", "与户主关系", "住址",
                                                 "状态", "电话"], rows)
    page = paged(request, qs)
    reads.id_search_record_if_id(actor=request.user, search=g.get("q", ""), count=page.paginator.count,
                                 via=reads.VIA_REGISTRY_SEARCH, ip=client_ip(request))
    return render(request, "registry/person_search.html", {
        "page": page, "f": g, "statuses": PersonStatus.choices, "categories": Category.choices,
        "villages": region_list(actor=request.user, level=RegionLevel.VILLAGE),
    })


def person_detail(request, pk: int, *, revealed=None, reveal_error: str = "", status: int = 200):
    """One person; numbers masked unless `revealed` (views_reveal.person_reveal_page) carries the full ones."""
    need(request, Cap.REGISTRY_VIEW)
    person = sel.person_get(actor=request.user, pk=pk)
    reads.person_view_record(actor=request.user, person=person, via=reads.VIA_PERSON_PAGE, ip=client_ip(request))
    return render(request, "registry/person_detail.html", {
        "p": person, "events": person.events.select_related("from_household", "to_household").order_by("date", "id"),
        "cats": sel.person_categories(person), "enrollments": person.enrollments.order_by("-scheme_year"),
        "exemptions": person.exemptions.order_by("-scheme_year"), "categories": Category.choices,
        "can_edit": request.user.can(Cap.REGISTRY_EDIT), "today": timezone.localdate(),
        "reimbursement_years": person_reimbursements(actor=request.user, person=person),
        "can_read_claims": settlement_can_read(request.user),
        "can_reveal": request.user.can(Cap.PERSONAL_DATA_REVEAL), "revealed": revealed, "reveal_error": reveal_error,
        "reveal_reason": request.POST.get("reason", "") if request.method == "POST" else "",
    }, status=status)


# --- roster import ---------------------------------------------------------------------------------

def roster_import(request):
    need(request, Cap.REGISTRY_EDIT)
    townships = region_list(actor=request.user, level=RegionLevel.TOWNSHIP)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("required", "请选择要导入的花名册文件（.xlsx 或 .csv）", field="file")
            township = townships.filter(code=request.POST.get("township", "")).first()
            if township is None:
                raise ValidationFailed("required", "请选择乡镇", field="township")
            year = year_param(request.POST, default=None)
            job = importer.roster_import_create(actor=request.user, township=township, file_name=upload.name,
                                                     content=upload.read(), scheme_year=year)
            importer.roster_import_task.enqueue(job.pk)
        except NrcmsError as exc:
            _fail(request, exc)
        else:
            return redirect("import_job", pk=job.pk)
    importer.import_jobs_mark_stale()
    return render(request, "registry/roster_import.html", {
        "townships": townships, "jobs": sel.import_job_list(actor=request.user)[:20], "year": current_year(),
    })


def import_job(request, pk: int):
    importer.import_jobs_mark_stale()
    job = sel.import_job_get(actor=request.user, pk=pk)
    template = "registry/_import_progress.html" if request.headers.get("HX-Request") else "registry/import_job.html"
    running = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    return render(request, template, {"job": job, "running": running, "resumable": job.status in importer.RESUMABLE
                                      and request.user.can(Cap.REGISTRY_EDIT)})


@require_POST
def import_job_resume(request, pk: int):
    job = sel.import_job_get(actor=request.user, pk=pk)
    try:
        importer.roster_import_resume(actor=request.user, job=job)
    except NrcmsError as exc:
        _fail(request, exc)
    return redirect("import_job", pk=job.pk)


def import_error_report(request, pk: int):
    job = sel.import_job_get(actor=request.user, pk=pk)
    if not job.error_report:
        raise ValidationFailed("invalid", "该次导入没有错误行", field="error_report")
    # the rows as uploaded, numbers full (the clerk corrects them and uploads again); the download is audited
    export_record(actor=request.user, what=f"花名册导入错误行（第 {job.pk} 次导入，号码为上传原样）",
                  file_name=f"import-errors-{job.pk}.xlsx", rows=job.rows_error or 0)
    response = HttpResponse(job.error_report.read(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''import-errors-{job.pk}.xlsx"
    return response


def roster_template(request):
    need(request, Cap.REGISTRY_VIEW)
    township = region_list(actor=request.user, level=RegionLevel.TOWNSHIP).first()
    response = HttpResponse(template_xlsx(township), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%8F%82%E5%90%88%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
    return response

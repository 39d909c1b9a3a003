"""The county office's pages: complaints (list, register, one complaint with its investigation), their
statistics, and the inquiry log. The committee and auditors read the same pages without the forms."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrcms.accounts.export_log import export_filters, export_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError, ValidationFailed
from nrcms.core.masking import mask_phone
from nrcms.core.xlsx_stream import xlsx_stream_response
from nrcms.web.params import date_param, year_param
from nrcms.web.views import need, paged

from . import selectors as sel
from . import services
from .models import Channel, ComplaintKind, ComplaintStatus, InquiryTopic, Outcome

EXPORT_HEADERS = ["查询码", "受理时间", "来源", "类别", "标题", "被投诉机构", "乡镇", "投诉人", "联系电话", "办理期限",
                  "状态", "承办人", "调查结论", "办结时间", "答复内容"]


def _export_rows(qs):
    for c in qs.iterator(chunk_size=500):
        yield (c.code, timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"), c.get_channel_display(),
               c.get_kind_display(), c.subject, c.facility.name if c.facility else "",
               c.region.name if c.region else "", c.complainant_name, mask_phone(c.complainant_phone),
               c.deadline.isoformat(), c.get_status_display(), c.assigned_to.display_name if c.assigned_to else "",
               c.get_outcome_display(), timezone.localtime(c.closed_at).strftime("%Y-%m-%d") if c.closed_at else "",
               c.answer)


def _form_context() -> dict:
    return {"channels": Channel.choices, "kinds": ComplaintKind.choices, "statuses": ComplaintStatus.choices,
            "outcomes": Outcome.choices}


def complaint_list(request):
    filters = sel.complaint_filters(request.GET)
    qs = sel.complaint_list(actor=request.user, filters=filters)
    if request.GET.get("export") == "xlsx":
        name = f"投诉-{timezone.localdate():%Y%m%d}.xlsx"
        export_record(actor=request.user, what="投诉登记（电话已脱敏）", file_name=name, rows=qs.count(),
                      filters=export_filters(request.GET))
        return xlsx_stream_response(name, "投诉登记", EXPORT_HEADERS, _export_rows(qs))
    return render(request, "complaints/complaint_list.html", {
        "f": filters, "page": paged(request, qs), "today": timezone.localdate(),
        "can_handle": request.user.can(Cap.COMPLAINTS_HANDLE), **_form_context()})


def complaint_new(request):
    need(request, Cap.COMPLAINTS_HANDLE)
    data, error = {}, None
    if request.method == "POST":
        data = request.POST
        try:
            complaint = services.complaint_register(
                actor=request.user, channel=data.get("channel", ""), kind=data.get("kind", ""),
                subject=data.get("subject", ""), content=data.get("content", ""),
                complainant_name=data.get("complainant_name", ""), complainant_phone=data.get("complainant_phone", ""),
                facility_code=data.get("facility_code", "").strip(), region_code=data.get("region_code", "").strip(),
                received_on=date_param(data, "received_on", "受理日期"))
        except ValidationFailed as exc:
            error = exc
        else:
            messages.success(request, f"已登记投诉 {complaint.code}，办理期限 {complaint.deadline:%Y-%m-%d}")
            return redirect("complaint_detail", code=complaint.code)
    return render(request, "complaints/complaint_new.html", {
        "data": data, "error": error, "today": timezone.localdate(), **_form_context(),
        "channels": [c for c in Channel.choices if c[0] != Channel.PUBLIC_WEB],
    }, status=422 if error else 200)


def complaint_detail(request, code: str):
    complaint = sel.complaint_get(actor=request.user, code=code)
    handlers = (User.objects.filter(is_active=True, role__in=["county_reviewer", "county_director"])
                .order_by("username") if request.user.can(Cap.COMPLAINTS_HANDLE) else [])
    return render(request, "complaints/complaint_detail.html", {
        "c": complaint, "notes": complaint.notes.select_related("author"), "handlers": handlers,
        "can_handle": request.user.can(Cap.COMPLAINTS_HANDLE) and complaint.status != ComplaintStatus.CLOSED,
        "overdue": complaint.status != ComplaintStatus.CLOSED and complaint.deadline < timezone.localdate(),
        **_form_context()})


@require_POST
def complaint_action(request, code: str):
    need(request, Cap.COMPLAINTS_HANDLE)
    complaint = sel.complaint_get(actor=request.user, code=code)
    action = request.POST.get("action", "")
    try:
        if action == "assign":
            assignee = User.objects.filter(username=request.POST.get("assignee", "")[:150]).first()
            if assignee is None:
                raise ValidationFailed("invalid", "请选择承办人", field="assignee")
            services.complaint_assign(actor=request.user, complaint=complaint, assignee=assignee,
                                      reason=request.POST.get("reason", ""))
            messages.success(request, f"已交 {assignee.display_name or assignee.username} 承办")
        elif action == "note":
            services.complaint_note_add(actor=request.user, complaint=complaint, text=request.POST.get("text", ""))
            messages.success(request, "已添加调查记录")
        elif action == "close":
            services.complaint_close(actor=request.user, complaint=complaint, outcome=request.POST.get("outcome", ""),
                                     answer=request.POST.get("answer", ""))
            messages.success(request, "已答复并办结")
        else:
            raise ValidationFailed("invalid", "操作应为交办、调查记录或办结之一", field="action")
    except NrcmsError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    return redirect("complaint_detail", code=complaint.code)


def complaint_stats(request):
    year = year_param(request.GET, default=timezone.localdate().year)
    return render(request, "complaints/complaint_stats.html", {
        "s": sel.complaint_stats(actor=request.user, year=year), "outcomes": Outcome.choices})


def inquiry_list(request):
    sel.inquiries_readable(request.user)
    topic = request.GET.get("topic", "")
    q = (request.GET.get("q") or "").strip()
    year = year_param(request.GET, default=None)
    error, data = None, {}
    if request.method == "POST":
        need(request, Cap.INQUIRY_LOG)
        data = request.POST
        try:
            services.inquiry_log(actor=request.user, topic=data.get("topic", ""), question=data.get("question", ""),
                                 answer=data.get("answer", ""), channel=data.get("channel", Channel.HOTLINE))
        except ValidationFailed as exc:
            error = exc
        else:
            messages.success(request, "已登记咨询")
            return redirect("inquiry_list")
    qs = sel.inquiry_list(actor=request.user, topic=topic, q=q, year=year)
    return render(request, "complaints/inquiry_list.html", {
        "page": paged(request, qs), "topics": InquiryTopic.choices, "topic": topic, "q": q, "year": year or "",
        "channels": [c for c in Channel.choices if c[0] != Channel.PUBLIC_WEB], "data": data, "error": error,
        "can_log": request.user.can(Cap.INQUIRY_LOG), "total": qs.count(),
    }, status=422 if error else 200)

"""Complaints and inquiries in the API: the county office's (list, register, assign, note, close, statistics;
the committee and auditors read) and the public's (file a complaint without logging in, look one up by its
tracking code) — the public operations are rate-limited per client address and reveal progress only."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.models import User
from nrcms.accounts.rate_limit import RateLimited, rate_take
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, ErrorOut, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedPhone
from nrcms.core.errors import NotFound, ValidationFailed

from . import selectors as sel
from . import services
from .models import Channel, Complaint, ComplaintKind, ComplaintStatus, Inquiry, InquiryTopic, Outcome
from .views_public import LOOKUPS_PER_MINUTE

router = Router(tags=["投诉与咨询"], auth=requires(Cap.COMPLAINTS_HANDLE, Cap.COMPLAINTS_VIEW))
inquiry_router = Router(tags=["投诉与咨询"], auth=requires(Cap.INQUIRY_LOG, Cap.COMPLAINTS_VIEW))
public_router = Router(tags=["公众投诉（无需登录）"], auth=None)


class ComplaintNoteOut(Schema):
    created_at: dt.datetime
    author: str
    text: str


class ComplaintOut(Schema):
    code: str = Field(description="查询码（10 位）")
    channel: coded(Channel, description="来源")
    kind: coded(ComplaintKind, description="类别")
    subject: str
    content: str
    complainant_name: str
    complainant_phone: MaskedPhone
    facility_code: str | None
    region_code: str | None
    received_at: dt.datetime
    deadline: dt.date
    overdue: bool
    status: coded(ComplaintStatus, description="状态")
    assigned_to: str | None
    outcome: coded(Outcome, blank="未办结", description="调查结论")
    answer: str
    closed_at: dt.datetime | None
    notes: list[ComplaintNoteOut] = []


def _out(c: Complaint, notes: bool = False) -> dict:
    return {
        "code": c.code, "channel": c.channel, "kind": c.kind, "subject": c.subject, "content": c.content,
        "complainant_name": c.complainant_name, "complainant_phone": c.complainant_phone,
        "facility_code": c.facility.code if c.facility_id else None,
        "region_code": c.region.code if c.region_id else None, "received_at": c.received_at,
        "deadline": c.deadline, "overdue": c.status != ComplaintStatus.CLOSED and c.deadline < timezone.localdate(),
        "status": c.status, "assigned_to": c.assigned_to.username if c.assigned_to_id else None,
        "outcome": c.outcome, "answer": c.answer, "closed_at": c.closed_at,
        "notes": [{"created_at": n.created_at, "author": n.author.username, "text": n.text}
                  for n in c.notes.select_related("author")] if notes else [],
    }


class ComplaintPage(PageOut):
    items: list[ComplaintOut]


@router.get("", response={200: ComplaintPage, **ERRORS}, summary="投诉列表（查询码、标题、内容、投诉人、机构；状态、类别、来源、超期、受理日期）")
def complaint_list(request, q: str = "", status: coded_query(ComplaintStatus) = "",
                   kind: coded_query(ComplaintKind) = "", channel: coded_query(Channel) = "", overdue: bool = False,
                   date_from: dt.date | None = None, date_to: dt.date | None = None, offset: int = 0,
                   limit: int = 50):
    params = {"q": q, "status": status, "kind": kind, "channel": channel, "overdue": "1" if overdue else "",
              "date_from": date_from.isoformat() if date_from else "", "date_to": date_to.isoformat() if date_to else ""}
    items, page = paginate(sel.complaint_list(actor=request.user, filters=sel.complaint_filters(params)),
                           offset, limit)
    return {**page, "items": [_out(c) for c in items]}


class ComplaintRegisterIn(Schema):
    channel: coded(Channel, only=[Channel.HOTLINE, Channel.VISIT, Channel.LETTER], description="来源")
    kind: coded(ComplaintKind, description="类别")
    subject: str = Field(max_length=100)
    content: str = Field(max_length=4000)
    complainant_name: str = Field("", max_length=40)
    complainant_phone: str = Field("", max_length=20)
    facility_code: str = Field("", max_length=20)
    region_code: str = Field("", max_length=12)
    received_on: dt.date | None = Field(None, description="受理日期，默认今天；办理期限从此日起算")


@router.post("", response={201: ComplaintOut, **ERRORS}, auth=requires(Cap.COMPLAINTS_HANDLE),
             summary="登记投诉（电话、来访、信件）")
def complaint_register(request, payload: ComplaintRegisterIn):
    c = services.complaint_register(actor=request.user, **payload.dict())
    return Status(201, _out(c))


@router.get("/stats", response={200: dict, **ERRORS}, summary="投诉与咨询统计（按类别和结论、来源、按期办结）")
def complaint_stats(request, year: int = Query(..., ge=2000, le=2100)):
    return sel.complaint_stats(actor=request.user, year=year)


@router.get("/{code}", response={200: ComplaintOut, **ERRORS}, summary="一件投诉（含调查记录）")
def complaint_get(request, code: str):
    return _out(sel.complaint_get(actor=request.user, code=code, via="接口"), notes=True)


class ComplaintAssignIn(Schema):
    assignee: str = Field(max_length=150, description="承办人的用户名")
    reason: str = Field("", max_length=300)


@router.post("/{code}/assign", response={200: ComplaintOut, **ERRORS}, auth=requires(Cap.COMPLAINTS_HANDLE),
             summary="交办")
def complaint_assign(request, code: str, payload: ComplaintAssignIn):
    c = sel.complaint_get(actor=request.user, code=code)
    assignee = User.objects.filter(username=payload.assignee).first()
    if assignee is None:
        raise ValidationFailed("invalid", f"用户“{payload.assignee[:30]}”不存在", field="assignee")
    return _out(services.complaint_assign(actor=request.user, complaint=c, assignee=assignee, reason=payload.reason),
                notes=True)


class ComplaintNoteIn(Schema):
    text: str = Field(max_length=4000)


@router.post("/{code}/notes", response={200: ComplaintOut, **ERRORS}, auth=requires(Cap.COMPLAINTS_HANDLE),
             summary="添加调查记录")
def complaint_note(request, code: str, payload: ComplaintNoteIn):
    c = sel.complaint_get(actor=request.user, code=code)
    services.complaint_note_add(actor=request.user, complaint=c, text=payload.text)
    return _out(sel.complaint_get(actor=request.user, code=code), notes=True)


class ComplaintCloseIn(Schema):
    outcome: coded(Outcome, description="调查结论")
    answer: str = Field(max_length=4000, description="给投诉人的答复（凭查询码可见）")


@router.post("/{code}/close", response={200: ComplaintOut, **ERRORS}, auth=requires(Cap.COMPLAINTS_HANDLE),
             summary="答复并办结")
def complaint_close(request, code: str, payload: ComplaintCloseIn):
    c = sel.complaint_get(actor=request.user, code=code)
    return _out(services.complaint_close(actor=request.user, complaint=c, outcome=payload.outcome,
                                         answer=payload.answer), notes=True)


# --- inquiries -------------------------------------------------------------------------------------

class InquiryOut(Schema):
    id: int
    topic: coded(InquiryTopic, description="咨询类别")
    channel: coded(Channel, description="方式")
    question: str
    answer: str
    region_code: str | None
    answered_by: str
    answered_at: dt.datetime


def _inquiry_out(i: Inquiry) -> dict:
    return {"id": i.pk, "topic": i.topic, "channel": i.channel, "question": i.question, "answer": i.answer,
            "region_code": i.region.code if i.region_id else None, "answered_by": i.answered_by.username,
            "answered_at": i.answered_at}


class InquiryPage(PageOut):
    items: list[InquiryOut]


@inquiry_router.get("", response={200: InquiryPage, **ERRORS}, summary="咨询登记列表（本辖区）")
def inquiry_list(request, topic: coded_query(InquiryTopic) = "", q: str = Query("", max_length=100),
                 year: int | None = Query(None, ge=2000, le=2100), offset: int = 0, limit: int = 50):
    items, page = paginate(sel.inquiry_list(actor=request.user, topic=topic, q=q, year=year), offset, limit)
    return {**page, "items": [_inquiry_out(i) for i in items]}


class InquiryIn(Schema):
    topic: coded(InquiryTopic, description="咨询类别")
    channel: coded(Channel, only=[Channel.HOTLINE, Channel.VISIT, Channel.LETTER], description="方式") = "hotline"
    question: str = Field(max_length=500)
    answer: str = Field(max_length=1000)


@inquiry_router.post("", response={201: InquiryOut, **ERRORS}, auth=requires(Cap.INQUIRY_LOG), summary="登记一次咨询")
def inquiry_create(request, payload: InquiryIn):
    return Status(201, _inquiry_out(services.inquiry_log(actor=request.user, **payload.dict())))


# --- the public ------------------------------------------------------------------------------------

class PublicComplaintIn(Schema):
    kind: coded(ComplaintKind, description="类别")
    subject: str = Field(max_length=100)
    content: str = Field(max_length=4000)
    complainant_name: str = Field("", max_length=40)
    complainant_phone: str = Field("", max_length=20)
    region_code: str = Field("", max_length=12, description="所在乡镇编码，可不填")


class PublicComplaintOut(Schema):
    code: str = Field(description="查询码：凭它查询办理进度和答复")
    subject: str
    received_at: dt.datetime
    deadline: dt.date
    status: coded(ComplaintStatus, description="状态")
    outcome: coded(Outcome, blank="未办结", description="调查结论")
    answer: str = Field(description="办结后的答复")
    closed_at: dt.datetime | None


def _public_out(c: Complaint) -> dict:
    closed = c.status == ComplaintStatus.CLOSED
    return {"code": c.code, "subject": c.subject, "received_at": c.received_at, "deadline": c.deadline,
            "status": c.status, "outcome": c.outcome if closed else "", "answer": c.answer if closed else "",
            "closed_at": c.closed_at}


@public_router.post("/complaints", response={201: PublicComplaintOut, 429: ErrorOut, **ERRORS},
                    summary="公众提交投诉（无需登录；每个网络地址每小时限 5 件），返回查询码")
def public_complaint_file(request, payload: PublicComplaintIn):
    c = services.complaint_file_public(**payload.dict(), ip=client_ip(request))
    return Status(201, _public_out(c))


@public_router.get("/complaints/{code}", response={200: PublicComplaintOut, 429: ErrorOut, **ERRORS},
                   summary="凭查询码查询投诉办理进度（无需登录；只接受完整查询码，每分钟限 20 次）")
def public_complaint_track(request, code: str = Path(..., min_length=1, max_length=20, description="10 位查询码")):
    decision = rate_take(scope="complaint.lookup", key=client_ip(request) or "unknown", limit=LOOKUPS_PER_MINUTE)
    if not decision.allowed:
        raise RateLimited("查询过于频繁，请一分钟后再试", decision.retry_after)
    c = sel.public_lookup(code)
    if c is None:
        raise NotFound("投诉", code[:20])
    return _public_out(c)

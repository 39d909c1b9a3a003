"""Complaints and inquiries: every change audited (who, when, what, why). The public files a complaint without
logging in and gets an unguessable tracking code; the county office assigns, investigates, answers and closes."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record, snapshot
from nrcms.accounts.models import User
from nrcms.accounts.rate_limit import RateLimited, rate_take
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

from .models import (
    Channel,
    Complaint,
    ComplaintKind,
    ComplaintNote,
    ComplaintStatus,
    Inquiry,
    InquiryTopic,
    Outcome,
)

# The tracking code: 10 characters a farmer can read over the phone (no 0/O, 1/I/L), 40 bits of randomness,
# so the public lookup cannot be walked by guessing.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
HOUR = dt.timedelta(hours=1)
FIELDS = ["status", "assigned_to", "outcome", "answer", "deadline"]


def deadline_days() -> int:
    """Days from receipt to the answer (a documented setting: NRCMS_COMPLAINT_DAYS, default 15 calendar days)."""
    return int(getattr(settings, "NRCMS_COMPLAINT_DAYS", 15))


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        if not Complaint.objects.filter(code=code).exists():
            return code


def _text(value: str, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("required", f"请填写{label}", field=field)
    if len(value) > max_length:
        raise ValidationFailed("too_long", f"{label}最长 {max_length} 个字", field=field)
    if "\x00" in value:
        raise ValidationFailed("invalid", f"{label}含有不可见的控制字符", field=field)
    return value


def _choice(value: str, choices, *, field: str, label: str) -> str:
    if value not in choices.values:
        allowed = "、".join(choices.labels)
        raise ValidationFailed("invalid", f"{label}“{str(value)[:20]}”不存在，应为：{allowed}", field=field)
    return value


def _phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if value and (not value.isdigit() or not 7 <= len(value) <= 12):
        raise ValidationFailed("invalid", "联系电话应为 7 到 12 位数字（手机或座机）", field="complainant_phone")
    return value


def _facility(code: str | None) -> Facility | None:
    if not code:
        return None
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        raise ValidationFailed("invalid", f"医疗机构编码“{code[:20]}”不存在", field="facility_code")
    return facility


def _township(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code, level="township").first()
    if region is None:
        raise ValidationFailed("invalid", f"乡镇编码“{code[:20]}”不存在", field="region_code")
    return region


def _scope(c: Complaint) -> dict:
    return {"region_code": c.region.code if c.region_id else "", "facility_code": c.facility.code if c.facility_id else ""}


def _create(*, actor: User | None, channel: str, kind: str, subject: str, content: str, complainant_name: str,
            complainant_phone: str, facility_code: str | None, region_code: str | None, received_at: dt.datetime,
            ip: str | None) -> Complaint:
    complaint = Complaint.objects.create(
        code=_new_code(), channel=_choice(channel, Channel, field="channel", label="来源"),
        kind=_choice(kind, ComplaintKind, field="kind", label="类别"),
        subject=_text(subject, field="subject", label="标题", max_length=100),
        content=_text(content, field="content", label="投诉内容", max_length=4000),
        complainant_name=_text(complainant_name, field="complainant_name", label="投诉人姓名", max_length=40,
                               required=False),
        complainant_phone=_phone(complainant_phone), facility=_facility(facility_code), region=_township(region_code),
        received_at=received_at, deadline=timezone.localtime(received_at).date() + dt.timedelta(days=deadline_days()),
        created_by=actor)
    audit_record(actor=actor, action="complaint.create", obj=complaint, object_repr=complaint.code,
                 after={"channel": complaint.channel, "kind": complaint.kind, "subject": complaint.subject,
                        "deadline": complaint.deadline.isoformat()}, ip=ip, **_scope(complaint))
    return complaint


@transaction.atomic
def complaint_file_public(*, kind: str, subject: str, content: str, complainant_name: str = "",
                          complainant_phone: str = "", facility_code: str | None = None,
                          region_code: str | None = None, ip: str | None = None) -> Complaint:
    """The public page: no login; at most NRCMS_PUBLIC_COMPLAINTS_PER_HOUR complaints per client address."""
    limit = int(getattr(settings, "NRCMS_PUBLIC_COMPLAINTS_PER_HOUR", 5))
    decision = rate_take(scope="complaint.public", key=ip or "unknown", limit=limit, window=HOUR)
    if not decision.allowed:
        raise RateLimited(f"同一网络地址一小时内最多提交 {limit} 件投诉，请稍后再试或拨打投诉电话",
                          decision.retry_after)
    return _create(actor=None, channel=Channel.PUBLIC_WEB, kind=kind, subject=subject, content=content,
                   complainant_name=complainant_name, complainant_phone=complainant_phone,
                   facility_code=facility_code, region_code=region_code, received_at=timezone.now(), ip=ip)


def _require(actor: User, cap: str) -> None:
    if not actor.can(cap):
        raise Forbidden()


@transaction.atomic
def complaint_register(*, actor: User, channel: str, kind: str, subject: str, content: str,
                       complainant_name: str = "", complainant_phone: str = "", facility_code: str | None = None,
                       region_code: str | None = None, received_on: dt.date | None = None) -> Complaint:
    """Staff enter a complaint received by phone, visit or letter (the receipt date may be earlier: a letter
    opened today was posted last week; the deadline counts from it)."""
    _require(actor, Cap.COMPLAINTS_HANDLE)
    today = timezone.localdate()
    if received_on and received_on > today:
        raise ValidationFailed("invalid", "受理日期不能晚于今天", field="received_on")
    received_at = timezone.now() if not received_on or received_on == today else timezone.make_aware(
        dt.datetime.combine(received_on, dt.time(9)))
    return _create(actor=actor, channel=channel, kind=kind, subject=subject, content=content,
                   complainant_name=complainant_name, complainant_phone=complainant_phone,
                   facility_code=facility_code, region_code=region_code, received_at=received_at, ip=None)


def _locked(complaint: Complaint) -> Complaint:
    c = Complaint.objects.select_for_update(of=("self",)).select_related("region", "facility").get(pk=complaint.pk)
    if c.status == ComplaintStatus.CLOSED:
        raise ValidationFailed("invalid", f"投诉 {c.code} 已办结，不能再修改", field="status")
    return c


@transaction.atomic
def complaint_assign(*, actor: User, complaint: Complaint, assignee: User, reason: str = "") -> Complaint:
    _require(actor, Cap.COMPLAINTS_HANDLE)
    c = _locked(complaint)
    if not assignee.is_active or not assignee.can(Cap.COMPLAINTS_HANDLE):
        raise ValidationFailed("invalid", f"用户“{assignee.username}”不能承办投诉（须为在用的县合管办人员）",
                               field="assignee")
    before = snapshot(c, FIELDS)
    c.assigned_to, c.status = assignee, ComplaintStatus.INVESTIGATING
    c.save(update_fields=["assigned_to", "status"])
    audit_record(actor=actor, action="complaint.assign", obj=c, object_repr=c.code, before=before,
                 after=snapshot(c, FIELDS), reason=reason.strip()[:300], **_scope(c))
    return c


@transaction.atomic
def complaint_note_add(*, actor: User, complaint: Complaint, text: str) -> ComplaintNote:
    _require(actor, Cap.COMPLAINTS_HANDLE)
    c = _locked(complaint)
    note = ComplaintNote.objects.create(complaint=c, author=actor,
                                        text=_text(text, field="text", label="调查记录", max_length=4000))
    if c.status == ComplaintStatus.RECEIVED:
        c.status = ComplaintStatus.INVESTIGATING
        c.save(update_fields=["status"])
    audit_record(actor=actor, action="complaint.note", obj=c, object_repr=c.code, after={"text": note.text},
                 **_scope(c))
    return note


@transaction.atomic
def complaint_close(*, actor: User, complaint: Complaint, outcome: str, answer: str) -> Complaint:
    """The answer given to the complainant and the outcome of the investigation: the complaint is closed."""
    _require(actor, Cap.COMPLAINTS_HANDLE)
    c = _locked(complaint)
    before = snapshot(c, FIELDS)
    c.outcome = _choice(outcome, Outcome, field="outcome", label="调查结论")
    c.answer = _text(answer, field="answer", label="答复内容", max_length=4000)
    c.status, c.closed_at, c.closed_by = ComplaintStatus.CLOSED, timezone.now(), actor
    c.save(update_fields=["outcome", "answer", "status", "closed_at", "closed_by"])
    audit_record(actor=actor, action="complaint.close", obj=c, object_repr=c.code, before=before,
                 after=snapshot(c, FIELDS), **_scope(c))
    return c


@transaction.atomic
def inquiry_log(*, actor: User, topic: str, question: str, answer: str, channel: str = Channel.HOTLINE) -> Inquiry:
    """A question answered (by phone, at the window): logged to be counted; the office answering is the
    user's own (a township clerk's township, the county office)."""
    _require(actor, Cap.INQUIRY_LOG)
    inquiry = Inquiry.objects.create(
        topic=_choice(topic, InquiryTopic, field="topic", label="咨询类别"),
        channel=_choice(channel, Channel, field="channel", label="方式"),
        question=_text(question, field="question", label="咨询内容", max_length=500),
        answer=_text(answer, field="answer", label="答复", max_length=1000),
        region=actor.region, answered_by=actor)
    audit_record(actor=actor, action="inquiry.create", obj=inquiry,
                 after={"topic": inquiry.topic, "question": inquiry.question},
                 region_code=actor.region.code if actor.region_id else "")
    return inquiry

"""Reads of complaints and inquiries. Complaints are the county office's (handlers and, read-only, the
supervision committee and auditors — whose reads are recorded); inquiries are read within the reader's
jurisdiction (a township clerk sees his township's). The public lookup by tracking code shows progress only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed

from .models import Channel, Complaint, ComplaintKind, ComplaintStatus, Inquiry, InquiryTopic, Outcome
from .services import CODE_ALPHABET


def complaints_readable(actor: User) -> None:
    if not (actor.can(Cap.COMPLAINTS_VIEW) or actor.can(Cap.COMPLAINTS_HANDLE)):
        raise Forbidden()
    if not jurisdiction_of(actor).is_county:
        raise Forbidden("投诉由县合管办受理和办理，只有县级账号可以查看")


@dataclass
class ComplaintFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    channel: str = ""
    overdue: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _choice_filter(value: str, choices, label: str, field: str) -> str:
    if value and value not in choices.values:
        raise ValidationFailed("invalid", f"{label}“{value[:20]}”不存在，应为：{'、'.join(choices.labels)}",
                               field=field)
    return value


def complaint_filters(params) -> ComplaintFilters:
    from nrcms.web.params import date_param

    q = (params.get("q") or "").strip()
    if len(q) > 100:
        raise ValidationFailed("too_long", "查询内容最长 100 个字", field="q")
    date_from = date_param(params, "date_from", "受理日期（起）")
    date_to = date_param(params, "date_to", "受理日期（止）")
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed("invalid", "受理日期的起始不能晚于截止", field="date_from")
    return ComplaintFilters(
        q=q, status=_choice_filter(params.get("status", ""), ComplaintStatus, "状态", "status"),
        kind=_choice_filter(params.get("kind", ""), ComplaintKind, "类别", "kind"),
        channel=_choice_filter(params.get("channel", ""), Channel, "来源", "channel"),
        overdue=params.get("overdue") in ("1", "true", "on"), date_from=date_from, date_to=date_to)


def overdue_q(today: dt.date | None = None) -> Q:
    """Not closed and past the deadline."""
    return ~Q(status=ComplaintStatus.CLOSED) & Q(deadline__lt=today or timezone.localdate())


def complaint_list(*, actor: User, filters: ComplaintFilters | None = None) -> QuerySet[Complaint]:
    complaints_readable(actor)
    f = filters or ComplaintFilters()
    qs = Complaint.objects.select_related("facility", "region", "assigned_to")
    if f.q:
        qs = qs.filter(Q(code=f.q.upper()) | Q(subject__contains=f.q) | Q(content__contains=f.q)
                       | Q(complainant_name=f.q) | Q(facility__name__contains=f.q))
    for name in ("status", "kind", "channel"):
        if getattr(f, name):
            qs = qs.filter(**{name: getattr(f, name)})
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.date_from:
        qs = qs.filter(received_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(received_at__date__lte=f.date_to)
    return qs.order_by("-received_at", "-pk")


@transaction.atomic
def _read_record(actor: User, complaint: Complaint, via: str) -> None:
    """The committee's and auditors' reads are on the record (they read everything, change nothing)."""
    if not actor.can(Cap.COMPLAINTS_HANDLE):
        audit_record(actor=actor, action="complaint.view", obj=complaint, object_repr=complaint.code,
                     after={"via": via}, region_code=actor.region.code if actor.region_id else "")


def complaint_get(*, actor: User, code: str, via: str = "投诉详情页") -> Complaint:
    complaint = complaint_list(actor=actor).filter(code=(code or "").upper()[:16]).first()
    if complaint is None:
        raise NotFound("投诉", code[:16])
    _read_record(actor, complaint, via)
    return complaint


def open_count(actor: User) -> int:
    """Complaints received and not yet assigned."""
    if not actor.can(Cap.COMPLAINTS_HANDLE):
        return 0
    return Complaint.objects.filter(status=ComplaintStatus.RECEIVED).count()


def overdue_count(actor: User) -> int:
    return Complaint.objects.filter(overdue_q()).count() if actor.can(Cap.COMPLAINTS_HANDLE) else 0


def complaint_stats(*, actor: User, year: int) -> dict:
    """Counts by kind × outcome (open ones as 办理中), by channel, on time and late, for a year of receipt."""
    complaints_readable(actor)
    qs = Complaint.objects.filter(received_at__year=year)
    by_kind: dict[str, dict[str, int]] = {k: {o: 0 for o in [*Outcome.values, "open"]} for k in ComplaintKind.values}
    for row in qs.values("kind", "outcome", "status").annotate(n=Count("pk")):
        key = row["outcome"] if row["status"] == ComplaintStatus.CLOSED else "open"
        by_kind[row["kind"]][key] += row["n"]
    closed = qs.filter(status=ComplaintStatus.CLOSED)
    on_time = sum(1 for c, d in closed.values_list("closed_at", "deadline") if timezone.localtime(c).date() <= d)
    return {
        "year": year, "total": qs.count(), "closed": closed.count(), "on_time": on_time,
        "late": closed.count() - on_time, "overdue_open": qs.filter(overdue_q()).count(),
        "by_kind": [{"kind": k, "label": ComplaintKind(k).label, **counts, "total": sum(counts.values())}
                    for k, counts in by_kind.items()],
        "by_channel": [{"channel": r["channel"], "label": Channel(r["channel"]).label, "count": r["n"]}
                       for r in qs.values("channel").annotate(n=Count("pk")).order_by("channel")],
        "inquiries": inquiry_counts(actor=actor, year=year),
    }


def public_lookup(code: str) -> Complaint | None:
    """The complainant's lookup: exact code only (no search); reveals status, dates and the answer."""
    code = (code or "").strip().upper()
    if len(code) != 10 or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return Complaint.objects.filter(code=code).first()


# --- inquiries -------------------------------------------------------------------------------------

def inquiries_readable(actor: User) -> None:
    if not (actor.can(Cap.INQUIRY_LOG) or actor.can(Cap.COMPLAINTS_VIEW)):
        raise Forbidden()


def inquiry_list(*, actor: User, topic: str = "", q: str = "", year: int | None = None) -> QuerySet[Inquiry]:
    inquiries_readable(actor)
    j = jurisdiction_of(actor)
    qs = Inquiry.objects.select_related("region", "answered_by")
    if not j.is_county:
        qs = qs.filter(region__code__startswith=j.region_prefix) if j.region_prefix else qs.none()
    if topic:
        qs = qs.filter(topic=_choice_filter(topic, InquiryTopic, "咨询类别", "topic"))
    if q:
        qs = qs.filter(Q(question__contains=q[:100]) | Q(answer__contains=q[:100]))
    if year:
        qs = qs.filter(answered_at__year=year)
    return qs.order_by("-answered_at", "-pk")


def inquiry_counts(*, actor: User, year: int) -> list[dict]:
    rows = dict(inquiry_list(actor=actor, year=year).order_by().values("topic").annotate(n=Count("pk"))
                .values_list("topic", "n"))
    return [{"topic": t, "label": InquiryTopic(t).label, "count": rows.get(t, 0)} for t in InquiryTopic.values]

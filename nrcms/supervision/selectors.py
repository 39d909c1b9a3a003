"""Reads of the supervision records: the queue grouped by facility and rule, the hits, the runs. The county
reviewer and the read-only readers (director, committee, auditors) see the facilities of their jurisdiction;
reads by the read-only roles are logged (supervision.view), as are every hit's detail and every export."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import facility_list
from nrcms.core.errors import Forbidden, ValidationFailed

from .models import AuditHit, HitStatus

READERS = (Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW)


def need_reader(actor: User) -> None:
    if not any(actor.can(c) for c in READERS):
        raise Forbidden("您的角色无权查阅智能审核")


def hits(*, actor: User, month=None, facility_code: str = "", rule_code: str = "", status: str = "",
         queue_only: bool = True) -> QuerySet:
    need_reader(actor)
    if status and status not in HitStatus.values:
        raise ValidationFailed("invalid", f"状态（status）“{status[:20]}”应为 {'、'.join(HitStatus.values)} 之一",
                               field="status")
    qs = AuditHit.objects.select_related("facility", "settlement", "person", "episode").filter(
        facility__in=facility_list(actor=actor))
    if queue_only:
        qs = qs.filter(in_queue=True)
    if month:
        qs = qs.filter(month=month)
    if facility_code:
        qs = qs.filter(facility__code=facility_code)
    if rule_code:
        qs = qs.filter(rule_code=rule_code)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-month", "facility__code", "rule_code", "id")


def queue_groups(*, actor: User, month=None, status: str = "") -> list[dict]:
    """The queue by facility and rule: counts of hits in the queue, still to review, and of all hits found."""
    qs = hits(actor=actor, month=month, status=status, queue_only=False)
    open_q = Q(in_queue=True, status__in=[HitStatus.OPEN, HitStatus.REFERRED, HitStatus.AWAITING_SECOND])
    rows = (qs.order_by().values("facility__code", "facility__name", "rule_code", "rule_name", "severity")
            .annotate(found=Count("id"), queued=Count("id", filter=Q(in_queue=True)), pending=Count("id", filter=open_q))
            .order_by("facility__code", "rule_code"))
    return [r for r in rows if r["queued"]]


@transaction.atomic
def read_record(*, actor: User, what: str, hit: AuditHit | None = None, filters: str = "") -> None:
    """A read by the supervision committee or an auditor (or any reader of one hit) on the record."""
    if hit is not None:
        audit_record(actor=actor, action="supervision.view", obj=hit, facility_code=hit.facility.code,
                     after={"via": what})
    else:
        audit_record(actor=actor, action="supervision.view", object_type="supervision.audithit", object_repr=what,
                     after={"via": what, "filters": filters},
                     region_code=actor.region.code if actor.region_id else "")


def logs_list_reads(actor: User) -> bool:
    """The read-only roles' reads of the queue are logged; the reviewer's own working list is not."""
    return not actor.can(Cap.SUPERVISION_REVIEW)

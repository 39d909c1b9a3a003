"""待办: what is waiting for the signed-in user, as (label, count, url) items for the home page.

One reader per kind of work, each asked only when the user's role can act on it (the capability the service
doing that work asks for) and each counted within the user's jurisdiction through the owning app's scoped
selector. Items with nothing waiting are kept (a zero tells the user the queue is empty); the page shows them
plainly and the ones with work as primary buttons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap


@dataclass(frozen=True)
class TodoItem:
    key: str
    label: str
    count: int
    url: str
    unit: str = "件"


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return reverse(name) + (f"?{query}" if query else "")


def _statements(actor: User, status: str) -> int:
    from nrcms.payments.selectors import statement_list

    return statement_list(actor=actor, status=status).count()


def _reconciliation_differences(actor: User) -> int:
    """Facility-days whose latest submission does not match the system (a later matching one settles it)."""
    from nrcms.payments.models import DailyReconciliation, ReconciliationResult
    from nrcms.payments.selectors import reconciliation_list

    later = DailyReconciliation.objects.filter(facility=OuterRef("facility"), date=OuterRef("date"),
                                               submitted_at__gt=OuterRef("submitted_at"))
    return (reconciliation_list(actor=actor, result=ReconciliationResult.MISMATCHED)
            .filter(~Exists(later)).count())


def _manual_claims_payable(actor: User, today: dt.date) -> int:
    """Manual claims on public notice whose notice period has ended: ready to be approved and paid."""
    from nrcms.claims.manual import NOTICE_DAYS, manual_claims
    from nrcms.claims.models import ManualClaimStatus

    return (manual_claims(actor=actor, status=ManualClaimStatus.NOTICED)
            .filter(notice_from__lte=today - dt.timedelta(days=NOTICE_DAYS)).count())


def _referrals_waiting(actor: User, today: dt.date) -> int:
    """Referrals to the desk's own facility, in force and not yet used by any admission."""
    from nrcms.claims.models import Episode, EpisodeStatus, Referral

    used = Episode.objects.filter(referral=OuterRef("pk")).exclude(status=EpisodeStatus.CANCELLED)
    return (Referral.objects.filter(to_facility_id=actor.facility_id, cancelled_at__isnull=True,
                                    valid_until__gte=today).filter(~Exists(used)).count())


def _episodes_to_settle(actor: User) -> int:
    from nrcms.claims.models import Episode, EpisodeKind, EpisodeStatus

    return Episode.objects.filter(facility_id=actor.facility_id, kind=EpisodeKind.INPATIENT,
                                  status=EpisodeStatus.DISCHARGED).count()


def _imports_with_errors(actor: User) -> int:
    from nrcms.registry.models import ImportStatus
    from nrcms.registry.selectors_people import import_job_list

    return import_job_list(actor=actor).filter(
        Q(status__in=(ImportStatus.FAILED, ImportStatus.STALE)) | Q(rows_error__gt=0)).count()


def _outstanding(actor: User, year: int) -> dict[str, int]:
    """未参合、未缴费户 of the clerk's villages by status (not_enrolled, unpaid, partial), in one query."""
    from collections import Counter

    from nrcms.funding.outstanding import outstanding_households

    # the status is an annotation over subqueries: counted here rather than grouped by in SQL
    return dict(Counter(outstanding_households(actor=actor, scheme_year=year).order_by()
                        .values_list("outstanding_status", flat=True)))
def _disclosure_unpublished(actor: User, today: dt.date) -> tuple[int, str]:
    """1 when last month's disclosure (公示) of the actor's region is not yet published, with that month."""
    from nrcms.disclosure.selectors import month_of, publication_of
    from nrcms.registry.models import Region, RegionLevel

    month = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    region = actor.region or Region.objects.filter(level=RegionLevel.COUNTY).first()
    if region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        return 0, month
    return (0 if publication_of(month_of(month)[0], region) else 1), month


def todo_items(*, actor: User, today: dt.date | None = None) -> list[TodoItem]:
    """The user's to-do list, in the order the work is usually done."""
    from nrcms.payments.models import StatementStatus

    today = today or timezone.localdate()
    items: list[TodoItem] = []
    desk = actor.can(Cap.DESK_SETTLE) and actor.facility_id is not None
    if desk:
        items += [
            TodoItem("desk-discharged", "已出院待结算的住院", _episodes_to_settle(actor),
                     _url("desk_home", kind="inpatient", status="discharged"), "人次"),
            TodoItem("desk-referrals", "转入本院、尚未入院的转诊单", _referrals_waiting(actor, today),
                     _url("desk_admit", kind="inpatient"), "张"),
            TodoItem("statements-returned", "被退回待重新报送的月结算单", _statements(actor, StatementStatus.RETURNED),
                     _url("statement_list", status=StatementStatus.RETURNED), "张"),
            TodoItem("reconciliation-differences", "对账不一致的日期", _reconciliation_differences(actor),
                     _url("reconciliation_list", result="mismatched"), "天"),
        ]
    if actor.can(Cap.CLAIMS_REVIEW):
        items += [
            TodoItem("statements-submitted", "待审核的月结算单", _statements(actor, StatementStatus.SUBMITTED),
                     _url("statement_list", status=StatementStatus.SUBMITTED), "张"),
            TodoItem("statements-in-review", "审核中的月结算单", _statements(actor, StatementStatus.IN_REVIEW),
                     _url("statement_list", status=StatementStatus.IN_REVIEW), "张"),
            TodoItem("manual-payable", "公示期满待审批支付的手工报销", _manual_claims_payable(actor, today),
                     _url("manual_list", status="noticed"), "笔"),
            TodoItem("reconciliation-differences", "医院对账不一致", _reconciliation_differences(actor),
                     _url("reconciliation_list", result="mismatched"), "机构·日"),
        ]
    if actor.can(Cap.FACILITY_MANAGE) and actor.can(Cap.FACILITY_SUPERVISE):
        from nrcms.facilities.supervision import open_alerts

        items.append(TodoItem("facility-alerts", "定点机构监管指标超阈值预警", open_alerts().count(),
                              _url("facility_alert_list"), "条"))
    if actor.can(Cap.FACILITY_DESIGNATION_APPROVE):
        from nrcms.facilities.models import DesignationRequest, RequestStatus

        items.append(TodoItem("designation-requests", "待审批的定点处理申请（警告、暂停、取消、恢复）",
                              DesignationRequest.objects.filter(status=RequestStatus.PENDING).count(),
                              _url("designation_request_list"), "件"))
    if actor.can(Cap.FUND_DISBURSE):
        items.append(TodoItem("statements-approved", "已审核待拨付的月结算单",
                              _statements(actor, StatementStatus.APPROVED),
                              _url("statement_list", status=StatementStatus.APPROVED), "张"))
    if actor.can(Cap.SUPERVISION_REVIEW):
        from nrcms.supervision.models import HitStatus
        from nrcms.supervision.selectors import hits

        queued = hits(actor=actor)
        items += [
            TodoItem("audit-hits-open", "智能审核待处理的疑点", queued.filter(status=HitStatus.OPEN).count(),
                     _url("supervision_hits", status=HitStatus.OPEN), "条"),
            TodoItem("audit-hits-second", "待复核的大额扣款", queued.filter(status=HitStatus.AWAITING_SECOND).count(),
                     _url("supervision_hits", status=HitStatus.AWAITING_SECOND), "条"),
        ]
    if actor.can(Cap.COMPLAINTS_HANDLE):
        from nrcms.complaints.selectors import open_count, overdue_count

        items += [
            TodoItem("complaints-open", "新受理、尚未交办的投诉", open_count(actor), _url("complaint_list", status="received"), "件"),
            TodoItem("complaints-overdue", "超过办理期限未办结的投诉", overdue_count(actor),
                     _url("complaint_list", overdue="1"), "件"),
        ]
    if actor.can(Cap.CONTRIBUTION_COLLECT):
        # the township's and the village's clerks: households of their villages still to collect from or enrol
        year, by_status = today.year, _outstanding(actor, today.year)
        items += [
            TodoItem("households-unpaid", f"{year} 年度已参合未缴费的户", by_status.get("unpaid", 0),
                     _url("outstanding_list", year=year, status="unpaid"), "户"),
            TodoItem("households-partial", f"{year} 年度未缴清的户", by_status.get("partial", 0),
                     _url("outstanding_list", year=year, status="partial"), "户"),
            TodoItem("households-not-enrolled", f"{year} 年度未参合的户", by_status.get("not_enrolled", 0),
                     _url("outstanding_list", year=year, status="not_enrolled"), "户"),
        ]
    if actor.can(Cap.FAMILY_DOCTOR_MANAGE):
        from nrcms.family_doctors.services import contracts_ending

        items.append(TodoItem("fd-contracts-ending", f"{today:%Y-%m} 到期、尚未续签的家庭医生签约",
                              contracts_ending(actor=actor, today=today).count(),
                              _url("fd_contracts", ending=f"{today:%Y-%m}"), "份"))
    if actor.can(Cap.FAMILY_DOCTOR_PAY):
        from nrcms.family_doctors.services import fees_unpaid_months

        unpaid = fees_unpaid_months(today=today)
        items.append(TodoItem("fd-fees-unpaid", "尚未支付家庭医生签约服务费的月份（近 12 个月）", len(unpaid),
                              _url("fd_fees", month=f"{unpaid[0][0]:%Y-%m}") if unpaid else _url("fd_fees"),
                              "个月"))
    if actor.can(Cap.DISCLOSURE_PUBLISH):
        count, month = _disclosure_unpublished(actor, today)
        items.append(TodoItem("disclosure-unpublished", f"{month} 补偿公示未发布", count,
                              _url("disclosure_home", month=month), "个月"))
    if actor.can(Cap.REGISTRY_EDIT) and not desk:
        items.append(TodoItem("imports-with-errors", "有错误或未完成的花名册导入", _imports_with_errors(actor),
                              _url("roster_import"), "批"))
    return items

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record, snapshot
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed
from nrcms.registry.models import Region

from .models import DesignationChange, DesignationStatus, Facility, FacilityLevel

FACILITY_FIELDS = ["code", "name", "level", "region", "in_county", "status", "address"]


@transaction.atomic
def facility_upsert(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str,
    region: Region | None,
    in_county: bool,
    address: str = "",
    authority: str = "",
) -> tuple[Facility, bool]:
    """Create a facility or update its particulars; re-running with the same values changes nothing."""
    if actor is not None:
        require(actor, Cap.FACILITY_MANAGE)
    code = text_bounded(code, field="code", label="机构编码", max_length=20, required=True)
    name = text_bounded(name, field="name", label="机构名称", max_length=100, required=True)
    address = text_bounded(address, field="address", label="地址", max_length=200)
    if level not in FacilityLevel.values:
        raise ValidationFailed("invalid", f"机构级别“{level}”不存在", field="level")
    if in_county and region is None:
        raise ValidationFailed("required", "县内机构必须指定所在乡镇或村", field="region")
    values = {"name": name, "level": level, "region": region, "in_county": in_county, "address": address}
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        facility = Facility.objects.create(code=code, **values)
        audit_record(actor=actor, action="facility.create", obj=facility, authority=authority,
                     after=snapshot(facility, FACILITY_FIELDS), facility_code=code,
                     region_code=region.code if region else "")
        return facility, True
    before = snapshot(facility, FACILITY_FIELDS)
    for key, value in values.items():
        setattr(facility, key, value)
    after = snapshot(facility, FACILITY_FIELDS)
    if after == before:
        return facility, False
    facility.save()
    audit_record(actor=actor, action="facility.update", obj=facility, before=before, after=after,
                 authority=authority, facility_code=code, region_code=region.code if region else "")
    return facility, True


def text_bounded(value: str, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """Text for a limited column: trimmed, and refused with a message naming the field when too long (PostgreSQL
    would refuse it with a 500)."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("required", f"{label}不能为空", field=field)
    if len(value) > max_length:
        raise ValidationFailed("too_long", f"{label}最多 {max_length} 个字，现有 {len(value)} 个字", field=field)
    return value


def _active_changes(facility: Facility):
    return facility.designation_history.filter(withdrawn_at__isnull=True)


def status_change_record(*, actor: User | None, facility: Facility, status: str, effective_date: dt.date,
                         reason: str, authority: str = "", today: dt.date | None = None) -> DesignationChange:
    """The dated change itself, made only by an approved designation request (designation.designation_approve,
    whose approver is the director: the capability is checked there). There is no direct way to change a status (issue 12): the county office asks, the director decides. A revoked
    facility is designated again only by a new decision, another dated row; history is never rewritten. A change
    dated after today is scheduled: it takes effect on its date (the desk applies the status in force on the
    admission date) and, until then, the director can withdraw it with a reason (facility_status_withdraw)."""
    if status not in DesignationStatus.values:
        raise ValidationFailed("invalid", f"定点状态“{status}”不存在", field="status")
    if not (reason or "").strip():
        raise ValidationFailed("required", "变更定点状态必须填写原因", field="reason")
    reason = text_bounded(reason, field="reason", label="原因", max_length=300, required=True)
    authority = text_bounded(authority, field="authority", label="依据（文件号）", max_length=200)
    today = today or timezone.localdate()
    given, facility = facility, Facility.objects.select_for_update().get(pk=facility.pk)
    last = _active_changes(facility).order_by("-effective_date", "-id").first()
    if last is not None and effective_date < last.effective_date:
        if last.effective_date > today:
            raise ValidationFailed(
                "invalid", f"已排定 {last.effective_date} {last.get_status_display()}，新变更的生效日期不能早于它；"
                "如排定有误，请先撤回该排定变更", field="effective_date")
        raise ValidationFailed("invalid", f"生效日期不能早于上一次变更（{last.effective_date}）", field="effective_date")
    before = {"status": last.status if last else DesignationStatus.DESIGNATED,
              "effective_date": last.effective_date if last else None}
    change = DesignationChange.objects.create(facility=facility, status=status, effective_date=effective_date,
                                              reason=reason, authority=authority, recorded_by=actor)
    _status_cache_refresh(facility, today)
    given.status = facility.status
    audit_record(actor=actor, action="facility.status", obj=facility, before=before,
                 after={"status": status, "effective_date": effective_date, "scheduled": effective_date > today},
                 reason=reason, authority=authority,
                 facility_code=facility.code, region_code=facility.region.code if facility.region else "")
    return change


@transaction.atomic
def facility_status_withdraw(
    *,
    actor: User | None,
    change: DesignationChange,
    reason: str,
    today: dt.date | None = None,
) -> DesignationChange:
    """Withdraw a scheduled designation change (one not yet in force), e.g. a wrong effective date. The row is
    kept and shown as withdrawn; a change already in force is corrected by a new designation request instead.
    Withdrawing keeps the status the director's approval was to end, so it is the director's decision too
    (FACILITY_DESIGNATION_APPROVE), never the county office's alone."""
    if actor is not None:
        require(actor, Cap.FACILITY_DESIGNATION_APPROVE)
    reason = text_bounded(reason, field="reason", label="撤回原因", max_length=300, required=True)
    today = today or timezone.localdate()
    change = DesignationChange.objects.select_for_update().select_related("facility").get(pk=change.pk)
    if change.withdrawn_at is not None:
        raise ValidationFailed("already_withdrawn", f"{change.effective_date} {change.get_status_display()}已撤回",
                               field="change")
    if change.effective_date <= today:
        raise ValidationFailed(
            "in_force", f"{change.effective_date} {change.get_status_display()}已生效，不能撤回；如需更正，请登记新的变更",
            field="change")
    change.withdrawn_at, change.withdrawn_by, change.withdrawal_reason = timezone.now(), actor, reason
    change.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    facility = change.facility
    _status_cache_refresh(facility, today)
    audit_record(actor=actor, action="facility.status_withdraw", obj=facility, reason=reason,
                 before={"status": change.status, "effective_date": change.effective_date},
                 after={"withdrawn": True, "change_id": change.pk},
                 facility_code=facility.code, region_code=facility.region.code if facility.region else "")
    return change


def _status_cache_refresh(facility: Facility, today: dt.date) -> None:
    """Facility.status keeps the status in force on the day of the last change, for reports that read the
    column; pages, the API and the desk work from the dated history (facility_status_on)."""
    status = facility_status_on(facility, today)
    if facility.status != status:
        facility.status = status
        facility.save(update_fields=["status"])


def facility_status_on(facility: Facility, on) -> str:
    """The designation status in force on a date: the latest change on or before it that was not withdrawn; a
    facility with no recorded change is as it was created (designated)."""
    status = (_active_changes(facility).filter(effective_date__lte=on)
              .order_by("-effective_date", "-id").values_list("status", flat=True).first())
    return status if status is not None else DesignationStatus.DESIGNATED


def facilities_with_status(facilities, *, on: dt.date | None = None) -> list[Facility]:
    """Set on each facility, for lists and detail pages: `status_today` (code), `status_today_label`,
    `status_since` (the effective date of the change that began the status in force: an unchanged run of the
    same status counts from its first change; None when the status has never changed since the facility was
    registered), `status_today_text` (定点（2024-03-01 起生效）) and `scheduled` (the changes not yet in force,
    not withdrawn). One query for any number of facilities."""
    facilities = list(facilities)
    on = on or timezone.localdate()
    ids = [f.pk for f in facilities]
    rows = (DesignationChange.objects.filter(facility_id__in=ids, withdrawn_at__isnull=True)
            .order_by("facility_id", "effective_date", "id"))
    in_force: dict[int, str] = {}
    since: dict[int, dt.date] = {}
    scheduled: dict[int, list[DesignationChange]] = {}
    for row in rows:
        if row.effective_date <= on:
            if row.status != in_force.get(row.facility_id, DesignationStatus.DESIGNATED) or row.facility_id not in since:
                since[row.facility_id] = row.effective_date
            in_force[row.facility_id] = row.status
        else:
            scheduled.setdefault(row.facility_id, []).append(row)
    labels = dict(DesignationStatus.choices)
    for f in facilities:
        f.status_today = in_force.get(f.pk, DesignationStatus.DESIGNATED)
        f.status_today_label = labels[f.status_today]
        f.status_since = since.get(f.pk)
        f.status_today_text = (f"{f.status_today_label}（{f.status_since:%Y-%m-%d} 起生效）" if f.status_since
                               else f"{f.status_today_label}（建档起生效）")
        f.scheduled = scheduled.get(f.pk, [])
    return facilities


def facility_users(*, actor: User, facility: Facility):
    """The facility's user accounts, for those who may see them: the county office (管理定点机构或审核),
    the system administrator, and the facility's own desk. None for anyone else (the page shows nothing)."""
    may_see = (actor.can(Cap.FACILITY_MANAGE) or actor.can(Cap.CLAIMS_REVIEW) or actor.can(Cap.USERS_VIEW)
               or (actor.can(Cap.DESK_SETTLE) and actor.facility_id == facility.pk))
    if not may_see:
        return None
    return User.objects.filter(facility=facility).order_by("-is_active", "username")


def facility_register(*, actor: User, code: str, name: str, level: str, region_code: str, in_county: bool,
                      address: str = "", authority: str = "") -> Facility:
    """新增定点医疗机构 (page and API): a new code only — an existing one is refused, not updated; the region by
    its division code."""
    require(actor, Cap.FACILITY_MANAGE)
    region = None
    if (region_code or "").strip():
        region = Region.objects.filter(code=region_code.strip()).first()
        if region is None:
            raise ValidationFailed("not_found", f"区划代码“{region_code.strip()[:15]}”不存在", field="region_code")
    if Facility.objects.filter(code=(code or "").strip()).exists():
        raise ValidationFailed("exists", f"机构编码“{code.strip()[:20]}”已存在", field="code")
    facility, _ = facility_upsert(actor=actor, code=code, name=name, level=level, region=region,
                                  in_county=in_county, address=address, authority=authority)
    return facility

from __future__ import annotations

from django.db import transaction

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
    if not code or not code.strip():
        raise ValidationFailed("required", "机构编码不能为空", field="code")
    if not name or not name.strip():
        raise ValidationFailed("required", "机构名称不能为空", field="name")
    if level not in FacilityLevel.values:
        raise ValidationFailed("invalid", f"机构级别“{level}”不存在", field="level")
    if in_county and region is None:
        raise ValidationFailed("required", "县内机构必须指定所在乡镇或村", field="region")
    values = {"name": name.strip(), "level": level, "region": region, "in_county": in_county, "address": address}
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


@transaction.atomic
def facility_set_status(
    *,
    actor: User | None,
    facility: Facility,
    status: str,
    effective_date,
    reason: str,
    authority: str = "",
) -> DesignationChange:
    """Designate, suspend or revoke. A revoked facility can be designated again only by a new decision,
    which is another dated row; history is never rewritten."""
    if actor is not None:
        require(actor, Cap.FACILITY_MANAGE)
    if status not in DesignationStatus.values:
        raise ValidationFailed("invalid", f"定点状态“{status}”不存在", field="status")
    if not (reason or "").strip():
        raise ValidationFailed("required", "变更定点状态必须填写原因", field="reason")
    last = facility.designation_history.order_by("-effective_date", "-id").first()
    if last is not None and effective_date < last.effective_date:
        raise ValidationFailed("invalid", f"生效日期不能早于上一次变更（{last.effective_date}）", field="effective_date")
    before = snapshot(facility, FACILITY_FIELDS)
    change = DesignationChange.objects.create(facility=facility, status=status, effective_date=effective_date,
                                              reason=reason, authority=authority, recorded_by=actor)
    facility.status = status
    facility.save(update_fields=["status"])
    audit_record(actor=actor, action="facility.status", obj=facility, before=before,
                 after=snapshot(facility, FACILITY_FIELDS), reason=reason, authority=authority,
                 facility_code=facility.code, region_code=facility.region.code if facility.region else "")
    return change


def facility_status_on(facility: Facility, on) -> str:
    """The designation status in force on a date: the latest change on or before it; a facility with no
    recorded change is as it was created (designated)."""
    change = (facility.designation_history.filter(effective_date__lte=on)
              .order_by("-effective_date", "-id").first())
    return change.status if change else DesignationStatus.DESIGNATED

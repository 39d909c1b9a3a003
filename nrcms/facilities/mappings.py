"""Charge-code mappings a hospital proposes and the county office decides (approve, or reject with a reason).
A hospital desk never changes how its own codes settle: only approved mappings are used (charges_resolve)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require, require_separation
from nrcms.core.errors import ValidationFailed

from .models import ChargeMapping, Facility, MappingStatus


def mapping_propose(*, actor: User, facility: Facility, facility_item_code: str, facility_item_name: str,
                    catalogue_code: str, valid_from: dt.date, current: ChargeMapping | None) -> ChargeMapping:
    """Called by mapping_set (inside its transaction, input already checked) for a hospital desk."""
    pending = (ChargeMapping.objects.select_for_update()
               .filter(facility=facility, facility_item_code=facility_item_code, status=MappingStatus.PROPOSED)
               .first())
    if pending is not None:
        raise ValidationFailed("pending", f"院内编码“{facility_item_code}”已有待县合管办审批的对照申请（→ "
                               f"{pending.catalogue_code}），请等待审批后再提交", field="facility_item_code")
    if current is not None and valid_from <= current.valid_from:
        raise ValidationFailed("invalid", f"新对照的生效日期应晚于现有对照（{current.valid_from}）", field="valid_from")
    proposal = ChargeMapping.objects.create(
        facility=facility, facility_item_code=facility_item_code, facility_item_name=facility_item_name,
        catalogue_code=catalogue_code, valid_from=valid_from, mapped_by=actor, status=MappingStatus.PROPOSED,
    )
    audit_record(actor=actor, action="mapping.propose", obj=proposal, facility_code=facility.code,
                 before={"catalogue_code": current.catalogue_code} if current else None,
                 after={"facility_item_code": facility_item_code, "catalogue_code": catalogue_code,
                        "valid_from": valid_from, "status": MappingStatus.PROPOSED})
    return proposal


def _pending(mapping: ChargeMapping) -> ChargeMapping:
    mapping = ChargeMapping.objects.select_for_update(of=("self",)).select_related("facility").get(pk=mapping.pk)
    if mapping.status != MappingStatus.PROPOSED:
        raise ValidationFailed("invalid", f"对照“{mapping}”已{mapping.get_status_display()}，不能再次审批",
                               field="status")
    return mapping


@transaction.atomic
def mapping_approve(*, actor: User, mapping: ChargeMapping, authority: str = "") -> ChargeMapping:
    """The county office puts a hospital's proposal in force: the open approved mapping of the same code ends
    the day before. Whoever proposed may not approve."""
    require(actor, Cap.FACILITY_MANAGE)
    mapping = _pending(mapping)
    require_separation(preparer=mapping.mapped_by, approver=actor, what="项目对照")
    current = (ChargeMapping.objects.select_for_update()
               .filter(facility=mapping.facility, facility_item_code=mapping.facility_item_code,
                       valid_to__isnull=True, status=MappingStatus.APPROVED).first())
    if current is not None:
        if mapping.valid_from <= current.valid_from:
            raise ValidationFailed("invalid", f"申请的生效日期 {mapping.valid_from} 不晚于现有对照的生效日期 "
                                   f"{current.valid_from}，请驳回后由医院重新申请", field="valid_from")
        current.valid_to = mapping.valid_from - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    mapping.status, mapping.decided_by, mapping.decided_at = MappingStatus.APPROVED, actor, timezone.now()
    mapping.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="mapping.approve", obj=mapping, facility_code=mapping.facility.code,
                 before={"status": MappingStatus.PROPOSED,
                         "catalogue_code": current.catalogue_code if current else None},
                 after={"status": MappingStatus.APPROVED, "catalogue_code": mapping.catalogue_code,
                        "valid_from": mapping.valid_from}, authority=authority)
    return mapping


@transaction.atomic
def mapping_reject(*, actor: User, mapping: ChargeMapping, reason: str) -> ChargeMapping:
    require(actor, Cap.FACILITY_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("required", "驳回对照申请必须填写原因", field="reason")
    if len(reason) > 200:
        raise ValidationFailed("too_long", "驳回原因最长 200 个字符", field="reason")
    mapping = _pending(mapping)
    require_separation(preparer=mapping.mapped_by, approver=actor, what="项目对照")
    mapping.status, mapping.decided_by, mapping.decided_at = MappingStatus.REJECTED, actor, timezone.now()
    mapping.reject_reason = reason
    mapping.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
    audit_record(actor=actor, action="mapping.reject", obj=mapping, facility_code=mapping.facility.code,
                 before={"status": MappingStatus.PROPOSED}, after={"status": MappingStatus.REJECTED},
                 reason=reason)
    return mapping

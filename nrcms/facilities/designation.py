"""定点管理的动态过程 (issue 12): assessments, and warnings, suspensions, revocations and reinstatements asked by
the county office (FACILITY_MANAGE) and decided by the director (FACILITY_DESIGNATION_APPROVE), never by the
one who asked. An approved request other than a warning becomes a dated DesignationChange from its effective
date; the desk refuses care by the status in force on the admission date (claims.desk). Everything is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require, require_separation
from nrcms.core.errors import Conflict, ValidationFailed

from .models import (
    ACTION_STATUS,
    DesignationAction,
    DesignationRequest,
    DesignationStatus,
    Facility,
    FacilityAssessment,
    RequestStatus,
)
from .services import facility_status_on, status_change_record, text_bounded

# What each action needs the facility to be on its effective date.
ALLOWED_FROM = {
    DesignationAction.WARNING: {DesignationStatus.DESIGNATED},
    DesignationAction.SUSPEND: {DesignationStatus.DESIGNATED},
    DesignationAction.REVOKE: {DesignationStatus.DESIGNATED, DesignationStatus.SUSPENDED},
    DesignationAction.REINSTATE: {DesignationStatus.SUSPENDED, DesignationStatus.REVOKED},
}


def _region_code(facility: Facility) -> str:
    return facility.region.code if facility.region_id else ""


@transaction.atomic
def assessment_record(*, actor: User, facility: Facility, assessed_on: dt.date, score, findings: str,
                      assessor: str, today: dt.date | None = None) -> FacilityAssessment:
    """考核记录: the date (not in the future), the score (0–100, two places), findings and who assessed."""
    require(actor, Cap.FACILITY_MANAGE)
    today = today or timezone.localdate()
    if assessed_on > today:
        raise ValidationFailed("invalid", f"考核日期 {assessed_on} 不能晚于今天", field="assessed_on")
    try:
        score = Decimal(str(score))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed("invalid", "考核得分应为 0 到 100 之间的数", field="score") from exc
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100) or score != score.quantize(Decimal("0.01")):
        raise ValidationFailed("invalid", "考核得分应为 0 到 100 之间的数，最多两位小数", field="score")
    findings = text_bounded(findings, field="findings", label="考核意见", max_length=2000, required=True)
    assessor = text_bounded(assessor, field="assessor", label="考核人（组）", max_length=100, required=True)
    record = FacilityAssessment.objects.create(facility=facility, assessed_on=assessed_on, score=score,
                                               findings=findings, assessor=assessor, recorded_by=actor)
    audit_record(actor=actor, action="facility.assessment", obj=record,
                 after={"assessed_on": assessed_on, "score": score, "assessor": assessor},
                 facility_code=facility.code, region_code=_region_code(facility))
    return record


def _check_action(facility: Facility, action: str, effective_date: dt.date, today: dt.date) -> None:
    if action not in DesignationAction.values:
        raise ValidationFailed("invalid", f"处理类别“{action}”不存在", field="action")
    if effective_date < today:
        raise ValidationFailed("invalid", f"生效日期 {effective_date} 不能早于今天（{today}）", field="effective_date")
    status = facility_status_on(facility, effective_date)
    if status not in ALLOWED_FROM[action]:
        label = DesignationAction(action).label
        raise ValidationFailed("invalid", f"{facility.name}在 {effective_date} 的定点状态为"
                               f"{DesignationStatus(status).label}，不能{label}", field="action")


@transaction.atomic
def designation_request(*, actor: User, facility: Facility, action: str, effective_date: dt.date, reason: str,
                        authority: str = "", today: dt.date | None = None) -> DesignationRequest:
    """The county office asks; one pending request per facility at a time."""
    require(actor, Cap.FACILITY_MANAGE)
    today = today or timezone.localdate()
    reason = text_bounded(reason, field="reason", label="原因", max_length=300, required=True)
    authority = text_bounded(authority, field="authority", label="依据（文件号）", max_length=200)
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    _check_action(facility, action, effective_date, today)
    if DesignationRequest.objects.filter(facility=facility, status=RequestStatus.PENDING).exists():
        raise Conflict("pending_request", f"{facility.name}已有一件待审批的定点处理申请，请待主任审批后再提交")
    try:
        with transaction.atomic():
            request = DesignationRequest.objects.create(facility=facility, action=action,
                                                        effective_date=effective_date, reason=reason,
                                                        authority=authority, requested_by=actor)
    except IntegrityError as exc:  # two requests at once
        raise Conflict("pending_request", f"{facility.name}已有一件待审批的定点处理申请") from exc
    audit_record(actor=actor, action="facility.designation_request", obj=request, reason=reason,
                 authority=authority, after={"action": action, "effective_date": effective_date},
                 facility_code=facility.code, region_code=_region_code(facility))
    return request


def _pending(request: DesignationRequest) -> DesignationRequest:
    request = DesignationRequest.objects.select_for_update().select_related("facility", "requested_by").get(
        pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise ValidationFailed("decided", f"该申请已{request.get_status_display()}，不能再审批", field="request")
    return request


@transaction.atomic
def designation_approve(*, actor: User, request: DesignationRequest, note: str = "",
                        today: dt.date | None = None) -> DesignationRequest:
    """The director approves: a suspension, revocation or reinstatement is recorded as a dated change from the
    effective date (a change dated after today is scheduled); a warning is recorded as it is."""
    require(actor, Cap.FACILITY_DESIGNATION_APPROVE)
    today = today or timezone.localdate()
    request = _pending(request)
    require_separation(preparer=request.requested_by, approver=actor, what="定点处理申请")
    note = text_bounded(note, field="note", label="审批意见", max_length=300)
    facility = request.facility
    _check_action(facility, request.action, request.effective_date, today)
    status = ACTION_STATUS.get(request.action)
    if status is not None:
        request.change = status_change_record(
            actor=actor, facility=facility, status=status, effective_date=request.effective_date,
            reason=f"{request.get_action_display()}：{request.reason}"[:300],
            authority=request.authority, today=today)
    request.status, request.decided_by, request.decided_at = RequestStatus.APPROVED, actor, timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "change"])
    audit_record(actor=actor, action="facility.designation_approve", obj=request, reason=note,
                 authority=request.authority, before={"status": RequestStatus.PENDING},
                 after={"status": RequestStatus.APPROVED, "action": request.action,
                        "effective_date": request.effective_date},
                 facility_code=facility.code, region_code=_region_code(facility))
    return request


@transaction.atomic
def designation_reject(*, actor: User, request: DesignationRequest, note: str) -> DesignationRequest:
    require(actor, Cap.FACILITY_DESIGNATION_APPROVE)
    request = _pending(request)
    require_separation(preparer=request.requested_by, approver=actor, what="定点处理申请")
    note = text_bounded(note, field="note", label="驳回理由", max_length=300, required=True)
    request.status, request.decided_by, request.decided_at = RequestStatus.REJECTED, actor, timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(actor=actor, action="facility.designation_reject", obj=request, reason=note,
                 before={"status": RequestStatus.PENDING}, after={"status": RequestStatus.REJECTED},
                 facility_code=request.facility.code, region_code=_region_code(request.facility))
    return request

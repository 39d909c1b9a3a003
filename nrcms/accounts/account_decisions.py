"""Deciding an account request (双人复核, account_requests): a different administrator approves it and the
change takes effect — the new account enabled, the role and jurisdiction given, or the password or two-step
sign-in reset — or rejects it and the account stays as it was."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from nrcms.core.errors import Forbidden, ValidationFailed

from .account_requests import RESET_KINDS, Kind, Status, requested, user_scope
from .audit import audit_record
from .models import AccountChangeRequest, User
from .roles import Cap
from .services import check_binding, editable, password_reset_apply
from .two_factor import device_remove


def _apply_reset(req: AccountChangeRequest, actor: User) -> str:
    """Carry out an approved reset; returns the temporary password (password resets) or ""."""
    authority = f"账号申请 #{req.pk}（{req.requested_by.username} 申请，{actor.username} 批准）"
    if req.kind == Kind.RESET_PASSWORD:
        return password_reset_apply(actor=actor, user=req.target, password="", reason=req.reason,
                                    authority=authority)
    device_remove(actor=actor, user=req.target, reason=req.reason, authority=authority)
    return ""


def _check_decider(actor: User, req: AccountChangeRequest) -> None:
    if not actor.can(Cap.USERS_APPROVE):
        raise Forbidden("只有安全管理员或系统管理员可以审批账号申请")
    if req.status != Status.PENDING:
        raise ValidationFailed("invalid", f"申请 #{req.pk} 的状态是“{req.get_status_display()}”，不能再次审批",
                               field="status")
    if actor.pk == req.requested_by_id:
        raise Forbidden("职责分离：账号申请须由另一位管理员审批，申请人不能审批自己提出的申请",
                        code="separation_of_duties")
    if actor.pk == req.target_id:
        raise Forbidden("职责分离：不能审批涉及本人账号的申请", code="separation_of_duties")


def _locked(req: AccountChangeRequest) -> AccountChangeRequest:
    return (AccountChangeRequest.objects.select_for_update(of=("self",))
            .select_related("target__region", "target__facility", "region", "facility").get(pk=req.pk))


def _decide(req: AccountChangeRequest, actor: User, status: str, reason: str) -> None:
    req.status, req.decided_by, req.decided_at, req.decision_reason = status, actor, timezone.now(), reason
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def account_request_approve(*, actor: User, request: AccountChangeRequest, reason: str = "") -> AccountChangeRequest:
    """Put the request into force: enable the new account, or give the account its requested role and
    jurisdiction. Its old API tokens stop working when the jurisdiction changes (they are bound to it)."""
    req = _locked(request)
    _check_decider(actor, req)
    reason = reason.strip()
    if len(reason) > 500:
        raise ValidationFailed("too_long", "审批意见最长 500 个字符", field="reason")
    target = req.target
    if req.kind in RESET_KINDS:
        _decide(req, actor, Status.APPROVED, reason)
        audit_record(actor=actor, action="account_request.approve", obj=req, before={"status": Status.PENDING},
                     after={"status": Status.APPROVED, **requested(req)}, reason=reason, **user_scope(target))
        # shown once to the approver (never stored, never in the audit trail)
        req.temporary_password = _apply_reset(req, actor)
        return req
    check_binding(req.role, req.region, req.facility)
    before = {**editable(target), "is_active": target.is_active}
    target.role, target.region, target.facility = req.role, req.region, req.facility
    if req.kind == Kind.CREATE:
        target.is_active = True
    target.save(update_fields=["role", "region", "facility", "is_active"])
    after = {**editable(target), "is_active": target.is_active}
    _decide(req, actor, Status.APPROVED, reason)
    authority = f"账号申请 #{req.pk}（{req.requested_by.username} 申请，{actor.username} 批准）"
    audit_record(actor=actor, action="account_request.approve", obj=req, before={"status": Status.PENDING},
                 after={"status": Status.APPROVED, **requested(req)}, reason=reason, **user_scope(target))
    audit_record(actor=actor, action="user.activate" if req.kind == Kind.CREATE else "user.update", obj=target,
                 before=before, after=after, reason=req.reason or "账号申请已批准", authority=authority,
                 **user_scope(target))
    return req


@transaction.atomic
def account_request_reject(*, actor: User, request: AccountChangeRequest, reason: str) -> AccountChangeRequest:
    """Refuse: the account stays as it was (a rejected new account stays disabled for good)."""
    req = _locked(request)
    _check_decider(actor, req)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("required", "驳回申请必须填写原因", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("too_long", "驳回原因最长 500 个字符", field="reason")
    _decide(req, actor, Status.REJECTED, reason)
    audit_record(actor=actor, action="account_request.reject", obj=req, before={"status": Status.PENDING},
                 after={"status": Status.REJECTED, **requested(req)}, reason=reason, **user_scope(req.target))
    return req

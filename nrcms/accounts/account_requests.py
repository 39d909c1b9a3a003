"""A second administrator's approval (双人复核). An account whose role reviews, approves or pays out (roles.
APPROVAL_ROLES) is created disabled, and such a role or a new jurisdiction for it is not in force, until a
different administrator approves: never the one who asked, never the account itself. One administrator alone
can therefore neither make a reviewer nor turn an account he controls into one. Resetting such an account's
password or two-step sign-in is a request too (reset_request_open): otherwise one security administrator could
reset both and sign in as an existing reviewer. The temporary password is generated when the request is approved
and shown once, to the approver, who hands it to the account's owner. Here requests are opened and read;
approving or rejecting one is account_decisions."""

from __future__ import annotations

from django.db.models import QuerySet

from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

from .audit import audit_record
from .models import AccountChangeRequest, User
from .roles import Cap, needs_approval

Kind = AccountChangeRequest.Kind
Status = AccountChangeRequest.Status


def user_scope(user: User) -> dict:
    return {"region_code": user.region.code if user.region else "",
            "facility_code": user.facility.code if user.facility else ""}


def requested(req: AccountChangeRequest) -> dict:
    return {"kind": req.kind, "username": req.target.username, "role": req.role,
            "region": req.region.code if req.region else None,
            "facility": req.facility.code if req.facility else None}


def pending_request_of(user: User) -> AccountChangeRequest | None:
    return AccountChangeRequest.objects.filter(target=user, status=Status.PENDING).first()


def pending_requests(users) -> dict[int, int]:
    """user id → its pending request's id, for a page of users in one query."""
    return dict(AccountChangeRequest.objects.filter(target__in=list(users), status=Status.PENDING)
                .values_list("target_id", "pk"))


def creation_approved(user: User) -> bool:
    """False while the account's creation awaits approval or was rejected: it may not be enabled."""
    return not AccountChangeRequest.objects.filter(target=user, kind=Kind.CREATE).exclude(
        status=Status.APPROVED).exists()


def account_request_open(*, actor: User, target: User, kind: str, role: str, region: Region | None,
                         facility: Facility | None, reason: str = "", authority: str = "") -> AccountChangeRequest:
    """Called inside user_create / user_update's transaction: the request and the account change land together."""
    pending = pending_request_of(target)
    if pending is not None:
        raise ValidationFailed(
            "pending", f"账号“{target.username}”已有一份待审批的申请（#{pending.pk}，{pending.get_kind_display()}），"
            "审批之前不能再修改其角色或辖区", field="role")
    req = AccountChangeRequest.objects.create(
        kind=kind, target=target, role=role, region=region, facility=facility, requested_by=actor,
        reason=reason.strip()[:500], authority=authority.strip()[:200])
    audit_record(actor=actor, action="account_request.create", obj=req, after=requested(req), reason=req.reason,
                 authority=req.authority, **user_scope(target))
    return req


RESET_KINDS = (Kind.RESET_PASSWORD, Kind.RESET_TWO_FACTOR)


def reset_needs_approval(user: User) -> bool:
    """An account that reviews, approves or pays out (or grants and approves accounts) is reset only with a
    second administrator's approval."""
    return needs_approval(user.role)


def reset_request_open(*, actor: User, target: User, kind: str, reason: str) -> AccountChangeRequest:
    """Ask for a reset of an approval role's password or two-step sign-in; it takes effect when a different
    administrator approves it (account_decisions.account_request_approve)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "重置申请必须填写原因（如：本人手机丢失，已电话核实身份）", field="reason")
    return account_request_open(actor=actor, target=target, kind=kind, role=target.role, region=target.region,
                                facility=target.facility, reason=reason)


def pending_reset_of(user: User, kind: str) -> AccountChangeRequest | None:
    return AccountChangeRequest.objects.filter(target=user, kind=kind, status=Status.PENDING).first()


# --- reads ---------------------------------------------------------------------------------------

def account_request_list(*, actor: User, status: str = "") -> QuerySet[AccountChangeRequest]:
    """Requests about the accounts the actor may see, newest first."""
    from .selectors import user_list

    qs = (AccountChangeRequest.objects.filter(target__in=user_list(actor=actor))
          .select_related("target", "region", "facility", "requested_by", "decided_by"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-pk")


def account_request_get(*, actor: User, request_id: int) -> AccountChangeRequest:
    req = account_request_list(actor=actor).filter(pk=request_id).first()
    if req is None:
        raise NotFound("账号申请", request_id)
    return req


def account_requests_to_decide(*, actor: User) -> int:
    """The home page's to-do: pending requests this administrator may decide (not his own, not about him)."""
    if not actor.can(Cap.USERS_APPROVE):
        return 0
    return (account_request_list(actor=actor, status=Status.PENDING)
            .exclude(requested_by=actor).exclude(target=actor).count())


def may_decide(actor: User, req: AccountChangeRequest) -> bool:
    return (actor.can(Cap.USERS_APPROVE) and req.status == Status.PENDING
            and actor.pk not in (req.requested_by_id, req.target_id))


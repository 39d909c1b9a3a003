"""The API of a second administrator's approval: pending account requests, approve, reject."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query

from . import account_decisions, account_requests
from .models import AccountChangeRequest
from .roles import Cap, Role

router = Router(tags=["账号与审计"], auth=requires(Cap.USERS_APPROVE))
Kind, Status = AccountChangeRequest.Kind, AccountChangeRequest.Status


class AccountRequestOut(Schema):
    id: int
    kind: coded(Kind, description="申请类型")
    username: str
    role: coded(Role, description="申请的角色")
    region_code: str | None
    facility_code: str | None
    requested_by: str
    requested_at: dt.datetime
    reason: str
    authority: str
    status: coded(Status, description="审批状态")
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str
    may_decide: bool
    temporary_password: str = Field("", description="批准重置密码申请时生成的临时密码，只在这次批准的答复中返回给批准人")


def _out(req: AccountChangeRequest, actor) -> dict:
    return {"id": req.pk, "kind": req.kind, "username": req.target.username, "role": req.role,
            "region_code": req.region.code if req.region else None,
            "facility_code": req.facility.code if req.facility else None,
            "requested_by": req.requested_by.username, "requested_at": req.requested_at, "reason": req.reason,
            "authority": req.authority, "status": req.status,
            "decided_by": req.decided_by.username if req.decided_by else None, "decided_at": req.decided_at,
            "decision_reason": req.decision_reason, "may_decide": account_requests.may_decide(actor, req),
            "temporary_password": getattr(req, "temporary_password", "")}


class AccountRequestPage(PageOut):
    items: list[AccountRequestOut]


@router.get("", response={200: AccountRequestPage, **ERRORS},
            summary="账号申请列表（新建或变更为审核、审批、拨付角色的账号，须另一位管理员审批）")
def account_request_list(request, status: coded_query(Status) = "", offset: int = 0, limit: int = 50):
    items, page = paginate(account_requests.account_request_list(actor=request.user, status=status), offset, limit)
    return {**page, "items": [_out(r, request.user) for r in items]}


class AccountRequestDecisionIn(Schema):
    reason: str = ""


@router.post("/{request_id}/approve", response={200: AccountRequestOut, **ERRORS},
             summary="批准账号申请（审批人不能是申请人，也不能是该账号本人）")
def account_request_approve(request, request_id: int, payload: AccountRequestDecisionIn):
    req = account_requests.account_request_get(actor=request.user, request_id=request_id)
    return _out(account_decisions.account_request_approve(actor=request.user, request=req, reason=payload.reason),
                request.user)


@router.post("/{request_id}/reject", response={200: AccountRequestOut, **ERRORS},
             summary="驳回账号申请（须填原因；被驳回的新账号保持停用）")
def account_request_reject(request, request_id: int, payload: AccountRequestDecisionIn):
    req = account_requests.account_request_get(actor=request.user, request_id=request_id)
    return _out(account_decisions.account_request_reject(actor=request.user, request=req, reason=payload.reason),
                request.user)

"""API tokens for machine clients: list, create (the key is returned once), revoke with a reason."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate

from . import selectors, services
from .roles import Cap

router = Router(tags=["账号与审计"], auth=requires(Cap.USERS_GRANTS))


class TokenOut(Schema):
    id: int
    username: str
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    bound_to: str | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str


def _token_out(t) -> dict:
    return {"id": t.pk, "username": t.user.username, "name": t.name, "prefix": t.prefix,
            "created_at": t.created_at, "expires_at": t.expires_at,
            "bound_to": t.facility.code if t.facility_id else (t.region.code if t.region_id else None),
            "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
            "revoked_by": t.revoked_by.username if t.revoked_by else None, "revoke_reason": t.revoke_reason}


class TokenPage(PageOut):
    items: list[TokenOut]


@router.get("", response={200: TokenPage, **ERRORS}, summary="API 令牌列表（系统管理员；不含令牌本身）")
def tokens(request, username: str = "", active: bool = False, offset: int = 0, limit: int = 50):
    services.require(request.user, Cap.USERS_GRANTS)
    qs = selectors.token_list(actor=request.user, username=username, include_revoked=not active)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_token_out(t) for t in items]}


class TokenIn(Schema):
    username: str
    name: str
    expires_on: dt.date | None = Field(None, description="到期日（含当日）；不填按系统默认有效期，最长有效期由系统设置限定")


class TokenCreatedOut(TokenOut):
    key: str


@router.post("", response={201: TokenCreatedOut, **ERRORS},
             summary="创建 API 令牌；key 只在此响应中出现一次，系统只保存其哈希")
def token_create(request, payload: TokenIn):
    services.require(request.user, Cap.USERS_GRANTS)
    owner = selectors.user_get(actor=request.user, username=payload.username)
    token, key = services.api_token_create(actor=request.user, user=owner, name=payload.name,
                                           expires_on=payload.expires_on)
    return Status(201, {**_token_out(token), "key": key})


class RevokeIn(Schema):
    reason: str


@router.post("/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="吊销 API 令牌（须填原因）")
def token_revoke(request, token_id: int, payload: RevokeIn):
    services.require(request.user, Cap.USERS_GRANTS)
    token = selectors.token_get(actor=request.user, token_id=token_id)
    return _token_out(services.api_token_revoke(actor=request.user, token=token, reason=payload.reason))

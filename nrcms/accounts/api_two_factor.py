"""Two-step sign-in in the API: one's own status, and the administrator's look at and reset of an account's.
Enrolment and the codes themselves happen only on the pages (a person with a phone). API tokens are not
affected by two-step sign-in: a hospital system signs in with its token alone."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import SIGNED_IN, requires
from nrcms.api.base import ERRORS

from . import two_factor
from .client_ip import client_ip

router = Router(tags=["账号与审计"])


class TwoFactorStatusOut(Schema):
    username: str
    enrolled: bool
    enrolled_at: dt.datetime | None
    required: bool
    recovery_codes_left: int
    reset_request_id: int | None = Field(None, description="待另一位管理员批准的重置申请编号（审核、审批、拨付类账号）")


def _status(user) -> dict:
    s = two_factor.status_of(user)
    return {"username": user.username, "enrolled": s["enrolled"], "enrolled_at": s["since"],
            "required": s["required"], "recovery_codes_left": s["codes_left"], "reset_request_id": s["reset_request"]}


@router.get("/me/two-factor", auth=SIGNED_IN, response={200: TwoFactorStatusOut, **ERRORS},
            summary="本人的两步验证状态（是否启用、角色是否必须、未用恢复码个数）")
def my_two_factor(request):
    return _status(request.user)


@router.get("/users/{username}/two-factor", auth=requires(Cap.TWO_FACTOR_RESET),
            response={200: TwoFactorStatusOut, **ERRORS},
            summary="某账号的两步验证状态（安全管理员）")
def user_two_factor(request, username: str):
    return _status(two_factor.reset_target(actor=request.user, username=username))


class TwoFactorResetIn(Schema):
    reason: str


@router.post("/users/{username}/two-factor/reset", auth=requires(Cap.TWO_FACTOR_RESET),
             response={200: TwoFactorStatusOut, **ERRORS},
             summary="重置两步验证：删除验证器和恢复码（手机丢失），必须填写原因；必须使用的角色下次登录时重新绑定。"
                     "审核、审批、拨付类账号只提交申请（reset_request_id），须另一位管理员批准后生效")
def user_two_factor_reset(request, username: str, payload: TwoFactorResetIn):
    target = two_factor.reset_target(actor=request.user, username=username)
    two_factor.totp_reset(actor=request.user, user=target, reason=payload.reason, ip=client_ip(request))
    return _status(target)

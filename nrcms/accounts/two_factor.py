"""Two-step sign-in: after the password, a 6-digit TOTP code from an authenticator app (or one of ten
single-use recovery codes). Required for the roles in settings.NRCMS_TOTP_REQUIRED_ROLES (administrators,
finance, reviewers), optional for the others. API tokens are not affected: a machine client has no phone.

Every code tried is charged to the lockout counters of login.py before it is checked, exactly like a
password, and each wrong one is recorded in the audit trail. Enrolment, disabling, new recovery codes, the use
of a recovery code and an administrator's reset are recorded too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import totp
from .account_requests import pending_reset_of, reset_needs_approval, reset_request_open
from .audit import audit_record
from .login import LoginCharge, login_begin, login_charge_return, login_finish
from .models import RecoveryCode, TotpDevice, User
from .roles import Cap

FACTOR_TOTP = "totp"
FACTOR_RECOVERY = "recovery_code"
# Recorded in the audit trail in the auditor's words.
FACTOR_LABELS = {FACTOR_TOTP: "验证器验证码", FACTOR_RECOVERY: "恢复码"}
PURPOSE_LABELS = {"sign_in": "登录", "account": "本人两步验证设置（启用、停用、重新生成恢复码）"}
WRONG_CODE = "验证码不正确：请输入验证器上当前显示的 6 位数字（每 30 秒更新），或一个未用过的恢复码"
SPENT_CODE = "验证码已使用过：同一个验证码只能用一次，请等验证器显示下一个验证码后再输入"


# ---- reads ----

def two_factor_required(user: User) -> bool:
    return user.role in settings.NRCMS_TOTP_REQUIRED_ROLES


def confirmed_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def second_step_for(user: User) -> str:
    """After a right password: "verify" (a confirmed device asks for its code), "enrol" (the role requires
    two-step sign-in and the account has no device yet) or "" (signed in with the password alone)."""
    if confirmed_device(user) is not None:
        return "verify"
    return "enrol" if two_factor_required(user) else ""


def status_of(user: User) -> dict:
    """For the administrator's user page: enrolled (and since when), required, recovery codes left."""
    device = confirmed_device(user)
    pending = pending_reset_of(user, "reset_2fa")
    return {"enrolled": device is not None, "since": device.confirmed_at if device else None,
            "required": two_factor_required(user), "codes_left": recovery_codes_left(user) if device else 0,
            "reset_request": pending.pk if pending else None}


def reset_target(*, actor: User, username: str) -> User:
    """The account whose two-step an administrator looks at or resets (capability TWO_FACTOR_RESET, held at
    county level, so every account is in reach)."""
    if not actor.can(Cap.TWO_FACTOR_RESET):
        raise Forbidden()
    user = User.objects.select_related("region", "facility").filter(username=username).first()
    if user is None:
        raise NotFound("用户", username)
    return user


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# ---- checking a code ----

@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    factor: str = ""
    message: str = ""
    locked_until: datetime | None = None
    lock_kind: str = ""


def _scope(user: User) -> dict:
    return {"region_code": user.region.code if user.region_id else "",
            "facility_code": user.facility.code if user.facility_id else ""}


@transaction.atomic
def _consume(*, user: User, code: str, allow_recovery: bool, confirmed: bool) -> tuple[str, str]:
    """(factor, "") when the code is right (and is then spent), ("", message) when it is not."""
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=not confirmed).first()
    if device is not None and totp.looks_like_totp(code):
        step = totp.matching_step(device.secret, code, after_step=device.last_used_step)
        if step is not None:
            device.last_used_step = step
            update = ["last_used_step"]
            if not confirmed:
                device.confirmed_at = timezone.now()
                update.append("confirmed_at")
            device.save(update_fields=update)
            return FACTOR_TOTP, ""
        return "", SPENT_CODE if totp.spent_step(device.secret, code) else WRONG_CODE
    if allow_recovery and not totp.looks_like_totp(code):
        row = (RecoveryCode.objects.select_for_update()
               .filter(user=user, used_at__isnull=True, code_hash=totp.recovery_code_hash(user.pk, code)).first())
        if row is not None:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            left = recovery_codes_left(user)
            audit_record(actor=user, action="totp.recovery_code_used", obj=user, after={"remaining": left},
                         reason=f"用恢复码完成两步验证，还剩 {left} 个未用", **_scope(user))
            return FACTOR_RECOVERY, ""
    return "", WRONG_CODE


def _code_failed(*, charge: LoginCharge, user: User, purpose: str, ip: str | None) -> None:
    audit_record(actor=user if purpose != "sign_in" else None, action="totp.failed", obj=user, ip=ip,
                 after={"purpose": PURPOSE_LABELS[purpose]}, reason="两步验证码错误", **_scope(user))
    login_finish(charge=charge, user=None)


def code_check(*, user: User, code: str, ip: str | None, purpose: str, allow_recovery: bool = True,
               confirmed: bool = True) -> CodeCheck:
    """Check one code for user, charged to the lockout like a password. purpose: "sign_in" (a right code
    completes the login: the address's count starts again and the login is recorded) or "account" (enrolling,
    disabling, new recovery codes while signed in: the charge is only given back). confirmed=False checks the
    first code of an unconfirmed device, which it confirms. Not one transaction: the charge and a
    failure must stay recorded when the code is wrong."""
    charge = login_begin(username=user.username, ip=ip)
    if not charge.allowed:
        return CodeCheck(ok=False, locked_until=charge.locked_until, lock_kind=charge.lock_kind,
                         message="该账号因连续验证失败已被锁定，请稍后再试，或联系系统管理员解锁")
    factor, message = _consume(user=user, code=code, allow_recovery=allow_recovery, confirmed=confirmed)
    if not factor:
        _code_failed(charge=charge, user=user, purpose=purpose, ip=ip)
        refreshed = lock_in_force(user.username, ip)
        return CodeCheck(ok=False, message=message, locked_until=refreshed)
    if purpose == "account":
        login_charge_return(charge=charge)
    else:
        login_finish(charge=charge, user=user, factor=FACTOR_LABELS[factor])
    return CodeCheck(ok=True, factor=factor)


def lock_in_force(username: str, ip: str | None) -> datetime | None:
    """The lock (if any) that now stands against this account from this address, or account-wide."""
    from .login import UNKNOWN_ADDRESS
    from .models import LoginThrottle

    row = (LoginThrottle.objects.filter(username=username, ip__in=[ip or UNKNOWN_ADDRESS, LoginThrottle.ACCOUNT],
                                        locked_until__gt=timezone.now()).order_by("-locked_until").first())
    return row.locked_until if row else None


# ---- writes ----

@transaction.atomic
def totp_enrol_start(*, user: User) -> TotpDevice:
    """The unconfirmed device whose secret the enrolment page shows (the same one until it is confirmed, so
    reloading the page does not invalidate what the user already scanned)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed:
        raise Conflict("already_enrolled", "两步验证已启用；如需更换手机，请先停用再重新启用", field="code")
    if device is None:
        device = TotpDevice.objects.create(user=user, secret=totp.new_secret())
        audit_record(actor=user, action="totp.enrol_start", obj=user, reason="生成两步验证密钥（待确认）",
                     **_scope(user))
    return device


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new recovery codes; every earlier one, used or not, stops working. The codes are returned once and
    only their hashes are kept."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=totp.recovery_code_hash(user.pk, c))
                                     for c in codes)
    return codes


def totp_enrol_confirm(*, user: User, code: str, ip: str | None, signing_in: bool) -> list[str]:
    """The first code from the new device confirms it; returns the ten recovery codes (shown once).
    signing_in: the enrolment completes a sign-in (the login is recorded with it)."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise Conflict("already_enrolled", "两步验证已启用", field="code")
    if not TotpDevice.objects.filter(user=user).exists():
        raise ValidationFailed("no_device", "请先打开“两步验证”页面生成密钥，再输入验证码", field="code")
    check = code_check(user=user, code=code, ip=ip, purpose="sign_in" if signing_in else "account",
                       allow_recovery=False, confirmed=False)
    if not check.ok:
        raise ValidationFailed("invalid_code", check.message, field="code")
    with transaction.atomic():
        codes = recovery_codes_replace(user=user)
        audit_record(actor=user, action="totp.enrol", obj=user, ip=ip, after={"recovery_codes": len(codes)},
                     reason="启用两步验证（验证器已确认）", **_scope(user))
    return codes


def recovery_codes_regenerate(*, user: User, code: str, ip: str | None) -> list[str]:
    """New recovery codes, after a current code from the device (a recovery code will not do)."""
    if confirmed_device(user) is None:
        raise ValidationFailed("not_enrolled", "尚未启用两步验证，不能生成恢复码", field="code")
    check = code_check(user=user, code=code, ip=ip, purpose="account", allow_recovery=False)
    if not check.ok:
        raise ValidationFailed("invalid_code", check.message, field="code")
    with transaction.atomic():
        codes = recovery_codes_replace(user=user)
        audit_record(actor=user, action="totp.recovery_codes_regenerate", obj=user, ip=ip,
                     after={"recovery_codes": len(codes)}, reason="重新生成恢复码，原恢复码全部作废", **_scope(user))
    return codes


def totp_disable(*, user: User, code: str, ip: str | None) -> None:
    """The user turns two-step sign-in off, proving it with a current code (or a recovery code). Refused for
    the roles that require it."""
    if two_factor_required(user):
        raise Forbidden(f"您的角色（{user.get_role_display()}）必须使用两步验证，不能停用；更换手机请联系安全管理员重置",
                        code="two_factor_required")
    if confirmed_device(user) is None:
        raise ValidationFailed("not_enrolled", "尚未启用两步验证", field="code")
    check = code_check(user=user, code=code, ip=ip, purpose="account")
    if not check.ok:
        raise ValidationFailed("invalid_code", check.message, field="code")
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(actor=user, action="totp.disable", obj=user, ip=ip, before={"two_factor_enrolled": True},
                     after={"two_factor_enrolled": False}, reason="本人停用两步验证", **_scope(user))


@transaction.atomic
def totp_reset(*, actor: User, user: User, reason: str, ip: str | None = None) -> str:
    """An administrator removes a user's device and recovery codes (a lost phone). The user enrols again at the
    next sign-in if the role requires it. Returns "reset", "none" (there was nothing to remove, recorded) or
    "pending": an account that reviews, approves or pays out is reset only when a second administrator approves
    the request opened here (account_requests.reset_request_open)."""
    if not actor.can(Cap.TWO_FACTOR_RESET):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "重置两步验证必须填写原因（如：本人手机丢失，已电话核实身份）", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("too_long", "重置原因最长 500 个字符", field="reason")
    had = TotpDevice.objects.filter(user=user).exists()
    if had and reset_needs_approval(user):
        reset_request_open(actor=actor, target=user, kind="reset_2fa", reason=reason)
        return "pending"
    device_remove(actor=actor, user=user, reason=reason, ip=ip)
    return "reset" if had else "none"


def device_remove(*, actor: User, user: User, reason: str, ip: str | None = None, authority: str = "") -> None:
    had = TotpDevice.objects.filter(user=user).exists()
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=actor, action="totp.reset", obj=user, ip=ip, before={"two_factor_enrolled": had},
                 after={"two_factor_enrolled": False}, reason=reason, authority=authority, **_scope(user))


@transaction.atomic
def totp_device_install(*, user: User, secret: str, authority: str) -> TotpDevice:
    """A confirmed device with a known secret: the demo county's accounts only (their secret is printed by
    `make demo` so a person can add it to an app). Idempotent."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed and device.secret == secret:
        return device
    TotpDevice.objects.filter(user=user).delete()
    device = TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    audit_record(actor=None, action="totp.enrol", obj=user, authority=authority, after={"recovery_codes": 0},
                 reason="演示数据：固定的演示密钥", **_scope(user))
    return device

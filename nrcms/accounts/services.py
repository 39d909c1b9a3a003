"""Writes about accounts: each a transaction that records itself in the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.levels import level_label
from nrcms.registry.models import Region

from .account_requests import (
    Kind,
    account_request_open,
    creation_approved,
    pending_request_of,
    reset_needs_approval,
    reset_request_open,
)
from .audit import audit_record, snapshot
from .login import login_counters_clear
from .models import ApiToken, LoginThrottle, User
from .passwords import password_history_check, password_history_record, password_set
from .roles import FACILITY_ROLES, ROLE_REGION_LEVELS, Cap, Role, needs_approval

USER_FIELDS = ["username", "display_name", "role", "region", "facility", "phone", "is_active"]


def require(actor: User, capability: str) -> None:
    if not actor.can(capability):
        raise Forbidden()


def require_separation(*, preparer: User | None, approver: User, what: str) -> None:
    """Separation of duties: whoever prepared a thing may not approve it ("管钱不见钱")."""
    if preparer is not None and preparer.pk == approver.pk:
        raise Forbidden(f"职责分离：{what}的审批人不能是经办人本人", code="separation_of_duties")


def check_binding(role: str, region: Region | None, facility: Facility | None) -> None:
    if role not in Role.values:
        raise ValidationFailed("invalid", f"角色“{role}”不存在", field="role")
    if role in FACILITY_ROLES:
        if facility is None:
            raise ValidationFailed("required", "医疗机构合疗科账号必须指定所属机构", field="facility")
        if region is not None:
            raise ValidationFailed("invalid", "医疗机构账号不绑定行政区划", field="region")
        return
    if facility is not None:
        raise ValidationFailed("invalid", "只有医疗机构合疗科账号可以绑定机构", field="facility")
    if region is None:
        raise ValidationFailed("required", "该角色必须指定管辖区域", field="region")
    allowed = ROLE_REGION_LEVELS.get(role, frozenset())
    if region.level not in allowed:
        levels = "、".join(sorted(level_label(region.code, lv) for lv in allowed))
        raise ValidationFailed(
            "invalid", f"角色“{Role(role).label}”只能绑定到{levels}，不能绑定到{region.get_level_display()}",
            field="region",
        )


def _check_password(password: str, user: User | None = None, field: str = "password") -> None:
    """The policy (accounts/password_policy.py through AUTH_PASSWORD_VALIDATORS), then the account's history."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        details = [{"code": e.code, "message": " ".join(e.messages)} for e in exc.error_list]
        raise ValidationFailed("weak_password", "密码不符合要求：" + "；".join(exc.messages), field=field,
                               details=details) from exc
    if user is not None:
        password_history_check(user=user, password=password, field=field)


def _scope_code(user: User) -> tuple[str, str]:
    return (user.region.code if user.region else "", user.facility.code if user.facility else "")


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    region: Region | None = None,
    facility: Facility | None = None,
    phone: str = "",
    authority: str = "",
) -> User:
    """Create an account. actor=None only for the installation's own commands (demo, bootstrap).
    An administrator's new account must set its own password at first login (the initial password opens only
    the password page); one whose role reviews, approves or pays out is created disabled, with a request that
    another administrator must approve (account_requests)."""
    if actor is not None:
        require(actor, Cap.USERS_ACCOUNTS)
    username = username.strip()
    if not username:
        raise ValidationFailed("required", "用户名不能为空", field="username")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("duplicate", f"用户名“{username}”已被使用", field="username")
    check_binding(role, region, facility)
    approval = actor is not None and needs_approval(role)
    user = User(username=username, display_name=display_name, role=role, region=region, facility=facility,
                phone=phone, is_active=not approval, must_change_password=actor is not None)
    _check_password(password, user)
    password_set(user, password)
    user.save()
    password_history_record(user=user)
    region_code, facility_code = _scope_code(user)
    audit_record(actor=actor, action="user.create", obj=user,
                 after={**snapshot(user, USER_FIELDS), "must_change_password": user.must_change_password},
                 authority=authority, region_code=region_code, facility_code=facility_code)
    if approval:
        account_request_open(actor=actor, target=user, kind=Kind.CREATE, role=role, region=region,
                             facility=facility, reason=f"新建{Role(role).label}账号", authority=authority)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool, reason: str) -> User:
    require(actor, Cap.USERS_ACCOUNTS)
    if not reason.strip():
        raise ValidationFailed("required", "停用或启用账号必须填写原因", field="reason")
    if user.pk == actor.pk and not active:
        raise ValidationFailed("invalid", "不能停用自己的账号", field="is_active")
    if active and not creation_approved(user):
        raise ValidationFailed("invalid", f"账号“{user.username}”的新建申请尚未获另一位管理员批准（或已被驳回），不能启用",
                               field="is_active")
    before = snapshot(user, USER_FIELDS)
    user.is_active = active
    user.save(update_fields=["is_active"])
    region_code, facility_code = _scope_code(user)
    audit_record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user, before=before,
                 after=snapshot(user, USER_FIELDS), reason=reason, region_code=region_code,
                 facility_code=facility_code)
    return user


EDITABLE_FIELDS = ["display_name", "role", "region", "facility", "phone"]


def editable(user: User) -> dict:
    """What user_update may change, with the region and facility by code so the audit row reads by itself."""
    return {"display_name": user.display_name, "role": user.role, "phone": user.phone,
            "region": user.region.code if user.region else None,
            "facility": user.facility.code if user.facility else None}


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    role: str,
    region: Region | None,
    facility: Facility | None,
    phone: str = "",
    display_name: str | None = None,
    reason: str,
    authority: str = "",
) -> User:
    """Change an account's role, jurisdiction, phone or name; audited with the old and the new values.
    Unchanged input writes nothing. 三员分立: the role and jurisdiction are the security administrator's
    (USERS_GRANTS), the name and phone the system administrator's (USERS_ACCOUNTS). A role that reviews,
    approves or pays out (or a new jurisdiction for it) only opens a request for another administrator."""
    if not (actor.can(Cap.USERS_GRANTS) or actor.can(Cap.USERS_ACCOUNTS)):
        raise Forbidden()
    if not reason.strip():
        raise ValidationFailed("required", "修改用户的角色、辖区或电话必须填写原因", field="reason")
    if user.pk == actor.pk and role != user.role:
        raise ValidationFailed("invalid", "不能修改自己的角色（请由另一位安全管理员操作）", field="role")
    check_binding(role, region, facility)
    phone = phone.strip()
    if len(phone) > 20:
        raise ValidationFailed("too_long", "电话最长 20 个字符", field="phone")
    if display_name is not None and not display_name.strip():
        raise ValidationFailed("required", "姓名不能为空", field="display_name")
    display_name = user.display_name if display_name is None else display_name.strip()
    grants_change = (role, region, facility) != (user.role, user.region, user.facility)
    details_change = (display_name, phone) != (user.display_name, user.phone)
    if grants_change and not actor.can(Cap.USERS_GRANTS):
        raise Forbidden("三员分立：账号的角色和辖区由安全管理员修改", code="separation_of_duties")
    if details_change and not actor.can(Cap.USERS_ACCOUNTS):
        raise Forbidden("三员分立：账号的姓名和电话由系统管理员修改", code="separation_of_duties")
    if grants_change and needs_approval(role):
        account_request_open(actor=actor, target=user, kind=Kind.CHANGE, role=role, region=region,
                             facility=facility, reason=reason, authority=authority)
        role, region, facility = user.role, user.region, user.facility  # in force only once approved
    elif grants_change:
        if pending_request_of(user) is not None:
            raise ValidationFailed("pending", f"账号“{user.username}”有待审批的申请，审批之前不能修改其角色或辖区",
                                   field="role")
    before = editable(user)
    user.role, user.region, user.facility, user.phone = role, region, facility, phone
    user.display_name = display_name
    after = editable(user)
    if after == before:
        return user
    user.save(update_fields=EDITABLE_FIELDS)
    region_code, facility_code = _scope_code(user)
    audit_record(actor=actor, action="user.update", obj=user, before=before, after=after, reason=reason,
                 authority=authority, region_code=region_code, facility_code=facility_code)
    return user


def temporary_password() -> str:
    """Twelve characters a clerk can read over the phone: no 0/O or 1/l/I to confuse, always a digit and a
    letter of each case, so Django's validators accept it."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
    digits = "23456789"
    while True:
        text = "".join(secrets.choice(letters + digits) for _ in range(12))
        if any(c in digits for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text):
            return text


@transaction.atomic
def user_reset_password(*, actor: User, user: User, new_password: str = "", reason: str = "") -> tuple[User, str]:
    """Give the user a temporary password (generated when none is given) that must be changed at the next
    login; clears a lockout. Returns the user and the temporary password, which is shown once and never
    recorded in the audit trail. For an account of a role that reviews, approves or pays out, this only opens a
    request (the password returned is ""): a second administrator approves it and sees the generated password."""
    require(actor, Cap.USERS_GRANTS)
    if user.pk == actor.pk:
        raise ValidationFailed("invalid", "不能重置自己的密码，请在“修改密码”页面修改", field="password")
    if reset_needs_approval(user):
        if new_password:
            raise ValidationFailed("invalid", f"账号“{user.username}”（{user.get_role_display()}）的临时密码不能指定："
                                   "重置须另一位管理员批准，批准时由系统生成并只显示给批准人", field="new_password")
        reset_request_open(actor=actor, target=user, kind="reset_pw", reason=reason or "管理员重置密码")
        return user, ""
    password = password_reset_apply(actor=actor, user=user, password=new_password, reason=reason)
    return user, password


def password_reset_apply(*, actor: User, user: User, password: str, reason: str, authority: str = "") -> str:
    password = password or temporary_password()
    _check_password(password, user)
    password_set(user, password)
    user.must_change_password = True
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    password_history_record(user=user)
    login_counters_clear(username=user.username)
    region_code, facility_code = _scope_code(user)
    audit_record(actor=actor, action="user.reset_password", obj=user, after={"must_change_password": True},
                 reason=reason.strip() or "管理员重置密码", authority=authority, region_code=region_code,
                 facility_code=facility_code)
    return password


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password):
        raise ValidationFailed("wrong_password", "原密码不正确", field="old_password")
    if new_password == old_password:
        raise ValidationFailed("invalid", "新密码不能与原密码相同", field="new_password")
    _check_password(new_password, user, field="new_password")
    password_set(user, new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    password_history_record(user=user)
    region_code, facility_code = _scope_code(user)
    audit_record(actor=user, action="user.change_password", obj=user, region_code=region_code,
                 facility_code=facility_code)
    return user


# --- API tokens ----------------------------------------------------------------------------------

def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_expiry(expires_on: dt.date | None, today: dt.date | None = None) -> dt.datetime:
    """The end of the chosen day (Beijing time), by default NRCMS_API_TOKEN_DAYS from today; never past
    today + NRCMS_API_TOKEN_MAX_DAYS and never in the past."""
    today = today or timezone.localdate()
    longest = settings.NRCMS_API_TOKEN_MAX_DAYS
    if expires_on is None:
        expires_on = today + timedelta(days=min(settings.NRCMS_API_TOKEN_DAYS, longest))
    if expires_on <= today:
        raise ValidationFailed("invalid", "令牌到期日必须晚于今天", field="expires_on")
    if expires_on > today + timedelta(days=longest):
        raise ValidationFailed("invalid", f"令牌有效期最长 {longest} 天（到 {today + timedelta(days=longest)}），"
                               "到期后请创建新令牌", field="expires_on")
    end_of_day = dt.datetime.combine(expires_on, dt.time(23, 59, 59))
    return timezone.make_aware(end_of_day)


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str,
                     expires_on: dt.date | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is shown once and never stored. The token is bound to the
    owner's facility or region of today and expires at the end of expires_on."""
    if actor is not None:
        require(actor, Cap.USERS_GRANTS)
    if not name.strip():
        raise ValidationFailed("required", "请填写令牌用途", field="name")
    if len(name.strip()) > 80:
        raise ValidationFailed("too_long", "令牌用途最长 80 个字符", field="name")
    if not user.is_active:
        raise ValidationFailed("invalid", f"账号“{user.username}”已停用，不能为其创建令牌", field="user")
    expires_at = token_expiry(expires_on)
    name = name.strip()
    key = "nr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=token_hash(key),
                                    expires_at=expires_at, facility_id=user.facility_id, region_id=user.region_id)
    region_code, facility_code = _scope_code(user)
    audit_record(actor=actor, action="token.create", obj=token,
                 after={"user": user.username, "name": name, "expires_at": expires_at,
                        "bound_to": facility_code or region_code},
                 region_code=region_code, facility_code=facility_code)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken, reason: str) -> ApiToken:
    """Revoke for good (a revoked token is never revived; create a new one). actor=None only for the
    installation's own command line."""
    if actor is not None:
        require(actor, Cap.USERS_GRANTS)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("required", "吊销令牌必须填写原因", field="reason")
    if len(reason) > 200:
        raise ValidationFailed("too_long", "吊销原因最长 200 个字符", field="reason")
    token = (ApiToken.objects.select_for_update(of=("self",)).select_related("user__region", "user__facility")
             .get(pk=token.pk))
    if token.revoked_at is not None:
        raise ValidationFailed("invalid", f"令牌“{token.name}”已于 {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}"
                               " 吊销", field="token")
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.revoke_reason = reason
    token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    region_code, facility_code = _scope_code(token.user)
    audit_record(actor=actor, action="token.revoke", obj=token, before={"revoked": False},
                 after={"revoked": True, "user": token.user.username, "name": token.name}, reason=reason,
                 region_code=region_code, facility_code=facility_code)
    return token


TOKEN_LAST_USED_EVERY = timedelta(minutes=1)


def api_token_user(key: str) -> User | None:
    """The user behind an API key, or None: when the token is revoked or expired, its account disabled or
    locked (the account-wide lockout), or the account no longer bound to the facility or region the token was
    made for. last_used_at is written at most once a minute per token: a hospital system calls many times a
    second, and every call rewriting the same row is a write (and a row lock) on the hot path for a "last
    seen" that a minute's precision serves as well."""
    now = timezone.now()
    locked = LoginThrottle.objects.filter(username=OuterRef("user__username"), ip=LoginThrottle.ACCOUNT,
                                          locked_until__gt=now)
    token = (ApiToken.objects.select_related("user", "user__facility", "user__region")
             .filter(key_hash=token_hash(key), revoked_at__isnull=True, expires_at__gt=now)
             .annotate(account_locked=Exists(locked)).first())  # one query on the hot path
    if token is None or not token.user.is_active or token.account_locked:
        return None
    if (token.facility_id, token.region_id) != (token.user.facility_id, token.user.region_id):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

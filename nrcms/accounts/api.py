from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from nrcms.api.auth import SIGNED_IN, requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedPhone, MaskedText
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.core.masking import mask_data

from . import account_requests, audit_selectors, login, passwords, selectors, services
from . import password_policy as password_policy_rules
from .account_requests import pending_requests
from .audit_labels import action_label, object_type_label
from .audit_verification import ProblemKind, audit_verify
from .client_ip import client_ip
from .roles import Cap, Role

router = Router(tags=["账号与审计"])


class MeOut(Schema):
    username: str
    display_name: str
    role: coded(Role)
    role_label: str
    jurisdiction: str
    region_code: str | None
    facility_code: str | None
    capabilities: list[str]


@router.get("/me", auth=SIGNED_IN, response={200: MeOut, **ERRORS}, summary="当前用户及其管辖范围")
def me(request):
    user = request.user
    return {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "role_label": user.get_role_display(), "jurisdiction": selectors.jurisdiction_of(user).label,
        "region_code": user.region.code if user.region else None,
        "facility_code": user.facility.code if user.facility else None,
        "capabilities": sorted(user.capabilities),
    }


class UserOut(Schema):
    username: str
    display_name: str
    role: coded(Role)
    region_code: str | None
    facility_code: str | None
    phone: MaskedPhone
    is_active: bool
    must_change_password: bool
    locked_until: dt.datetime | None = None
    pending_request_id: int | None = Field(None, description="待另一位管理员审批的账号申请编号（无则为空）")


def _user_out(u, locked: dict | None = None, pending: dict | None = None) -> dict:
    if locked is None:
        locked = selectors.locked_until([u.username])
    if pending is None:
        pending = pending_requests([u])
    return {"username": u.username, "display_name": u.display_name, "role": u.role,
            "region_code": u.region.code if u.region else None,
            "facility_code": u.facility.code if u.facility else None, "phone": u.phone, "is_active": u.is_active,
            "must_change_password": u.must_change_password, "locked_until": locked.get(u.username),
            "pending_request_id": pending.get(u.pk)}


def _jurisdiction(actor, region_code: str | None, facility_code: str | None):
    """The region and facility named by code, each within the actor's own jurisdiction."""
    region = facility = None
    if region_code:
        region = selectors.region_list(actor=actor).filter(code=region_code).first()
        if region is None:
            raise ValidationFailed("not_found", f"区划代码“{region_code}”不存在或不在您的管辖范围内",
                                   field="region_code")
    if facility_code:
        facility = selectors.facility_list(actor=actor).filter(code=facility_code).first()
        if facility is None:
            raise ValidationFailed("not_found", f"机构编码“{facility_code}”不存在或不在您的管辖范围内",
                                   field="facility_code")
    return region, facility


class UserPage(PageOut):
    items: list[UserOut]


@router.get("/users", auth=requires(Cap.USERS_VIEW),
            response={200: UserPage, **ERRORS}, summary="用户列表（系统管理员、安全管理员）")
def users(request, search: str = "", role: coded_query(Role) = "", offset: int = 0, limit: int = 50):
    services.require(request.user, Cap.USERS_VIEW)
    items, page = paginate(selectors.user_list(actor=request.user, search=search, role=role), offset, limit)
    locked = selectors.locked_until(u.username for u in items)
    pending = pending_requests(items)
    return {**page, "items": [_user_out(u, locked, pending) for u in items]}


class UserIn(Schema):
    username: str
    password: str
    role: coded(Role, description="角色")
    display_name: str = ""
    region_code: str | None = None
    facility_code: str | None = None
    phone: str = ""
    authority: str = ""


@router.post("/users", auth=requires(Cap.USERS_ACCOUNTS), response={201: UserOut, **ERRORS},
             summary="新建用户（系统管理员；审核、审批、拨付及管理员角色的账号须另一位管理员批准后才启用，"
                     "新用户首次登录须修改密码）")
def user_create(request, payload: UserIn):
    services.require(request.user, Cap.USERS_ACCOUNTS)
    region, facility = _jurisdiction(request.user, payload.region_code, payload.facility_code)
    user = services.user_create(
        actor=request.user, username=payload.username, password=payload.password, role=payload.role,
        display_name=payload.display_name, region=region, facility=facility, phone=payload.phone,
        authority=payload.authority,
    )
    return Status(201, _user_out(user))


class ActiveIn(Schema):
    active: bool
    reason: str


@router.post("/users/{username}/active", auth=requires(Cap.USERS_ACCOUNTS),
             response={200: UserOut, **ERRORS}, summary="启用或停用用户")
def user_active(request, username: str, payload: ActiveIn):
    target = selectors.user_get(actor=request.user, username=username)
    user = services.user_set_active(actor=request.user, user=target, active=payload.active, reason=payload.reason)
    return _user_out(user)


class UserUpdateIn(Schema):
    role: coded(Role, description="角色")
    region_code: str | None = None
    facility_code: str | None = None
    phone: str = ""
    display_name: str | None = None
    reason: str
    authority: str = ""


@router.put("/users/{username}", auth=requires(Cap.USERS_ACCOUNTS, Cap.USERS_GRANTS), response={200: UserOut, **ERRORS},
            summary="修改用户的角色、辖区（区划或机构）与电话（记审计：原值 → 新值）")
def user_update(request, username: str, payload: UserUpdateIn):
    target = selectors.user_get(actor=request.user, username=username)
    region, facility = _jurisdiction(request.user, payload.region_code, payload.facility_code)
    user = services.user_update(actor=request.user, user=target, role=payload.role, region=region,
                                facility=facility, phone=payload.phone, display_name=payload.display_name,
                                reason=payload.reason, authority=payload.authority)
    return _user_out(user)


class PasswordResetIn(Schema):
    new_password: str = ""
    reason: str = ""


class PasswordResetOut(Schema):
    username: str
    temporary_password: str = Field(description="临时密码，只返回这一次；审核、审批、拨付类账号为空（见 pending_request_id）")
    must_change_password: bool
    pending_request_id: int | None = Field(
        None, description="审核、审批、拨付类账号：待另一位管理员批准的重置申请编号，批准时生成临时密码并只返回给批准人")


@router.post("/users/{username}/password-reset", auth=requires(Cap.USERS_GRANTS),
             response={200: PasswordResetOut, **ERRORS},
             summary="重置密码：设置或生成临时密码（只返回这一次），用户下次登录须先修改")
def user_password_reset(request, username: str, payload: PasswordResetIn):
    target = selectors.user_get(actor=request.user, username=username)
    user, password = services.user_reset_password(actor=request.user, user=target,
                                                  new_password=payload.new_password, reason=payload.reason)
    pending = None if password else account_requests.pending_reset_of(user, "reset_pw")
    return {"username": user.username, "temporary_password": password, "must_change_password": bool(password),
            "pending_request_id": pending.pk if pending else None}


class PasswordRuleOut(Schema):
    label: str = Field(description="项目，如“最短长度”")
    requirement: str = Field(description="当前要求，中文")
    setting: str = Field(description="决定该项的配置项（环境变量）名；空表示固定规则")


class PasswordPolicyOut(Schema):
    min_length: int
    min_classes: int = Field(description="大写字母、小写字母、数字、符号四类中至少包含的类数")
    history: int = Field(description="不能与最近几次使用过的密码相同；0 表示不检查")
    max_age_days: int = Field(description="密码有效天数，到期后登录须先修改（接口令牌不受影响）；0 表示不过期")
    rules: list[PasswordRuleOut]


@router.get("/password-policy", auth=SIGNED_IN, response={200: PasswordPolicyOut, **ERRORS}, summary="当前执行的密码策略（只读）")
def password_policy(request):
    return {"min_length": password_policy_rules.min_length(), "min_classes": password_policy_rules.min_classes(),
            "history": passwords.history_size(), "max_age_days": passwords.max_age_days(),
            "rules": [{"label": r["label"], "requirement": r["value"], "setting": r["setting"]}
                      for r in password_policy_rules.policy_summary()]}


class UserReasonIn(Schema):
    reason: str = ""


@router.post("/users/{username}/unlock", auth=requires(Cap.USERS_GRANTS), response={200: UserOut, **ERRORS},
             summary="解除登录锁定（按地址的锁定和账号全面锁定一并解除）")
def user_unlock(request, username: str, payload: UserReasonIn):
    target = selectors.user_get(actor=request.user, username=username)
    login.user_unlock(actor=request.user, user=target, reason=payload.reason, ip=client_ip(request))
    return _user_out(target)


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_username: str
    actor_name: str
    actor_role: str
    action: str
    action_label: str
    object_type: str
    object_type_label: str
    object_id: str
    object_repr: MaskedText
    region_code: str
    facility_code: str
    before: dict | None = Field(description="变更前（身份证号、手机号已脱敏）")
    after: dict | None = Field(description="变更后（身份证号、手机号已脱敏）")
    authority: MaskedText
    reason: MaskedText
    hash: str

    @staticmethod
    def resolve_before(obj):
        return mask_data(obj.before)

    @staticmethod
    def resolve_after(obj):
        return mask_data(obj.after)

    @staticmethod
    def resolve_actor_name(obj) -> str:
        return obj.actor.display_name if obj.actor_id else ""

    @staticmethod
    def resolve_action_label(obj) -> str:
        return action_label(obj.action)

    @staticmethod
    def resolve_object_type_label(obj) -> str:
        return object_type_label(obj.object_type)


class AuditPage(PageOut):
    items: list[AuditOut]


@router.get("/audit", auth=requires(Cap.AUDIT_LOG),
            response={200: AuditPage, **ERRORS}, summary="检索审计记录（审计、监督）",
            description="person：人员姓名或身份证号（本人、所在户及其就诊、结算、报销、转诊、缴费）；"
                        "object_type + object_ref：对象类型与编号（数据库编号、户编号、结算单号等）；"
                        "username：操作人账号或姓名。每条记录带操作、对象类型的中文名称。")
def audit(request, search: str = "", action: str = "", object_type: str = "", object_ref: str = "",
          person: str = "", username: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None,
          offset: int = 0, limit: int = 50):
    if not request.user.can(Cap.AUDIT_LOG):
        raise Forbidden()
    qs = audit_selectors.audit_list(actor=request.user, search=search, action=action, object_type=object_type,
                              object_ref=object_ref.strip(), person=person.strip(), username=username,
                              date_from=date_from, date_to=date_to).select_related("actor")
    items, page = paginate(qs, offset, limit)
    return {**page, "items": items}


class VerifyOut(Schema):
    ok: bool
    checked: int
    bad_seq: int | None
    problem: str
    kind: coded(ProblemKind, blank="无问题", description="发现的问题类型") = ""
    checkpoints: int = Field(0, description="签名检查点的个数（均已核对）")


@router.get("/audit/verify", auth=requires(Cap.AUDIT_LOG),
            response={200: VerifyOut, **ERRORS}, summary="校验审计哈希链")
def audit_chain_verify(request):
    if not request.user.can(Cap.AUDIT_LOG):
        raise Forbidden()
    report = audit_verify()
    return report.__dict__

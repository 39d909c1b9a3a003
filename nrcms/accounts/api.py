from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from nrcms.api.base import ErrorOut, PageOut, paginate
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

from . import selectors, services
from .audit import audit_verify
from .roles import Cap

router = Router(tags=["账号与审计"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    jurisdiction: str
    region_code: str | None
    facility_code: str | None
    capabilities: list[str]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户及其管辖范围")
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
    role: str
    region_code: str | None
    facility_code: str | None
    phone: str
    is_active: bool


def _user_out(u) -> dict:
    return {"username": u.username, "display_name": u.display_name, "role": u.role,
            "region_code": u.region.code if u.region else None,
            "facility_code": u.facility.code if u.facility else None, "phone": u.phone, "is_active": u.is_active}


class UserPage(PageOut):
    items: list[UserOut]


@router.get("/users", response={200: UserPage, **ERRORS}, summary="用户列表（系统管理员）")
def users(request, search: str = "", role: str = "", offset: int = 0, limit: int = 50):
    services.require(request.user, Cap.USERS_MANAGE)
    items, page = paginate(selectors.user_list(actor=request.user, search=search, role=role), offset, limit)
    return {**page, "items": [_user_out(u) for u in items]}


class UserIn(Schema):
    username: str
    password: str
    role: str
    display_name: str = ""
    region_code: str | None = None
    facility_code: str | None = None
    phone: str = ""
    authority: str = ""


@router.post("/users", response={201: UserOut, **ERRORS}, summary="新建用户")
def user_create(request, payload: UserIn):
    services.require(request.user, Cap.USERS_MANAGE)
    region = facility = None
    if payload.region_code:
        region = Region.objects.filter(code=payload.region_code).first()
        if region is None:
            raise ValidationFailed("not_found", f"区划代码“{payload.region_code}”不存在", field="region_code")
    if payload.facility_code:
        facility = Facility.objects.filter(code=payload.facility_code).first()
        if facility is None:
            raise ValidationFailed("not_found", f"机构编码“{payload.facility_code}”不存在", field="facility_code")
    user = services.user_create(
        actor=request.user, username=payload.username, password=payload.password, role=payload.role,
        display_name=payload.display_name, region=region, facility=facility, phone=payload.phone,
        authority=payload.authority,
    )
    return Status(201, _user_out(user))


class ActiveIn(Schema):
    active: bool
    reason: str


@router.post("/users/{username}/active", response={200: UserOut, **ERRORS}, summary="启用或停用用户")
def user_active(request, username: str, payload: ActiveIn):
    target = selectors.user_get(actor=request.user, username=username)
    user = services.user_set_active(actor=request.user, user=target, active=payload.active, reason=payload.reason)
    return _user_out(user)


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor_username: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    region_code: str
    facility_code: str
    before: dict | None
    after: dict | None
    authority: str
    reason: str
    hash: str


class AuditPage(PageOut):
    items: list[AuditOut]


@router.get("/audit", response={200: AuditPage, **ERRORS}, summary="检索审计记录（审计、监督）")
def audit(request, search: str = "", action: str = "", object_type: str = "", username: str = "",
          date_from: dt.date | None = None, date_to: dt.date | None = None, offset: int = 0, limit: int = 50):
    if not request.user.can(Cap.AUDIT_VIEW):
        raise Forbidden()
    qs = selectors.audit_list(actor=request.user, search=search, action=action, object_type=object_type,
                              username=username, date_from=date_from, date_to=date_to)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": items}


class VerifyOut(Schema):
    ok: bool
    checked: int
    bad_seq: int | None
    problem: str
    kind: str = Field("", description="edited | rehashed | link | deleted | cut_tail | checkpoint | marker")
    checkpoints: int = Field(0, description="签名检查点的个数（均已核对）")


@router.get("/audit/verify", response={200: VerifyOut, **ERRORS}, summary="校验审计哈希链")
def audit_chain_verify(request):
    if not request.user.can(Cap.AUDIT_VIEW):
        raise Forbidden()
    report = audit_verify()
    return report.__dict__

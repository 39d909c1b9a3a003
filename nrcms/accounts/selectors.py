"""Reads, each scoped by the actor's jurisdiction. Every page and API endpoint reads through here, so a
township clerk never sees another township's rows and a hospital desk only its own facility."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from nrcms.core.errors import NotFound
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

from .models import ApiToken, User
from .roles import Cap, Role


@dataclass(frozen=True)
class Jurisdiction:
    """What an account may see: a subtree of regions (by code prefix), or one facility."""

    region_prefix: str | None
    facility_id: int | None
    label: str

    @property
    def is_county(self) -> bool:
        return self.region_prefix is not None and len(self.region_prefix) == 6


def jurisdiction_of(user: User) -> Jurisdiction:
    if not user.is_authenticated or not user.is_active:
        return Jurisdiction(None, None, "")
    if user.role == Role.HOSPITAL_DESK:
        return Jurisdiction(None, user.facility_id, user.facility.name if user.facility else "")
    if user.region_id is None:
        if user.is_superuser:
            county = Region.objects.filter(level="county").first()
            return Jurisdiction(county.prefix if county else "", None, county.name if county else "全部")
        return Jurisdiction(None, None, "")
    return Jurisdiction(user.region.prefix, None, user.region.full_name)


def region_q(actor: User, field: str = "code") -> Q:
    """A filter for any model with a region code field, limited to the actor's subtree."""
    j = jurisdiction_of(actor)
    if j.region_prefix is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__startswith": j.region_prefix})


def region_list(*, actor: User, search: str = "", level: str = "") -> QuerySet[Region]:
    qs = Region.objects.filter(region_q(actor)).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(code__startswith=search))
    return qs.order_by("code")


def region_get(*, actor: User, code: str) -> Region:
    region = region_list(actor=actor).filter(code=code).first()
    if region is None:
        raise NotFound("行政区划", code)
    return region


def facility_list(*, actor: User, search: str = "") -> QuerySet[Facility]:
    j = jurisdiction_of(actor)
    qs = Facility.objects.select_related("region")
    if j.facility_id is not None:
        qs = qs.filter(pk=j.facility_id)
    elif j.region_prefix is None:
        qs = qs.none()
    elif not j.is_county:
        qs = qs.filter(region__code__startswith=j.region_prefix)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(code__startswith=search))
    return qs.order_by("code")


def facility_get(*, actor: User, code: str) -> Facility:
    facility = facility_list(actor=actor).filter(code=code).first()
    if facility is None:
        raise NotFound("医疗机构", code)
    return facility


def user_list(*, actor: User, search: str = "", role: str = "") -> QuerySet[User]:
    if not actor.can(Cap.USERS_VIEW):
        return User.objects.none()
    j = jurisdiction_of(actor)
    qs = User.objects.select_related("region", "facility")
    if not j.is_county:
        qs = qs.filter(region__code__startswith=j.region_prefix or "-")
    if role:
        qs = qs.filter(role=role)
    if search:
        qs = qs.filter(Q(username__contains=search) | Q(display_name__contains=search))
    return qs.order_by("username")


def user_get(*, actor: User, username: str) -> User:
    user = user_list(actor=actor).filter(username=username).first()
    if user is None:
        raise NotFound("用户", username)
    return user


def locked_until(usernames) -> dict:
    """username → when its last lock in force ends (from one address or account-wide), for a page of users
    in one query."""
    from .login import login_locks

    return {u: max(r.locked_until for r in rows) for u, rows in login_locks(usernames).items()}


def lock_descriptions(username: str) -> list[str]:
    """The locks in force on one account, in words: "账号全面锁定" or "地址 10.0.0.9" each with its end."""
    from django.utils import timezone

    from .login import login_locks

    return [f"{'账号全面锁定（所有地址）' if not r.ip else '地址 ' + r.ip}，"
            f"{timezone.localtime(r.locked_until):%Y-%m-%d %H:%M} 自动解锁"
            for r in login_locks([username]).get(username, [])]


def token_list(*, actor: User, username: str = "", include_revoked: bool = True) -> QuerySet[ApiToken]:
    """API tokens of the users the actor manages, newest first."""
    users = user_list(actor=actor)
    qs = ApiToken.objects.filter(user__in=users).select_related("user", "revoked_by", "facility", "region")
    if username:
        qs = qs.filter(user__username=username)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def token_get(*, actor: User, token_id: int) -> ApiToken:
    token = token_list(actor=actor).filter(pk=token_id).first()
    if token is None:
        raise NotFound("API 令牌", token_id)
    return token


def region_choices(*, actor: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """The region tree down to villages as grouped select options: the county, then each township with its
    villages ("甘亭镇 / 东韩村"). Village groups are never a jurisdiction."""
    regions = list(region_list(actor=actor).exclude(level="group").values_list("code", "name", "level", "parent__code"))
    county = [(code, f"{name}（县）") for code, name, level, _ in regions if level == "county"]
    groups: list[tuple[str, list[tuple[str, str]]]] = [("县", county)] if county else []
    villages: dict[str, list[tuple[str, str]]] = {}
    for code, name, level, parent in regions:
        if level == "village":
            villages.setdefault(parent, []).append((code, name))
    for t_code, t_name, level, _ in regions:
        if level == "township":
            groups.append((t_name, [(t_code, f"{t_name}（乡镇）"),
                                    *((c, f"{t_name} / {n}") for c, n in villages.get(t_code, []))]))
    return groups



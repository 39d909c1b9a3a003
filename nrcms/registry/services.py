"""Writes to the region tree. Codes follow GB/T 2260 and the 12-digit statistical division codes."""

from __future__ import annotations

import re

from django.db import transaction

from nrcms.accounts.audit import audit_record, snapshot
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed

from .levels import level_label
from .models import CHILD_LEVEL, PREFIX_LENGTH, Region, RegionLevel

REGION_FIELDS = ["code", "name", "level", "parent", "agricultural_population", "is_active"]


def validate_region_code(code: str, level: str, parent: Region | None) -> None:
    expected = 15 if level == RegionLevel.GROUP else 12
    if not re.fullmatch(rf"\d{{{expected}}}", code or ""):
        raise ValidationFailed("invalid", f"区划代码“{code}”应为 {expected} 位数字", field="code")
    if parent is None:
        if level != RegionLevel.COUNTY:
            raise ValidationFailed("required", "除县以外的区划必须指定上级", field="parent")
        if code[6:] != "000000":
            raise ValidationFailed("invalid", f"县级区划代码“{code}”后 6 位应为 0", field="code")
        return
    if CHILD_LEVEL.get(RegionLevel(parent.level)) != level:
        raise ValidationFailed("invalid", f"{parent.name}的下级不能是{level_label(parent.code, level)}", field="level")
    if not code.startswith(parent.prefix):
        raise ValidationFailed("invalid", f"区划代码“{code}”应以上级代码前缀“{parent.prefix}”开头", field="code")
    own = PREFIX_LENGTH[RegionLevel(level)]
    if level != RegionLevel.GROUP and code[own:] != "0" * (12 - own):
        raise ValidationFailed("invalid", f"区划代码“{code}”第 {own + 1} 位起应为 0", field="code")
    if code[len(parent.prefix):own].strip("0") == "":
        raise ValidationFailed("invalid", f"区划代码“{code}”本级段不能全为 0", field="code")


@transaction.atomic
def region_upsert(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str,
    parent: Region | None,
    agricultural_population: int | None = None,
    authority: str = "",
) -> tuple[Region, bool]:
    """Create a region or update its name/population. Returns (region, changed). Re-running with the same
    values changes nothing and writes no audit row, so loading a division file twice is safe."""
    if actor is not None:
        require(actor, Cap.SYSTEM_SETTINGS)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("required", "区划名称不能为空", field="name")
    if agricultural_population is not None and agricultural_population < 0:
        raise ValidationFailed("invalid", "农业人口不能为负数", field="agricultural_population")
    validate_region_code(code, level, parent)
    region = Region.objects.filter(code=code).first()
    if region is None:
        region = Region.objects.create(code=code, name=name, level=level, parent=parent,
                                       agricultural_population=agricultural_population)
        audit_record(actor=actor, action="region.create", obj=region, after=snapshot(region, REGION_FIELDS),
                     authority=authority, region_code=code)
        return region, True
    if region.level != level or region.parent_id != (parent.pk if parent else None):
        raise ValidationFailed("invalid", f"区划代码“{code}”已存在且层级或上级不同", field="code")
    if region.name == name and region.agricultural_population == agricultural_population:
        return region, False
    before = snapshot(region, REGION_FIELDS)
    region.name, region.agricultural_population = name, agricultural_population
    region.save(update_fields=["name", "agricultural_population"])
    audit_record(actor=actor, action="region.update", obj=region, before=before,
                 after=snapshot(region, REGION_FIELDS), authority=authority, region_code=code)
    return region, True

"""Loads the demo county through the same services a county office uses, so the demo exercises them.
Safe to run again: existing rows are kept, nothing is duplicated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from nrcms.accounts.models import User
from nrcms.accounts.services import user_create
from nrcms.facilities.models import Facility
from nrcms.facilities.services import facility_upsert
from nrcms.registry.models import Region, RegionLevel
from nrcms.registry.region_load import read_division_file, regions_load
from nrcms.registry.services import region_upsert

DATA = Path(__file__).parent / "data" / "county.yaml"
AUTHORITY = "演示数据"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role_label: str
    display_name: str
    jurisdiction: str
    two_factor: bool = False  # signs in with a code from the demo TOTP secret after the password


def load_data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


@transaction.atomic
def load_regions(data: dict) -> Region:
    """The division list through the same service as `nrcms regions load`, then what the list does not carry:
    populations (a township's is its villages' sum) and village groups."""
    path = DATA.parent / data["divisions"]
    report = regions_load(actor=None, rows=read_division_file(path.read_bytes(), path.name), file_name=path.name,
                          authority=AUTHORITY)
    if report.refused:
        raise ValueError(f"演示区划文件 {path.name} 有错误：" + "；".join(d["message"] for d in report.refused))
    county = Region.objects.get(level=RegionLevel.COUNTY)
    _set_population(county, data.get("county_agricultural_population"))
    villages = data.get("villages", {})
    for township in county.children.order_by("code"):
        total = 0
        for village in township.children.filter(level=RegionLevel.VILLAGE).order_by("code"):
            extra = villages.get(village.code, {})
            total += extra.get("agricultural_population") or 0
            _set_population(village, extra.get("agricultural_population"))
            for n in range(1, extra.get("groups", 0) + 1):
                region_upsert(actor=None, code=f"{village.code}{n:03d}", name=f"{_chinese_ordinal(n)}组",
                              level=RegionLevel.GROUP, parent=village, authority=AUTHORITY)
        _set_population(township, total or None)
    return county


def _set_population(region: Region, population: int | None) -> None:
    region_upsert(actor=None, code=region.code, name=region.name, level=region.level, parent=region.parent,
                  agricultural_population=population, authority=AUTHORITY)


def _chinese_ordinal(n: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[n] if n <= 10 else f"十{digits[n - 10]}" if n < 20 else str(n)


@transaction.atomic
def load_facilities(data: dict) -> None:
    for f in data["facilities"]:
        region = Region.objects.get(code=f["region"]) if f.get("region") else None
        facility_upsert(actor=None, code=f["code"], name=f["name"], level=f["level"], region=region,
                        in_county=f["in_county"], authority=AUTHORITY)


@transaction.atomic
def load_users(data: dict) -> list[DemoLogin]:
    logins = []
    for u in data["users"]:
        user = User.objects.filter(username=u["username"]).first()
        if user is None:
            region = Region.objects.get(code=u["region"]) if u.get("region") else None
            facility = Facility.objects.get(code=u["facility"]) if u.get("facility") else None
            user = user_create(actor=None, username=u["username"], password=data["password"], role=u["role"],
                               display_name=u["display_name"], region=region, facility=facility,
                               authority=AUTHORITY)
        where = user.facility.name if user.facility else user.region.full_name
        logins.append(DemoLogin(user.username, data["password"], user.get_role_display(), user.display_name, where,
                                two_factor=load_two_factor(user, data)))
    return logins


def load_two_factor(user: User, data: dict) -> bool:
    """The demo accounts of the roles that require two-step sign-in get a confirmed device with the demo
    county's fixed secret (so tests and a person at the demo can compute the codes)."""
    from nrcms.accounts.two_factor import totp_device_install, two_factor_required

    if not two_factor_required(user):
        return False
    totp_device_install(user=user, secret=data["totp_secret"], authority=AUTHORITY)
    return True


def demo_load() -> list[DemoLogin]:
    data = load_data()
    from .catalogue import load_catalogue
    from .claims import claims_summary, load_claims
    from .contributions import load_contributions
    from .people import load_people

    load_regions(data)
    load_facilities(data)
    logins = load_users(data)
    load_catalogue()
    from .scheme import load_scheme

    load_scheme()  # before any claim: the demo settlements are settled by the approved version
    load_people()
    load_contributions()
    from .referrals import load_referrals

    load_referrals()
    load_claims()
    print(claims_summary())
    from .family_doctors import load_family_doctors

    load_family_doctors()
    from .payments import load_statements

    statements = load_statements()
    if statements:
        print("演示月结算单（2026 年 10 月）：" + "；".join(f"{s.facility.name} {s.get_status_display()}"
                                                   for s in statements))
    return logins

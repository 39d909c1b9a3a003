"""The built county's map: 户县 (610125) with about one township per 29,000 agricultural persons (16 at the full
469,000) and one village per ~900 (518 at full size), each village with groups of ~250 persons. The townships
and villages of county.yaml keep their codes and names; the rest get 户县's other township names and
generated village names, with codes in the national 12-digit structure (镇 1xx, 村委会 2xx) — loaded through
the same division-list service as `nrcms regions load`. Facilities at every level: the demo's (county.yaml),
a health centre in every township and a clinic in every village. Pure functions of the seed and the size."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from nrcms.demo.loader import AUTHORITY, _chinese_ordinal, load_data
from nrcms.registry.region_load import DivisionRow, regions_load

COUNTY_CODE = "610125"
COUNTY_NAME = "户县"
PERSONS_PER_TOWNSHIP = 29_400
PERSONS_PER_VILLAGE = 905
PERSONS_PER_GROUP = 250
# 户县's townships around 2005 (the first four are county.yaml's, with its codes 100–103).
TOWNSHIP_NAMES = ["甘亭镇", "余下镇", "祖庵镇", "秦渡镇", "大王镇", "草堂镇", "庞光镇", "涝店镇", "蒋村镇", "石井镇",
                  "玉蝉镇", "五竹镇", "苍游镇", "甘河镇", "天桥镇", "渭丰镇", "双庙镇", "光明镇", "城关镇", "庞光乡"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_PLACE_HEADS = ["东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "新", "中"]
_PLACE_TAILS = ["家庄", "家堡", "家寨", "村", "堡", "寨", "庄", "坊", "营", "家湾", "家河", "庙", "店", "桥", "坡"]


@dataclass
class Village:
    code: str
    name: str
    population: int = 0
    groups: list[str] = field(default_factory=list)  # 15-digit group codes


@dataclass
class Township:
    code: str
    name: str
    villages: list[Village] = field(default_factory=list)


def plan_regions(persons: int, seed: int) -> list[Township]:
    """Townships and villages (without populations, which follow from the people generated)."""
    data = load_data()
    rng = random.Random(seed)
    known = [r for r in _division_rows(data)]
    n_townships = min(max(4, round(persons / PERSONS_PER_TOWNSHIP)), len(TOWNSHIP_NAMES))
    n_villages = max(round(persons / PERSONS_PER_VILLAGE), 9)
    townships: list[Township] = []
    for i in range(n_townships):
        code = f"{COUNTY_CODE}{100 + i:03d}000"
        name = next((n for c, n in known if c == code), TOWNSHIP_NAMES[i])
        townships.append(Township(code, name, [Village(c, n) for c, n in known
                                               if c.startswith(code[:9]) and not c.endswith("000")]))
    used = {v.name for t in townships for v in t.villages}
    per_township = [n_villages // n_townships + (i < n_villages % n_townships) for i in range(n_townships)]
    for township, target in zip(townships, per_township, strict=True):
        number = 201 + len(township.villages)
        while len(township.villages) < target:
            name = _village_name(rng)
            if name in used:
                continue
            used.add(name)
            township.villages.append(Village(f"{township.code[:9]}{number:03d}", name))
            number += 1
    return townships


def _village_name(rng: random.Random) -> str:
    tail = rng.choice(_PLACE_TAILS)
    head = rng.choice(_PLACE_HEADS) if rng.random() < 0.4 else ""
    name = head + rng.choice(_SURNAMES) + tail
    return name if name.endswith("村") else name + "村"


def _division_rows(data: dict) -> list[tuple[str, str]]:
    from nrcms.demo.loader import DATA
    from nrcms.registry.region_load import read_division_file

    path = DATA.parent / data["divisions"]
    return [(r.code, r.name) for r in read_division_file(path.read_bytes(), path.name)]


def assign_groups(townships: list[Township]) -> None:
    """Groups per village from its population (county.yaml's villages keep their group counts)."""
    extra = load_data().get("villages", {})
    for township in townships:
        for village in township.villages:
            count = extra.get(village.code, {}).get("groups") or max(2, round(village.population / PERSONS_PER_GROUP))
            village.groups = [f"{village.code}{n:03d}" for n in range(1, count + 1)]


def load_regions(townships: list[Township], persons: int) -> None:
    """The division list through regions_load (as `nrcms regions load` does), then populations and groups in bulk
    (groups have no national code; the small demo loads them one by one through region_upsert)."""
    from nrcms.accounts.audit import audit_record
    from nrcms.registry.models import Region, RegionLevel

    rows = [DivisionRow(1, f"{COUNTY_CODE}000000", COUNTY_NAME)]
    for t in townships:
        rows.append(DivisionRow(len(rows) + 1, t.code, t.name))
        rows += [DivisionRow(len(rows) + 1, v.code, v.name, "220") for v in t.villages]
    report = regions_load(actor=None, rows=rows, file_name="户县区划（演示生成）.csv", authority=AUTHORITY)
    if report.refused:
        raise ValueError("生成的区划有错误：" + "；".join(d["message"] for d in report.refused[:3]))
    Region.objects.filter(code=f"{COUNTY_CODE}000000").update(agricultural_population=persons)
    villages = {r.code: r for r in Region.objects.filter(level=RegionLevel.VILLAGE)}
    groups = []
    for t in townships:
        Region.objects.filter(code=t.code).update(agricultural_population=sum(v.population for v in t.villages))
        for v in t.villages:
            Region.objects.filter(code=v.code).update(agricultural_population=v.population)
            groups += [Region(code=g, name=f"{_chinese_ordinal(n)}组", level=RegionLevel.GROUP, parent=villages[v.code])
                       for n, g in enumerate(v.groups, start=1)]
    Region.objects.bulk_create(groups, batch_size=2000)
    audit_record(actor=None, action="region.group_batch", object_type="registry.region", authority=AUTHORITY,
                 region_code=f"{COUNTY_CODE}000000", after={"groups": len(groups), "villages": len(villages)})


def load_facilities(townships: list[Township]) -> list[str]:
    """After county.yaml's facilities (loaded first, with the catalogue mappings): a 卫生院 in each township that lacks one and a 卫生室 in each village.
    Returns the codes of the township health centres (by township code prefix order)."""
    from nrcms.facilities.models import Facility, FacilityLevel
    from nrcms.facilities.services import facility_upsert
    from nrcms.registry.models import Region

    regions = {r.code: r for r in Region.objects.filter(level__in=["township", "village"])}
    have = {f.region.code for f in Facility.objects.filter(level=FacilityLevel.TOWNSHIP).select_related("region")}
    for t in townships:
        if t.code not in have:
            facility_upsert(actor=None, code=f"W{t.code[:9]}", name=f"{t.name}卫生院",
                            level=FacilityLevel.TOWNSHIP, region=regions[t.code], in_county=True, authority=AUTHORITY)
    clinics = set(Facility.objects.filter(level=FacilityLevel.VILLAGE).values_list("region__code", flat=True))
    new = [Facility(code=f"C{v.code}", name=f"{v.name}卫生室", level=FacilityLevel.VILLAGE, region=regions[v.code],
                    in_county=True) for t in townships for v in t.villages if v.code not in clinics]
    Facility.objects.bulk_create(new, batch_size=1000)
    if new:
        from nrcms.accounts.audit import audit_record

        audit_record(actor=None, action="facility.clinic_batch", object_type="facilities.facility",
                     authority=AUTHORITY, region_code=f"{COUNTY_CODE}000000", after={"clinics": len(new)})
    return list(Facility.objects.filter(level=FacilityLevel.TOWNSHIP).order_by("code").values_list("code", flat=True))

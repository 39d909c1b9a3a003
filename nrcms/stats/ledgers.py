"""三级台账: the same settlements summed by village, by township and for the county, by three separate
queries, and checked to agree to the fen (each township equals the sum of its villages, the county the sum of
its townships). A household registered at a township itself (no village) has a row of its own, so nothing falls
between the levels."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models.functions import Substr

from nrcms.registry import enrolled_counts
from nrcms.registry.models import Region

from .indicators import enrolled
from .scope import Scope
from .sources import Totals, net, net_by

REGION = "episode__household__region__code"
COLUMNS = (("count", "结算人次"), ("benefit", "受益人次"), ("total_cost", "医疗总费用（元）"),
           ("reimbursed", "基本医疗补偿（元）"), ("catastrophic", "大病保险（元）"), ("assistance", "医疗救助（元）"),
           ("safety_net", "兜底保障（元）"), ("fund_total", "基金支付合计（元）"), ("self_pay", "个人自付（元）"))


def row_of(code: str, name: str, enrolled: int, t: Totals) -> dict:
    return {"code": code, "name": name, "enrolled": enrolled, "count": t.count, "benefit": t.benefit,
            "total_cost": t.total_cost, "reimbursed": t.pooled + t.family_account, "catastrophic": t.catastrophic,
            "assistance": t.assistance, "safety_net": t.safety_net, "fund_total": t.fund_total, "self_pay": t.self_pay,
            "family_account": t.family_account}


@dataclass
class Ledgers:
    county: dict
    townships: list[dict]
    villages: dict[str, list[dict]]  # township code → its villages
    mismatches: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.mismatches


def _enrolled_by(scope: Scope) -> tuple[dict[str, int], dict[str, int]]:
    """Persons enrolled for the year by village (12-digit code) and by township (9 digits), from the kept summary
    per household region (registry.EnrolledCount: a few hundred rows, joined to the region table for the codes)."""
    villages: dict[str, int] = {}
    townships: dict[str, int] = {}
    for code, n in enrolled_counts.by_region(scope.end.year, scope.region_prefix or "").items():
        villages[code[:12]] = villages.get(code[:12], 0) + n
        townships[code[:9]] = townships.get(code[:9], 0) + n
    return villages, townships


def _compare(label: str, whole: dict, parts: list[dict], out: list[str]) -> None:
    for key in ("enrolled", *(k for k, _ in COLUMNS)):
        total = sum(p[key] for p in parts)
        if total != whole[key]:
            out.append(f"{label}：{key} 合计 {total}，上级台账 {whole[key]}")


def ledgers(scope: Scope, county: Totals | None = None, county_people: int | None = None,
            villages: bool = True) -> Ledgers:
    """county, county_people: the county row's totals and enrolled persons when the caller has them already,
    each from a query of its own (a report's indicators or its kinds of reimbursement), not from the townships.
    villages=False: the county and its townships only (checked against each other), for a report that shows no
    village; `villages` is then empty."""
    by_village = net_by(scope, Substr(REGION, 1, 12)) if villages else {}
    by_township = net_by(scope, Substr(REGION, 1, 9))
    village_people, township_people = _enrolled_by(scope)
    names = dict(Region.objects.filter(code__startswith=scope.region_prefix, level__in=("township", "village", "county"))
                 .values_list("code", "name"))
    if county_people is None:
        county_people = enrolled(scope)  # counted on its own, not as the townships' sum
    county = row_of(scope.region_prefix, scope.region_name, county_people, net(scope) if county is None else county)
    townships, by_township_villages, mismatches = [], {}, []
    for tcode in sorted(set(by_township) | set(township_people)):
        code = tcode + "000"
        trow = row_of(code, names.get(code, code), township_people.get(tcode, 0), by_township.get(tcode, Totals()))
        townships.append(trow)
        if not villages:
            continue
        vcodes = sorted(k for k in set(by_village) | set(village_people) if k.startswith(tcode))
        vrows = [row_of(v, names.get(v, v) if v != code else f"{trow['name']}（乡镇直属）", village_people.get(v, 0),
                        by_village.get(v, Totals())) for v in vcodes]
        by_township_villages[code] = vrows
        _compare(trow["name"], trow, vrows, mismatches)
    _compare(county["name"], county, townships, mismatches)
    return Ledgers(county, townships, by_township_villages, mismatches)


def ledger_total(rows: list[dict]) -> dict:
    """The sum row under a table of ledger rows."""
    return {"code": "", "name": "合计", "enrolled": sum(r["enrolled"] for r in rows),
            **{k: sum(r[k] for r in rows) for k, _ in COLUMNS}}


"""The 90 % guarantee, watched (seed 003, domain §6 and §12): registered-poor inpatients' cost and what each
layer paid, by region (the chosen region's townships or villages) and by month, the effective ratio against
90 % (nrcms/stats's one definition, indicators.poor_effective_ratio), the out-of-policy share against its
limit (2 % at county-level facilities, 3 % at prefecture-level and above: settings.NRCMS_POVERTY_OUT_OF_POLICY_
LIMITS), and the referral rate of out-of-county stays. Below it, each patient under 90 % with the reasons read
from their settlements and the facility responsible.

Every figure comes from nrcms/stats/sources.py (desk and manual settlements, reversals netted out, a person
counted as registered poor when the category was held on the day of admission), so the monitor and the
statistics pages can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.functions import Substr

from nrcms.core.money import ZERO, round_amount
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.funding.ledger import fen_sum
from nrcms.registry.models import Category, Person, Region, RegionLevel
from nrcms.stats.indicators import POOR_TARGET, pooled_layers, poor_effective_ratio
from nrcms.stats.ratios import percent
from nrcms.stats.scope import Scope, month_range
from nrcms.stats.sources import IN_COUNTY, INPATIENT, Totals, net, net_by, sources

OUT_OF_COUNTY = INPATIENT & ~IN_COUNTY
REGION_CODE = "episode__household__region__code"


def out_of_policy_limit(level: str) -> Decimal:
    """The out-of-policy share a facility of this level may reach, in percent."""
    return Decimal(str(settings.NRCMS_POVERTY_OUT_OF_POLICY_LIMITS.get(level, "2")))


def poor_scope(scope: Scope) -> Scope:
    return replace(scope, category=Category.REGISTERED_POOR, facility_level="", facility_code="")


def row(label: str, t: Totals, out_county: Totals, *, code: str = "") -> dict:
    ratio = poor_effective_ratio(t)
    return {"code": code, "label": label, "count": t.count, "total_cost": t.total_cost,
            "eligible_cost": t.eligible_cost, "out_of_policy": t.total_cost - t.eligible_cost,
            "basic": t.pooled + t.family_account, "catastrophic": t.catastrophic, "assistance": t.assistance,
            "safety_net": t.safety_net, "fund_total": t.fund_total, "self_pay": t.total_cost - t.fund_total,
            "effective_ratio": ratio, "meets_target": None if ratio is None else ratio >= POOR_TARGET,
            "out_of_policy_share": percent(t.total_cost - t.eligible_cost, t.total_cost),
            "out_of_county": out_county.count, "referred": out_county.referred,
            "referral_rate": percent(out_county.referred, out_county.count)}


def region_rows(scope: Scope) -> list[dict]:
    """One row per township (a county chosen) or village (a township chosen) with settlements, then the total."""
    scope = poor_scope(scope)
    parent = Region.objects.filter(code=scope.region_prefix.ljust(12, "0")).first()
    level = RegionLevel(parent.level) if parent else RegionLevel.COUNTY
    child = {RegionLevel.COUNTY: RegionLevel.TOWNSHIP}.get(level, RegionLevel.VILLAGE)
    width = {RegionLevel.TOWNSHIP: 9, RegionLevel.VILLAGE: 12}[child]
    key = Substr(REGION_CODE, 1, width)
    totals, outs = net_by(scope, key, INPATIENT), net_by(scope, key, OUT_OF_COUNTY)
    names = {r.prefix: r.name for r in Region.objects.filter(level=child, code__startswith=scope.region_prefix)}
    rows = [row(names.get(k, k), totals[k], outs.get(k, Totals()), code=k.ljust(12, "0"))
            for k in sorted(totals) if totals[k].count]
    rows.append(row(f"{scope.region_name}合计", net(scope, INPATIENT), net(scope, OUT_OF_COUNTY),
                    code=scope.region_prefix.ljust(12, "0")))
    return rows


def month_rows(scope: Scope, year: int) -> list[dict]:
    """The region's twelve months of the year."""
    rows = []
    for month in range(1, 13):
        start, end = month_range(year, month)
        s = poor_scope(replace(scope, start=start, end=end))
        rows.append(row(f"{month} 月", net(s, INPATIENT), net(s, OUT_OF_COUNTY), code=str(month)))
    return rows


def facility_rows(scope: Scope) -> list[dict]:
    """Registered-poor inpatients' out-of-policy share at each facility against the facility's limit."""
    scope = poor_scope(scope)
    totals = net_by(scope, "episode__facility__code", INPATIENT)
    facilities = {f.code: f for f in Facility.objects.filter(code__in=totals)}
    out = []
    for code in sorted(totals):
        t, f = totals[code], facilities.get(code)
        if not t.count or f is None:
            continue
        share = percent(t.total_cost - t.eligible_cost, t.total_cost)
        limit = out_of_policy_limit(f.level)
        out.append({"code": code, "name": f.name, "level": f.get_level_display(), "count": t.count,
                    "total_cost": t.total_cost, "out_of_policy": t.total_cost - t.eligible_cost, "share": share,
                    "limit": limit, "over_limit": share is not None and share > limit,
                    "effective_ratio": poor_effective_ratio(t)})
    return out


# --- the patients below 90 % ----------------------------------------------------------------------------

@dataclass
class _Stay:
    facility: str
    in_county: bool
    referred: bool
    total: Decimal
    eligible: Decimal
    fund: Decimal


def _stays(scope: Scope, person_ids: list[int]) -> dict[int, list[_Stay]]:
    """Each below-target patient's settlements in scope, signed (a reversal counts against its original)."""
    out: dict[int, list[_Stay]] = {}
    for src in sources(scope):
        qs = src.qs.filter(INPATIENT, episode__person_id__in=person_ids).annotate(
            _sign=src.row_sign, _referred=_referred(src.referral))
        for pid, sign, code, in_county, referred, total, eligible, fund in qs.values_list(
                "episode__person_id", "_sign", "episode__facility__code", "episode__facility__in_county", "_referred",
                "total_cost", "eligible_cost", "fund_total"):
            sign *= src.sign
            out.setdefault(pid, []).append(_Stay(code, in_county, bool(referred), sign * fen_sum(total),
                                                 sign * fen_sum(eligible), sign * fen_sum(fund)))
    return out


def _referred(condition: Q):
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _sum_by(stays: list[_Stay], key, value) -> dict:
    sums: dict = {}
    for s in stays:
        sums[key(s)] = sums.get(key(s), ZERO) + value(s)
    return sums


def reasons(stays: list[_Stay], levels: dict[str, str], names: dict[str, str]) -> list[str]:
    """Why a patient's ratio fell short, from their settlements: unreferred out-of-county care, out-of-policy
    items above the facility's limit, out-of-county care; else what the layers left to the patient."""
    found = []
    unreferred = _sum_by([s for s in stays if not s.in_county and not s.referred], lambda s: s.facility,
                         lambda s: s.total)
    for code, cost in unreferred.items():
        if cost > 0:
            found.append(f"县外就医未转诊：{names.get(code, code)}，费用 {cost:,.2f} 元")
    by_facility = {}
    for s in stays:
        total, eligible = by_facility.get(s.facility, (ZERO, ZERO))
        by_facility[s.facility] = (total + s.total, eligible + s.eligible)
    for code, (total, eligible) in sorted(by_facility.items()):
        share = percent(total - eligible, total)
        limit = out_of_policy_limit(levels.get(code, FacilityLevel.COUNTY))
        if share is not None and share > limit:
            found.append(f"政策范围外费用占比 {share}%（超过 {limit}% 的控制标准）：{names.get(code, code)}")
    referred_out = {s.facility for s in stays if not s.in_county and s.referred and s.total > 0}
    for code in sorted(referred_out):
        found.append(f"县外转诊就医：{names.get(code, code)}")
    return found or ["政策范围内个人自付偏高（起付线、封顶线或各层补偿未达兜底）"]


def below_target(scope: Scope) -> list[dict]:
    """Each registered-poor patient whose effective ratio in scope is under 90 %, lowest first."""
    scope = poor_scope(scope)
    totals = net_by(scope, "episode__person_id", INPATIENT)
    short = {pid: t for pid, t in totals.items()
             if t.total_cost > 0 and (poor_effective_ratio(t) or ZERO) < POOR_TARGET}
    if not short:
        return []
    stays = _stays(scope, list(short))
    codes = {s.facility for ss in stays.values() for s in ss}
    facilities = {f.code: f for f in Facility.objects.filter(code__in=codes)}
    names = {c: f.name for c, f in facilities.items()}
    levels = {c: f.level for c, f in facilities.items()}
    persons = Person.objects.select_related("household__region").in_bulk(list(short))
    rows = []
    for pid, t in short.items():
        mine = stays.get(pid, [])
        left = _sum_by(mine, lambda s: s.facility, lambda s: s.total - s.fund)
        responsible = max(left, key=lambda c: (left[c], c)) if left else ""
        p = persons[pid]
        rows.append({"person_id": pid, "name": p.name, "id_number": p.id_number,
                     "region": p.household.region.full_name, "count": t.count, "total_cost": t.total_cost,
                     "eligible_cost": t.eligible_cost, "fund_total": t.fund_total,
                     "effective_ratio": poor_effective_ratio(t),
                     "gap": max(round_amount(t.total_cost * POOR_TARGET / 100) - pooled_layers(t), ZERO),
                     "reasons": reasons(mine, levels, names),
                     "facility_code": responsible, "facility": names.get(responsible, responsible)})
    rows.sort(key=lambda r: (r["effective_ratio"], r["person_id"]))
    return rows

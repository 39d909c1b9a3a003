"""The county's indicators (issue #11, domain §11), each defined in docs/guide/statistics.md: numerator,
denominator, which settlements. All settlements count — desk and manual out-of-county — with reversals netted
out (sources.py); money is Decimal to the fen, ratios are percentages to two places (ratios.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, Sum

from nrcms.registry import enrolled_counts
from nrcms.registry.models import Category, Enrollment, EnrollmentStatus, PersonCategory, Region

from . import fund
from .ratios import average, percent
from .scope import Scope
from .sources import (
    INPATIENT,
    KINDS,
    THRESHOLDS,
    Totals,
    Untranslatable,
    fact_rows,
    net,
    net_by_kind,
    net_many,
    sources,
)

POOR_TARGET = Decimal("90.00")  # 档卡户 住院实际补偿比 target (健康扶贫, domain §12)
LAYERS = (("catastrophic", "大病保险"), ("assistance", "医疗救助"), ("safety_net", "兜底保障"))


def poor_effective_ratio(t: Totals) -> Decimal | None:
    """档卡户住院实际补偿比 (statistics.md): what every layer paid (basic, catastrophic insurance, medical
    assistance, safety net — the family account left out, as the engine's ratio leaves it out) ÷ the inpatient
    total cost, in percent. The one definition: the poverty monitor (nrcms/poverty) measures the 90 % guarantee
    with it too."""
    return percent(pooled_layers(t), t.total_cost)


def pooled_layers(t: Totals):
    """Every layer's payment but the family account's: the numerator of 各层合计实际补偿比 (the engine's
    per-settlement 实际补偿比, nrcms/policy/result.py). The family account is the household's own money."""
    return t.fund_total - t.family_account


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    value: object  # Decimal (yuan or %), int, or None when undefined (a zero denominator)
    unit: str  # "元", "%", "人", "人次", "天"
    group: str


def enrolled(scope: Scope) -> int:
    """Persons enrolled for the scope's year in its region: from the kept summary (registry.EnrolledCount); with a
    category filter from the enrollments themselves (the summary has no category)."""
    if not scope.category:
        return enrolled_counts.county(scope.end.year, scope.region_prefix or "")
    qs = Enrollment.objects.filter(scheme_year=scope.end.year, status=EnrollmentStatus.ENROLLED)
    # a prefix every region has (the whole county) filters nothing: counted without the join, from the index
    if scope.region_prefix and Region.objects.exclude(code__startswith=scope.region_prefix).exists():
        qs = qs.filter(household__region__code__startswith=scope.region_prefix)
    held = PersonCategory.objects.held_on(scope.end).filter(category=scope.category)
    return qs.filter(person_id__in=held.values("person_id")).count()


def agricultural_population(scope: Scope) -> int | None:
    """The region's own figure (a county's official one is not its villages' sum)."""
    code = (scope.region_prefix or "").ljust(12, "0")
    region = Region.objects.filter(code=code).first() or Region.objects.filter(level="county").first()
    return region.agricultural_population if region else None


def _stay_and_cap(scope: Scope) -> tuple[int, int, int]:
    """(net inpatient stays counted, their net days, net settlements the annual cap cut), from the settlement
    facts (which keep each row's stay days and cap flag); with a category filter from the rows themselves."""
    try:
        qs = fact_rows(scope)
    except Untranslatable:
        return _raw_stay_and_cap(scope)
    row = qs.filter(episode_kind="inpatient").aggregate(
        stays=Sum("sign", filter=Q(stay_days__isnull=False)),
        days=Sum(ExpressionWrapper(F("sign") * F("stay_days"), output_field=BigIntegerField())),
        capped=Sum("sign", filter=Q(capped=True)))
    return int(row["stays"] or 0), int(row["days"] or 0), int(row["capped"] or 0)


def _raw_stay_and_cap(scope: Scope) -> tuple[int, int, int]:
    """_stay_and_cap() read row by row from the settlements (a stay's days and the cap flag, kept in the
    settlement's result, are not plain columns there)."""
    stays = days = capped = 0
    for src in sources(scope):
        rows = src.qs.filter(INPATIENT).annotate(_sign=src.row_sign).values_list(
            "_sign", "episode__admission_date", "episode__discharge_date", "result__basic_before_cap", "result__basic")
        for sign, admitted, discharged, before_cap, basic in rows:
            sign *= src.sign
            if discharged is not None:
                stays += sign
                days += sign * max((discharged - admitted).days, 1)
            if before_cap is not None and Decimal(str(before_cap)) > Decimal(str(basic)):
                capped += sign
    return stays, days, capped


def by_kind(scope: Scope, totals: dict[str, Totals] | None = None) -> list[dict]:
    """totals: each kind's net Totals when the caller has them already (indicators(keep=…) sums them)."""
    totals = net_by_kind(scope) if totals is None else totals
    return [_kind_row(key, label, totals[key]) for key, (label, _) in KINDS.items()]


def _kind_row(key: str, label: str, t: Totals) -> dict:
    paid = t.pooled + t.family_account
    return {"key": key, "label": label, "count": t.count, "benefit": t.benefit, "total_cost": t.total_cost,
            "reimbursed": paid, "cost_per_episode": average(t.total_cost, t.count),
            "reimbursed_per_episode": average(paid, t.count), "effective_ratio": percent(t.pooled, t.total_cost)}


def indicators(scope: Scope, keep: dict | None = None) -> list[Indicator]:
    """keep: a dict to receive the scope's net Totals ("all"), each kind of reimbursement's ("kinds", as
    net_by_kind gives them) and enrolled persons ("enrolled"), for a report that shows them again (year_summary's
    kinds and ledgers) without summing them a second time."""
    out: list[Indicator] = []

    def add(key, label, value, unit, group):
        out.append(Indicator(key, label, value, unit, group))

    people = enrolled(scope)
    population = agricultural_population(scope)
    # every net total of the scope in one query per source (net_many), the same figures as a net() call each
    wheres = {"all": None, "inpatient": INPATIENT, "out_county": KINDS["inpatient_out_of_county"][1],
              "family_account": ~Q(family_account=0), **{key: ~Q(**{key: 0}) for key, _ in LAYERS},
              **{f"kind:{key}": q for key, (_, q) in KINDS.items()}}
    totals = net_many(scope, wheres)
    all_, inpatient, out_county = totals["all"], totals["inpatient"], totals["out_county"]
    if keep is not None:
        keep.update({"all": all_, "enrolled": people, "kinds": {key: totals[f"kind:{key}"] for key in KINDS}})
    g = "参合与受益"
    add("enrolled", "参合人数", people, "人", g)
    add("agricultural_population", "农业人口", population, "人", g)
    add("enrollment_rate", "参合率", percent(people, population), "%", g)
    add("episodes", "结算人次", all_.count, "人次", g)
    add("benefit_episodes", "受益人次", all_.benefit, "人次", g)
    add("benefit_rate", "受益率", percent(all_.benefit, people), "%", g)
    g = "费用与补偿"
    paid = all_.pooled + all_.family_account
    add("total_cost", "医疗总费用", all_.total_cost, "元", g)
    add("reimbursed", "基本医疗补偿（统筹基金＋家庭账户）", paid, "元", g)
    # the ratios leave the family account out (the household's own money), as the engine's ratio does
    add("effective_ratio", "实际补偿比（统筹基金）", percent(all_.pooled, all_.total_cost), "%", g)
    add("in_policy_ratio", "政策范围内补偿比（统筹基金）", percent(all_.pooled, all_.eligible_cost), "%", g)
    add("out_of_policy_share", "政策范围外费用占比", percent(all_.total_cost - all_.eligible_cost, all_.total_cost), "%", g)
    add("all_layers_ratio", "各层合计实际补偿比（不含家庭账户）", percent(pooled_layers(all_), all_.total_cost), "%", g)
    g = "住院"
    stays, days, capped = _stay_and_cap(scope)
    last_year = net(scope.previous_year(), INPATIENT)
    add("admissions", "住院人次", inpatient.count, "人次", g)
    add("admission_rate", "住院率", percent(inpatient.count, people), "%", g)
    add("admissions_last_year", "上年同期住院人次", last_year.count, "人次", g)
    add("admissions_growth", "住院人次同比增长", percent(inpatient.count - last_year.count, last_year.count), "%", g)
    add("average_stay", "平均住院日", average(days, stays), "天", g)
    add("out_of_county_rate", "县外住院率", percent(out_county.count, inpatient.count), "%", g)
    add("referral_rate", "县外住院转诊率", percent(out_county.referred, out_county.count), "%", g)
    for t in THRESHOLDS:
        add(f"above_{t}", f"住院补偿超过 {t:,} 元", inpatient.above[t], "人次", g)
    add("at_cap", "住院补偿达封顶线", capped, "人次", g)
    g = "家庭账户"
    credited = fund.family_account_credited(scope.start, scope.end, scope.region_prefix)
    add("family_account_paid", "家庭账户支付", all_.family_account, "元", g)
    add("family_account_episodes", "家庭账户支付人次", totals["family_account"].count, "人次", g)
    add("family_account_credited", "本期划入家庭账户", credited, "元", g)
    add("family_account_use", "家庭账户使用率", percent(all_.family_account, credited), "%", g)
    g = "补充保障"
    for key, label in LAYERS:
        layer = totals[key]
        add(key, f"{label}支付", all_.amounts[key], "元", g)
        add(f"{key}_episodes", f"{label}受益人次", layer.count, "人次", g)
    poor = net(replace(scope, category=Category.REGISTERED_POOR), INPATIENT)
    add("poor_effective_ratio", "档卡户住院实际补偿比（各层合计）", poor_effective_ratio(poor), "%", g)
    add("poor_target", "档卡户实际补偿比目标", POOR_TARGET, "%", g)
    if _county_wide(scope):
        g = "基金"
        flow = fund.fund_flow(scope.start, scope.end)
        add("fund_income", "基金收入（缴费与财政补助）", flow.income, "元", g)
        add("fund_spending", "基金支出（补偿，扣除违规扣款）", flow.spending, "元", g)
        add("fund_utilisation", "基金使用率", percent(flow.spending, flow.income), "%", g)
        add("surplus", "本期结余", flow.income - flow.spending, "元", g)
        add("accumulated_surplus", "累计结余", flow.balance, "元", g)
    return out


def _county_wide(scope: Scope) -> bool:
    return len(scope.region_prefix) <= 6 and not (scope.facility_code or scope.facility_level or scope.category)


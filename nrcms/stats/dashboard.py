"""The director's dashboard (局长驾驶舱, issue #11): one function per panel, each returning plain data — money as
Decimal to the fen, counts as int, ratios as percentages to two places (ratios.py) — for the page, its charts
and GET /api/stats/dashboard. County-wide only: the fund is pooled county-wide (like the fund's monthly report).

Panels (definitions in docs/guide/dashboard.md):
  fund_by_month           income, spending and the balance at each month's end (the fund accounts of the ledger)
  utilisation             spending to date against the year's plan (expected income × planned share, FundPlan)
  settlements_by_day      settlements per day (desk and manual, reversals netted) and what the fund paid
  enrollment_by_township  enrolled persons ÷ agricultural population per township
  top_facilities          facilities by total cost of their settlements this year
  drug_share_alerts       facility-months whose drug share went above the plan's ceiling
  alerts                  spending running ahead of the calendar, facilities above the drug-share ceiling
Each panel is one or two GROUP BY queries over indexed date ranges (bench/bench_county_queries.py times them)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractMonth, Substr, TruncDate
from django.utils import timezone

from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.core.money import ZERO, round_amount
from nrcms.facilities.models import Facility
from nrcms.funding.ledger import fen_sum
from nrcms.funding.models import ContributionStandard, LedgerDaySummary
from nrcms.funding.summary import from_fen
from nrcms.registry import enrolled_counts
from nrcms.registry.models import Region, RegionLevel
from nrcms.web.params import year_param

from .facility_shares import desk_cost_and_drug_cost_by_month
from .fund import S_FUND, S_INCOME, S_SPENDING
from .models import (
    DEFAULT_AHEAD_MARGIN,
    DEFAULT_DRUG_SHARE_LIMIT,
    DEFAULT_PLANNED_SHARE,
    FundPlan,
)
from .ratios import percent
from .scope import Scope
from .sources import Untranslatable, fact_rows, net_by, sources

TOP_FACILITIES = 10


@dataclass(frozen=True)
class Period:
    """The dashboard's year, from 1 January to `until` (today in the current year, 31 December before)."""

    year: int
    start: dt.date
    until: dt.date
    region_prefix: str = ""  # a township account sees its residents' settlements; the fund is the county's

    @property
    def county(self) -> bool:
        return len(self.region_prefix) <= 6

    @property
    def elapsed_share(self) -> Decimal:
        """Share of the year's days gone by on `until` (inclusive), in %."""
        days = 366 if calendar.isleap(self.year) else 365
        return percent((self.until - self.start).days + 1, days)

    def scope(self) -> Scope:
        return Scope(start=self.start, end=self.until, region_prefix=self.region_prefix)


def period_of(year: int, today: dt.date, region_prefix: str = "") -> Period:
    if year > today.year:
        raise NrcmsError("invalid", f"年度 {year} 尚未开始，驾驶舱只能查看今年（{today.year}）及以前的年度", field="year")
    start = dt.date(year, 1, 1)
    return Period(year, start, min(today, dt.date(year, 12, 31)), region_prefix)


@dataclass(frozen=True)
class PlanSettings:
    planned_share: Decimal
    ahead_margin: Decimal
    drug_share_limit: Decimal
    is_default: bool
    authority: str = ""


def plan_settings(year: int) -> PlanSettings:
    plan = FundPlan.objects.filter(scheme_year=year).first()
    if plan is None:
        return PlanSettings(DEFAULT_PLANNED_SHARE, DEFAULT_AHEAD_MARGIN, DEFAULT_DRUG_SHARE_LIMIT, True)
    return PlanSettings(plan.planned_share, plan.ahead_margin, plan.drug_share_limit, False, plan.authority)


def fund_by_month(p: Period) -> list[dict]:
    """Month by month up to `until`: income and spending of the fund accounts (as stats.fund.fund_flow defines
    them) and the fund accounts' balance at the month's end (or on `until` for its month). One grouped query on
    the ledger's day summary (funding.LedgerDaySummary), the days before the year grouped as month 0."""
    # one pass over the fund accounts' day summary up to `until`: the days before the year fall in bucket 0 (the
    # opening balance)
    bucket = Case(When(day__lt=p.start, then=Value(0)), default=ExtractMonth("day"), output_field=IntegerField())
    rows = (LedgerDaySummary.objects.filter(S_FUND & Q(day__lte=p.until)).annotate(month=bucket).values("month")
            .annotate(ic=Sum("credit_fen", filter=S_INCOME), id=Sum("debit_fen", filter=S_INCOME),
                      sd=Sum("debit_fen", filter=S_SPENDING), sc=Sum("credit_fen", filter=S_SPENDING),
                      c=Sum("credit_fen"), d=Sum("debit_fen")).order_by("month"))
    by_month = {r["month"]: r for r in rows}
    opening = by_month.get(0, {})
    balance = from_fen(opening.get("c")) - from_fen(opening.get("d"))
    out = []
    for month in range(1, p.until.month + 1):
        r = by_month.get(month, {})
        balance += from_fen(r.get("c")) - from_fen(r.get("d"))
        out.append({"month": month, "income": from_fen(r.get("ic")) - from_fen(r.get("id")),
                    "spending": from_fen(r.get("sd")) - from_fen(r.get("sc")), "balance": balance})
    return out


def expected_income(year: int) -> dict:
    """The year's expected income: enrolled persons × the year's standard per person (personal contribution and
    the three subsidies; the latest standard of the year). None where no standard is set."""
    enrolled = enrolled_counts.county(year)
    standard = ContributionStandard.objects.filter(scheme_year=year).order_by("-effective_from").first()
    per_person = standard.total_per_person if standard else None
    income = round_amount(per_person * enrolled) if per_person is not None else None
    return {"enrolled": enrolled, "per_person": per_person, "expected_income": income}


def utilisation(p: Period, months: list[dict] | None = None, settings: PlanSettings | None = None) -> dict:
    """Spending to date against the year's plan (expected income × planned share), and whether it runs ahead of
    the calendar: utilisation above the elapsed share of the year by more than the plan's margin."""
    settings = settings or plan_settings(p.year)
    months = fund_by_month(p) if months is None else months
    spending = sum((m["spending"] for m in months), ZERO)
    income = expected_income(p.year)
    plan = (round_amount(income["expected_income"] * settings.planned_share / 100)
            if income["expected_income"] is not None else None)
    used = percent(spending, plan)
    elapsed = p.elapsed_share
    ahead = used is not None and used - elapsed > settings.ahead_margin
    return {**income, "planned_share": settings.planned_share, "plan": plan, "spending": spending,
            "utilisation": used, "elapsed_share": elapsed, "ahead_margin": settings.ahead_margin,
            "running_ahead": ahead, "plan_is_default": settings.is_default, "authority": settings.authority}


def settlements_by_day(p: Period) -> list[dict]:
    """Per day with any settlement: net person-times (a reversal takes one back on its own day) and the net
    amount the fund layers paid (fund_total), desk settlements and manual claims together."""
    try:
        rows = fact_rows(p.scope()).values("day").annotate(n=Sum("sign"), paid=Sum("fund_total_fen"))
    except Untranslatable:  # a scope the settlement facts cannot answer: the settlement rows themselves
        return _raw_settlements_by_day(p)
    return [{"day": r["day"], "count": int(r["n"] or 0), "fund_total": from_fen(r["paid"])}
            for r in sorted(rows, key=lambda r: r["day"])]


def _raw_settlements_by_day(p: Period) -> list[dict]:
    days: dict[dt.date, dict] = {}
    for src in sources(p.scope()):
        rows = (src.qs.annotate(day=TruncDate(src.date_field)).values("day")
                .annotate(n=Sum(src.row_sign), paid=Sum("fund_total")))
        for r in rows:
            d = days.setdefault(r["day"], {"day": r["day"], "count": 0, "fund_total": ZERO})
            d["count"] += src.sign * (r["n"] or 0)
            d["fund_total"] += src.sign * fen_sum(r["paid"])
    return [days[k] for k in sorted(days)]


def enrollment_by_township(year: int, region_prefix: str = "") -> list[dict]:
    """Per township (of the region): its villages' agricultural population, the persons enrolled for the year
    in households of its villages, and the enrollment rate (参合率)."""
    # the kept summary per household region (registry.EnrolledCount), gathered to townships here
    enrolled: dict[str, int] = {}
    for code, n in enrolled_counts.by_region(year, region_prefix).items():
        enrolled[code[:9]] = enrolled.get(code[:9], 0) + n
    population = dict(Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=region_prefix)
                      .annotate(t=Substr("code", 1, 9)).values("t").annotate(n=Sum("agricultural_population"))
                      .values_list("t", "n").order_by())
    out = []
    for town in Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=region_prefix).order_by("code"):
        key = town.code[:9]
        pop, n = population.get(key) or 0, enrolled.get(key, 0)
        out.append({"code": town.code, "name": town.name, "population": pop, "enrolled": n,
                    "rate": percent(n, pop)})
    return out


def top_facilities(p: Period, limit: int = TOP_FACILITIES) -> list[dict]:
    """The facilities with the highest total cost of the year's settlements (reversals netted), with what the
    fund paid them and the average cost per settlement; a facility whose settlements were all reversed drops out."""
    totals = net_by(p.scope(), "episode__facility__code")
    ranked = sorted(((c, t) for c, t in totals.items() if t.count or t.total_cost),
                    key=lambda kv: (-kv[1].total_cost, kv[0]))[:limit]
    names = {f.code: f for f in Facility.objects.filter(code__in=[c for c, _ in ranked])}
    return [{"code": code, "name": names[code].name if code in names else code,
             "level": names[code].get_level_display() if code in names else "", "count": t.count,
             "total_cost": t.total_cost, "fund_total": t.fund_total,
             "cost_per_episode": round_amount(t.total_cost / t.count) if t.count else None}
            for code, t in ranked]


def drug_share_alerts(p: Period, limit: Decimal) -> list[dict]:
    """Facility-months of the year whose drug share (drug cost ÷ total cost of the desk settlements settled that
    month, reversals netted) is above `limit` %. Manual claims carry no items, so they have no drug share."""
    totals, drugs = desk_cost_and_drug_cost_by_month(p.scope())
    names = dict(Facility.objects.filter(code__in={c for c, _ in totals}).values_list("code", "name"))
    out = []
    for (code, m), drug in sorted(drugs.items()):
        total = totals.get((code, m), ZERO)
        share = percent(drug, total) if total > 0 else None  # a month of reversals only has no share
        if share is not None and share > limit:
            out.append({"code": code, "name": names.get(code, code), "month": m, "drug_cost": drug,
                        "total_cost": totals[(code, m)], "drug_share": share, "limit": limit})
    return out


def alerts(p: Period, used: dict, drugs: list[dict]) -> list[dict]:
    out = []
    if used["plan"] is None:
        out.append({"kind": "no_plan", "level": "info",
                    "message": f"{p.year} 年度尚未设定筹资标准或没有参合人员，无法计算年度支出计划"})
    elif used["running_ahead"]:
        out.append({"kind": "fund_ahead", "level": "danger", "message": (
            f"基金支出进度超前：截至 {p.until:%Y-%m-%d} 已支出年度计划的 {used['utilisation']}%，"
            f"时间进度 {used['elapsed_share']}%，超出 {used['utilisation'] - used['elapsed_share']} 个百分点"
            f"（预警幅度 {used['ahead_margin']} 个百分点）")})
    for d in drugs:
        out.append({"kind": "drug_share", "level": "warning", "message": (
            f"{d['name']} {p.year} 年 {d['month']} 月药占比 {d['drug_share']}%，超过上限 {d['limit']}%"),
            "facility": d["code"], "month": d["month"]})
    return out


def headline(today: dt.date) -> dict:
    """What the director's home page shows of the dashboard: this year's alerts and the plan's utilisation."""
    p = period_of(today.year, today)
    settings = plan_settings(p.year)
    used = utilisation(p, settings=settings)
    return {"year": p.year, "utilisation": used,
            "alerts": alerts(p, used, drug_share_alerts(p, settings.drug_share_limit))}


def dashboard(year: int, today: dt.date, region_prefix: str = "") -> dict:
    """Every panel of the dashboard for `year`, as of `today`. An account below the county sees the panels of
    its residents (settlements, enrollment); the fund's panels and the facilities' drug shares are county-wide
    and left out (None) for it."""
    p = period_of(year, today, region_prefix)
    settings = plan_settings(year)
    months = used = drugs = None
    warnings: list[dict] = []
    if p.county:
        months = fund_by_month(p)
        used = utilisation(p, months, settings)
        drugs = drug_share_alerts(p, settings.drug_share_limit)
        warnings = alerts(p, used, drugs)
    return {"year": year, "start": p.start, "until": p.until, "county": p.county, "fund_by_month": months,
            "utilisation": used, "settlements_by_day": settlements_by_day(p),
            "enrollment_by_township": enrollment_by_township(year, region_prefix), "top_facilities": top_facilities(p),
            "drug_share_alerts": drugs, "drug_share_limit": settings.drug_share_limit, "alerts": warnings}


def dashboard_for(actor, data) -> dict:
    """The dashboard a user asked for (`year` in data, default this year), within their jurisdiction: the page's
    and the API's one door."""
    from nrcms.accounts.roles import Cap
    from nrcms.accounts.selectors import jurisdiction_of

    if not actor.can(Cap.REPORTS_VIEW):
        raise Forbidden("您的角色无权查看统计报表")
    j = jurisdiction_of(actor)
    if j.region_prefix is None:
        raise Forbidden("驾驶舱按行政区划查看，您的账号未绑定行政区划")
    today = timezone.localdate()
    return dashboard(year_param(data, default=today.year), today, j.region_prefix)

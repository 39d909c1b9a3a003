"""Statistics over the API: the indicators, the three-level ledgers and the three reports, with the same scope
(period, region, facility level, facility, category) and the same refusals as the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS
from nrcms.api.choices import coded_query
from nrcms.core.errors import Forbidden
from nrcms.facilities.models import FacilityLevel
from nrcms.registry.models import Category

from .dashboard import dashboard_for
from .facility_shares import facility_rows
from .indicators import by_kind, indicators
from .ledgers import ledgers
from .reports import report_build
from .scope import Scope, scope_from

router = Router(tags=["统计报表"], auth=requires(Cap.REPORTS_VIEW))
PERIOD = {
    "year": Query("", description="年度，如 2026（默认今年）"),
    "month": Query("", description="月份 1–12（与季度二选一）"),
    "quarter": Query("", description="季度 1–4"),
    "start": Query("", description="起始日期 YYYY-MM-DD（与截止日期一起给出时按日期范围统计）"),
    "end": Query("", description="截止日期 YYYY-MM-DD"),
    "region": Query("", description="县、乡镇或行政村的区划代码（患者户籍所在地；默认本辖区）"),
}


class StatsScopeOut(Schema):
    start: str
    end: str
    label: str
    region_prefix: str
    region_name: str


class StatsIndicatorOut(Schema):
    key: str
    label: str
    value: int | Decimal | None
    unit: str
    group: str


class StatsKindOut(Schema):
    key: str
    label: str
    count: int
    benefit: int
    total_cost: Decimal
    reimbursed: Decimal
    cost_per_episode: Decimal | None
    reimbursed_per_episode: Decimal | None
    effective_ratio: Decimal | None


class StatsFacilityShareOut(Schema):
    code: str
    name: str
    level_label: str
    count: int
    total_cost: Decimal
    drug_cost: Decimal | None
    drug_share: Decimal | None
    out_of_policy: Decimal
    out_of_policy_share: Decimal | None


class StatsIndicatorsOut(Schema):
    scope: StatsScopeOut
    indicators: list[StatsIndicatorOut]
    by_kind: list[StatsKindOut]
    facilities: list[StatsFacilityShareOut]


class StatsLedgerRowOut(Schema):
    code: str
    name: str
    enrolled: int
    count: int
    benefit: int
    total_cost: Decimal
    reimbursed: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    fund_total: Decimal
    self_pay: Decimal


class StatsTownshipLedgerOut(StatsLedgerRowOut):
    villages: list[StatsLedgerRowOut]


class StatsLedgersOut(Schema):
    scope: StatsScopeOut
    agree: bool
    mismatches: list[str]
    county: StatsLedgerRowOut
    townships: list[StatsTownshipLedgerOut]


class StatsReportTableOut(Schema):
    caption: str
    headers: list[str]
    rows: list[list[int | Decimal | str | None]]


class StatsReportOut(Schema):
    name: str
    title: str
    subtitle: str
    tables: list[StatsReportTableOut]


def _scope(request, params: dict) -> Scope:
    if not request.user.can(Cap.REPORTS_VIEW):
        raise Forbidden("您的角色无权查看统计报表")
    return scope_from({k: v for k, v in params.items() if v is not None}, actor=request.user)


def _scope_out(s: Scope) -> dict:
    return {"start": s.start.isoformat(), "end": s.end.isoformat(), "label": s.label, "region_prefix": s.region_prefix,
            "region_name": s.region_name}


@router.get("/indicators", response={200: StatsIndicatorsOut, **ERRORS},
            summary="统计指标：参合率、受益、费用与补偿、住院、家庭账户、补充保障、基金（口径见用户手册 statistics.md）")
def stats_indicators(request, year: str = PERIOD["year"], month: str = PERIOD["month"],
                     quarter: str = PERIOD["quarter"], start: str = PERIOD["start"], end: str = PERIOD["end"],
                     region: str = PERIOD["region"],
                     facility_level: coded_query(FacilityLevel, description="机构级别") = "",
                     facility: str = Query("", description="医疗机构编码"),
                     category: coded_query(Category, description="人员类别（按入院日所属类别）") = ""):
    scope = _scope(request, {"year": year, "month": month, "quarter": quarter, "start": start, "end": end,
                             "region": region, "facility_level": facility_level, "facility": facility,
                             "category": category})
    return {"scope": _scope_out(scope),
            "indicators": [i.__dict__ for i in indicators(scope)],
            "by_kind": by_kind(scope),
            "facilities": [{**r, "level_label": r["level"]} for r in facility_rows(scope)]}


@router.get("/ledgers", response={200: StatsLedgersOut, **ERRORS},
            summary="三级台账：县、乡镇、行政村分别汇总并核对一致（精确到分）")
def stats_ledgers(request, year: str = PERIOD["year"], month: str = PERIOD["month"],
                  quarter: str = PERIOD["quarter"], start: str = PERIOD["start"], end: str = PERIOD["end"],
                  region: str = PERIOD["region"]):
    scope = _scope(request, {"year": year, "month": month, "quarter": quarter, "start": start, "end": end,
                             "region": region})
    led = ledgers(scope)
    return {"scope": _scope_out(scope), "agree": led.agree, "mismatches": led.mismatches, "county": led.county,
            "townships": [{**t, "villages": led.villages.get(t["code"], [])} for t in led.townships]}


def _report(request, name: str, params: dict) -> dict:
    report = report_build(name, _scope(request, params))
    return {"name": report.name, "title": report.title, "subtitle": report.subtitle,
            "tables": [{"caption": t.caption, "headers": t.headers, "rows": t.rows} for t in report.tables]}


@router.get("/reports/fund-monthly", response={200: StatsReportOut, **ERRORS},
            summary="基金收支月报：基金专户收入、支出、余额；基金结余（全县）")
def stats_fund_monthly(request, year: str = PERIOD["year"], month: str = Query(..., description="月份 1–12")):
    return _report(request, "fund-monthly", {"year": year, "month": month})


@router.get("/reports/reimbursement-monthly", response={200: StatsReportOut, **ERRORS},
            summary="补偿情况月报：按乡镇、按定点医疗机构、按补偿类别")
def stats_reimbursement_monthly(request, year: str = PERIOD["year"], month: str = Query(..., description="月份 1–12"),
                                region: str = PERIOD["region"]):
    return _report(request, "reimbursement-monthly", {"year": year, "month": month, "region": region})


@router.get("/reports/year-summary", response={200: StatsReportOut, **ERRORS},
            summary="年度汇总：主要指标、按补偿类别、按乡镇、机构药占比")
def stats_year_summary(request, year: str = PERIOD["year"], region: str = PERIOD["region"]):
    return _report(request, "year-summary", {"year": year, "region": region})


class StatsDashMonthOut(Schema):
    month: int
    income: Decimal
    spending: Decimal
    balance: Decimal


class StatsDashUtilisationOut(Schema):
    enrolled: int
    per_person: Decimal | None
    expected_income: Decimal | None
    planned_share: Decimal
    plan: Decimal | None
    spending: Decimal
    utilisation: Decimal | None
    elapsed_share: Decimal
    ahead_margin: Decimal
    running_ahead: bool
    plan_is_default: bool
    authority: str


class StatsDashDayOut(Schema):
    day: str
    count: int
    fund_total: Decimal


class StatsDashTownshipOut(Schema):
    code: str
    name: str
    population: int
    enrolled: int
    rate: Decimal | None


class StatsDashFacilityOut(Schema):
    code: str
    name: str
    level: Literal[tuple(["", *FacilityLevel.labels])] = Field(description="机构级别（中文名称）")
    count: int
    total_cost: Decimal
    fund_total: Decimal
    cost_per_episode: Decimal | None


class StatsDashDrugShareOut(Schema):
    code: str
    name: str
    month: int
    drug_cost: Decimal
    total_cost: Decimal
    drug_share: Decimal
    limit: Decimal


class StatsDashAlertOut(Schema):
    kind: Literal["no_plan", "fund_ahead", "drug_share"] = Field(
        description="预警类别。可选值：no_plan = 未设置筹资标准或计划；fund_ahead = 基金支出快于时间进度；drug_share = 机构药占比超过上限")
    level: Literal["info", "warning", "danger"] = Field(description="严重程度。可选值：info = 提示；warning = 警告；danger = 严重")
    message: str


class StatsDashboardOut(Schema):
    year: int
    start: str
    until: str
    county: bool
    fund_by_month: list[StatsDashMonthOut] | None
    utilisation: StatsDashUtilisationOut | None
    settlements_by_day: list[StatsDashDayOut]
    enrollment_by_township: list[StatsDashTownshipOut]
    top_facilities: list[StatsDashFacilityOut]
    drug_share_alerts: list[StatsDashDrugShareOut] | None
    drug_share_limit: Decimal
    alerts: list[StatsDashAlertOut]


@router.get("/dashboard", response={200: StatsDashboardOut, **ERRORS},
            summary="局长驾驶舱：基金按月收支与结余、年度计划执行进度、每日结算、各乡镇参合率、费用居前的机构、预警")
def stats_dashboard(request, year: str = PERIOD["year"]):
    data = dashboard_for(request.user, {"year": year})
    return {**data, "start": data["start"].isoformat(), "until": data["until"].isoformat(),
            "settlements_by_day": [{**d, "day": d["day"].isoformat()} for d in data["settlements_by_day"]]}

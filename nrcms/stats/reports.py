"""The reports a county office files, as data (title, tables of Chinese headers and rows) that the page, the
Excel workbook, the PDF, the API and `nrcms report` all render the same way:
  fund-monthly           基金收支月报: the special account's income, spending and balance; the fund's balance
  reimbursement-monthly  补偿情况月报: by township, by facility and by kind of reimbursement
  year-summary           年度汇总: the year's indicators, by kind, by township and per facility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from nrcms.core.errors import Forbidden
from nrcms.core.money import ZERO, format_yuan
from nrcms.facilities.models import Facility

from . import fund
from .facility_shares import facility_rows
from .indicators import by_kind, indicators
from .ledgers import ledgers
from .ratios import percent
from .scope import Scope
from .sources import KIND_KEY, KINDS, Totals, net_by

REPORTS = {"fund-monthly": "基金收支月报", "reimbursement-monthly": "补偿情况月报", "year-summary": "年度汇总"}
MONTHLY = ("fund-monthly", "reimbursement-monthly")


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)

    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """The cells as a page or a PDF shows them, each with whether it is a number (right-aligned): amounts
        1,234.50 (a column headed “（元）”, or an indicator whose unit is 元), undefined ratios “—”."""
        money = {i for i, h in enumerate(self.headers) if h.endswith("（元）")}
        out = []
        for row in self.rows:
            unit_is_yuan = row[-1] == "元"
            out.append([(_cell(v, i in money or (unit_is_yuan and isinstance(v, Decimal))),
                         v is None or v == "—" or isinstance(v, Decimal | int)) for i, v in enumerate(row)])
        return out

    @property
    def numeric_headers(self) -> list[tuple[str, bool]]:
        """Each header with whether its column holds numbers (taken from the first row)."""
        first = self.rows[0] if self.rows else []
        return [(h, i < len(first) and (first[i] is None or first[i] == "—" or isinstance(first[i], Decimal | int)))
                for i, h in enumerate(self.headers)]


def _cell(value, money: bool) -> str:
    if value is None:
        return "—"
    if money and isinstance(value, Decimal | int):
        return format_yuan(value)
    return str(value)


@dataclass
class Report:
    name: str
    title: str
    subtitle: str
    tables: list[Table]


LAYER_HEADERS = ["结算人次", "医疗总费用（元）", "基本医疗补偿（元）", "大病保险（元）", "医疗救助（元）", "兜底保障（元）",
                 "基金支付合计（元）", "各层合计实际补偿比（%）"]


def _layer_cells(t) -> list:
    return [t.count, t.total_cost, t.pooled + t.family_account, t.catastrophic, t.assistance, t.safety_net,
            t.fund_total, percent(t.fund_total - t.family_account, t.total_cost)]


def _with_total(rows: list[list], label_columns: int, family_account) -> list[list]:
    """A 合计 row summing every column but the labels and the last (a ratio, recomputed without the rows'
    family-account payments, `family_account` in all)."""
    if not rows:
        return rows
    sums = [sum((r[i] for r in rows), 0 if isinstance(rows[0][i], int) else ZERO)
            for i in range(label_columns, len(rows[0]) - 1)]
    total_cost, fund_total = sums[1], sums[-1]
    return [*rows, ["合计", *[""] * (label_columns - 1), *sums, percent(fund_total - family_account, total_cost)]]


def fund_monthly(scope: Scope) -> Report:
    if len(scope.region_prefix) > 6:
        raise Forbidden("基金收支月报按全县统筹编制，不分乡镇、村；只有县级账号可以查看")
    start, end = scope.start, scope.end
    year_start = dt.date(start.year, 1, 1)
    bank = fund.bank_month(start, end)  # the special account's month, year to date and balances: one query
    month, ytd = bank.month, bank.ytd

    def moved(lines, kinds, side):
        return sum((lines.get(k, (ZERO, ZERO))[side] - lines.get(k, (ZERO, ZERO))[1 - side] for k in kinds), ZERO)

    income_kinds = ("contribution", "contribution_reversal")
    spend = (("拨付定点医疗机构", ("facility_disbursement",)), ("手工报销支付给患者", ("manual_claim", "manual_claim_reversal")))
    known = set(income_kinds) | {"subsidy_received"} | {k for _, ks in spend for k in ks}
    subsidy_m, subsidy_y = fund.subsidy_received_by_level(start, end), fund.subsidy_received_by_level(year_start, end)
    rows = [["上期末余额", bank.before_month, bank.before_year],
            ["收入：个人缴费（扣除冲销）", moved(month, income_kinds, 0), moved(ytd, income_kinds, 0)]]
    for code, label in (("1201", "中央"), ("1202", "省级"), ("1203", "县级")):
        rows.append([f"收入：{label}财政补助到账", subsidy_m.get(code, ZERO), subsidy_y.get(code, ZERO)])
    other = [k for k in set(month) | set(ytd) if k not in known]
    rows.append(["收入：其他", moved(month, other, 0) if other else ZERO, moved(ytd, other, 0) if other else ZERO])
    for label, kinds in spend:
        rows.append([f"支出：{label}", moved(month, kinds, 1), moved(ytd, kinds, 1)])
    closing = fund.closing_balances(end)  # the balances on `end`: one query, each shown in both columns
    rows.append(["本期末余额", bank.closing, bank.closing])
    flow, flow_y = fund.fund_flows([start, year_start], end)
    fund_rows = [["基金收入（缴费与财政补助应收）", flow.income, flow_y.income],
                 ["基金支出（补偿，扣除违规扣款）", flow.spending, flow_y.spending],
                 ["本期结余", flow.income - flow.spending, flow_y.income - flow_y.spending],
                 ["累计结余（统筹基金、家庭账户、风险基金）", flow.balance, flow.balance],
                 ["其中：家庭账户余额", closing["family"], closing["family"]],
                 ["应付定点医疗机构余额", closing["payable"], closing["payable"]],
                 ["应收大病保险、医疗救助、兜底资金", closing["receivable"], closing["receivable"]]]
    heads = ["项目", "本期（元）", "本年累计（元）"]
    return Report("fund-monthly", "新型农村合作医疗基金收支月报", f"{scope.region_name}　{scope.label}",
                  [Table("基金专户（银行存款）收支", heads, rows), Table("基金收支与结余", heads, fund_rows)])


def reimbursement_monthly(scope: Scope) -> Report:
    by_kind_key = net_by(scope, KIND_KEY)  # every settlement in scope under its kind (KINDS cover them all)
    county = Totals()
    for t in by_kind_key.values():
        county.add(t)
    # the county row from the kinds' query, still a query of its own beside the villages' and townships'
    led = ledgers(scope, county=county)
    townships = [[r["name"], *_layer_cells_row(r)] for r in led.townships]
    facilities = net_by(scope, "episode__facility__code")
    names = {f.code: f for f in Facility.objects.filter(code__in=facilities)}
    frows = [[names[c].name if c in names else c, names[c].get_level_display() if c in names else "",
              *_layer_cells(facilities[c])] for c in sorted(facilities)]
    kinds = [[label, *_layer_cells(by_kind_key.get(key, Totals()))] for key, (label, _) in KINDS.items()]
    family = county.family_account  # the three tables cover the same settlements
    return Report("reimbursement-monthly", "新型农村合作医疗补偿情况月报", f"{scope.region_name}　{scope.label}", [
        Table("按乡镇（患者户籍所在地）", ["乡镇", *LAYER_HEADERS], _with_total(townships, 1, family)),
        Table("按定点医疗机构", ["医疗机构", "机构级别", *LAYER_HEADERS], _with_total(frows, 2, family)),
        Table("按补偿类别", ["补偿类别", *LAYER_HEADERS], _with_total(kinds, 1, family))])


def _layer_cells_row(r: dict) -> list:
    return [r["count"], r["total_cost"], r["reimbursed"], r["catastrophic"], r["assistance"], r["safety_net"],
            r["fund_total"], percent(r["fund_total"] - r["family_account"], r["total_cost"])]


def _shown(value):
    """An undefined ratio or average (a zero denominator) as the pages show it."""
    return "—" if value is None else value


def year_summary(scope: Scope) -> Report:
    kept: dict = {}
    items = indicators(scope, keep=kept)
    rows = [[i.group, i.label, _shown(i.value), i.unit] for i in items]
    kinds = [[k["label"], k["count"], k["total_cost"], k["reimbursed"], _shown(k["cost_per_episode"]),
              _shown(k["reimbursed_per_episode"]), _shown(k["effective_ratio"])] for k in by_kind(scope, kept["kinds"])]
    # the county row: the indicators' own totals and enrolled persons (one query each), not summed again; the
    # summary shows the townships only, so the villages are not summed (the ledger page checks them)
    led = ledgers(scope, county=kept["all"], county_people=kept["enrolled"], villages=False)
    towns = [[r["name"], r["enrolled"], *_layer_cells_row(r)] for r in led.townships]
    shares = [[r["name"], r["level"], r["count"], r["total_cost"], _shown(r["drug_share"]),
               _shown(r["out_of_policy_share"])] for r in facility_rows(scope)]
    return Report("year-summary", "新型农村合作医疗年度汇总", f"{scope.region_name}　{scope.label}", [
        Table("主要指标", ["类别", "指标", "数值", "单位"], rows),
        Table("按补偿类别", ["补偿类别", "结算人次", "医疗总费用（元）", "基本医疗补偿（元）", "次均费用（元）", "次均补偿（元）",
                         "实际补偿比（%）"], kinds),
        Table("按乡镇", ["乡镇", "参合人数", *LAYER_HEADERS], towns),
        Table("定点医疗机构药占比与政策范围外费用占比", ["医疗机构", "机构级别", "结算人次", "医疗总费用（元）", "药占比（%）",
                                        "政策范围外费用占比（%）"], shares)])


def report_build(name: str, scope: Scope) -> Report:
    return {"fund-monthly": fund_monthly, "reimbursement-monthly": reimbursement_monthly,
            "year-summary": year_summary}[name](scope)


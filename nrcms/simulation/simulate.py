"""Replay a year of episodes under one or more schemes side by side, and project the fund forward.

Every amount is integer fen (Python int, exact); a ratio is a Decimal to four places, half up. The first
scheme is the baseline: who gains and who loses is each person's out-of-pocket change against it.

Which money is whose. The NRCMS fund (新农合基金) pays the basic inpatient reimbursement, fixed-fee packages,
fixed subsidies, outpatient pooling, chronic-disease payments and the family account; catastrophic insurance
(大病保险), medical assistance (医疗救助) and the safety net (兜底) are paid from their own funds. The fund balance
is the year's income less what the NRCMS fund paid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from nrcms.policy.scheme import Scheme

from .engine import settle_columns
from .errors import SimulationError

NRCMS_LAYERS = ("basic", "fixed_fee", "subsidy", "outpatient_pooling", "chronic", "family_account")
OTHER_LAYERS = ("catastrophic", "assistance", "safety_net")
LAYER_LABELS = {"basic": "住院基本补偿", "fixed_fee": "单病种定额", "subsidy": "定额补助", "outpatient_pooling": "门诊统筹",
                "chronic": "门诊慢性病", "family_account": "家庭账户", "catastrophic": "大病保险", "assistance": "医疗救助",
                "safety_net": "兜底保障"}
KIND_LABELS = {"inpatient": "住院", "outpatient": "门诊"}
LEVEL_LABELS = {"village": "村卫生室", "township": "乡镇卫生院", "county": "县级医院", "prefecture": "市级医院",
                "province": "省级医院"}
CATEGORY_LABELS = {"wubao": "五保户", "tekun": "特困供养", "dibao": "低保", "registered_poor": "建档立卡贫困户",
                   "disabled": "残疾人", "martyr_family": "优抚对象", "": "一般参合人员"}
# A person's cost band by the year's total medical cost (fen): [lower, upper).
COST_BANDS = ((0, 1_000_00, "1000 元以下"), (1_000_00, 5_000_00, "1000–5000 元"), (5_000_00, 20_000_00, "5000–2 万元"),
              (20_000_00, 50_000_00, "2 万–5 万元"), (50_000_00, None, "5 万元以上"))
POOR_TARGET = Decimal("0.90")
RATIO = Decimal("0.0001")


def ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP) if whole else Decimal("0.0000")


@dataclass
class SchemeOutcome:
    """One scheme's year: totals in fen, ratios, breakdowns."""

    label: str
    version: str
    episodes: int
    total_cost: int
    eligible: int
    layers: dict[str, int]
    nrcms_fund: int
    fund_total: int
    self_pay: int
    facility_borne: int
    refused: int
    beneficiaries: int
    by_kind: dict[str, dict[str, int]]
    by_level: dict[str, dict[str, int]]
    effective_ratio: Decimal
    in_policy_ratio: Decimal
    poor: dict
    income: int | None = None
    balance: int | None = None
    surplus_rate: Decimal | None = None
    gains: dict = field(default_factory=dict)  # {"by_category": [...], "by_band": [...]} against the baseline


def _sums(frame: pl.DataFrame, by: str) -> dict[str, dict[str, int]]:
    grouped = frame.group_by(by).agg(pl.len().alias("episodes"), pl.col("total").sum().alias("total_cost"),
                                     pl.col("fund_total").sum(), pl.col("nrcms").sum(), pl.col("self_pay").sum())
    return {row[by]: {k: int(v) for k, v in row.items() if k != by} for row in grouped.sort(by).iter_rows(named=True)}


def outcome(df: pl.DataFrame, result: pl.DataFrame, scheme: Scheme, label: str, income: int | None) -> SchemeOutcome:
    joined = pl.concat([df.select("person_id", "kind", "facility_level", "categories", "total"), result], how="horizontal")
    joined = joined.with_columns(nrcms=sum(pl.col(n) for n in NRCMS_LAYERS))
    sums = {name: int(joined[name].sum()) for name in (*NRCMS_LAYERS, *OTHER_LAYERS, "eligible", "fund_total",
                                                          "self_pay", "facility_borne", "total", "nrcms")}
    paid = joined.filter(pl.col("fund_total") > 0)
    poor = joined.filter(pl.col("categories").str.contains(r"(^|,)registered_poor(,|$)") & (pl.col("kind") == "inpatient")
                         & ~pl.col("refused"))
    poor_fund, poor_eligible, poor_total = (int(poor[c].sum()) for c in ("fund_total", "eligible", "total"))
    in_policy = ratio(poor_fund, poor_eligible)
    out = SchemeOutcome(
        label=label, version=scheme.version, episodes=df.height, total_cost=sums["total"], eligible=sums["eligible"],
        layers={name: sums[name] for name in (*NRCMS_LAYERS, *OTHER_LAYERS)}, nrcms_fund=sums["nrcms"],
        fund_total=sums["fund_total"], self_pay=sums["self_pay"], facility_borne=sums["facility_borne"],
        refused=int(joined["refused"].sum()), beneficiaries=paid["person_id"].n_unique(),
        by_kind=_sums(joined, "kind"), by_level=_sums(joined, "facility_level"),
        effective_ratio=ratio(sums["fund_total"], sums["total"]), in_policy_ratio=ratio(sums["fund_total"], sums["eligible"]),
        poor={"persons": poor["person_id"].n_unique(), "episodes": poor.height, "total_cost": poor_total,
              "eligible": poor_eligible, "fund_total": poor_fund, "in_policy_ratio": in_policy,
              "effective_ratio": ratio(poor_fund, poor_total), "target": POOR_TARGET,
              "meets_target": bool(poor.height) and in_policy >= POOR_TARGET})
    if income is not None:
        out.income = income
        out.balance = income - sums["nrcms"]
        out.surplus_rate = ratio(out.balance, income)
    return out


def _band(total: pl.Expr) -> pl.Expr:
    expr = pl.lit(COST_BANDS[-1][2])
    for lower, upper, label in reversed(COST_BANDS[:-1]):
        expr = pl.when((total >= lower) & (total < upper)).then(pl.lit(label)).otherwise(expr)
    return expr


def gains_and_losses(df: pl.DataFrame, baseline: pl.DataFrame, other: pl.DataFrame) -> dict:
    """Per person, the year's out-of-pocket (self_pay) under `other` less under `baseline`; summed by identity
    category (a person in several counts in each; no category: 一般参合人员) and by the person's cost band."""
    people = pl.DataFrame({"person_id": df["person_id"], "categories": df["categories"], "total": df["total"],
                           "change": other["self_pay"] - baseline["self_pay"]})
    people = people.group_by("person_id").agg(pl.col("categories").first(), pl.col("total").sum(), pl.col("change").sum())
    people = people.with_columns(band=_band(pl.col("total")),
                                 category=pl.col("categories").str.split(",").list.eval(pl.element()))

    def table(frame: pl.DataFrame, key: str, order: list[str], labels: dict[str, str]) -> list[dict]:
        grouped = frame.group_by(key).agg(
            pl.len().alias("persons"), (pl.col("change") < 0).sum().alias("gainers"),
            (pl.col("change") > 0).sum().alias("losers"), pl.col("change").sum().alias("change"))
        rows = {r[key]: r for r in grouped.iter_rows(named=True)}
        return [{"key": k, "label": labels.get(k, k), "persons": int(rows[k]["persons"]), "gainers": int(rows[k]["gainers"]),
                 "losers": int(rows[k]["losers"]), "change": int(rows[k]["change"])} for k in order if k in rows]

    exploded = people.explode("category")
    categories = sorted(set(exploded["category"].to_list()), key=lambda c: (c == "", c))
    bands = [label for _, _, label in COST_BANDS]
    return {"by_category": table(exploded, "category", categories, CATEGORY_LABELS),
            "by_band": table(people, "band", bands, {b: b for b in bands}),
            "persons": people.height, "gainers": int((people["change"] < 0).sum()),
            "losers": int((people["change"] > 0).sum()), "change": int(people["change"].sum())}


def simulate(df: pl.DataFrame, schemes: list[tuple[str, Scheme]], *, income: int | None = None,
             progress: Callable[[int, int, str], None] | None = None, runner=None) -> list[SchemeOutcome]:
    """Replay `df` under each (label, scheme); the first is the baseline. `income` (fen) is the year's fund
    income (premiums and subsidies), for the balance and surplus rate. `runner(df, scheme)` settles the
    frame (default: `settle_columns` here; `distributed.settle_partitioned` on a cluster)."""
    if not schemes:
        raise SimulationError("至少选择一个补偿方案")
    runner = runner or settle_columns
    results, outcomes = [], []
    for index, (label, scheme) in enumerate(schemes):
        if progress:
            progress(index, len(schemes), f"按“{label}”重算 {df.height} 笔就诊")
        result = runner(df, scheme)
        results.append(result)
        outcomes.append(outcome(df, result, scheme, label, income))
    for result, out in zip(results[1:], outcomes[1:], strict=True):
        out.gains = gains_and_losses(df, results[0], result)
    if progress:
        progress(len(schemes), len(schemes), "完成")
    return outcomes


@dataclass(frozen=True)
class Assumptions:
    """Yearly growth rates of a projection (Decimal, e.g. "0.05" for 5 %), stated on every output."""

    enrollment: Decimal = Decimal("0")  # 参合人数增长
    cost: Decimal = Decimal("0")  # 次均费用增长：每笔费用按此比例上涨后重新计算补偿
    utilisation: Decimal = Decimal("0")  # 就诊人次增长
    subsidy: Decimal = Decimal("0")  # 人均筹资（个人缴费与各级补助）增长
    opening_balance: int = 0  # 基金期初结余（分）

    def text(self) -> list[str]:
        def pct(v: Decimal) -> str:
            return f"{(v * 100).normalize():f}%"
        return [f"参合人数每年增长 {pct(self.enrollment)}", f"次均费用每年增长 {pct(self.cost)}（每笔费用上涨后按方案重新计算，起付线、封顶线不随之变化）",
                f"就诊人次每年增长 {pct(self.utilisation)}", f"人均筹资每年增长 {pct(self.subsidy)}",
                f"期初结余 {Decimal(self.opening_balance) / 100:.2f} 元"]


def _scaled(df: pl.DataFrame, factor: Decimal) -> pl.DataFrame:
    """Every amount × factor, each rounded half up to the fen; the parts still add up to the total."""
    if factor == 1:
        return df
    parts = ("class_c", "outside", "a_eligible", "a_over", "b_eligible", "b_over", "b_first")
    num, den = factor.as_integer_ratio()
    out = df.with_columns([((pl.col(c) * (2 * num) + den) // (2 * den)).alias(c) for c in (*parts, "stay_eligible_before")])
    return out.with_columns(total=sum(pl.col(c) for c in parts))


def _grow(amount: int, factor: Decimal) -> int:
    return int((Decimal(amount) * factor).quantize(Decimal(1), ROUND_HALF_UP))


def project(df: pl.DataFrame, scheme: Scheme, *, years: int, income: int, assumptions: Assumptions,
            progress: Callable[[int, int, str], None] | None = None, runner=None) -> list[dict]:
    """Year 0 is the replayed year; each later year scales costs by (1+cost)^t and re-settles them, then
    scales the fund's spending by (1+enrollment)^t × (1+utilisation)^t and the income by
    (1+enrollment)^t × (1+subsidy)^t. Rows: year, income, spending, balance (carried), dry (balance < 0)."""
    if not 0 <= years <= 30:
        raise SimulationError("预测年数应在 0 到 30 之间")
    runner = runner or settle_columns
    rows, balance, one = [], assumptions.opening_balance, Decimal(1)
    for t in range(years + 1):
        if progress:
            progress(t, years + 1, f"预测第 {t} 年")
        settled = runner(_scaled(df, (one + assumptions.cost) ** t), scheme)
        spent = int(sum(settled[name].sum() for name in NRCMS_LAYERS))
        spending = _grow(spent, ((one + assumptions.enrollment) * (one + assumptions.utilisation)) ** t)
        year_income = _grow(income, ((one + assumptions.enrollment) * (one + assumptions.subsidy)) ** t)
        balance += year_income - spending
        rows.append({"year": t, "income": year_income, "spending": spending, "surplus": year_income - spending,
                     "balance": balance, "dry": balance < 0})
    return rows


def dry_year(rows: list[dict]) -> int | None:
    """The first projected year whose carried balance is below zero, or None."""
    return next((row["year"] for row in rows if row["dry"]), None)



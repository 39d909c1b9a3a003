"""The scalar engine run over an episode frame: each person's rows in date order through `nrcms.policy.settle`,
each result's `ytd_after` feeding the next. The reference the vectorised engine must equal to the fen, and the
baseline of bench/bench_simulation.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from nrcms.core.money import to_fen
from nrcms.policy import Scheme, Settlement, settle

from .columns import episode_from_row, start_of
from .engine import RESULTS
from .engine import replay_order as engine_order


def replay_order(df: pl.DataFrame) -> np.ndarray:
    """Rows by person, then date, then their place in the frame: the order a year is settled in."""
    if df.height == 0:
        return np.zeros(0, np.int64)
    return engine_order(df["person_id"].to_numpy(), df["date"].to_physical().to_numpy().astype(np.int32))


def replay_scalar(df: pl.DataFrame, scheme: Scheme) -> list[Settlement]:
    """One Settlement per row, in the frame's order. The day's outpatient pooling (outpatient_paid_today)
    starts again from zero on each new date of the person's."""
    rows = df.rows(named=True)
    out: list[Settlement | None] = [None] * len(rows)
    person = today = ytd = None
    for index in replay_order(df):
        row = rows[index]
        if row["person_id"] != person:
            person, today, ytd = row["person_id"], row["date"], start_of(row)
        if row["date"] != today:
            today = row["date"]
            ytd = dataclasses.replace(ytd, outpatient_paid_today=ytd.outpatient_paid_today * 0)
        episode, categories = episode_from_row(row)
        result = settle(episode, scheme, ytd, person=categories)
        ytd = result.ytd_after
        out[index] = result
    return out


def scalar_columns(result: Settlement) -> dict[str, int | bool]:
    """A scalar Settlement in the vectorised engine's result columns (fen)."""
    layers = {x.layer: x.paid for x in result.layer_payments}
    outpatient = result.kind == "outpatient"
    values = {
        "refused": bool(result.refused), "eligible": result.eligible_cost, "deductible": result.deductible,
        "basic_before_cap": result.basic_before_cap, "basic": 0 if outpatient else result.basic,
        "outpatient_pooling": layers.get("outpatient_pooling", 0), "chronic": layers.get("chronic", 0),
        "family_account": result.family_account, "fixed_fee": result.fixed_fee, "subsidy": result.subsidy,
        "catastrophic": result.catastrophic, "assistance": result.assistance, "safety_net": result.safety_net,
        "fund_total": result.fund_total, "self_pay": result.self_pay, "facility_borne": result.facility_borne,
    }
    return {k: v if isinstance(v, bool) else to_fen(v) if not isinstance(v, int) else v for k, v in values.items()}


def first_difference(df: pl.DataFrame, vectorised: pl.DataFrame, scalar: list[Settlement]) -> str | None:
    """None when every row agrees to the fen; else a sentence naming the first differing episode (in replay
    order) and every column where it differs."""
    rows = df.rows(named=True)
    for index in replay_order(df):
        want = scalar_columns(scalar[index])
        got = {name: vectorised[name][int(index)] for name in RESULTS}
        diff = [f"{name}: 向量 {got[name]} ≠ 逐笔 {want[name]}" for name in RESULTS if got[name] != want[name]]
        if diff:
            row = rows[index]
            return (f"第 {index} 行（人员 {row['person_id']}，{row['date']}，{row['kind']}，{row['facility_level']}，"
                    f"总费用 {row['total']} 分）不一致：" + "；".join(diff))
    return None

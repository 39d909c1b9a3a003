"""A synthetic year of episodes for benchmarks and demonstrations (seeded numpy; never real people).
Roughly a county's mix: 85 % outpatient visits, admissions mostly at township and county hospitals, costs
log-normal, about one person in ten with an identity category."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from .columns import LEVELS

CATEGORY_MIX = ("", "", "", "", "", "", "", "", "", "dibao", "registered_poor", "wubao", "registered_poor,dibao")
DIAGNOSES = ("", "J06", "K35.9", "O80", "O82", "I10", "E11.9", "H25.1", "K40", "S72", "C34")


def synthetic_year(n: int, *, persons: int | None = None, seed: int = 2020, year: int = 2020) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    persons = persons or max(1, n // 4)
    person = rng.integers(1, persons + 1, n)
    inpatient = rng.random(n) < 0.15
    level = np.where(inpatient, rng.choice(5, n, p=[0.0, 0.35, 0.4, 0.15, 0.1]), rng.choice(2, n, p=[0.6, 0.4]))
    day = rng.integers(0, 365, n)
    stay = np.where(inpatient, rng.integers(1, 40, n), 0)
    cost = np.where(inpatient, rng.lognormal(8.6, 0.9, n), rng.lognormal(4.0, 0.8, n))
    total = np.maximum((cost * 100).astype(np.int64), 100)  # fen; synthetic, the float never reaches the engine
    c = total * rng.integers(0, 15, n) // 100
    outside = total * rng.integers(0, 5, n) // 100
    b = (total - c - outside) * rng.integers(10, 40, n) // 100
    b_first = b * rng.integers(0, 20, n) // 100
    a = total - c - outside - b
    categories = np.array(CATEGORY_MIX)[rng.integers(0, len(CATEGORY_MIX), persons + 1)][person]
    start = np.datetime64(dt.date(year, 1, 1))
    dates = start + day.astype("timedelta64[D]")
    return pl.DataFrame({
        "person_id": person.astype(np.int64), "date": dates, "admission_date": dates - stay.astype("timedelta64[D]"),
        "kind": np.where(inpatient, "inpatient", "outpatient"), "facility_level": np.array(LEVELS)[level],
        "in_county": ~inpatient | (level < 3), "designated": rng.random(n) < 0.98, "referred": level >= 3,
        "interim": np.zeros(n, bool), "continuation": np.zeros(n, bool), "has_charges": np.ones(n, bool),
        "chronic_certified": rng.random(n) < 0.8,
        "diagnosis_code": np.array(DIAGNOSES)[rng.integers(0, len(DIAGNOSES), n)], "categories": categories,
        "total": total, "class_c": c, "outside": outside, "a_eligible": a, "a_over": np.zeros(n, np.int64),
        "b_eligible": b - b_first, "b_over": np.zeros(n, np.int64), "b_first": b_first,
        "stay_eligible_before": np.zeros(n, np.int64),
    }).with_columns(pl.col("date").cast(pl.Date), pl.col("admission_date").cast(pl.Date))

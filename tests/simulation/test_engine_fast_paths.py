"""The vectorised engine's fast paths against the scalar engine and against plain loops: the radix replay
order, the capped running totals that replace the visits' waves, the day's pooling cap over several visits
of one day at different levels, and the realistic mix of the benchmark's synthetic year under every scheme."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrcms.simulation.columns import LEVELS, frame
from nrcms.simulation.engine import _capped, _lookup_levels, replay_order, settle_columns
from nrcms.simulation.reference import first_difference, replay_scalar
from nrcms.simulation.synthetic import synthetic_year
from tests.simulation.test_parity import SCHEMES


def _assert_same(df, scheme):
    message = first_difference(df, settle_columns(df, scheme), replay_scalar(df, scheme))
    assert message is None, message


@pytest.mark.parametrize("ids", [(1, 10**3), (1, 10**6), (10**9, 10**11), (-5, 5)])
def test_the_replay_order_is_person_date_then_place(ids):
    """One, two, three radix passes (and the lexsort for negative ids) give the stable three-key order."""
    rng = np.random.default_rng(7)
    person = rng.integers(*ids, 5000)
    person[::7] = person[0]  # many rows of one person
    date = rng.integers(18000, 18400, 5000).astype(np.int32)
    expected = np.lexsort((np.arange(5000), date, person))
    assert (replay_order(person, date) == expected).all()


def test_a_capped_running_total_equals_the_loop():
    rng = np.random.default_rng(3)
    seg = np.sort(rng.integers(0, 40, 600))
    firsts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    local = np.cumsum(np.r_[True, seg[1:] != seg[:-1]]) - 1
    want = rng.integers(0, 500, 600) * (rng.random(600) < 0.8)
    cap = rng.integers(0, 3000, len(firsts))
    start = rng.integers(0, 3500, len(firsts))  # sometimes already above the cap
    expected = np.zeros(600, np.int64)
    for s, (a, b) in enumerate(zip(firsts, [*firsts[1:], 600], strict=True)):
        paid = start[s]
        for i in range(a, b):
            expected[i] = min(want[i], max(cap[s] - paid, 0))
            paid += expected[i]
    assert (_capped(want, cap, start, local, firsts) == expected).all()
    # by hand: cap 100, 30 already paid, wants 50, 50, 50 -> 50, 20, 0
    one = np.zeros(3, np.int64)
    assert _capped(np.array([50, 50, 50]), 100, np.array([30]), one, np.array([0])).tolist() == [50, 20, 0]


def test_levels_are_told_apart_by_length_and_one_comparison():
    import polars as pl

    assert _lookup_levels(pl.Series([*LEVELS, "province", "township"])).tolist() == [0, 1, 2, 3, 4, 4, 1]


@st.composite
def crowded_days(draw):
    """Few people, few days, many visits a day at mixed levels (village and township caps differ in
    stress-a), a few admissions between them, caps small enough to bind."""
    data = []
    for _ in range(draw(st.integers(1, 24))):
        inpatient = draw(st.integers(0, 5)) == 0
        date = dt.date(2020, 3, 1) + dt.timedelta(days=draw(st.integers(0, 2)))
        eligible = draw(st.integers(0, 400_00 if inpatient else 90_00))
        data.append({
            "person_id": draw(st.integers(1, 2)), "date": date, "admission_date": date, "kind":
            "inpatient" if inpatient else "outpatient", "facility_level": draw(st.sampled_from(LEVELS[:3])),
            "in_county": True, "designated": True, "referred": False, "interim": False, "continuation": False,
            "has_charges": True, "chronic_certified": draw(st.booleans()),
            "diagnosis_code": draw(st.sampled_from(["", "I10", "E11.9", "J06"])), "categories": "",
            "total": eligible + 300, "class_c": 300, "outside": 0, "a_eligible": eligible, "a_over": 0,
            "b_eligible": 0, "b_over": 0, "b_first": 0, "stay_eligible_before": 0})
    if draw(st.booleans()):
        for row in data:
            row.update({"start_outpatient_paid_today": 10_00 * row["person_id"],
                        "start_outpatient_pooling_paid": 120_00, "start_chronic_paid": 450_00,
                        "start_family_account_balance": 60_00})
    return frame(data)


@pytest.mark.parametrize("name", ["stress-a", "stress-a-certified", "stress-b",
                                  *sorted(n for n in SCHEMES if not n.startswith("stress"))])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=crowded_days())
def test_crowded_days_settle_alike_to_the_fen(name, df):
    _assert_same(df, SCHEMES[name])


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_the_benchmark_year_settles_alike_to_the_fen(name):
    """The benchmark's own mix (85 % visits, several a person), 2,000 episodes of 120 people."""
    _assert_same(synthetic_year(2000, persons=120, seed=11), SCHEMES[name])


def test_the_days_pooling_carries_only_on_the_first_rows_date():
    """demo-layered-2020: township pooling 55 %, at most 60 a visit and 80 a day. The start value (70 already
    paid today) counts on the date of the person's first row only: person 1's first row is a visit that day
    (room 10); person 2's first row is an admission the day before, so the visit's day starts from zero."""
    scheme = SCHEMES["demo-layered-2020@2020-01-01"]
    base = {"admission_date": dt.date(2020, 3, 2), "in_county": True, "designated": True, "referred": False,
            "interim": False, "continuation": False, "has_charges": True, "chronic_certified": True,
            "diagnosis_code": "", "categories": "", "class_c": 0, "outside": 0, "a_over": 0, "b_eligible": 0,
            "b_over": 0, "b_first": 0, "stay_eligible_before": 0, "start_outpatient_paid_today": 70_00}
    visit = {**base, "kind": "outpatient", "facility_level": "township", "total": 100_00, "a_eligible": 100_00}
    stay = {**base, "kind": "inpatient", "facility_level": "county", "total": 10_00, "a_eligible": 10_00,
            "admission_date": dt.date(2020, 3, 1)}
    df = frame([{**visit, "person_id": 1, "date": dt.date(2020, 3, 2)},
                {**stay, "person_id": 2, "date": dt.date(2020, 3, 1)},
                {**visit, "person_id": 2, "date": dt.date(2020, 3, 2)}])
    pooled = settle_columns(df, scheme)["outpatient_pooling"].to_list()
    assert pooled == [10_00, 0, 55_00]  # 100 × 55 % = 55 (under 60 a visit and 80 a day)
    _assert_same(df, scheme)


@pytest.mark.parametrize("name", ["stress-a", "stress-b", "demo-layered-2020@2020-01-01"])
@pytest.mark.parametrize("block", [1, 7, 100])
def test_blocks_of_persons_settle_as_one(name, block, monkeypatch):
    """A large frame is settled in blocks of whole persons: any block size gives the same columns."""
    from nrcms.simulation import engine

    df = synthetic_year(1500, persons=90, seed=5)
    whole = settle_columns(df, SCHEMES[name])
    monkeypatch.setattr(engine, "BLOCK", block)
    assert settle_columns(df, SCHEMES[name]).equals(whole)
    if block == 7:
        _assert_same(df, SCHEMES[name])


def test_blocks_never_split_a_person():
    from nrcms.simulation.engine import _blocks

    segment = np.array([0, 0, 0, 1, 2, 2, 2, 2, 3, 4])
    assert _blocks(segment, 3) == [(0, 3), (3, 8), (8, 9), (9, 10)]
    assert _blocks(segment, 100) == [(0, 10)]


def test_a_lookup_gives_each_row_its_own_value():
    """Distinct values and indices, also after other strings went through categoricals in this process."""
    import polars as pl

    from nrcms.simulation.engine import _lookup

    pl.Series(["zz9", "J06", "yy8"]).cast(pl.Categorical)
    rng = np.random.default_rng(1)
    values = [["", "I10", "K35.9", "J06", "e11.9"][i] for i in rng.integers(0, 5, 3000)]
    distinct, index = _lookup(pl.Series(values))
    assert sorted(distinct) == sorted(set(values))
    assert [distinct[i] for i in index] == values
    assert _lookup(pl.Series([], dtype=pl.Utf8))[1].tolist() == []

"""The vectorised engine equals the scalar engine to the fen: on every scenario of the engine's tests, and on
random years of random people (hypothesis) under every shipped scheme version and two stress schemes that
switch on every rule the shipped ones leave off. A failure names the first episode that differs."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrcms.policy import (
    ChargeItem,
    Episode,
    YearToDate,
    scheme_file_from_mapping,
    scheme_for,
    settle,
    shipped_schemes,
)
from nrcms.policy.cli import episode_from_dict
from nrcms.simulation.columns import LEVELS, Row, episode_from_row, frame, row_dict
from nrcms.simulation.engine import settle_columns
from nrcms.simulation.reference import first_difference, replay_scalar

SCENARIOS = sorted((Path(__file__).parents[1] / "policy" / "scenarios").glob("*.yaml"))
CASES = [case for path in SCENARIOS for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
SHIPPED = shipped_schemes()

STRESS_A = {
    "rounding": "yuan", "tier_convention": "bracket", "catalogue": {"eligible_classes": ["A"]},
    "inpatient": {
        "deductible": {"default": "300", "by_level": {"township": "100", "province": "1200"}, "non_designated": "800",
                       "out_of_county": "900", "out_of_county_unreferred": "1500", "subsequent_factor": "0.35",
                       "subsequent_by_level": {"county": "150"}},
        "tiers": {"default": [{"upto": "3000", "rate": "0.455"}, {"upto": "8000", "rate": "0.6"}, {"rate": "0.7"}],
                  "by_level": {"township": [{"rate": "0.8"}]},
                  "out_of_county": {"province": [{"upto": "10000", "rate": "0.35"}, {"rate": "0.5"}]}},
        "annual_cap": "9000", "annual_cap_non_designated": "4000",
        "non_designated": {"rate_change": "-0.15"}, "out_of_county_unreferred": {"rate_change": "-0.5"},
        "in_county_unreferred": {"county": {"rate_change": "-0.1"}, "prefecture": {"refuse": True}},
        "fixed_fee_packages": [{"code": "k35", "name": "阑尾", "diagnoses": ["K35"], "levels": ["county", "township"],
                                "patient_amount": "500", "fund_amount": "1700"}],
        "subsidies": [{"code": "o80", "name": "分娩", "diagnoses": ["O80"], "amount": "600", "counts_toward_cap": True},
                      {"code": "o82", "name": "剖宫产", "diagnoses": ["O82"], "amount": "400"}],
        "interim": {"min_days": 20},
    },
    "outpatient": {"mode": "family_account_then_pooling", "in_county_only": False, "family_account_pays": "total_cost",
                   "pooling": {"by_level": {"village": {"rate": "0.5", "per_visit_cap": "25", "per_day_cap": "40"},
                                            "township": {"rate": "0.333", "per_day_cap": "50"}},
                               "annual_cap": "150"},
                   "chronic": {"diagnoses": ["I10", "E11"], "rate": "0.6", "annual_cap": "500"}},
    "catastrophic": {"deductible": "2000", "tiers": [{"upto": "5000", "rate": "0.5"}, {"rate": "0.65"}],
                     "annual_cap": "6000", "base": "self_pay"},
    "assistance": {"base": "self_pay", "categories": {
        "wubao": {"rate": "1", "annual_cap": "3000"},
        "dibao": {"threshold": "500", "rate": "0.55", "annual_cap": "2500"}}},
    "safety_net": {"categories": ["registered_poor", "wubao"], "guaranteed_ratio": "0.85", "base": "total_cost"},
    "ceiling": {"ratio": "0.9", "base": "total_cost"},
}
STRESS_B = {
    "rounding": "jiao", "tier_convention": "cumulative",
    "inpatient": {"deductible": {"default": "200"},
                  "tiers": {"default": [{"upto": "1000", "rate": "0.3"}, {"upto": "5000", "rate": "0.65"}, {"rate": "0.8"}]},
                  "annual_cap": "6000", "non_designated": {"refuse": True},
                  "out_of_county_referred": {"rate_change": "0.25"}, "out_of_county_unreferred": {"refuse": True},
                  "fixed_fee_packages": [{"code": "h25", "name": "白内障", "diagnoses": ["H25"], "levels": ["county"],
                                          "patient_amount": "700", "fund_amount": "5000"}]},
    "outpatient": {"mode": "family_account", "family_account_pays": "in_policy_cost",
                   "chronic": {"diagnoses": ["I10"], "rate": "0.5", "annual_cap": "80"}},
    "assistance": {"categories": {"registered_poor": {"threshold": "100", "rate": "0.9", "annual_cap": "900"}}},
    "safety_net": {"categories": ["registered_poor"], "guaranteed_ratio": "0.9"},
    "ceiling": {"ratio": "0.95"},
}


def _stress(params: dict, name: str):
    data = {"id": name, "name": "压力测试方案", "county": "测试县",
            "versions": [{"effective": "2020-01-01", "notice": "测试", "parameters": params}]}
    return scheme_file_from_mapping(data, source=name).versions[0]


SCHEMES = {f"{sid}@{v.effective}": v for sid, f in SHIPPED.items() for v in f.versions}
SCHEMES["stress-a"] = _stress(STRESS_A, "stress-a")
SCHEMES["stress-b"] = _stress(STRESS_B, "stress-b")
# stress-a with the chronic rate only for a person certified for the diagnosis (慢性病认定)
STRESS_A_CERTIFIED = {**STRESS_A, "outpatient": {**STRESS_A["outpatient"], "chronic": {
    **STRESS_A["outpatient"]["chronic"], "certification_required": True}}}
SCHEMES["stress-a-certified"] = _stress(STRESS_A_CERTIFIED, "stress-a-certified")


def _assert_same(df, scheme):
    message = first_difference(df, settle_columns(df, scheme), replay_scalar(df, scheme))
    assert message is None, message


@pytest.mark.parametrize("case", CASES, ids=[c["name"][:40] for c in CASES])
def test_every_engine_scenario_settles_alike(case):
    data = dict(case["input"]["episode"])
    if data.get("kind", "inpatient") == "inpatient":
        data.setdefault("discharge_date", case["date"])
    else:
        data.setdefault("admission_date", case["date"])
    data["categories"] = case["input"].get("categories", [])
    episode, person = episode_from_dict(data, case["name"])
    scheme = scheme_for(SHIPPED[case["scheme"]], episode)
    ytd = YearToDate.from_dict(case["input"].get("ytd", {}))
    _assert_same(frame([Row(1, episode, person.categories, ytd)]), scheme)


DIAGNOSES = ["", "K35.9", "k40", "H25.1", "O80", "O82", "O64", "I10", "E11.9", "J44", "A01"]
CATEGORIES = ["wubao", "tekun", "dibao", "registered_poor", "disabled"]
fen = st.one_of(st.just(0), st.integers(1, 2_000_00), st.integers(0, 60_000_00))
big = st.one_of(st.integers(0, 3_000_00), st.integers(0, 80_000_00))  # caps and yearly deductibles must bind


@st.composite
def rows(draw):
    kind = draw(st.sampled_from(["inpatient", "outpatient"]))
    date = dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 40)))
    stay = draw(st.integers(0, 45)) if kind == "inpatient" else 0
    parts = {name: draw(fen) if draw(st.integers(0, 2)) == 0 else 0
             for name in ("a_over", "b_eligible", "b_over", "b_first", "class_c", "outside")}
    parts["a_eligible"] = draw(big)
    if kind == "outpatient":
        parts = {k: v // 100 for k, v in parts.items()}
    continuation = kind == "inpatient" and draw(st.booleans()) and draw(st.booleans())
    row = {"person_id": draw(st.integers(1, 3)), "date": date, "admission_date": date - dt.timedelta(days=stay),
           "kind": kind, "facility_level": draw(st.sampled_from(LEVELS)), "in_county": draw(st.integers(0, 3)) > 0,
           "designated": draw(st.integers(0, 5)) > 0, "referred": draw(st.integers(0, 2)) > 0,
           "interim": kind == "inpatient" and draw(st.integers(0, 5)) == 0, "continuation": continuation,
           "has_charges": draw(st.integers(0, 20)) > 0, "chronic_certified": draw(st.integers(0, 2)) > 0,
           "diagnosis_code": draw(st.sampled_from(DIAGNOSES)),
           "categories": ",".join(draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True))),
           **parts, "total": sum(parts.values()),
           "stay_eligible_before": draw(st.integers(0, 30_000_00)) if continuation else 0}
    if not row["has_charges"]:
        row.update(dict.fromkeys((*parts, "total"), 0))
    return row


@st.composite
def years(draw):
    data = draw(st.lists(rows(), min_size=1, max_size=16))
    if draw(st.booleans()):  # a replay that starts mid-year: the people's totals so far
        starts = {pid: {"start_admissions": draw(st.integers(0, 2)), "start_basic_paid": draw(fen),
                        "start_catastrophic_base": draw(fen), "start_assistance_base": draw(st.integers(0, 1000_00)),
                        "start_outpatient_pooling_paid": draw(st.integers(0, 200_00)),
                        "start_family_account_balance": draw(st.integers(-100, 300_00)),
                        "start_outpatient_paid_today": draw(st.integers(0, 50_00))} for pid in range(1, 5)}
        for row in data:
            row.update(starts[row["person_id"]])
    return frame(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=years(), name=st.sampled_from(sorted(SCHEMES)))
def test_random_years_settle_alike_to_the_fen(df, name):
    _assert_same(df, SCHEMES[name])


@pytest.mark.parametrize("name", ["stress-a", "stress-b", "stress-a-certified", "demo-layered-2020@2020-01-01", "huxian-2005@2005-01-01"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=years())
def test_each_rule_heavy_scheme_settles_alike(name, df):
    _assert_same(df, SCHEMES[name])


items = st.builds(
    ChargeItem, code=st.just("x"), amount=st.integers(0, 500_000).map(lambda f: Decimal(f) / 100),
    catalogue_class=st.sampled_from(["A", "B", "C", None]),
    first_self_pay_share=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.15"), Decimal("0.333")]),
    quantity=st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5")]),
    price_limit=st.one_of(st.none(), st.integers(0, 300_000).map(lambda f: Decimal(f) / 100)))


@settings(max_examples=60, deadline=None)
@given(charges=st.lists(items, min_size=1, max_size=6), name=st.sampled_from(sorted(SCHEMES)))
def test_the_summarised_bill_settles_as_the_itemised_one(charges, name):
    """The column format keeps what the engine needs: the rebuilt episode settles like the itemised one."""
    episode = Episode(kind="inpatient", facility_level="county", admission_date=dt.date(2020, 3, 1),
                      discharge_date=dt.date(2020, 3, 9), charges=tuple(charges))
    rebuilt, _ = episode_from_row(row_dict(Row(1, episode)))
    scheme = SCHEMES[name]
    original, again = settle(episode, scheme), settle(rebuilt, scheme)
    for name_ in ("eligible_cost", "basic", "fund_total", "self_pay", "catastrophic", "safety_net"):
        assert getattr(original, name_) == getattr(again, name_), name_


def test_a_difference_names_the_episode():
    """The parity check's message names the row, the person, the date and the column."""
    episode = Episode(kind="inpatient", facility_level="county", admission_date=dt.date(2020, 3, 1),
                      discharge_date=dt.date(2020, 3, 9), charges=(ChargeItem("x", Decimal("5000.00")),))
    df = frame([Row(7, episode)])
    scheme = SCHEMES["stress-b"]
    vectorised = settle_columns(df, scheme).with_columns(basic=settle_columns(df, scheme)["basic"] + 1)
    message = first_difference(df, vectorised, replay_scalar(df, scheme))
    assert message.startswith("第 0 行（人员 7，2020-03-09，inpatient，county")
    assert "basic: 向量" in message

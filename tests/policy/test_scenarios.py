"""Benefit cases a county officer can read: tests/policy/scenarios/*.yaml.

Each case: `name`, `scheme` (a shipped scheme id), `date` (the day it is settled: the discharge date of an
admission, the day of a visit; it picks the scheme version), `input` (episode, and optionally ytd and
categories) and `expect` (only the fields listed are checked; each was worked out by hand in the name)."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml

from nrcms.policy import YearToDate, settle, shipped_schemes
from nrcms.policy.cli import episode_from_dict

SCENARIOS = sorted(Path(__file__).parent.glob("scenarios/*.yaml"))
CASES = [(path.stem, case) for path in SCENARIOS for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
SCHEMES = shipped_schemes()


def _same(actual, expected) -> bool:
    if str(actual) == str(expected):
        return True
    try:
        return Decimal(str(actual)) == Decimal(str(expected))
    except InvalidOperation:
        return False


def _compare(actual, expected, where):
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in actual, f"{where}: 结果中没有 {key}"
            _compare(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{where}: {actual} ≠ {expected}"
        for index, (got, wanted) in enumerate(zip(actual, expected, strict=True)):
            _compare(got, wanted, f"{where}[{index}]")
    else:
        assert _same(actual, expected), f"{where}: {actual} ≠ {expected}"


def run(case: dict):
    data = dict(case["input"]["episode"])
    on = case["date"]
    if data.get("kind", "inpatient") == "inpatient":
        data.setdefault("discharge_date", on)
    else:
        data.setdefault("admission_date", on)
    data["categories"] = case["input"].get("categories", [])
    episode, person = episode_from_dict(data, case["name"])
    ytd = YearToDate.from_dict(case["input"].get("ytd", {}))
    return settle(episode, SCHEMES[case["scheme"]], ytd, person=person)


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[f"{f}:{c['name']}" for f, c in CASES])
def test_scenario(case):
    assert isinstance(case["date"], dt.date)
    result = run(case)
    _compare(result.to_dict(), case["expect"], case["name"])
    assert result.fund_total + result.self_pay + result.facility_borne == result.total_cost
    assert result.lines[-1].step == "summary"


def test_every_shipped_scheme_has_scenarios():
    assert {case["scheme"] for _, case in CASES} == set(SCHEMES)


def test_every_scenario_has_a_unique_name():
    names = [case["name"] for _, case in CASES]
    assert len(names) == len(set(names))

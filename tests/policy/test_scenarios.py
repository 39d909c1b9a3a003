"""Benefit cases a county officer can read: tests/policy/scenarios/*.yaml (name, scheme, episode, ytd,
person, expect). Only the fields under `expect` are checked; each was worked out by hand."""

from pathlib import Path

import pytest
import yaml

from nrcms.policy import YearToDate, settle, shipped_schemes
from nrcms.policy.cli import episode_from_dict

SCENARIOS = sorted(Path(__file__).parent.glob("scenarios/*.yaml"))
CASES = [(path.stem, case) for path in SCENARIOS for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
SCHEMES = shipped_schemes()


def _compare(actual, expected, where):
    if isinstance(expected, dict):
        for key, value in expected.items():
            _compare(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert list(actual) == expected, where
    else:
        assert str(actual) == str(expected) or _same_amount(actual, expected), f"{where}: {actual} ≠ {expected}"


def _same_amount(actual, expected) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(actual)) == Decimal(str(expected))
    except InvalidOperation:
        return False


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[f"{f}:{c['name']}" for f, c in CASES])
def test_scenario(case):
    episode_data = dict(case["episode"], categories=case.get("person", []))
    episode, person = episode_from_dict(episode_data)
    ytd = YearToDate.from_dict(case.get("ytd", {}))
    result = settle(episode, SCHEMES[case["scheme"]], ytd, person=person)
    _compare(result.to_dict(), case["expect"], case["name"])
    assert result.fund_total + result.self_pay + result.facility_borne == result.total_cost
    assert result.lines[-1].step == "summary"


def test_every_shipped_scheme_has_scenarios():
    used = {case["scheme"] for _, case in CASES}
    assert used == set(SCHEMES)

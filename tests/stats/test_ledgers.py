"""三级台账: the village, township and county ledgers are three separate sums and agree to the fen."""

import datetime as dt
from decimal import Decimal

import pytest
from small_county import PREFIX, TOWNSHIP, VILLAGE_A, VILLAGE_B

from nrcms.stats.ledgers import COLUMNS, ledgers
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db

KEYS = ("enrolled", *(k for k, _ in COLUMNS))


def test_the_small_countys_ledgers_as_worked_by_hand(small):
    led = ledgers(Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), PREFIX, "试验乡"))
    assert led.agree, led.mismatches
    (township,) = led.townships
    villages = {r["code"]: r for r in led.villages[TOWNSHIP]}
    a, b = villages[VILLAGE_A], villages[VILLAGE_B]
    # 甲村: A's stay and visit, B's stay; 乙村: C's stay and D's manual claim
    assert (a["enrolled"], a["count"], a["total_cost"], a["reimbursed"]) == (2, 3, Decimal("14100.00"), Decimal("6955.00"))
    assert (b["enrolled"], b["count"], b["total_cost"], b["reimbursed"]) == (2, 2, Decimal("16000.00"), Decimal("7050.00"))
    assert (b["safety_net"], b["fund_total"], b["self_pay"]) == (Decimal("1140.00"), Decimal("8190.00"), Decimal("7810.00"))
    for key in KEYS:
        assert township[key] == a[key] + b[key] == led.county[key], key


def test_county_township_and_village_ledgers_agree_to_the_fen_over_the_whole_county(small):
    """The demo county's weeks and the small county together, for the year: every column of every level."""
    led = ledgers(Scope(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "610125", "户县"))
    assert led.agree, led.mismatches
    assert len(led.townships) >= 3 and led.county["count"] > 100
    for key in KEYS:
        assert sum(t[key] for t in led.townships) == led.county[key], key
        for t in led.townships:
            assert sum(v[key] for v in led.villages[t["code"]]) == t[key], (t["name"], key)


def test_a_disagreement_is_reported_naming_the_level_and_the_column(small, monkeypatch):
    from nrcms.stats import ledgers as module

    real, calls = module.net_by, []

    def one_fen_lost(scope, key, where=None):  # the village sums (the first grouping) lose a fen
        out = real(scope, key, where)
        if not calls:
            out[sorted(out)[0]].amounts["self_pay"] -= Decimal("0.01")
        calls.append(key)
        return out

    monkeypatch.setattr(module, "net_by", one_fen_lost)
    led = module.ledgers(Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), PREFIX, "试验乡"))
    assert not led.agree and any("试验乡" in m and "self_pay" in m for m in led.mismatches)

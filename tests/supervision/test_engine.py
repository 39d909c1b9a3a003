"""One case that hits each rule and one that must not, over plain data (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.supervision.engine import Case, EpisodeFact, LineFact, PersonFact, evaluate, median
from nrcms.supervision.ruleset import RulesError, rules_from_mapping, ruleset_latest

D = dt.date
RULES = ruleset_latest()
MAN = PersonFact(id=1, sex="M", birth_date=D(1960, 5, 1), enrolled_years=frozenset({2026}))


def stay(pk, admission, discharge, *, dx="J18.0", facility=1, level="county", cost="1000.00", lines=(),
         kind="inpatient", number="JS1"):
    return EpisodeFact(id=pk, kind=kind, facility_id=facility, facility_level=level, admission=admission,
                       discharge=discharge, diagnosis=dx, total_cost=Decimal(cost), serial=f"S{pk}",
                       settlement_number=number, lines=tuple(lines))


def visit(pk, day, **kw):
    return stay(pk, day, day, kind="outpatient", **kw)


def line(no, code, day, qty="1", amount="10.00", name="项目"):
    return LineFact(line_no=no, code=code, name=name, charged_on=day, quantity=Decimal(qty), amount=Decimal(amount))


def codes(episode, *, person=MAN, others=(), norms=None, stage="batch"):
    case = Case(episode=episode, person=person, others=tuple(others), norms=norms or {})
    return sorted(h.rule.code for h in evaluate(case, RULES.in_force(D(2026, 12, 31)), stage))


def test_the_rules_file_validates_and_every_rule_has_chinese_text_and_a_version():
    assert len(RULES.rules) == 15
    assert all(r.text and r.name and len(r.version) == 16 for r in RULES.rules)
    assert {r.code for r in RULES.rules if r.blocks} == {"CDZY", "SW", "WCH"}
    assert RULES.second_reviewer_above == Decimal("2000.00")


def test_a_rules_file_with_a_bad_parameter_is_refused_naming_the_place():
    raw = {"effective_from": "2026-01-01", "notice": "n", "review": {"second_reviewer_above": "1",
           "default_sampling_rate": "0.2"},
           "rules": [{"code": "R1", "name": "n", "text": "t", "kind": "readmission", "params": {"days": 0},
                      "severity": "warn"}]}
    with pytest.raises(RulesError, match="rules\\[0\\]（R1）.params.days"):
        rules_from_mapping(raw)


def test_readmission_within_7_days_with_the_same_diagnosis_group_hits_zy7_not_zy15():
    first = stay(1, D(2026, 10, 1), D(2026, 10, 8), dx="J18.0")
    second = stay(2, D(2026, 10, 12), D(2026, 10, 20), dx="J18.9")
    assert "ZY7" in codes(second, others=[first])
    assert "ZY15" not in codes(second, others=[first])


def test_readmission_after_10_days_hits_zy15_only():
    first = stay(1, D(2026, 10, 1), D(2026, 10, 8))
    second = stay(2, D(2026, 10, 18), D(2026, 10, 25))
    assert {"ZY15"} <= set(codes(second, others=[first])) and "ZY7" not in codes(second, others=[first])


def test_readmission_with_another_diagnosis_or_planned_chemotherapy_does_not_hit():
    first = stay(1, D(2026, 10, 1), D(2026, 10, 8), dx="J18.0")
    assert "ZY7" not in codes(stay(2, D(2026, 10, 10), D(2026, 10, 15), dx="K35.8"), others=[first])
    chemo_first = stay(3, D(2026, 10, 1), D(2026, 10, 3), dx="Z51.1")
    assert "ZY7" not in codes(stay(4, D(2026, 10, 8), D(2026, 10, 10), dx="Z51.1"), others=[chemo_first])


def test_a_stay_of_one_day_hits_at_county_level_and_a_three_day_stay_or_a_province_hospital_does_not():
    assert "DZ1" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 2)))
    assert "DZ1" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 4)))
    assert "DZ1" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 2), level="province"))


def test_an_outpatient_visit_during_a_stay_hits_but_one_on_the_discharge_day_does_not():
    admitted = stay(1, D(2026, 10, 1), D(2026, 10, 9))
    assert "MZZY" in codes(visit(2, D(2026, 10, 5), facility=2, cost="50.00"), others=[admitted])
    assert "MZZY" in codes(admitted, others=[visit(2, D(2026, 10, 5), facility=2, cost="50.00")])
    assert "MZZY" not in codes(visit(3, D(2026, 10, 9), cost="50.00"), others=[admitted])


def test_overlapping_stays_at_two_facilities_block_and_a_same_day_transfer_does_not():
    first = stay(1, D(2026, 10, 1), D(2026, 10, 9), facility=1)
    assert "CDZY" in codes(stay(2, D(2026, 10, 5), D(2026, 10, 12), facility=2), others=[first])
    assert "CDZY" not in codes(stay(2, D(2026, 10, 9), D(2026, 10, 12), facility=2), others=[first])


def test_items_limited_by_sex_age_level_and_indication():
    day = D(2026, 10, 2)
    woman = PersonFact(id=2, sex="F", birth_date=D(1970, 1, 1), enrolled_years=frozenset({2026}))
    psa = stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=[line(1, "250403009", day)])
    assert "XZ-SEX" in codes(psa, person=woman) and "XZ-SEX" not in codes(psa, person=MAN)
    phototherapy = stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=[line(1, "310603001", day)])
    baby = PersonFact(id=3, sex="M", birth_date=D(2026, 9, 20), enrolled_years=frozenset({2026}))
    assert "XZ-AGE" in codes(phototherapy) and "XZ-AGE" not in codes(phototherapy, person=baby)
    ct = [line(1, "210300001", day)]
    assert "XZ-LEVEL" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), level="township", lines=ct))
    assert "XZ-LEVEL" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), level="county", lines=ct))
    epo = [line(1, "XL-RHPO", day)]
    assert "XZ-DX" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), dx="J18.0", lines=epo))
    assert "XZ-DX" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), dx="N18.5", lines=epo))


def test_the_same_item_charged_twice_on_one_day_hits_and_on_two_days_does_not():
    twice = [line(1, "120100001", D(2026, 10, 2)), line(2, "120100001", D(2026, 10, 2))]
    assert "CF" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=twice))
    apart = [line(1, "120100001", D(2026, 10, 2)), line(2, "120100001", D(2026, 10, 3))]
    assert "CF" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=apart))


def test_more_infusions_a_day_than_the_limit_hit_and_three_do_not():
    assert "PC" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=[line(1, "120400001", D(2026, 10, 2), "4")]))
    assert "PC" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5),
                                  lines=[line(1, "120400001", D(2026, 10, 2), "3")]))


def test_care_after_death_blocks_and_care_before_it_does_not():
    dead = PersonFact(id=4, sex="M", birth_date=D(1940, 1, 1), death_date=D(2026, 10, 3),
                      enrolled_years=frozenset({2026}))
    late = stay(1, D(2026, 10, 1), D(2026, 10, 5), lines=[line(1, "X", D(2026, 10, 4))])
    assert "SW" in codes(late, person=dead)
    assert "SW" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 3), lines=[line(1, "X", D(2026, 10, 2))]),
                             person=dead)


def test_a_stay_running_into_a_year_not_enrolled_blocks_and_an_enrolled_one_does_not():
    crossing = stay(1, D(2026, 12, 28), D(2027, 1, 3), lines=[line(1, "X", D(2027, 1, 2))])
    assert "WCH" in codes(crossing)
    both = PersonFact(id=1, sex="M", birth_date=D(1960, 5, 1), enrolled_years=frozenset({2026, 2027}))
    assert "WCH" not in codes(crossing, person=both)


def test_cost_per_day_far_above_the_facility_norm_hits_and_within_the_factor_does_not():
    norms = {(1, "J18"): Decimal("300.00")}
    assert "CB" in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), cost="4000.00"), norms=norms)  # 1000/day
    assert "CB" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), cost="3600.00"), norms=norms)  # 900/day
    assert "CB" not in codes(stay(1, D(2026, 10, 1), D(2026, 10, 5), cost="4000.00"), norms=norms, stage="trial")
    assert median([Decimal(3), Decimal(1), Decimal(2), Decimal(10)]) == Decimal("2.50")


def test_three_small_settlements_on_consecutive_days_at_one_facility_hit_and_two_do_not():
    a, b, c = (visit(i, D(2026, 10, i), cost="80.00", number=f"JS{i}") for i in (1, 2, 3))
    assert "CFJS" in codes(b, others=[a, c])
    assert "CFJS" not in codes(b, others=[a])
    far = visit(9, D(2026, 10, 9), cost="80.00", number="JS9")
    assert "CFJS" not in codes(b, others=[a, far])
    assert "CFJS" not in codes(visit(2, D(2026, 10, 2), cost="900.00"), others=[a, c])

"""门诊慢性病 and the chronic-disease register: with `certification_required` only a certified person's visit
takes the chronic rate; an uncertified one is an ordinary outpatient visit and the explanation says why."""

from decimal import Decimal

from engine_cases import scheme, visit

from nrcms.policy import settle

D = Decimal
OUTPATIENT = {"mode": "pooling", "pooling": {"by_level": {"township": {"rate": "0.50", "per_visit_cap": "60"}}},
              "chronic": {"diagnoses": ["I10", "E11"], "rate": "0.70", "annual_cap": "1000"}}
REQUIRED = {"outpatient": {**OUTPATIENT, "chronic": {**OUTPATIENT["chronic"], "certification_required": True}}}
UNCERTIFIED = "诊断属门诊慢性病病种，但未经慢性病认定，按普通门诊补偿"


def texts(result) -> list[str]:
    return [line.text for line in result.lines]


def test_a_certified_persons_chronic_visit_takes_the_chronic_rate():
    result = settle(visit("100.00", diagnosis_code="I10.X", chronic_certified=True), scheme(REQUIRED))
    # 100.00 × 70 % = 70.00 from the chronic rule, nothing from pooling
    assert result.basic == D("70.00") and result.ytd_after.chronic_paid == D("70.00")
    assert result.ytd_after.outpatient_pooling_paid == D("0.00")
    assert UNCERTIFIED not in texts(result)


def test_an_uncertified_persons_chronic_visit_is_an_ordinary_visit_and_says_so():
    result = settle(visit("100.00", diagnosis_code="I10.X", chronic_certified=False), scheme(REQUIRED))
    # 100.00 × 50 % = 50.00 by township pooling (under the 60.00 a visit)
    assert result.basic == D("50.00") and result.ytd_after.chronic_paid == D("0.00")
    assert result.ytd_after.outpatient_pooling_paid == D("50.00")
    assert UNCERTIFIED in texts(result)
    assert [p.layer for p in result.layer_payments] == ["outpatient_pooling"]


def test_without_the_requirement_the_diagnosis_alone_decides_as_before():
    s = scheme({"outpatient": OUTPATIENT})
    assert s.params.outpatient.chronic.certification_required is False
    assert settle(visit("100.00", diagnosis_code="E11.9", chronic_certified=False), s).basic == D("70.00")
    assert settle(visit("100.00", diagnosis_code="E11.9"), s).basic == D("70.00")


def test_a_visit_off_the_list_is_not_told_about_certification():
    result = settle(visit("100.00", diagnosis_code="J06", chronic_certified=False), scheme(REQUIRED))
    assert result.basic == D("50.00") and UNCERTIFIED not in texts(result)


def test_the_episode_defaults_to_certified():
    assert visit("1.00").chronic_certified is True


"""The scheme's wording (explain) says whether the chronic outpatient rate needs a chronic-disease certificate."""

from nrcms.policy import scheme_file_from_mapping
from nrcms.schemes.explain import describe

OUTPATIENT = {"mode": "pooling", "pooling": {"by_level": {"township": {"rate": "0.50", "per_visit_cap": "60"}}},
              "chronic": {"diagnoses": ["I10", "E11"], "rate": "0.70", "annual_cap": "1000"}}
INPATIENT = {"deductible": {"default": "300"}, "tiers": {"default": [{"rate": "0.50"}]}, "annual_cap": "10000"}


def _rows(required: bool) -> str:
    outpatient = {**OUTPATIENT, "chronic": {**OUTPATIENT["chronic"], "certification_required": required}}
    data = {"id": "t", "name": "测试方案", "county": "测试县", "versions": [
        {"effective": "2020-01-01", "notice": "测试", "parameters": {"inpatient": INPATIENT, "outpatient": outpatient}}]}
    params = scheme_file_from_mapping(data, source="t").versions[0].params
    return " ".join(r for _, rows in describe(params) for r in rows)


def test_the_scheme_wording_says_whether_certification_is_required():
    assert "须经定点医疗机构（县级及以上）慢性病认定，未认定的按普通门诊补偿" in _rows(True)
    assert "不要求慢性病认定，诊断属所列病种即按慢性病补偿" in _rows(False)

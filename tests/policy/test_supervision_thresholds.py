"""监管指标阈值 in a scheme file: optional, merged over versions like the parameters, validated, never hashed."""

from decimal import Decimal

import pytest
import yaml

from nrcms.policy import SchemeError, scheme_file_from_mapping
from nrcms.policy.scheme import SCHEMES_DIR


def _raw():
    return yaml.safe_load((SCHEMES_DIR / "pingluo-2004.yaml").read_text(encoding="utf-8"))


def test_absent_thresholds_are_the_documented_defaults():
    version = scheme_file_from_mapping(_raw()).versions[0]
    assert version.supervision_from_scheme is False
    t = version.supervision
    assert t.drug_share["county"] == Decimal("0.45")
    assert (t.out_of_policy_share["county"], t.out_of_policy_share["prefecture"]) == (Decimal("0.02"), Decimal("0.03"))
    assert t.cost_growth == Decimal("0.10")


def test_thresholds_are_read_and_leave_the_version_hash_alone():
    plain = scheme_file_from_mapping(_raw()).versions[0]
    raw = _raw()
    raw["versions"][0]["supervision_thresholds"] = {"drug_share": {"county": "0.40"}, "cost_growth": "0.08"}
    version = scheme_file_from_mapping(raw).versions[0]
    assert version.supervision_from_scheme is True
    assert version.supervision.drug_share["county"] == Decimal("0.40") and version.supervision.cost_growth == Decimal("0.08")
    assert version.version == plain.version


def test_a_float_or_a_share_above_one_is_refused_with_the_path():
    raw = _raw()
    raw["versions"][0]["supervision_thresholds"] = {"drug_share": {"county": "1.5"}}
    with pytest.raises(SchemeError) as error:
        scheme_file_from_mapping(raw)
    assert "supervision_thresholds" in str(error.value)
    raw["versions"][0]["supervision_thresholds"] = {"cost_growth": 0.1}
    with pytest.raises(SchemeError, match="浮点数"):
        scheme_file_from_mapping(raw)

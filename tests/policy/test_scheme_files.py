"""Scheme files: dated versions, content hashes, immutability, and precise errors for bad files."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from nrcms.policy import SchemeError, load_scheme_file, scheme_file_from_mapping, shipped_schemes
from nrcms.policy.scheme import canonical

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
PINGLUO = (SCHEMES / "pingluo-2004.yaml").read_text(encoding="utf-8")


def write(tmp_path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_scheme_loads_and_cites_its_notice_and_assumptions():
    schemes = shipped_schemes()
    assert set(schemes) == {"pingluo-2004", "pingluo-2005-proposal", "huxian-2005", "demo-layered-2020"}
    for f in schemes.values():
        assert f.versions[0].assumptions, f.id
        assert all(v.notice for v in f.versions)


def test_each_version_has_a_stable_and_distinct_content_hash():
    first, second = shipped_schemes(), shipped_schemes()
    for scheme_id, f in first.items():
        assert [v.version for v in f.versions] == [v.version for v in second[scheme_id].versions]
        assert len({v.version for v in f.versions}) == len(f.versions)
        assert all(len(v.version) == 64 for v in f.versions)


def test_a_changed_parameter_changes_the_hash(tmp_path):
    changed = load_scheme_file(write(tmp_path, PINGLUO.replace('annual_cap: "4000"', 'annual_cap: "4500"')))
    assert changed.versions[0].version != shipped_schemes()["pingluo-2004"].versions[0].version


def test_the_same_numbers_spelled_differently_hash_alike(tmp_path):
    respelled = PINGLUO.replace('rate: "0.20"', 'rate: "0.2"').replace('annual_cap: "4000"', "annual_cap: 4000")
    respelled = respelled.replace("      rounding: fen\n", "")  # fen is the default
    assert respelled != PINGLUO
    assert load_scheme_file(write(tmp_path, respelled)).versions[0].version == \
        shipped_schemes()["pingluo-2004"].versions[0].version


def test_notes_and_assumptions_do_not_change_the_hash(tmp_path):
    edited = PINGLUO.replace("补偿额精确到分（材料未规定舍入）。", "补偿额精确到分。")
    assert load_scheme_file(write(tmp_path, edited)).versions[0].version == \
        shipped_schemes()["pingluo-2004"].versions[0].version


def test_a_later_version_overrides_only_what_it_names():
    f = shipped_schemes()["demo-layered-2020"]
    first, second = f.versions
    assert (first.params.inpatient.annual_cap, second.params.inpatient.annual_cap) == (150000, 200000)
    assert (first.params.catastrophic.deductible, second.params.catastrophic.deductible) == (12000, 10000)
    assert first.params.inpatient.deductible == second.params.inpatient.deductible
    assert first.params.catastrophic.tiers == second.params.catastrophic.tiers


def test_versions_are_selected_by_date():
    f = shipped_schemes()["demo-layered-2020"]
    assert f.select(dt.date(2018, 12, 31)) is None
    assert f.select(dt.date(2019, 6, 1)).effective == dt.date(2019, 1, 1)
    assert f.select(dt.date(2019, 12, 31)).effective == dt.date(2019, 1, 1)
    assert f.select(dt.date(2020, 1, 1)).effective == dt.date(2020, 1, 1)


def test_a_loaded_scheme_cannot_be_changed():
    scheme = shipped_schemes()["pingluo-2005-proposal"].versions[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.params.inpatient.annual_cap = 1
    with pytest.raises(TypeError):
        scheme.params.inpatient.deductible.by_level["county"] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.version = "x"
    assert isinstance(scheme.params.inpatient.tiers.default, tuple)


def test_amounts_are_kept_to_the_fen_and_rates_as_written():
    scheme = shipped_schemes()["pingluo-2004"].versions[0]
    assert str(scheme.params.inpatient.annual_cap) == "4000.00"
    assert str(scheme.params.inpatient.tiers.default[0].rate) == "0.20"


def test_canonical_parameters_are_plain_json_data():
    params = canonical(shipped_schemes()["huxian-2005"].versions[1].params)
    assert params["catalogue"]["eligible_classes"] == ["A", "B"]
    assert params["inpatient"]["annual_cap"] == "15000"


@pytest.mark.parametrize(
    "change,path_part,message_part",
    [
        (('rate: "0.20"}', "rate: 0.2}"), "tiers.default[0].rate", "浮点数"),
        (('annual_cap: "4000"', 'annual_cap: "-1"'), "inpatient.annual_cap", "负数"),
        (('annual_cap: "4000"', 'annual_cap: "4000.005"'), "inpatient.annual_cap", "两位小数"),
        (('annual_cap: "4000"', 'annual_cap: "四千"'), "inpatient.annual_cap", "不是有效的数字"),
        (("tier_convention: bracket", "tier_convention: stepwise"), "tier_convention", "允许的范围"),
        (('annual_cap: "4000"', 'anual_cap: "4000"'), "inpatient.anual_cap", "不认识"),
        (('annual_cap: "4000"', 'annual_cap: "4000"\n        interim: {min_days: 0}'), "interim.min_days", "下限"),
        (('- {upto: "1500", rate: "0.25"}', '- {upto: "900", rate: "0.25"}'), "tiers.default", "递增"),
        (('- {rate: "0.55"}', '- {upto: "9000", rate: "0.55"}'), "tiers.default", "最后一段"),
        (('- {upto: "1500", rate: "0.25"}', '- {upto: "1500", rate: "0.15"}'), "parameters", "全额按档"),
        (('rate: "0.55"}', 'rate: "1.55"}'), "tiers.default[7].rate", "上限"),
        (("mode: family_account", "mode: pooling"), "outpatient", "pooling"),
        (("default: \"300\"", "default: \"300\"\n          by_level: {hospital: \"100\"}"), "deductible.by_level", "允许的范围"),
    ],
)
def test_bad_files_name_file_path_and_problem(tmp_path, change, path_part, message_part):
    assert change[0] in PINGLUO
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(write(tmp_path, PINGLUO.replace(change[0], change[1], 1)))
    assert exc.value.file.endswith("bad.yaml")
    assert exc.value.path.startswith("versions[0].parameters")
    assert any(path_part in path and message_part in message for path, message in exc.value.all_errors), \
        exc.value.all_errors


def test_a_file_without_versions_or_with_a_bad_id_is_refused(tmp_path):
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(write(tmp_path, "id: Bad_Id\nname: x\ncounty: x\nversions: []\n"))
    paths = [path for path, _ in exc.value.all_errors]
    assert "id" in paths and "versions" in paths


def test_a_version_without_its_notice_is_refused(tmp_path):
    text = PINGLUO.replace("    notice: 平罗县新型农村合作医疗制度实施办法（试行）（据 seeds/001 整理）\n", "")
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(write(tmp_path, text))
    assert exc.value.path == "versions[0].notice" and "缺少" in exc.value.message


def test_versions_must_be_in_date_order(tmp_path):
    text = (SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8").replace("2020-01-01", "2018-01-01")
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(write(tmp_path, text))
    assert exc.value.path == "versions[1].effective" and "晚于" in exc.value.message


def test_a_missing_file_and_broken_yaml_say_so(tmp_path):
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(tmp_path / "none.yaml")
    assert "不存在" in exc.value.message
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(write(tmp_path, "id: [unclosed\n"))
    assert "YAML" in exc.value.message


def test_a_mapping_can_be_loaded_without_a_file():
    f = scheme_file_from_mapping({"id": "x", "name": "x", "county": "x", "versions": [
        {"effective": "2020-01-01", "notice": "n", "parameters": {
            "inpatient": {"deductible": {"default": "100"}, "tiers": {"default": [{"rate": "0.5"}]},
                          "annual_cap": "1000"}}}]}, source="db:scheme/7")
    assert f.path == "db:scheme/7" and f.versions[0].params.inpatient.deductible.default == 100
    with pytest.raises(SchemeError) as exc:
        scheme_file_from_mapping(["not", "a", "mapping"], source="db:scheme/8")
    assert exc.value.file == "db:scheme/8"

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nrcms.policy import SchemeError, load_scheme_file, shipped_schemes
from nrcms.policy.cli import calc_main, scheme_main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "nrcms" / "policy" / "examples"
SCHEMES = ROOT / "nrcms" / "policy" / "schemes"


def test_policy_imports_no_django():
    code = ("import sys, pkgutil, importlib, nrcms.policy as p\n"
            "for m in pkgutil.walk_packages(p.__path__, 'nrcms.policy.'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'django'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_version_has_a_stable_content_hash():
    first, second = shipped_schemes(), shipped_schemes()
    for scheme_id, f in first.items():
        assert [v.version for v in f.versions] == [v.version for v in second[scheme_id].versions]
        assert len({v.version for v in f.versions}) == len(f.versions)


def test_a_changed_parameter_changes_the_hash(tmp_path):
    text = (SCHEMES / "pingluo-2004.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace('annual_cap: "4000"', 'annual_cap: "4500"'), encoding="utf-8")
    assert load_scheme_file(changed).versions[0].version != shipped_schemes()["pingluo-2004"].versions[0].version


def test_versions_select_by_date():
    f = shipped_schemes()["demo-layered-2020"]
    import datetime as dt

    assert f.select(dt.date(2018, 12, 31)) is None
    assert f.select(dt.date(2019, 6, 1)).params.inpatient.annual_cap == 150000
    assert f.select(dt.date(2020, 1, 1)).params.inpatient.annual_cap == 200000
    assert f.select(dt.date(2020, 1, 1)).params.catastrophic.deductible == 10000


@pytest.mark.parametrize(
    "change,path_part,message_part",
    [
        (('rate: "0.20"}', "rate: 0.2}"), "rate", "浮点数"),
        (('annual_cap: "4000"', 'annual_cap: "-1"'), "annual_cap", "负数"),
        (("tier_convention: bracket", "tier_convention: stepwise"), "tier_convention", "允许的范围"),
        (('annual_cap: "4000"', 'anual_cap: "4000"'), "anual_cap", "不认识"),
        (('- {upto: "1500", rate: "0.25"}', '- {upto: "900", rate: "0.25"}'), "tiers", "递增"),
        (('rate: "0.55"}', 'rate: "1.55"}'), "rate", "上限"),
    ],
)
def test_bad_files_name_file_path_and_problem(tmp_path, change, path_part, message_part):
    text = (SCHEMES / "pingluo-2004.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(bad)
    assert exc.value.file.endswith("bad.yaml")
    assert exc.value.path.startswith("versions[0].parameters")
    assert any(path_part in path and message_part in message for path, message in exc.value.all_errors)


def test_versions_must_be_in_date_order(tmp_path):
    bad = tmp_path / "order.yaml"
    text = (SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8").replace("2020-01-01", "2018-01-01")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as exc:
        load_scheme_file(bad)
    assert exc.value.path == "versions[1].effective"


def test_calc_prints_a_readable_table(capsys):
    code = calc_main(["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode", str(EXAMPLES / "xu-guiying-8432.yaml")])
    out = capsys.readouterr().out
    assert code == 0 and "年度封顶线 4000 元" in out and "基金支付 4000.00" in out


def test_calc_json_keeps_chinese_and_decimal_strings(capsys):
    code = calc_main(["--scheme", str(SCHEMES / "demo-layered-2020.yaml"), "--episode",
                      str(EXAMPLES / "poor-patient-2020.yaml"), "--ytd", str(EXAMPLES / "ytd-second-admission.yaml"),
                      "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["eligible_cost"] == "6276.00" and data["deductible"] == "250.00"
    assert any("医疗救助" in line["text"] for line in data["lines"])
    assert data["ytd_after"]["admissions"] == 2


def test_calc_refuses_bad_input_with_a_clear_message(tmp_path, capsys):
    episode = tmp_path / "e.yaml"
    episode.write_text("kind: inpatient\nadmission_date: 2004-01-05\ncharges: [{amount: 12.5}]\n", encoding="utf-8")
    code = calc_main(["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode", str(episode)])
    assert code == 2 and "浮点数" in capsys.readouterr().err


def test_scheme_check_summarises_and_reports_errors(tmp_path, capsys):
    assert scheme_main(["check", str(SCHEMES / "huxian-2005.yaml")]) == 0
    assert "单病种定额 4 种" in capsys.readouterr().out
    bad = tmp_path / "b.yaml"
    bad.write_text("id: x\nname: x\ncounty: x\nversions: []\n", encoding="utf-8")
    assert scheme_main(["check", str(bad)]) == 2
    assert "versions" in capsys.readouterr().err


def test_nrcms_command_runs_calc_without_django():
    out = subprocess.run([sys.executable, "-m", "nrcms.cli", "calc", "--scheme", str(SCHEMES / "pingluo-2004.yaml"),
                          "--episode", str(EXAMPLES / "xu-guiying-8432.yaml"), "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["fund_total"] == "4000.00"

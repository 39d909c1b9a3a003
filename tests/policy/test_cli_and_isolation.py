"""The engine stands alone: it imports no Django, and `nrcms calc` / `nrcms scheme check` work without a
database."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

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


def test_calc_prints_the_explanation_table_for_the_domain_example(capsys):
    code = calc_main(["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode",
                      str(EXAMPLES / "xu-guiying-8432.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "医疗总费用 8,432.00 元" in out  # amounts as a reader sees them
    assert "基金支付 4000.00" in out and "个人自付 4432.00" in out


def test_calc_json_uses_year_to_date_and_keeps_amounts_as_text(capsys):
    argv = ["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode", str(EXAMPLES / "xu-guiying-8432.yaml"),
            "--json"]
    assert calc_main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert calc_main([*argv, "--ytd", str(EXAMPLES / "ytd-second-admission.yaml")]) == 0
    second = json.loads(capsys.readouterr().out)
    assert isinstance(first["fund_total"], str)
    # 1,800 already paid this year leaves 2,200 of the 4,000 cap
    assert Decimal(first["fund_total"]) == Decimal("4000.00")
    assert Decimal(second["fund_total"]) == Decimal("2200.00")
    assert second["ytd_after"]["admissions"] == 2


def test_calc_refuses_a_broken_episode_with_the_field_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "xu-guiying-8432.yaml").read_text(encoding="utf-8")
                   .replace("admission_date", "admision_date"), encoding="utf-8")
    assert calc_main(["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode", str(bad)]) == 2
    assert "admision_date" in capsys.readouterr().err


def test_scheme_check_summarises_every_shipped_scheme(capsys):
    for path in sorted(SCHEMES.glob("*.yaml")):
        assert scheme_main(["check", str(path)]) == 0
        out = capsys.readouterr().out
        assert out.rstrip().endswith("校验通过")
        assert "依据：" in out


def test_scheme_check_lists_every_error_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((SCHEMES / "pingluo-2004.yaml").read_text(encoding="utf-8")
                   .replace('annual_cap: "4000"', 'annual_cap: "-1"'), encoding="utf-8")
    assert scheme_main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "annual_cap" in err


def test_the_console_script_dispatches_calc_without_django():
    out = subprocess.run([sys.executable, "-c", "import sys; from nrcms.cli import main; "
                          "code = main(sys.argv[1:]); "
                          "assert not any(m.startswith('django') for m in sys.modules); sys.exit(code)",
                          "calc", "--scheme", str(SCHEMES / "pingluo-2004.yaml"),
                          "--episode", str(EXAMPLES / "xu-guiying-8432.yaml")],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "基金支付 4000.00" in out.stdout

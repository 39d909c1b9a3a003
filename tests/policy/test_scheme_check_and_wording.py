"""`scheme check` refuses what would silently change payments; a year-to-date file carries its year; the
explanation says when a stay is at or below the deductible, reads a first bracket band as "1000 元以下", and
keeps the family account apart from the pooled fund's reimbursement ratio."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from engine_cases import admission, person, scheme, visit

from nrcms.policy import Refusal, SchemeError, YearToDate, load_scheme_file, settle
from nrcms.policy.cli import calc_main, scheme_main
from nrcms.policy.parameters import CATEGORY_LABELS

D = Decimal
SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
DEMO = (SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8")


def _check(tmp_path, text: str, capsys) -> tuple[int, str]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code = scheme_main(["check", str(path)])
    return code, capsys.readouterr().err


def test_a_misspelt_assistance_category_is_refused_naming_the_path(tmp_path, capsys):
    code, err = _check(tmp_path, DEMO.replace("registered_poor: {threshold", "registered-poor: {threshold"), capsys)
    assert code == 2
    assert "versions[0].parameters.assistance.categories" in err
    assert "registered-poor" in err and "registered_poor" in err  # the typo and the right spelling


def test_a_misspelt_safety_net_category_is_refused(tmp_path, capsys):
    code, err = _check(tmp_path, DEMO.replace("categories: [registered_poor]", "categories: [poor]"), capsys)
    assert code == 2
    assert "versions[0].parameters.safety_net.categories" in err and "“poor”" in err


def test_an_unknown_facility_level_is_refused_with_the_allowed_levels(tmp_path, capsys):
    code, err = _check(tmp_path, DEMO.replace("by_level: {township: \"200\"", "by_level: {towship: \"200\""), capsys)
    assert code == 2
    assert "versions[0].parameters.inpatient.deductible.by_level.towship" in err
    assert "'village'" in err and "'township'" in err


def test_a_diagnosis_that_is_not_an_icd10_code_is_refused(tmp_path, capsys):
    code, err = _check(tmp_path, DEMO.replace('diagnoses: ["O80"]', 'diagnoses: ["顺产"]'), capsys)
    assert code == 2
    assert "versions[0].parameters.inpatient.subsidies[0].diagnoses" in err and "ICD-10" in err


def test_the_policy_category_list_is_the_registry_list():
    from nrcms.registry.models import Category  # the registry's TextChoices: importable without a database

    assert dict(Category.choices) == CATEGORY_LABELS


def test_year_to_date_totals_of_another_year_are_refused():
    s = scheme()
    stay = admission("2000", on=dt.date(2020, 5, 20))
    assert settle(stay, s, YearToDate(year=2019)).refused == (Refusal.YTD_OTHER_YEAR,)
    ok = settle(stay, s, YearToDate(year=2020, admissions=1))
    assert ok.refused == () and ok.ytd_after.year == 2020 and ok.ytd_after.admissions == 2


def test_a_year_to_date_file_without_its_year_is_refused(tmp_path, capsys):
    ytd = tmp_path / "ytd.yaml"
    ytd.write_text('admissions: 1\nbasic_paid: "1800.00"\n', encoding="utf-8")
    episode = SCHEMES.parent / "examples" / "xu-guiying-8432.yaml"
    code = calc_main(["--scheme", str(SCHEMES / "pingluo-2004.yaml"), "--episode", str(episode), "--ytd", str(ytd)])
    assert code == 2
    assert "year: 2004" in capsys.readouterr().err
    with pytest.raises(ValueError, match="year"):
        YearToDate.from_dict({"year": "last"})


def test_a_stay_below_the_deductible_says_so():
    result = settle(admission("250"), scheme())  # deductible 300
    assert result.basic == 0
    assert "政策范围内费用 250.00 元未超过起付线 300.00 元，基本医疗补偿为 0 元" in [x.text for x in result.lines]
    at = settle(admission("300"), scheme())
    assert any(x.step == "below_deductible" for x in at.lines)
    above = settle(admission("301"), scheme())
    assert not any(x.step == "below_deductible" for x in above.lines)


def test_the_first_bracket_band_reads_below_its_bound():
    s = scheme({"tier_convention": "bracket",
                "inpatient": {"tiers": {"default": [{"upto": "1000", "rate": "0.20"}, {"rate": "0.25"}]}}})
    text = [x.text for x in settle(admission("800"), s).lines if x.step == "tier"]
    # 800 − 300 = 500 × 20 % = 100
    assert text == ["全额按档：政策范围内费用 800.00 元落在 1000 元以下档，起付线以上 500.00 元 × 20% = 100.00 元"]
    upper = [x.text for x in settle(admission("1200"), s).lines if x.step == "tier"]
    assert upper == ["全额按档：政策范围内费用 1,200.00 元落在 1000 元以上档，起付线以上 900.00 元 × 25% = 225.00 元"]


def test_the_family_account_is_shown_apart_and_left_out_of_the_ratio():
    s = load_scheme_file(SCHEMES / "huxian-2005.yaml").versions[-1]  # outpatient: family account only
    result = settle(visit("50", level="village", on=s.effective), s, YearToDate(family_account_balance=D("30.00")))
    assert result.family_account == D("30.00") and result.fund_total == D("30.00")
    assert result.effective_ratio == 0  # nothing pooled: 0 ÷ 50
    summary = result.lines[-1].text
    assert summary.startswith("统筹基金支付 0.00 元；家庭账户支付 30.00 元")
    assert "不计入补偿比" in summary and "实际补偿比（统筹基金支付 ÷ 医疗总费用）0.00%" in summary


def test_every_shipped_scheme_passes_the_stricter_check():
    for path in SCHEMES.glob("*.yaml"):
        load_scheme_file(path)  # raises SchemeError if not


def test_the_person_categories_in_a_scheme_are_checked_even_when_built_in_code():
    with pytest.raises(SchemeError, match="registered-poor"):
        scheme({"safety_net": {"categories": ["registered-poor"], "guaranteed_ratio": "0.9"}})
    assert settle(admission("2000"), scheme(), person=person("registered_poor")).refused == ()

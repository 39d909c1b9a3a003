"""Schemes as managed records: upload with the check, simulation against last year, approval by the director,
and the desk settling by the approved version in force under the scheme's date rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from nrcms.accounts.models import AuditEntry
from nrcms.claims.settlement import settlement_settle
from nrcms.core.errors import Conflict, ValidationFailed
from nrcms.registry.models import Region
from nrcms.schemes.models import SchemeStatus, SchemeVersion
from nrcms.schemes.selectors import desk_scheme
from nrcms.schemes.services import scheme_approve, scheme_simulate, scheme_upload

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
DEMO = (SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8")
RAISED = DEMO.replace("default: [{rate: \"0.75\"}]", "default: [{rate: \"0.80\"}]")  # county hospital 75 % → 80 %
LAST_DEMO_DAY = dt.date(2026, 11, 20)  # nrcms/demo/claims.py LAST_DAY: the demo's last settled discharge
EFFECTIVE = LAST_DEMO_DAY + dt.timedelta(days=5)
COUNTY = "610125000000"


@pytest.fixture
def county(demo):
    return Region.objects.get(code=COUNTY)


def uploaded(demo, county, text=RAISED, year=2027, effective=EFFECTIVE) -> SchemeVersion:
    return scheme_upload(actor=demo["reviewer"], region=county, year=year, content=text, file_name="raised.yaml",
                         effective_from=effective)


def test_the_demo_registers_its_scheme_as_an_approved_version(demo, county):
    demo_version = SchemeVersion.objects.get(region=county, status=SchemeStatus.APPROVED)
    assert demo_version.effective_from == dt.date(2019, 1, 1) and demo_version.scheme_id == "demo-layered-2020"
    assert (demo_version.uploaded_by.username, demo_version.approved_by.username) == ("reviewer", "director")
    assert demo_version.simulation["engine"] == "vectorised"  # nrcms.simulation.scheme_version_summary


def test_a_good_file_is_checked_and_a_typo_leaves_a_draft_naming_the_path(demo, county):
    good = uploaded(demo, county)
    assert good.status == SchemeStatus.CHECKED and good.parsed_ok and good.check_errors == []
    assert len(good.sha256) == 64 and good.date_rule == "discharge"
    bad = uploaded(demo, county, DEMO.replace("registered_poor: {threshold", "registered-poor: {threshold"))
    assert bad.status == SchemeStatus.DRAFT and not bad.parsed_ok
    assert bad.check_errors[0][0] == "versions[0].parameters.assistance.categories"
    assert "registered-poor" in bad.check_errors[0][1]
    with pytest.raises(ValidationFailed, match="只有校验通过的方案可以测算"):
        scheme_simulate(actor=demo["reviewer"], version=bad)


def test_a_diagnosis_missing_from_the_diagnosis_table_is_refused_in_django(demo, county):
    bad = uploaded(demo, county, DEMO.replace('diagnoses: ["O80"]', 'diagnoses: ["Z99"]'))
    assert bad.check_errors == [["versions[0].parameters.inpatient.subsidies[0].diagnoses",
                                 "诊断编码“Z99”在诊断编码库中没有（拼写错误？该病种将无人适用）"]]


def test_the_simulation_replays_last_years_settlements(demo, county):
    same = scheme_simulate(actor=demo["reviewer"], version=uploaded(demo, county, DEMO))
    s = same.simulation
    assert same.status == SchemeStatus.SIMULATED and s["year"] == 2026 and s["claims"] > 0
    assert s["old_total"] == s["new_total"] and s["changed"] == 0  # the same parameters pay the same
    raised = scheme_simulate(actor=demo["reviewer"], version=uploaded(demo, county))
    r = raised.simulation
    assert r["claims"] == s["claims"] and r["changed"] > 0
    assert Decimal(r["new_total"]) > Decimal(r["old_total"]) == Decimal(s["old_total"])
    assert AuditEntry.objects.filter(action="scheme.simulate", object_id=str(raised.pk)).exists()


def test_approval_needs_a_simulation_the_director_and_a_date_after_what_is_settled(demo, county):
    version = uploaded(demo, county)
    with pytest.raises(ValidationFailed, match="尚未对上一年度数据做模拟测算"):
        scheme_approve(actor=demo["director"], version=version)
    version = scheme_simulate(actor=demo["reviewer"], version=version)
    with pytest.raises(ValidationFailed, match="已结算的不能改变"):
        scheme_approve(actor=demo["director"], version=version, effective_from=LAST_DEMO_DAY)
    with pytest.raises(Exception, match="无权批准"):
        scheme_approve(actor=demo["reviewer"], version=version)
    approved = scheme_approve(actor=demo["director"], version=version, authority="户医保〔2026〕9号")
    assert approved.status == SchemeStatus.APPROVED and approved.approved_by == demo["director"]
    with pytest.raises(Conflict):
        scheme_approve(actor=demo["committee"], version=approved)
    assert AuditEntry.objects.filter(action="scheme.approve", object_id=str(approved.pk)).exists()


def test_the_database_refuses_an_approver_who_uploaded(demo, county):
    version = uploaded(demo, county)
    with pytest.raises(IntegrityError), transaction.atomic():
        SchemeVersion.objects.filter(pk=version.pk).update(approved_by=demo["reviewer"])


def test_the_desk_picks_the_version_by_the_date_rule_and_falls_back_to_the_file(demo, county, settings):
    version = scheme_approve(actor=demo["director"], version=scheme_simulate(actor=demo["reviewer"],
                                                                             version=uploaded(demo, county)))
    village = "610125100201001"
    before = EFFECTIVE - dt.timedelta(days=3)
    _, source = desk_scheme(village, before, EFFECTIVE)  # discharged on the effective day: the new one
    assert source["scheme_version_id"] == version.pk
    _, source = desk_scheme(village, before, EFFECTIVE - dt.timedelta(days=1))
    assert source["scheme_version_id"] != version.pk and source["source"] == "scheme_version"
    SchemeVersion.objects.filter(pk=version.pk).update(date_rule="admission")
    _, source = desk_scheme(village, before, EFFECTIVE)  # by admission date now: still the old one
    assert source["scheme_version_id"] != version.pk
    SchemeVersion.objects.all().delete()
    scheme_file, source = desk_scheme(village, before, EFFECTIVE)
    assert source == {"source": "settings_file", "file": Path(settings.NRCMS_SCHEME_FILE).name}
    assert scheme_file.id == "demo-layered-2020"


def test_a_settlement_uses_and_records_the_approved_version(demo, county):
    from tests.claims.claims_factory import admitted

    version = scheme_approve(actor=demo["director"], version=scheme_simulate(actor=demo["reviewer"],
                                                                             version=uploaded(demo, county)))
    person = _person(county)
    episode = admitted(demo["desk_county"], person, serial="ZYS1", admit=EFFECTIVE,
                       discharge=EFFECTIVE + dt.timedelta(days=2))
    settlement, _ = settlement_settle(actor=demo["desk_county"], episode=episode)
    # eligible 5,100 − deductible 500 = 4,600 × 80 % (the raised rate) = 3,680
    assert settlement.basic == Decimal("3680.00")
    assert settlement.inputs["scheme_source"]["scheme_version_id"] == version.pk
    assert settlement.inputs["year_to_date"]["year"] == 2026


def _person(county):
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Enrollment, Household, Person

    household = Household.objects.create(number="T6101251002019901", region=Region.objects.get(code="610125100201001"),
                                         address="东韩村一组 9 号")
    person = Person.objects.create(id_number=make_id_number("610125", dt.date(1960, 1, 2), 471, "M"), name="赵方案",
                                   sex="M", birth_date=dt.date(1960, 1, 2), household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=2026)
    return person


def test_the_cli_uploads_and_approves(demo, county, tmp_path, capsys):
    path = tmp_path / "raised.yaml"
    path.write_text(RAISED, encoding="utf-8")
    call_command("scheme_upload", str(path), "--region", COUNTY, "--year", "2027", "--user", "reviewer",
                 "--effective-from", EFFECTIVE.isoformat())
    version = SchemeVersion.objects.get(file_name="raised.yaml")
    call_command("scheme_approve", str(version.pk), "--user", "director", "--simulate-as", "reviewer")
    version.refresh_from_db()
    assert version.status == SchemeStatus.APPROVED
    assert "已批准方案版本" in capsys.readouterr().out
    path.write_text(DEMO.replace("categories: [registered_poor]", "categories: [poor]"), encoding="utf-8")
    with pytest.raises(CommandError, match="校验未通过"):
        call_command("scheme_upload", str(path), "--region", COUNTY, "--year", "2027", "--user", "reviewer")

"""One file per patient: what it gathers, the two records it keeps, the PDF (audited), and who may read it."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.poverty import patient_file as pf
from nrcms.poverty.models import FollowUp


def test_the_file_gathers_categories_settlements_and_the_years_ratio(poor, demo):
    person = pf.patient_get(actor=demo["civil"], person_id=poor["P1"].pk)
    f = pf.patient_file(person)
    assert [(c.category, c.valid_from) for c in f["categories"]] == [("registered_poor", dt.date(2025, 1, 1))]
    (s,) = f["settlements"]
    assert (s["total_cost"], s["basic"], s["safety_net"], s["fund_total"], s["self_pay"]) == (
        Decimal("7000.00"), Decimal("3450.00"), Decimal("1140.00"), Decimal("4590.00"), Decimal("2410.00"))
    (year,) = f["years"]
    assert (year["year"], year["count"], year["effective_ratio"], year["meets_target"]) == (
        2026, 1, Decimal("65.57"), False)
    assert f["contracts"] == []


def test_contracts_come_from_a_pluggable_source(poor, demo, monkeypatch):
    monkeypatch.setattr(pf, "CONTRACT_SOURCES", [lambda p: [{"date": dt.date(2026, 1, 5), "doctor": "王医生",
                                                             "team": "甘亭镇一组", "fee": Decimal("12.00"), "note": ""}]])
    assert pf.patient_file(poor["P1"])["contracts"][0]["doctor"] == "王医生"


def test_follow_ups_and_plans_are_recorded_and_audited(poor, demo):
    civil = demo["civil"]
    pf.follow_up_record(actor=civil, person=poor["P1"], date=dt.date(2026, 3, 20), kind="visit", note="入户随访，血压平稳")
    pf.treatment_plan_record(actor=civil, person=poor["P1"], date=dt.date(2026, 3, 12), text="溶栓后康复，每月复查")
    f = pf.patient_file(poor["P1"])
    assert [x.note for x in f["follow_ups"]] == ["入户随访，血压平稳"]
    assert [x.text for x in f["plans"]] == ["溶栓后康复，每月复查"]
    assert AuditEntry.objects.filter(action__in=("poverty.follow_up", "poverty.treatment_plan")).count() == 2
    with pytest.raises(ValidationFailed, match="随访情况不能为空"):
        pf.follow_up_record(actor=civil, person=poor["P1"], date=dt.date(2026, 3, 20), kind="visit", note=" ")
    with pytest.raises(Forbidden):
        pf.follow_up_record(actor=demo["director"], person=poor["P1"], date=dt.date(2026, 3, 20), kind="visit",
                            note="x")
    assert FollowUp.objects.count() == 1


def test_only_people_in_the_poverty_registry_have_a_file(poor, demo):
    from nrcms.registry.models import Person

    other = Person.objects.exclude(categories__category__in=("registered_poor", "monitored")).first()
    with pytest.raises(NotFound):
        pf.patient_get(actor=demo["civil"], person_id=other.pk)
    with pytest.raises(Forbidden):
        pf.patient_get(actor=demo["ganting"], person_id=poor["P1"].pk)


def test_page_api_and_pdf(poor, login, client):
    login("civil")
    pk = poor["P1"].pk
    page = client.get(f"/poverty/patients/{pk}/").content.decode()
    assert "扶一" in page and poor["P1"].id_number not in page
    api = client.get(f"/api/poverty/patients/{pk}").json()
    assert api["years"][0]["effective_ratio"] == "65.57" and "*" in api["id_number"]
    pdf = client.get(f"/poverty/patients/{pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="export", actor_username="civil").count() == 1
    response = client.post(f"/poverty/patients/{pk}/follow-ups/", {"date": "2026-03-21", "kind": "phone",
                                                                  "note": "电话随访"})
    assert response.status_code == 302 and FollowUp.objects.get().note == "电话随访"

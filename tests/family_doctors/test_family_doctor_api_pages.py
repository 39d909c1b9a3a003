"""家庭医生签约 over the API and on the pages: sign (and the refusals in the house's error shape), renew, pay a
month (once), signing rates and the poor unsigned (masked), the pages and their Excel, the CLI command."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from nrcms.family_doctors.models import Contract, FeePayment
from nrcms.funding.models import JournalEntry

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_api_signs_refuses_renews_and_pays(client, login, fd):
    login("reviewer")
    wife = fd["h3"][1]
    body = {"team_id": fd["t1"].pk, "household_number": "QY0003", "person_id": wife.pk, "package": "basic",
            "start": "2026-06-01", "fee": "60.00", "fee_fund": "40.00", "fee_person": "10.00",
            "fee_public_health": "5.00"}
    bad = client.post("/api/family-doctors/contracts", body, content_type=JSON)
    assert bad.status_code == 422 and bad.json()["field"] == "fee_fund" and "应等于" in bad.json()["message"]
    made = client.post("/api/family-doctors/contracts", {**body, "fee_public_health": "10.00"}, content_type=JSON)
    assert made.status_code == 201, made.content
    out = made.json()
    assert (out["person"], out["end"], out["fee_fund"], out["status"]) == ("丁", "2027-05-31", "40.00", "active")
    again = client.post("/api/family-doctors/contracts", {**body, "fee_public_health": "10.00"}, content_type=JSON)
    assert again.status_code == 409 and again.json()["code"] == "overlap"
    renewed = client.post(f"/api/family-doctors/contracts/{out['number']}/renew", {}, content_type=JSON)
    assert renewed.status_code == 201 and renewed.json()["start"] == "2027-06-01"
    assert renewed.json()["renews"] == out["number"]
    bad_kind = client.post(f"/api/family-doctors/contracts/{out['number']}/visits",
                           {"date": "2026-06-02", "kind": "teleport", "note": "x"}, content_type=JSON)
    assert bad_kind.status_code == 422
    visit = client.post(f"/api/family-doctors/contracts/{out['number']}/visits",
                        {"date": "2026-06-02", "kind": "health_check", "note": "年度体检"}, content_type=JSON)
    assert visit.status_code == 201 and visit.json()["visits"][0]["kind"] == "health_check"
    fees = client.get("/api/family-doctors/fees?month=2026-04").json()
    assert {r["team"]: r["amount"] for r in fees["rows"]} == {"东韩村家医团队": "13.33", "甘亭镇家医团队": "0.00"}
    paid = client.post("/api/family-doctors/fees/pay", {"month": "2026-04"}, content_type=JSON).json()
    assert (paid["paid_now"], paid["paid_amount"]) == (1, "13.33")
    twice = client.post("/api/family-doctors/fees/pay", {"month": "2026-04"}, content_type=JSON).json()
    assert (twice["paid_now"], twice["already_paid"]) == (0, 1)
    assert JournalEntry.objects.filter(kind="family_doctor_fee").count() == 1


def test_api_rates_and_unsigned_poor_masked(client, login, fd):
    login("director")
    rates = client.get("/api/family-doctors/signing-rates?day=2026-04-01&region=610125197000").json()
    assert (rates["total"]["rate"], rates["total"]["poor_rate"]) == ("66.67", "66.67")
    page = client.get("/api/family-doctors/poor-unsigned?day=2026-04-01&region=610125197000").json()
    assert page["total"] == 1 and page["items"][0]["name"] == "乙"
    assert page["items"][0]["id_number"] != fd["yi"].id_number and "*" in page["items"][0]["id_number"]
    assert client.post("/api/family-doctors/fees/pay", {"month": "2026-04"}, content_type=JSON).status_code == 403


def test_pages_sign_pay_and_show(client, login, fd):
    login("reviewer")
    html = client.get("/family-doctors/").content.decode()
    assert fd["c1"].number in html and "户签约（全体成员）" in html
    response = client.post("/family-doctors/contracts/new/", {
        "team": fd["t2"].pk, "household": "QY0003", "person": fd["h3"][1].id_number, "package": "basic",
        "start": "2026-07-01", "fee": "30", "fee_fund": "30", "fee_person": "0", "fee_public_health": "0"})
    c = Contract.objects.get(person=fd["h3"][1])
    assert response.status_code == 302 and response["Location"] == f"/family-doctors/contracts/{c.number}/"
    detail = client.get(response["Location"]).content.decode()
    assert "丁" in detail and fd["h3"][1].id_number not in detail and "甘亭镇家医团队" in detail
    client.post("/family-doctors/fees/", {"month": "2026-08"})
    fees = client.get("/family-doctors/fees/?month=2026-08").content.decode()
    assert "已支付 2.50 元" in fees  # 30 ÷ 12 = 2.50
    assert FeePayment.objects.get(team=fd["t2"], month=dt.date(2026, 8, 1)).amount == Decimal("2.50")
    rates = client.get("/family-doctors/rates/?day=2026-04-01&region=610125197000").content.decode()
    assert "甲村" in rates and "75.00" in rates
    xlsx = client.get("/family-doctors/rates.xlsx?day=2026-04-01&region=610125197000")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][:5] == ["签约乡", "甲村", 4, 3, 75]
    unsigned = client.get("/family-doctors/unsigned/?day=2026-04-01&region=610125197000").content.decode()
    assert "乙" in unsigned and fd["yi"].id_number not in unsigned
    assert client.get("/family-doctors/unsigned.xlsx?day=2026-04-01").status_code == 200
    teams = client.post("/family-doctors/teams/", {"name": "新团队", "facility": "H610125101",
                                                   "members": "孙医生 医生\n周护士 护士", "is_active": "1"})
    assert teams.status_code == 302
    assert client.get("/family-doctors/teams/").content.decode().count("孙医生（医生）") == 1


def test_the_patient_file_page_shows_the_contract(client, login, fd):
    login("civil")
    html = client.get(f"/poverty/patients/{fd['h1'][0].pk}/").content.decode()
    assert fd["c1"].number in html and "东韩村家医团队" in html and "王医生" in html


def test_township_clerk_manages_but_may_not_pay(client, login, fd):
    login("ganting")
    assert client.get("/family-doctors/").status_code == 200
    assert client.post("/family-doctors/fees/", {"month": "2026-04"}).status_code == 403


def test_cli_pays_a_month_once(fd, capsys):
    call_command("family_doctors_pay", month="2026-03", user="reviewer")
    call_command("family_doctors_pay", month="2026-03", user="reviewer")
    out = capsys.readouterr().out
    assert "本次支付 2 个团队，合计 10.84 元" in out and "此前已支付 2 个团队" in out
    assert JournalEntry.objects.filter(kind="family_doctor_fee").count() == 2

"""The registers over the API and the pages: lists with filters, the forms, the Excel export (masked and
audited), the person page and the poverty file's sections; numbers masked everywhere."""

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from nrcms.accounts.models import AuditEntry
from nrcms.conditions.models import ChronicCertificate, SeriousIllness
from nrcms.conditions.services import chronic_certify, serious_case_record
from nrcms.core.masking import mask_id
from nrcms.registry.models import PersonCategory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def certified(demo, patients, layered_scheme):
    return chronic_certify(actor=demo["reviewer"], id_number=patients.head.id_number, disease_code="I10",
                           facility_code="H610125001", certified_on=D(2026, 3, 1), valid_until=D(2027, 2, 28))


def test_the_api_certifies_lists_and_reads(client, login, patients, layered_scheme):
    login("reviewer")
    body = {"id_number": patients.head.id_number, "disease_code": "E11", "facility_code": "H610125002",
            "certified_on": "2026-03-01", "valid_until": "2027-02-28"}
    response = client.post("/api/conditions/chronic", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content.decode()
    out = response.json()
    assert (out["disease_name"], out["facility"], out["status"]) == ("2型糖尿病", "户县中医医院", "certified")
    assert out["person"]["id_number"] == mask_id(patients.head.id_number) != patients.head.id_number
    listed = client.get("/api/conditions/chronic", {"disease": "E11", "township": "610125100000"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == out["id"]
    assert client.get("/api/conditions/chronic", {"township": "610125101000"}).json()["total"] == 0
    bad = client.post("/api/conditions/chronic", json.dumps({**body, "facility_code": "H610125101"}),
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "level_too_low" and "县级及以上" in bad.json()["message"]
    follow = client.post(f"/api/conditions/chronic/{out['id']}/follow-ups", json.dumps(
        {"date": "2026-04-01", "by_whom": "村医", "glucose": "空腹 7.8 mmol/L"}), content_type="application/json")
    assert follow.status_code == 200 and follow.json()["follow_ups"][0]["glucose"] == "空腹 7.8 mmol/L"


def test_the_api_refuses_a_reader_writing_and_a_desk_reading_the_register(client, login, patients, layered_scheme):
    login("director")
    assert client.get("/api/conditions/chronic").status_code == 200
    assert client.post("/api/conditions/chronic", "{}", content_type="application/json").status_code == 403
    login("desk_county")
    assert client.get("/api/conditions/chronic").status_code == 403
    assert client.get("/api/conditions/sickbeds").status_code == 200


def test_serious_illness_api_uses_coded_diseases(client, login, patients):
    login("civil")
    body = {"id_number": patients.head.id_number, "disease": "child_all", "facility_code": "H610125001",
            "pathway": "化疗方案 CCLG-ALL", "started_on": "2026-04-01"}
    out = client.post("/api/conditions/serious", json.dumps(body), content_type="application/json").json()
    assert out["disease"] == "child_all" and out["status"] == "treating"
    wrong = client.post("/api/conditions/serious", json.dumps({**body, "disease": "flu"}), content_type="application/json")
    assert wrong.status_code in (400, 422) and "child_all" in wrong.content.decode()
    closed = client.post(f"/api/conditions/serious/{out['id']}/close", json.dumps(
        {"status": "completed", "closed_on": "2026-06-01"}), content_type="application/json").json()
    assert closed["status"] == "completed"


def test_the_chronic_pages_list_filter_certify_and_export(client, login, patients, certified):
    login("reviewer")
    html = client.get("/conditions/chronic/", {"township": "610125100000", "disease": "I10", "status": "certified"}
                      ).content.decode()
    assert "赵长林" in html and "高血压（I10）" in html and mask_id(patients.head.id_number) in html
    assert patients.head.id_number not in html
    assert "赵长林" not in client.get("/conditions/chronic/", {"status": "revoked"}).content.decode()
    response = client.post("/conditions/chronic/new/", {
        "id_number": patients.spouse.id_number, "disease_code": "J44", "facility_code": "H610125101",
        "certified_on": "2026-03-01", "valid_until": "2027-02-28"})
    assert response.status_code == 200 and "县级及以上" in response.content.decode()
    response = client.post("/conditions/chronic/new/", {
        "id_number": patients.spouse.id_number, "disease_code": "J44", "facility_code": "H610125001",
        "certified_on": "2026-03-01", "valid_until": "2027-02-28"})
    cert = ChronicCertificate.objects.get(person=patients.spouse)
    assert response.status_code == 302 and response["Location"] == f"/conditions/chronic/{cert.pk}/"
    client.post(f"/conditions/chronic/{cert.pk}/follow-ups/", {"date": "2026-04-01", "by_whom": "村医张平",
                                                             "blood_pressure": "150/95"})
    assert "150/95" in client.get(f"/conditions/chronic/{cert.pk}/").content.decode()
    xlsx = client.get("/conditions/chronic.xlsx", {"disease": "I10"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("姓名", "身份证号（脱敏）") and len(rows) == 2
    assert rows[1][0] == "赵长林" and rows[1][1] == mask_id(patients.head.id_number) and rows[1][4] == "高血压"
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert entry.object_repr.startswith("慢性病认定名单") and entry.after["rows"] == 1 and entry.after["what"] == "慢性病认定名单"


def test_the_person_page_and_the_poverty_file_show_the_three_registers(client, login, demo, patients, certified):
    serious_case_record(actor=demo["reviewer"], id_number=patients.head.id_number, disease=SeriousIllness.LUNG_CANCER,
                        facility_code="H610125001", pathway="手术＋辅助化疗", started_on=D(2026, 4, 1))
    login("reviewer")
    html = client.get(f"/conditions/people/{patients.head.pk}/").content.decode()
    assert "高血压（I10）" in html and "肺癌" in html and "手术＋辅助化疗" in html and 'data-testid="file-sickbeds"' in html
    PersonCategory.objects.create(person=patients.head, category="registered_poor", valid_from=D(2026, 1, 1),
                                  authority="测试")
    html = client.get(f"/poverty/patients/{patients.head.pk}/").content.decode()
    assert 'data-testid="file-chronic"' in html and "高血压（I10）" in html and "肺癌" in html


def test_sickbed_pages_for_the_desk(client, login, patients, layered_scheme):
    login("desk_ganting")
    response = client.post("/conditions/sickbeds/new/", {"id_number": patients.head.id_number, "doctor": "李医生",
                                                         "diagnosis_code": "I63.9", "opened_on": "2026-05-01",
                                                         "planned_days": "30"})
    assert response.status_code == 302
    url = response["Location"]
    client.post(url + "visits/", {"date": "2026-05-02", "services": "查床", "item_code": "5101-YP0001",
                                  "quantity": "8", "unit_price": "45"})
    client.post(url + "close/", {"closed_on": "2026-05-10"})
    client.post(url + "settle/")
    html = client.get(url).content.decode()
    # 360.00 − 200.00 = 160.00 × 85 % = 136.00
    assert "已结算" in html and "136.00" in html and "360.00" in html
    login("reviewer")
    assert "李医生" in client.get("/conditions/sickbeds/").content.decode()

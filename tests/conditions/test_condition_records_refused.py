"""Who may read a certificate, a serious-illness record or a home sickbed by its id: a township clerk holds no
conditions capability (403 on every page and API, nothing shown), and a hospital desk sees only its own
facility's beds (another hospital's bed is "not found" and cannot be visited, closed or settled)."""

import datetime as dt
import json

import pytest

from nrcms.conditions.models import HomeSickbed, SeriousIllness, SickbedStatus
from nrcms.conditions.services import chronic_certify, serious_case_record
from nrcms.conditions.sickbed import sickbed_open

pytestmark = pytest.mark.django_db
D = dt.date
JSON = "application/json"


@pytest.fixture
def records(demo, patients, layered_scheme):
    cert = chronic_certify(actor=demo["reviewer"], id_number=patients.head.id_number, disease_code="I10",
                           facility_code="H610125001", certified_on=D(2026, 3, 1), valid_until=D(2027, 2, 28))
    case = serious_case_record(actor=demo["reviewer"], id_number=patients.head.id_number,
                               disease=SeriousIllness.LUNG_CANCER, facility_code="H610125001",
                               pathway="手术＋辅助化疗", started_on=D(2026, 4, 1))
    bed = sickbed_open(actor=demo["desk_ganting"], id_number=patients.spouse.id_number, doctor="李医生",
                       diagnosis_code="I63.9", opened_on=D(2026, 5, 1), planned_days=30)
    return cert, case, bed


def test_a_township_clerk_reads_no_register_entry(client, login, records, patients):
    cert, case, bed = records
    for username in ("ganting", "yuxia"):  # the patients' own township's clerk and another's
        login(username)
        for url in (f"/api/conditions/chronic/{cert.pk}", f"/api/conditions/serious/{case.pk}",
                    f"/api/conditions/sickbeds/{bed.pk}", f"/conditions/chronic/{cert.pk}/",
                    f"/conditions/serious/{case.pk}/", f"/conditions/sickbeds/{bed.pk}/",
                    f"/conditions/people/{patients.head.pk}/"):
            response = client.get(url)
            assert response.status_code == 403, (username, url, response.status_code)
            assert patients.head.name not in response.content.decode()


def test_a_desk_sees_only_its_own_hospitals_beds(client, login, records, patients):
    _, _, bed = records
    login("desk_yuxia")  # 玉蝉镇卫生院's desk; the bed is 甘亭镇卫生院's
    assert client.get(f"/api/conditions/sickbeds/{bed.pk}").status_code == 404
    assert client.get(f"/conditions/sickbeds/{bed.pk}/").status_code == 404
    assert client.get("/api/conditions/sickbeds").json()["total"] == 0
    for url, body in ((f"/api/conditions/sickbeds/{bed.pk}/visits",
                       {"date": "2026-05-02", "services": "查床", "item_code": "5101-ZL0002", "quantity": "1",
                        "unit_price": "10"}),
                      (f"/api/conditions/sickbeds/{bed.pk}/close", {"closed_on": "2026-05-20"}),
                      (f"/api/conditions/sickbeds/{bed.pk}/settle", {})):
        response = client.post(url, json.dumps(body), content_type=JSON)
        assert response.status_code == 404, (url, response.content.decode())
    bed = HomeSickbed.objects.get(pk=bed.pk)
    assert (bed.status, bed.visits.count(), bed.episode_id) == (SickbedStatus.OPEN, 0, None)
    login("desk_ganting")
    out = client.get(f"/api/conditions/sickbeds/{bed.pk}").json()
    assert out["number"] == bed.number and out["status"] == "open"

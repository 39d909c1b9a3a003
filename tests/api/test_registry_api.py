import csv
import datetime as dt
import io
import json

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Household
from nrcms.registry.roster_template import COLUMNS

pytestmark = pytest.mark.django_db


def body(response):
    return json.loads(response.content.decode())


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def new_household(client, seq=11):
    head = make_id_number("610125", dt.date(1970, 1, 1), seq, "M")
    wife = make_id_number("610125", dt.date(1972, 2, 2), seq, "F")
    return post(client, "/api/registry/households", {
        "region_code": "610125100201003", "address": "三组 1 号",
        "head": {"name": "解放", "id_number": head}, "members": [{"name": "查红", "id_number": wife,
                                                                  "relation": "spouse"}]})


def test_create_enroll_certificate_and_reissue(client, login):
    login("ganting")
    created = new_household(client)
    assert created.status_code == 201, created.content
    h = body(created)
    assert h["head"] == "解放" and len(h["members"]) == 2 and h["members"][1]["sex"] == "F"
    wife = h["members"][1]["id"]
    refused = post(client, f"/api/registry/households/{h['id']}/enrollments",
                   {"scheme_year": 2026, "person_ids": [h["members"][0]["id"]]})
    assert refused.status_code == 422 and body(refused)["code"] == "whole_household"
    assert "查红" in body(refused)["message"] and body(refused)["field"] == "exemptions"
    ok = post(client, f"/api/registry/households/{h['id']}/enrollments",
              {"scheme_year": 2026, "person_ids": [h["members"][0]["id"]],
               "exemptions": {str(wife): ["employee_insurance", ""]}})
    assert ok.status_code == 201 and body(ok)["exempted"] == [wife]
    cert = post(client, f"/api/registry/households/{h['id']}/certificate", {})
    assert cert.status_code == 201 and cert.json()["number"].startswith("610125")
    assert post(client, f"/api/registry/households/{h['id']}/certificate", {}).status_code == 409
    again = post(client, f"/api/registry/households/{h['id']}/certificate/reissue", {"reason": "遗失"})
    assert again.status_code == 201 and again.json()["replaces"] == cert.json()["number"]
    detail = body(client.get(f"/api/registry/households/{h['id']}"))
    assert detail["certificate"] == again.json()["number"] and detail["enrollments"][0]["scheme_year"] == 2026


def test_bad_id_number_names_the_field(client, login):
    login("ganting")
    response = post(client, "/api/registry/households", {"region_code": "610125100201003",
                                                          "head": {"name": "甲", "id_number": "610125197001010010"}})
    assert response.status_code == 422 and body(response)["field"] == "id_number"
    assert "校验位" in body(response)["message"]


def test_search_events_and_scoping(client, login):
    login("ganting")
    h = body(new_household(client, seq=12))
    head_id, wife_id = h["members"][0]["id"], h["members"][1]["id"]
    found = body(client.get("/api/registry/persons?search=xf"))
    assert any(p["id"] == head_id for p in found["items"])
    died = post(client, f"/api/registry/persons/{head_id}/events",
                {"kind": "death", "date": "2026-10-01", "new_head_id": wife_id, "reason": "病故"})
    assert died.status_code == 201 and died.json()["status"] == "deceased"
    events = body(client.get(f"/api/registry/persons/{head_id}"))["events"]
    assert sorted(e["kind"] for e in events) == ["death", "register"]
    assert body(client.get(f"/api/registry/households/{h['id']}"))["head"] == "查红"
    other = Household.objects.filter(region__code__startswith="610125101").first()
    assert client.get(f"/api/registry/households/{other.pk}").status_code == 404
    login("donghan")  # village clerk of 东韩村: reads this household, not one in 西街村
    assert client.get(f"/api/registry/households/{h['id']}").status_code == 200
    west = Household.objects.filter(region__code__startswith="610125100202").first()
    assert client.get(f"/api/registry/households/{west.pk}").status_code == 404
    login("desk_county")  # the desk finds members by exact lookup only (/api/desk/members), never browses
    assert client.get("/api/registry/households").status_code == 403


def test_village_clerk_cannot_write(client, login):
    login("donghan")
    response = new_household(client, seq=13)
    assert response.status_code in (403, 422)
    assert body(response)["code"] in ("forbidden", "invalid")


def test_import_upload_and_status(client, login):
    login("ganting")
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c.header for c in COLUMNS])
    w.writerow(["1", "610125100202001", "", "乐山", make_id_number("610125", dt.date(1980, 3, 3), 14, "M"), "户主",
                "", "", ""])
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "r.csv"
    response = client.post("/api/registry/imports", {"file": upload, "township": "610125100000",
                                                    "scheme_year": "2026"})
    assert response.status_code == 202, response.content
    job = body(response)
    status = body(client.get(f"/api/registry/imports/{job['id']}"))
    assert status["status"] == "done" and status["persons_created"] == 1 and status["persons_enrolled"] == 1
    login("yuxia")
    assert client.get(f"/api/registry/imports/{job['id']}").status_code == 404

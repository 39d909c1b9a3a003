"""A township clerk manages the family-doctor contracts of the township's own people only: asked by number for a
contract of another township (签约乡, fd_county.py), every page and API answers "not found" and changes nothing."""

import json

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.family_doctors.models import Contract

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_the_clerk_of_another_township_finds_no_contract_by_number(client, login, fd):
    number = fd["c1"].number
    login("ganting")  # 甘亭镇's clerk: 签约乡 is not in the jurisdiction
    assert client.get(f"/api/family-doctors/contracts/{number}").status_code == 404
    assert client.get(f"/family-doctors/contracts/{number}/").status_code == 404
    listed = client.get("/api/family-doctors/contracts", {"q": fd["h1"][0].name}).json()
    assert listed["total"] == 0 and listed["items"] == []
    assert number not in client.get("/family-doctors/").content.decode()
    seen = AuditEntry.objects.count()
    for url, body in ((f"/api/family-doctors/contracts/{number}/renew", {}),
                      (f"/api/family-doctors/contracts/{number}/cancel", {"on": "2026-06-01", "reason": "试图越权"}),
                      (f"/api/family-doctors/contracts/{number}/visits",
                       {"date": "2026-06-01", "kind": "follow_up", "note": "越权记录"})):
        response = client.post(url, json.dumps(body), content_type=JSON)
        assert response.status_code == 404, (url, response.content.decode())
    for url, body in ((f"/family-doctors/contracts/{number}/cancel/", {"on": "2026-06-01", "reason": "试图越权"}),
                      (f"/family-doctors/contracts/{number}/visits/", {"date": "2026-06-01", "kind": "follow_up"})):
        assert client.post(url, body).status_code == 404, url
    c1 = Contract.objects.get(pk=fd["c1"].pk)
    assert (c1.status, c1.visits.count(), Contract.objects.filter(renews=c1).exists()) == (fd["c1"].status, 0, False)
    assert AuditEntry.objects.count() == seen  # nothing written, not even a visit


def test_the_county_reviewer_reads_the_same_contract(client, login, fd):
    login("reviewer")
    out = client.get(f"/api/family-doctors/contracts/{fd['c1'].number}").json()
    assert out["number"] == fd["c1"].number
    assert client.get(f"/family-doctors/contracts/{fd['c1'].number}/").status_code == 200

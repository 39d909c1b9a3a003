import json

import pytest

pytestmark = pytest.mark.django_db


def test_reviewer_asks_and_the_director_revokes_a_facility_through_the_pages(client, login):
    from django.utils import timezone

    from nrcms.facilities.models import DesignationRequest

    today = timezone.localdate().isoformat()
    login("reviewer")
    response = client.post("/facilities/H610125102/", {"status": "revoked", "effective_date": today,
                                                        "reason": "违规收费"})
    assert response.status_code == 403  # no direct change (issue 12)
    response = client.post("/facilities/H610125102/supervision/", {
        "form": "request", "action": "revoke", "effective_date": today, "reason": "违规收费",
        "authority": "县卫健局〔2026〕2号"})
    assert response.status_code == 302
    request = DesignationRequest.objects.get(facility__code="H610125102")
    login("director")
    response = client.post("/facilities/designation-requests/", {"request": request.pk, "decision": "approve",
                                                                 "note": "同意"})
    assert response.status_code == 302
    html = client.get("/facilities/H610125102/").content.decode()
    assert '<span data-testid="facility-status">取消定点</span>' in html and "违规收费" in html


def test_desk_cannot_change_status(client, login):
    login("desk_county")
    response = client.post("/facilities/H610125001/", {"status": "revoked", "effective_date": "2026-11-01",
                                                        "reason": "x"})
    assert response.status_code == 403


def test_mapping_page_reports_unmapped_codes(client, login):
    login("desk_county")
    html = client.post("/facilities/H610125001/mappings/", {"action": "check", "codes": "5001-YP0001, 5001-ZL0302",
                                                             "on": "2026-05-01"}).content.decode()
    assert "未对照的编码" in html and "5001-ZL0302" in html


def test_catalogue_page_filters_and_exports(client, login):
    login("reviewer")
    html = client.get("/catalogue/?class=C").content.decode()
    assert "人血白蛋白" in html and "阿莫西林" not in html
    assert client.get("/catalogue/?export=xlsx")["Content-Type"].startswith("application/vnd.openxml")


def test_api_resolve_lists_unmapped(client, login):
    login("desk_county")
    response = client.post("/api/facilities/H610125001/mappings/resolve",
                           {"facility_item_codes": ["5001-YP0101", "ZZZ"], "on": "2026-05-01"},
                           content_type="application/json")
    data = json.loads(response.content)
    assert data["unmapped"] == ["ZZZ"] and data["resolved"][0]["first_self_pay_share"] == "0.1000"


def test_api_catalogue_search_by_date(client, login):
    login("desk_county")
    data = json.loads(client.get("/api/catalogue/items?search=YP01&on=2026-05-01").content)
    assert data["total"] == 7 and all(item["catalogue_class"] == "B" for item in data["items"])


def test_api_desk_cannot_see_another_facilitys_mappings(client, login):
    login("desk_county")
    assert client.get("/api/facilities/H610125101/mappings").status_code == 404

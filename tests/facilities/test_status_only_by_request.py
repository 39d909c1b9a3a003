"""Issue 12: a facility's designation status changes only through a designation request the director approves;
the old direct route and page form are gone, and the detail page sends the county office to the request form."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from nrcms.facilities.models import DesignationChange, DesignationRequest, Facility
from nrcms.facilities.services import facility_status_on

pytestmark = pytest.mark.django_db
ZUAN = "H610125103"  # 祖庵镇卫生院


def test_the_api_has_no_direct_status_route(client, login):
    login("reviewer")
    response = client.post(f"/api/facilities/{ZUAN}/status", {"status": "revoked", "effective_date": "2030-01-01",
                                                               "reason": "年度考核不合格"},
                           content_type="application/json")
    assert response.status_code in (404, 405)
    assert not DesignationChange.objects.filter(facility__code=ZUAN).exists()
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/facilities/{code}/status" not in paths
    assert "post" in paths["/api/facilities/{code}/designation-requests"]


def test_the_detail_page_changes_nothing_and_points_to_the_request_form(client, login):
    login("reviewer")
    response = client.post(f"/facilities/{ZUAN}/", {"status": "revoked", "effective_date": "2030-01-01",
                                                     "reason": "年度考核不合格"})
    assert response.status_code == 403
    assert not DesignationChange.objects.filter(facility__code=ZUAN).exists()
    html = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert 'name="status"' not in html
    assert f'href="/facilities/{ZUAN}/supervision/#request" data-testid="designation-request-link"' in html


def test_a_request_changes_the_status_only_once_the_director_approves(client, login):
    today = timezone.localdate()
    login("reviewer")
    response = client.post(f"/api/facilities/{ZUAN}/designation-requests",
                           {"action": "suspend", "effective_date": today.isoformat(), "reason": "串换药品"},
                           content_type="application/json")
    assert response.status_code == 201
    request_id = json.loads(response.content)["id"]
    facility = Facility.objects.get(code=ZUAN)
    assert facility_status_on(facility, today) == "designated"
    html = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert f"待审批：暂停定点（{today:%Y-%m-%d} 起）" in html
    login("director")
    response = client.post(f"/api/facilities/designation-requests/{request_id}/approve", {"note": "同意"},
                           content_type="application/json")
    assert response.status_code == 200
    assert facility_status_on(facility, today) == "suspended"
    change = DesignationChange.objects.get(facility=facility)
    assert change.request == DesignationRequest.objects.get(pk=request_id)
    html = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert 'data-testid="change-request">暂停定点申请（' in html and 'data-testid="pending-request"' not in html


def test_only_the_director_sees_the_withdraw_form(client, login, demo):
    from designation_flow import designation_change

    designation_change(demo, Facility.objects.get(code=ZUAN), "revoked", dt.date(2030, 1, 1), "年度考核不合格",
                       today=timezone.localdate())
    login("reviewer")
    assert 'value="withdraw"' not in client.get(f"/facilities/{ZUAN}/").content.decode()
    login("director")
    assert 'value="withdraw"' in client.get(f"/facilities/{ZUAN}/").content.decode()

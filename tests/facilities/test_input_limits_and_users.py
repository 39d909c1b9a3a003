"""Bad query dates and over-long text are answered with a Chinese message naming the field, never a 500 (on
PostgreSQL a string longer than its column is a database error); the facility page lists the facility's users
for those who may see them."""

import datetime as dt
import json

import pytest

from nrcms.core.errors import ValidationFailed
from nrcms.facilities.catalogue import mapping_set
from nrcms.facilities.designation import designation_request
from nrcms.facilities.models import ChargeMapping, DesignationChange, DesignationRequest, Facility
from nrcms.facilities.services import facility_upsert

pytestmark = pytest.mark.django_db
COUNTY = "H610125001"  # 户县人民医院
GANTING = "H610125101"  # 甘亭镇中心卫生院


def post_json(client, url, body):
    response = client.post(url, body, content_type="application/json")
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize("bad", ["2099-13-45", "2026-02-30", "明天"])
def test_a_bad_date_in_the_catalogue_query_is_a_page_with_a_field_error(client, login, bad):
    login("reviewer")
    response = client.get("/catalogue/", {"on": bad, "class": "C"})
    html = response.content.decode()
    assert response.status_code == 400
    assert f"在用日期“{bad}”不是有效日期" in html and "人血白蛋白" in html  # the list, not filtered by date
    assert client.get("/catalogue/", {"on": bad, "export": "xlsx"}).status_code == 400


def test_a_good_date_still_filters_the_catalogue(client, login):
    login("reviewer")
    response = client.get("/catalogue/", {"on": "2026-05-01", "class": "C"})
    assert response.status_code == 200 and "人血白蛋白" in response.content.decode()
    assert 'data-testid="on-error"' not in response.content.decode()


def test_api_refuses_a_facility_item_code_over_40_characters(client, login):
    login("desk_county")
    body = {"facility_item_code": "X" * 41, "facility_item_name": "超长编码", "catalogue_code": "YP0001",
            "valid_from": "2026-05-01"}
    status, error = post_json(client, f"/api/facilities/{COUNTY}/mappings", body)
    assert status == 422 and error["field"] == "facility_item_code"
    assert error["message"] == "请求数据不符合要求：字段“facility_item_code”最长 40 个字符"
    status, error = post_json(client, f"/api/facilities/{COUNTY}/mappings", {**body, "facility_item_code": "Y" * 40,
                                                                             "facility_item_name": "名" * 121})
    assert status == 422 and error["field"] == "facility_item_name" and "最长 120 个字符" in error["message"]
    assert not ChargeMapping.objects.filter(facility_item_code__in=["X" * 41, "Y" * 40]).exists()
    status, mapping = post_json(client, f"/api/facilities/{COUNTY}/mappings", {**body, "facility_item_code": "Z" * 40})
    assert status == 200 and mapping["facility_item_code"] == "Z" * 40  # exactly 40 is accepted


def test_api_refuses_a_status_reason_over_300_characters(client, login):
    login("reviewer")
    body = {"action": "suspend", "effective_date": "2030-11-01", "reason": "违" * 301}
    status, error = post_json(client, f"/api/facilities/{COUNTY}/designation-requests", body)
    assert status == 422 and error["field"] == "reason" and "字段“reason”最长 300 个字符" in error["message"]
    status, error = post_json(client, f"/api/facilities/{COUNTY}/designation-requests",
                              {**body, "reason": "违规", "authority": "文" * 201})
    assert status == 422 and error["field"] == "authority"
    assert not DesignationRequest.objects.filter(facility__code=COUNTY).exists()
    assert not DesignationChange.objects.filter(facility__code=COUNTY).exists()


def test_openapi_documents_the_limits(client, login):
    login("reviewer")
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["MappingIn"]["properties"]["facility_item_code"]["maxLength"] == 40
    assert schemas["DesignationRequestIn"]["properties"]["reason"]["maxLength"] == 300


def test_the_services_refuse_over_long_text_themselves(demo):
    county = Facility.objects.get(code=COUNTY)
    with pytest.raises(ValidationFailed) as exc:
        mapping_set(actor=demo["desk_county"], facility=county, facility_item_code="X" * 41, facility_item_name="x",
                    catalogue_code="YP0001", valid_from=dt.date(2026, 5, 1))
    assert exc.value.field == "facility_item_code" and "院内编码" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        designation_request(actor=demo["reviewer"], facility=county, action="suspend",
                            effective_date=dt.date(2030, 11, 1), reason="违" * 301)
    assert exc.value.field == "reason" and "原因最多 300 个字" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        facility_upsert(actor=None, code="H" * 21, name="新机构", level="village", region=county.region,
                        in_county=True)
    assert exc.value.field == "code"


def test_the_pages_refuse_over_long_text_with_a_field_error(client, login):
    login("desk_county")
    html = client.post(f"/facilities/{COUNTY}/mappings/", {
        "action": "map", "facility_item_code": "X" * 41, "facility_item_name": "超长编码", "catalogue_code": "YP0001",
        "valid_from": "2026-05-01"}).content.decode()
    assert "确保该变量包含不超过 40 字符 (目前字符数 41)" in html and not ChargeMapping.objects.filter(facility_item_code="X" * 41).exists()
    login("reviewer")
    response = client.post(f"/facilities/{COUNTY}/supervision/", {
        "form": "request", "action": "suspend", "effective_date": "2030-11-01", "reason": "违" * 301})
    assert response.status_code == 200 and "不超过 300 字符 (目前字符数 301)" in response.content.decode()
    assert not DesignationChange.objects.filter(facility__code=COUNTY).exists()


@pytest.mark.parametrize("username", ["reviewer", "director", "admin"])
def test_the_county_office_and_the_administrator_see_a_facilitys_users(client, login, username):
    login(username)
    html = client.get(f"/facilities/{GANTING}/").content.decode()
    table = html[html.index('data-testid="facility-users"'):]
    table = table[:table.index("</table>")]
    assert "desk_ganting" in table and "冯建华" in table and "定点医疗机构合疗科" in table and "启用" in table
    assert "desk_county" not in table


def test_a_desk_sees_its_own_facilitys_users_and_an_inactive_one_is_marked(client, login, demo):
    from nrcms.accounts.models import User

    User.objects.filter(username="desk_ganting").update(is_active=False)
    login("desk_county")
    html = client.get(f"/facilities/{COUNTY}/").content.decode()
    table = html[html.index('data-testid="facility-users"'):]
    table = table[:table.index("</table>")]
    assert "desk_county" in table and "郑红梅" in table
    assert client.get(f"/facilities/{GANTING}/").status_code == 404  # another facility is out of its jurisdiction
    login("reviewer")
    html = client.get(f"/facilities/{GANTING}/").content.decode()
    assert "desk_ganting" in html and "停用" in html


def test_roles_outside_the_county_office_do_not_see_a_facilitys_users(client, login):
    login("auditor")  # may view facilities, but is not the county office
    response = client.get(f"/facilities/{GANTING}/")
    assert response.status_code == 200 and 'data-testid="facility-users"' not in response.content.decode()

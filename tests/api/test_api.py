import json

import pytest

from nrcms.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def body(response):
    return json.loads(response.content.decode())


def test_unauthenticated_request_gets_401_in_the_one_error_format(client, demo):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert body(response)["code"] == "unauthenticated" and "登录" in body(response)["message"]


def test_chinese_is_not_escaped(client, login):
    login("ganting")
    response = client.get("/api/me")
    assert response.status_code == 200
    assert "乡镇合管办经办员" in response.content.decode()
    assert body(response)["jurisdiction"] == "甘亭镇"


def test_session_user_sees_regions_of_own_township_only(client, login):
    login("ganting")
    data = body(client.get("/api/regions?limit=500"))
    assert data["total"] == len(data["items"]) > 0
    assert all(item["code"].startswith("610125100") for item in data["items"])
    assert client.get("/api/regions/610125101000").status_code == 404


def test_token_client_is_scoped_to_its_facility(client, demo):
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    data = body(client.get("/api/facilities", **headers))
    assert [f["code"] for f in data["items"]] == ["H610125001"]
    assert client.get("/api/facilities/H610125101", **headers).status_code == 404
    assert client.get("/api/regions", **headers).status_code == 403  # regions are the registry's, not the desk's


def test_revoked_or_wrong_token_is_refused(client, demo):
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer nr_wrong").status_code == 401


def test_validation_error_names_the_field(client, login):
    login("ganting")
    response = client.get("/api/regions?limit=abc")
    assert response.status_code == 422
    assert body(response)["field"] == "limit" and body(response)["code"] == "invalid"


def test_paging_limits_are_enforced(client, login):
    login("ganting")
    response = client.get("/api/regions?limit=100000")
    assert response.status_code == 400 and body(response)["field"] == "limit"


def test_audit_api_forbidden_to_a_clerk_and_open_to_the_auditor(client, login):
    login("ganting")
    assert client.get("/api/audit").status_code == 403
    login("auditor")
    data = body(client.get("/api/audit?action=user.create&limit=5"))
    assert data["total"] >= 12 and data["items"][0]["action"] == "user.create"
    verified = body(client.get("/api/audit/verify"))
    assert verified["ok"] is True and verified["kind"] == "" and verified["checkpoints"] == 0


def test_admin_creates_a_user_through_the_api_and_errors_name_fields(client, login):
    login("admin")
    payload = {"username": "newclerk", "password": "Good-pass-2026", "role": "township_clerk",
               "region_code": "610125102000", "display_name": "新人"}
    response = client.post("/api/users", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    bad = dict(payload, username="newclerk2", region_code="999999999999")
    response = client.post("/api/users", bad, content_type="application/json")
    assert response.status_code == 422 and body(response)["field"] == "region_code"


def test_session_post_without_csrf_is_refused(demo, demo_password):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.post("/login/", {"username": "admin", "password": demo_password})
    response = c.post("/api/users", {"username": "z"}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_openapi_describes_the_api(client, demo):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = body(response)
    assert "/api/regions" in spec["paths"] and "/api/audit/verify" in spec["paths"]
    assert "新农合" in spec["info"]["title"]


def test_validation_messages_are_chinese_and_name_the_field(client, demo):
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "content_type": "application/json"}

    def post(payload, path="/api/desk/episodes"):
        response = client.post(path, data=payload if isinstance(payload, str) else json.dumps(payload), **headers)
        return response.status_code, body(response)

    good = {"serial": "ZY-V", "id_number": "610125196203141011", "admission_date": "2026-05-10"}
    cases = [
        ({k: v for k, v in good.items() if k != "serial"}, "serial", "字段“serial”必须填写"),
        ({**good, "serial": "Z" * 41}, "serial", "字段“serial”最长 40 个字符"),
        ({**good, "admission_date": "2026-13-45"}, "admission_date", "字段“admission_date”应为日期，格式 YYYY-MM-DD"),
    ]
    for payload, field, words in cases:
        status, error = post(payload)
        assert status == 422 and error["field"] == field and words in error["message"], error
        assert error["details"][0]["message"].startswith(f"字段“{field}”")
    line = {"line_no": "x", "facility_item_code": "A", "item_name": "x", "charged_on": "2026-05-10",
            "quantity": "Infinity", "unit_price": "1", "amount": "0"}
    status, error = post({"lines": [line]}, "/api/desk/episodes/NONE/charges")
    messages = {d["field"]: d["message"] for d in error["details"]}
    assert status == 422 and messages == {
        "lines.0.line_no": "字段“lines.0.line_no”应为整数",
        "lines.0.quantity": "字段“lines.0.quantity”应为有限的数字",
        "lines.0.amount": "字段“lines.0.amount”应大于 0",
    } and "另有 2 处" in error["message"]
    status, error = post("{not json")
    assert status == 400 and error["message"] == "请求体不是有效的 JSON，无法解析"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_over_the_upload_limit_is_refused_in_the_error_shape(client, demo, settings, content_type):
    """Found by fuzzing the API's bodies: over DATA_UPLOAD_MAX_MEMORY_SIZE, a body that is not JSON reached the
    operation, which read it and died with RequestDataTooBig (a 500)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, key = api_token_create(actor=None, user=demo["ganting"], name="HIS")
    payload = "a=" + "x" * 2000
    response = client.post("/api/registry/households", payload, content_type=content_type,
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert body(response)["code"] == "too_large"
    assert body(response)["message"] == "提交的内容过大（超过 1 KB）：请减少一次提交的内容，或分批提交"


def test_a_large_form_field_beside_an_upload_is_refused_not_a_500(client, demo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, key = api_token_create(actor=None, user=demo["ganting"], name="HIS")
    response = client.post("/api/registry/imports", {"township": "x" * 2000}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400 and body(response)["code"] == "too_large"


def test_a_method_the_route_does_not_take_answers_405_in_the_error_shape(client, demo):
    _, key = api_token_create(actor=None, user=demo["ganting"], name="HIS")
    response = client.patch("/api/me", "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    assert body(response)["code"] == "method_not_allowed" and "GET" in response["Allow"]
    assert "请求方式" in body(response)["message"]

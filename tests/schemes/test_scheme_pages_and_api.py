"""The /schemes/ pages and /api/schemes: upload with the check's result, the plain-Chinese rendering with
worked examples, the diff, and who may do what."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from test_scheme_versions import DEMO, RAISED

from nrcms.schemes.models import SchemeStatus, SchemeVersion


def test_upload_page_shows_the_check_and_the_detail_renders_examples(client, login):
    login("reviewer")
    response = client.post("/schemes/", {"year": "2027", "effective_from": "2027-01-01",
                                         "file": SimpleUploadedFile("raised.yaml", RAISED.encode())})
    version = SchemeVersion.objects.get(file_name="raised.yaml")
    assert response.status_code == 302 and response["Location"] == f"/schemes/{version.pk}/"
    page = client.get(f"/schemes/{version.pk}/").content.decode()
    assert "校验通过" in page and "模拟测算" in page
    assert "起付线：一般 500 元" in page and "县级医院 500 元" in page  # plain Chinese
    assert "年度封顶线（基本医疗补偿每人每年最多）：200000 元" in page  # the 2020 version is the one in force
    assert "未超过起付线" in page and "建档立卡贫困户" in page  # the worked examples, settled live
    assert "data-testid=\"scheme-approve\"" not in page  # the uploader cannot approve


def test_a_bad_upload_lists_the_problems_with_their_yaml_path(client, login):
    login("reviewer")
    client.post("/schemes/", {"year": "2027", "file": SimpleUploadedFile(
        "bad.yaml", DEMO.replace("categories: [registered_poor]", "categories: [registered-poor]").encode())})
    version = SchemeVersion.objects.get(file_name="bad.yaml")
    page = client.get(f"/schemes/{version.pk}/").content.decode()
    assert version.status == SchemeStatus.DRAFT
    assert "versions[0].parameters.safety_net.categories" in page and "registered-poor" in page


def test_the_diff_shows_the_changed_rate_side_by_side(client, login, demo):
    login("reviewer")
    client.post("/schemes/", {"year": "2027", "file": SimpleUploadedFile("raised.yaml", RAISED.encode())})
    new = SchemeVersion.objects.get(file_name="raised.yaml")
    old = SchemeVersion.objects.get(status=SchemeStatus.APPROVED)
    page = client.get(f"/schemes/diff/?a={old.pk}&b={new.pk}").content.decode()
    assert "住院 › 补偿比例 › 一般 › 第 1 项 › 比例" in page
    assert "<td class=\"num\">0.75</td>" in page and "<b>0.8</b>" in page
    assert client.get("/schemes/diff/?a=x&b=1").status_code == 400


def test_the_director_simulated_and_approves_through_the_api(client, login):
    login("reviewer")
    response = client.post("/api/schemes", json.dumps({"content": RAISED, "year": 2027, "effective_from": "2027-01-01"}),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    version_id = response.json()["id"]
    assert response.json()["status"] == "checked"
    assert client.post(f"/api/schemes/{version_id}/approve", "{}", content_type="application/json").status_code == 403
    simulated = client.post(f"/api/schemes/{version_id}/simulate").json()
    assert simulated["status"] == "simulated" and simulated["simulation"]["year"] == 2026
    login("director")
    approved = client.post(f"/api/schemes/{version_id}/approve", json.dumps({"authority": "户医保〔2026〕9号"}),
                           content_type="application/json")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "director"
    assert client.get("/api/schemes/99999999999999").status_code == 400


def test_roles_without_the_scheme_capabilities_see_nothing(client, login):
    login("ganting")
    assert client.get("/schemes/").status_code == 403
    assert client.get("/api/schemes").status_code == 403

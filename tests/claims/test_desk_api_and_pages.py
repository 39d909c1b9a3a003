import datetime as dt
import json

import pytest

from nrcms.accounts.services import api_token_create
from nrcms.claims.models import ChargeLine, Settlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def his(client, demo):
    """A hospital system calling with the county hospital desk's token."""
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")

    def call(method, path, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/desk{path}", **kwargs)
        return response.status_code, (json.loads(response.content) if response["Content-Type"].startswith(
            "application/json") else response.content)

    return call


def test_the_whole_transaction_through_the_api(his, family):
    status, member = his("get", f"/members?certificate_number={family.certificate.number}"
                                f"&id_number={family.head.id_number}&on=2026-05-10")
    assert status == 200 and member["enrolled"] and member["name"] == "王德福"
    body = {"serial": "ZY-API-1", "id_number": family.head.id_number, "admission_date": "2026-05-10",
            "diagnosis_code": "I63.9"}
    assert his("post", "/episodes", body)[0] == 201
    assert his("post", "/episodes", body)[0] == 200  # retried registration finds the first
    lines = {"lines": [
        {"line_no": 1, "facility_item_code": "5001-ZL0001", "item_name": "床位费", "charged_on": "2026-05-10",
         "quantity": "10", "unit_price": "30", "amount": "300.00"},
        {"line_no": 2, "facility_item_code": "5001-YP0106", "item_name": "尿激酶", "charged_on": "2026-05-11",
         "quantity": "4", "unit_price": "1500", "amount": "6000.00"}]}
    status, upload = his("post", "/episodes/ZY-API-1/charges", lines)
    assert status == 200 and upload["added"] == 2
    status, upload = his("post", "/episodes/ZY-API-1/charges", lines)
    assert status == 200 and upload["unchanged"] == 2 and ChargeLine.objects.filter(episode__serial="ZY-API-1").count() == 2
    assert his("post", "/episodes/ZY-API-1/settle")[0] == 422  # not discharged
    assert his("post", "/episodes/ZY-API-1/discharge", {"discharge_date": "2026-05-20"})[0] == 200
    status, trial = his("post", "/episodes/ZY-API-1/trial")
    assert status == 200 and trial["eligible_cost"] == "5100.00" and not Settlement.objects.filter(episode__serial="ZY-API-1").exists()
    status, first = his("post", "/episodes/ZY-API-1/settle", HTTP_IDEMPOTENCY_KEY="his-42")
    assert status == 201 and first["fund_total"] == "3450.00" == trial["fund_total"]
    status, again = his("post", "/episodes/ZY-API-1/settle", HTTP_IDEMPOTENCY_KEY="his-42")
    assert status == 200 and again["number"] == first["number"] and Settlement.objects.filter(episode__serial="ZY-API-1").count() == 1
    status, pdf = his("get", f"/settlements/{first['number']}/voucher.pdf")
    assert status == 200 and pdf[:5] == b"%PDF-"
    assert his("post", f"/settlements/{first['number']}/reverse", {"reason": ""})[0] == 422
    status, reversal = his("post", f"/settlements/{first['number']}/reverse", {"reason": "费用录入错误"})
    assert status == 200 and reversal["fund_total"] == "-3450.00" and reversal["kind"] == "reversal"
    status, error = his("post", f"/settlements/{first['number']}/reverse", {"reason": "再冲"})
    assert status == 422 and error["code"] == "already_reversed"


def test_api_upload_errors_name_each_line(his, family):
    his("post", "/episodes", {"serial": "ZY-E", "id_number": family.head.id_number, "admission_date": "2026-05-10"})
    status, body = his("post", "/episodes/ZY-E/charges", {"lines": [
        {"line_no": 1, "facility_item_code": "NOPE", "item_name": "x", "charged_on": "2026-05-10",
         "quantity": "1", "unit_price": "5", "amount": "5.00"}]})
    assert status == 422 and body["code"] == "charges_invalid" and body["field"] == "lines"
    assert body["details"][0]["line_no"] == 1 and "未对照" in body["details"][0]["message"]


def test_api_refuses_a_person_not_enrolled(his, family):
    status, body = his("post", "/episodes", {"serial": "ZY-N", "id_number": family.head.id_number,
                                             "admission_date": "2025-12-01"})
    assert status == 422 and body["code"] == "not_enrolled" and body["field"] == "id_number"


def test_a_clerk_token_cannot_use_the_desk_api(client, demo):
    _, key = api_token_create(actor=None, user=demo["ganting"], name="x")
    response = client.get("/api/desk/episodes", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403


def test_desk_pages_walk_from_admission_to_voucher(client, login, family):
    login("desk_county")
    html = client.get(f"/desk/?certificate_number={family.certificate.number}&id_number={family.head.id_number}"
                      ).content.decode()
    assert "已参合" in html and "王德福" in html
    response = client.post("/desk/admit/", {"serial": "ZY-P1", "kind": "inpatient", "id_number": family.head.id_number,
                                            "admission_date": "2026-05-10", "diagnosis_code": "I63.9"})
    assert response.status_code == 302
    url = response["Location"]
    csv = "明细序号,院内编码,项目名称,费用日期,数量,单价,金额\n1,5001-ZL0001,床位费,2026-05-10,10,30,300.00\n" \
          "2,5001-YP0106,尿激酶,2026-05-11,4,1500,6000.00\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"action": "file", "file": SimpleUploadedFile("bill.csv", csv.encode())})
    assert response.status_code == 302 and ChargeLine.objects.filter(episode__serial="ZY-P1").count() == 2
    client.post(url, {"action": "discharge", "discharge_date": "2026-05-20"})
    pk = url.rstrip("/").split("/")[-1]
    assert "计算过程" in client.get(f"/desk/episodes/{pk}/trial/").content.decode()
    client.post(url, {"action": "settle", "idempotency_key": "page-1"})
    client.post(url, {"action": "settle", "idempotency_key": "page-1"})
    settlement = Settlement.objects.get(episode__serial="ZY-P1")
    assert settlement.fund_total == 3450
    pdf = client.get(f"/desk/settlements/{settlement.pk}/voucher.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_voucher_carries_the_fields_a_patient_needs(demo, family):
    from claims_factory import admitted

    from nrcms.claims.settlement import settlement_settle
    from nrcms.claims.voucher import voucher_context

    settlement, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.head))
    ctx = voucher_context(settlement)
    assert ctx["fund_capital"] == "叁仟肆佰伍拾元整" and ctx["holder"]["certificate"] == family.certificate.number
    assert ctx["holder"]["head"] == family.head.name and ctx["year"]["admissions"] == 1 and ctx["rate"] == "75%"
    assert "****" in ctx["masked_id"] and ctx["office"].startswith("户县")
    from django.template.loader import render_to_string

    html = render_to_string("claims/voucher.html", ctx)  # 7000.00 total, 3450.00 from the fund: as 7,000.00 / 3,450.00
    assert "<th>医疗总费用（元）</th><td class=\"num\">7,000.00</td>" in html
    assert "<td class=\"num big\">3,450.00</td>" in html and "叁仟肆佰伍拾元整" in html
    assert "甘亭镇东韩村一组8 号" in html and "东韩村一组东韩村" not in html  # the address names the group once


def test_the_member_card_shows_the_categories_held_on_the_day_asked_for(his, family, demo):
    from nrcms.registry.people import person_category_end, person_category_grant

    clerk = demo["ganting"]
    row = person_category_grant(actor=clerk, person=family.head, category="dibao", valid_from=dt.date(2025, 1, 1),
                                authority="民政低保证 2025-08")
    person_category_end(actor=clerk, category=row, valid_to=dt.date(2026, 4, 30), reason="低保停发")
    person_category_grant(actor=clerk, person=family.head, category="disabled", valid_from=dt.date(2020, 1, 1),
                          authority="残疾证 61012519620314")
    ask = f"/members?id_number={family.head.id_number}"
    assert his("get", f"{ask}&on=2026-04-30")[1]["categories"] == ["dibao", "disabled"]
    assert his("get", f"{ask}&on=2026-05-10")[1]["categories"] == ["disabled"]
    from nrcms.claims.desk_lookup import member_lookup

    card = member_lookup(actor=demo["desk_county"], on=dt.date(2026, 5, 10), id_number=family.head.id_number)
    assert card.categories_label == "残疾人"

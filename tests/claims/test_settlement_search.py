"""结算查询: the county's search, one settlement's detail, the desk's daily list and the read API — each scoped to
the reader (a desk its own facility, a township clerk its residents, the county everything)."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from claims_factory import admitted
from openpyxl import load_workbook

from nrcms.accounts.services import api_token_create
from nrcms.claims.models import Settlement, SettlementKind
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.core.money import format_yuan

pytestmark = pytest.mark.django_db

GANTING = "610125100"  # 甘亭镇's region prefix


def _settle(desk, person, serial="ZY-S1", **kw):
    settlement, _ = settlement_settle(actor=desk, episode=admitted(desk, person, serial=serial, **kw))
    return settlement


def _rows(response) -> list[list]:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_a_desk_reads_its_own_facilitys_settlements_and_not_another_facilitys(client, login, demo, family):
    own = _settle(demo["desk_county"], family.head)
    other = Settlement.objects.exclude(episode__facility=demo["desk_county"].facility).first()
    assert other is not None, "the demo settles at several facilities"
    login("desk_county")
    page = client.get(f"/settlements/{own.number}/")
    assert page.status_code == 200 and family.head.name in page.content.decode()
    refused = client.get(f"/settlements/{other.number}/")
    assert refused.status_code == 404 and "结算单" in refused.content.decode()
    assert client.get(f"/settlements/{other.number}/voucher.pdf").status_code == 404
    assert client.get("/settlements/", {"q": other.number}).context["totals"]["count"] == 0
    numbers = {s.number for s in client.get("/settlements/").context["page"]}
    assert own.number in numbers
    assert Settlement.objects.filter(number__in=numbers).exclude(
        episode__facility=demo["desk_county"].facility).count() == 0


def test_a_township_clerk_reads_only_its_residents_settlements(client, login, demo, family):
    mine = _settle(demo["desk_county"], family.head)  # 东韩村 is in 甘亭镇
    elsewhere = Settlement.objects.exclude(episode__household__region__code__startswith=GANTING).first()
    assert elsewhere is not None, "the demo settles for residents of other townships"
    login("ganting")
    assert client.get(f"/settlements/{mine.number}/").status_code == 200
    assert client.get(f"/settlements/{elsewhere.number}/").status_code == 404
    response = client.get("/settlements/?export=xlsx")
    rows = _rows(response)[1:]
    expected = Settlement.objects.filter(episode__household__region__code__startswith=GANTING).count()
    assert len(rows) == expected and mine.number in {r[0] for r in rows}
    login("yuxia")  # another township's clerk
    assert client.get(f"/settlements/{mine.number}/").status_code == 404


@pytest.mark.parametrize("username", ["reviewer", "director", "auditor", "committee"])
def test_the_county_reads_every_settlement(client, login, demo, family, username):
    settlement = _settle(demo["desk_county"], family.head)
    login(username)
    html = client.get(f"/settlements/{settlement.number}/").content.decode()
    assert settlement.number in html and 'data-testid="explanation"' in html
    assert client.get("/settlements/").context["totals"]["count"] == Settlement.objects.count()


@pytest.mark.parametrize("username", ["finance", "donghan", "admin", "civil"])
def test_roles_without_the_capability_are_refused_in_chinese(client, login, username):
    login(username)
    response = client.get("/settlements/")
    assert response.status_code == 403 and "无权查看结算单" in response.content.decode()


def test_filters_and_totals_are_those_of_the_rows_found(client, login, demo, family):
    desk = demo["desk_county"]
    first = _settle(desk, family.head)
    reversal = settlement_reverse(actor=desk, settlement=first, reason="费用录入错误")
    again, _ = settlement_settle(actor=desk, episode=first.episode)
    login("reviewer")
    context = client.get("/settlements/", {"q": family.head.id_number}).context
    found = {s.number for s in context["page"]}
    assert found == {first.number, reversal.number, again.number}
    totals = context["totals"]
    assert totals["count"] == 3 and totals["reversal_count"] == 1
    assert totals["fund_total"] == again.fund_total  # the first and its reversal cancel to the fen
    html = client.get("/settlements/", {"q": family.head.name, "kind": "reversal"}).content.decode()
    assert reversal.number in html and again.number not in html
    only_active = client.get("/settlements/", {"q": family.head.name, "status": "active"}).context["page"]
    assert [s.number for s in only_active] == [again.number]
    size = again.fund_total
    within = client.get("/settlements/", {"q": family.head.name, "amount_min": str(size),
                                          "amount_max": str(size)}).context["totals"]
    assert within["count"] == 3  # a reversal counts by its size
    above = client.get("/settlements/", {"q": family.head.name, "amount_min": str(size + Decimal("0.01"))})
    assert above.context["totals"]["count"] == 0
    today = dt.date.today()
    before = client.get("/settlements/", {"q": family.head.name, "date_to": str(today - dt.timedelta(days=1))})
    assert before.context["totals"]["count"] == 0
    on_day = client.get("/settlements/", {"q": family.head.name, "date_from": str(today), "date_to": str(today),
                                          "facility": desk.facility.code})
    assert on_day.context["totals"]["count"] == 3
    assert f"<b>{format_yuan(again.fund_total)}</b>" in on_day.content.decode()


def test_every_county_total_adds_up_the_rows_it_lists(client, login):
    login("director")
    totals = client.get("/settlements/").context["totals"]
    rows = list(Settlement.objects.all())
    assert totals["count"] == len(rows)
    for name in ("total_cost", "fund_total", "self_pay", "family_account"):
        assert totals[name] == sum((getattr(s, name) for s in rows), Decimal("0.00")), name


@pytest.mark.parametrize(("params", "words"), [
    ({"date_from": "2026-13-45"}, "结算日期（起）“2026-13-45”不是有效日期"),
    ({"amount_min": "一百"}, "补偿金额（下限）“一百”不是金额"),
    ({"amount_max": "1.005"}, "最多两位小数"),
    ({"kind": "refund"}, "类别“refund”不是可选值"),
    ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "晚于结算日期（止）"),
    ({"amount_min": "10", "amount_max": "5"}, "下限 10 大于上限 5"),
    ({"q": "长" * 60}, "查询内容最长 50 个字符"),
])
def test_a_bad_filter_is_a_chinese_400_naming_the_field(client, login, params, words):
    login("reviewer")
    response = client.get("/settlements/", params)
    assert response.status_code == 400 and words in response.content.decode()


def test_the_export_holds_the_rows_found_with_amounts_as_numbers(client, login, demo, family):
    settlement = _settle(demo["desk_county"], family.head)
    login("reviewer")
    rows = _rows(client.get("/settlements/", {"q": family.head.name, "export": "xlsx"}))
    header, *data = rows
    assert header[0] == "结算单号" and "基金支付（元）" in header
    assert [r[0] for r in data] == [settlement.number]
    assert Decimal(str(data[0][header.index("基金支付（元）")])) == settlement.fund_total


def test_the_detail_shows_charges_explanation_voucher_and_reversal_history(client, login, demo, family):
    desk = demo["desk_county"]
    first = _settle(desk, family.head)
    reversal = settlement_reverse(actor=desk, settlement=first, reason="床位费数量录错")
    login("reviewer")
    html = client.get(f"/settlements/{first.number}/").content.decode()
    assert "已冲正" in html and reversal.number in html and "床位费数量录错" in html
    for line in first.result["lines"]:
        assert line["text"] in html
    assert "5001-YP0106".split("-")[1] in html or "YP0106" in html  # the settled charge's catalogue code
    assert f'href="/settlements/{first.number}/voucher.pdf"' in html
    voucher = client.get(f"/settlements/{first.number}/voucher.pdf")
    assert voucher.status_code == 200 and voucher["Content-Type"] == "application/pdf"
    html = client.get(f"/settlements/{reversal.number}/").content.decode()
    assert f'href="/settlements/{first.number}/"' in html


def test_a_persons_page_lists_every_reimbursement_with_the_years_totals(client, login, demo, family):
    desk = demo["desk_county"]
    first = _settle(desk, family.head)
    reversal = settlement_reverse(actor=desk, settlement=first, reason="费用录入错误")
    again, _ = settlement_settle(actor=desk, episode=first.episode)
    login("reviewer")
    html = client.get(f"/registry/persons/{family.head.pk}/").content.decode()
    for s in (first, reversal, again):
        assert f'href="/settlements/{s.number}/"' in html
    assert f'<th class="num" data-testid="year-fund-2026">{format_yuan(again.fund_total)}</th>' in html
    login("ganting")  # the township's clerk sees the same for its resident
    assert again.number in client.get(f"/registry/persons/{family.head.pk}/").content.decode()
    other = client.get(f"/registry/persons/{family.spouse.pk}/").content.decode()
    assert 'data-testid="no-reimbursements"' in other


def test_the_desks_daily_list_totals_prints_and_exports(client, login, demo, family):
    desk = demo["desk_county"]
    first = _settle(desk, family.head)
    second = _settle(desk, family.spouse, serial="ZY-S2", admit=dt.date(2026, 6, 1),
                     discharge=dt.date(2026, 6, 5))
    login("desk_county")
    today = dt.date.today()
    response = client.get("/desk/daily/")
    assert response.context["day"] == today
    totals = response.context["totals"]
    todays = [s for s in Settlement.objects.filter(episode__facility=desk.facility)
              if s.settled_at.astimezone().date() == today or s.pk in (first.pk, second.pk)]
    assert {first.number, second.number} <= {s.number for s in response.context["rows"]}
    assert totals["fund_total"] == sum((s.fund_total for s in response.context["rows"]), Decimal("0.00"))
    assert totals["fund_total"] >= first.fund_total + second.fund_total and todays
    html = response.content.decode()
    assert f"{format_yuan(totals['fund_total'])}" in html and 'data-print="1"' in html and "print-only" in html
    rows = _rows(client.get("/desk/daily/", {"date": str(today), "export": "xlsx"}))
    assert {first.number, second.number} <= {r[0] for r in rows[1:]}
    empty = client.get("/desk/daily/", {"date": "2020-01-01"})
    assert empty.context["totals"]["count"] == 0 and "当日没有结算" in empty.content.decode()
    assert client.get("/desk/daily/", {"date": "2026-02-30"}).status_code == 400
    login("reviewer")
    assert client.get("/desk/daily/").status_code == 403


@pytest.fixture
def his_get(client, demo):
    """GET /api/... with a hospital desk's token."""

    def call(username, path):
        _, key = api_token_create(actor=None, user=demo[username], name="HIS")
        response = client.get(f"/api{path}", HTTP_AUTHORIZATION=f"Bearer {key}")
        return response.status_code, json.loads(response.content)

    return call


def test_the_api_reads_a_settlement_by_number_for_its_own_facility_only(his_get, demo, family):
    settlement = _settle(demo["desk_county"], family.head)
    status, body = his_get("desk_county", f"/settlements/{settlement.number}")
    assert status == 200 and body["number"] == settlement.number
    assert Decimal(body["fund_total"]) == settlement.fund_total and body["kind"] == "settlement"
    assert [line["text"] for line in body["explanation"]] == [line["text"] for line in settlement.result["lines"]]
    assert sum(Decimal(c["amount"]) for c in body["charges"]) == settlement.total_cost
    assert [h["number"] for h in body["history"]] == [settlement.number]
    status, body = his_get("desk_tcm", f"/settlements/{settlement.number}")
    assert status == 404 and set(body) == {"code", "message", "field", "details"} and "结算单" in body["message"]
    status, body = his_get("finance", "/settlements")
    assert status == 403 and body["message"]


def test_the_search_api_pages_and_totals(his_get, demo, family):
    _settle(demo["desk_county"], family.head)
    own = Settlement.objects.filter(episode__facility=demo["desk_county"].facility)
    status, body = his_get("desk_county", "/settlements?limit=2&offset=0")
    assert status == 200 and body["total"] == own.count() and len(body["items"]) == min(2, own.count())
    assert Decimal(body["fund_total"]) == sum((s.fund_total for s in own), Decimal("0.00"))
    status, body = his_get("desk_county", "/settlements?kind=reversal")
    assert status == 200 and all(item["kind"] == "reversal" for item in body["items"])
    assert body["total"] == own.filter(kind=SettlementKind.REVERSAL).count()
    status, body = his_get("desk_county", "/settlements?amount_min=abc")
    assert status == 400 and body["field"] == "amount_min" and "不是金额" in body["message"]
    status, body = his_get("desk_county", "/settlements?date_from=2026-02-30")
    assert status == 400 and body["field"] == "date_from"


def test_a_paid_manual_claim_is_on_the_persons_page_and_in_the_years_totals(client, login, demo, family,
                                                                             monkeypatch):
    from nrcms.claims import manual
    from nrcms.claims.manual import (
        ManualClaimInput,
        ReceiptLine,
        manual_claim_notice,
        manual_claim_record,
        manual_claim_settle,
    )
    from nrcms.claims.models import Referral
    from nrcms.facilities.models import Facility

    Referral.objects.create(number="ZZ-P-1", person=family.head, to_facility=Facility.objects.get(code="H610100001"),
                            approved_on=dt.date(2026, 5, 9), valid_until=dt.date(2026, 6, 30),
                            approved_by=demo["ganting"])
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 6, 1))
    claim, _ = manual_claim_record(actor=demo["reviewer"], data=ManualClaimInput(
        id_number=family.head.id_number, facility_code="H610100001", admission_date=dt.date(2026, 5, 10),
        discharge_date=dt.date(2026, 5, 20), papers_received_on=dt.date(2026, 5, 30), diagnosis_code="I21.9",
        diagnosis_name="急性心肌梗死", referral_number="ZZ-P-1",
        lines=(ReceiptLine("甲类费用合计", Decimal("3000.00"), "A"),)))
    manual_claim_notice(actor=demo["reviewer"], claim=claim)
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 6, 16))
    claim, _ = manual_claim_settle(actor=demo["director"], claim=claim)
    desk = _settle(demo["desk_county"], family.head, admit=dt.date(2026, 7, 1), discharge=dt.date(2026, 7, 5))
    assert claim.fund_total > 0
    login("reviewer")
    html = client.get(f"/registry/persons/{family.head.pk}/").content.decode()
    assert f'href="/manual/{claim.number}/"' in html and f'href="/settlements/{desk.number}/"' in html
    total = format_yuan(claim.fund_total + desk.fund_total)
    assert f'<th class="num" data-testid="year-fund-2026">{total}</th>' in html
    login("ganting")  # sees the claim, but the claim's page is the county centre's
    html = client.get(f"/registry/persons/{family.head.pk}/").content.decode()
    assert claim.number in html and f'href="/manual/{claim.number}/"' not in html

"""The payment page: the household's member list to tick, civil affairs paying on behalf, the cadre advance
repayment, and refusals. Standard from conftest: personal share 380.00 per person per year."""

import json

import pytest

from nrcms.core.masking import mask_id
from nrcms.funding.models import Contribution

pytestmark = pytest.mark.django_db


def test_lookup_lists_members_and_paying_for_ticked_members_only(client, login, household):
    login("ganting")
    head, daughter, grandma = household.people
    html = client.get(f"/funding/contributions/?year=2026&household={household.number}").content.decode()
    assert 'data-testid="member-table"' in html and mask_id(head.id_number) in html and "陈老太" in html
    assert head.id_number not in html  # masked, and the tick boxes carry record ids, not ID numbers
    assert "Idempotency" not in html  # the hidden key carries no English label
    response = client.post("/funding/contributions/?year=2026", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "person": [head.pk, daughter.pk], "idempotency_key": "tick-1"})
    assert response.status_code == 302
    c = Contribution.objects.get(idempotency_key="tick-1")
    # two ticked members × 380.00 = 760.00; the grandmother is left owing
    assert str(c.total) == "760.00"
    assert sorted(c.lines.values_list("person__name", flat=True)) == ["陈小燕", "陈永刚"]
    html = client.get(f"/funding/contributions/?year=2026&household={household.number}").content.decode()
    assert html.count("已缴清") == 2 and f'value="{grandma.pk}"' in html


def test_a_household_outside_the_township_is_neither_shown_nor_paid(client, login, household):
    login("yuxia")  # 余下镇 clerk; the household is in 甘亭镇
    html = client.get(f"/funding/contributions/?year=2026&household={household.number}").content.decode()
    assert "本辖区没有户编号" in html and mask_id(household.people[0].id_number) not in html
    html = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self",
        "paid_on": "2025-11-02"}).content.decode()
    assert "未找到家庭户" in html and not Contribution.objects.filter(household=household).exists()


def test_civil_affairs_pays_only_for_wubao_and_sees_only_its_own_payer_kind(client, login, household):
    login("civil")
    head, _, grandma = household.people
    html = client.get(f"/funding/contributions/?year=2026&household={household.number}").content.decode()
    form = html[html.index('data-testid="payment-form"'):html.index("收款并开收据")]
    assert '<option value="civil_affairs" selected>民政代缴</option>' in form and 'value="self"' not in form
    html = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "civil_affairs",
        "paid_on": "2025-11-02", "person": [head.pk]}).content.decode()
    assert "陈永刚在 2025-11-02 不属于五保、特困或低保" in html
    html = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self",
        "paid_on": "2025-11-02", "person": [grandma.pk]}).content.decode()
    assert "不是有效选项" in html or "选择一个有效的选项" in html
    response = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "civil_affairs",
        "paid_on": "2025-11-02", "person": [grandma.pk], "idempotency_key": "civil-1"})
    assert response.status_code == 302
    c = Contribution.objects.get(idempotency_key="civil-1")
    assert (str(c.total), c.payer_name) == ("380.00", "县民政局")


def test_cadre_advance_repayment_is_recorded_once_on_the_page_and_through_the_api(client, login, household):
    login("ganting")
    head, daughter, _ = household.people
    client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "cadre_advance",
        "paid_on": "2025-11-02", "person": [head.pk], "idempotency_key": "cadre-1"})
    html = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "cadre_advance",
        "paid_on": "2025-11-02", "person": [daughter.pk]}).content.decode()
    assert "干部垫付须填写垫付人姓名" in html
    client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "cadre_advance",
        "payer_name": "村支书王强", "paid_on": "2025-11-02", "person": [head.pk], "idempotency_key": "cadre-2"})
    c = Contribution.objects.get(idempotency_key="cadre-2")
    assert str(c.total) == "380.00" and c.payer_name == "村支书王强"
    html = client.get("/funding/contributions/?year=2026&pending=cadre").content.decode()
    assert c.receipt_number in html and "待归还" in html and f'data-testid="cadre-repaid-{c.pk}"' in html

    url = f"/funding/contributions/{c.pk}/cadre-repaid/"
    html = client.post(url, {"repaid_on": "2025-10-01"}, follow=True).content.decode()
    assert "归还日期不能早于垫付日期" in html
    html = client.post(url, {"repaid_on": "2999-01-01"}, follow=True).content.decode()
    assert "晚于今天" in html
    html = client.post(url, {"repaid_on": "not a date"}, follow=True).content.decode()
    assert "不是有效日期" in html
    html = client.post(url, {"repaid_on": "2025-11-20"}, follow=True).content.decode()
    assert "已登记收据" in html and "已归还 2025-11-20" in html
    c.refresh_from_db()
    assert str(c.cadre_repaid_on) == "2025-11-20"
    assert c.receipt_number not in client.get("/funding/contributions/?year=2026&pending=cadre").content.decode()

    again = client.post(f"/api/funding/contributions/{c.receipt_number}/cadre-repaid",
                        {"repaid_on": "2025-11-21"}, content_type="application/json")
    assert again.status_code == 422 and "已于 2025-11-20 登记归还" in json.loads(again.content)["message"]


def test_cadre_repayment_through_the_api_and_refusals(client, login, household):
    login("ganting")
    made = client.post("/api/funding/contributions", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "cadre_advance",
        "payer_name": "组长李明", "paid_on": "2025-11-02", "id_numbers": [household.people[1].id_number]},
        content_type="application/json")
    receipt = json.loads(made.content)["receipt_number"]
    self_paid = client.post("/api/funding/contributions", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "id_numbers": [household.people[0].id_number]}, content_type="application/json")
    not_cadre = client.post(f"/api/funding/contributions/{json.loads(self_paid.content)['receipt_number']}/cadre-repaid",
                            {"repaid_on": "2025-11-03"}, content_type="application/json")
    assert not_cadre.status_code == 422 and "只有干部垫付" in json.loads(not_cadre.content)["message"]
    ok = client.post(f"/api/funding/contributions/{receipt}/cadre-repaid", {"repaid_on": "2025-11-05"},
                     content_type="application/json")
    assert ok.status_code == 200 and json.loads(ok.content)["cadre_repaid_on"] == "2025-11-05"
    login("yuxia")
    assert client.post(f"/api/funding/contributions/{receipt}/cadre-repaid", {"repaid_on": "2025-11-05"},
                       content_type="application/json").status_code == 404


def test_ledger_page_folds_family_accounts_and_finds_one_by_household_number(client, login, household):
    login("ganting")
    client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "idempotency_key": "ledger-1"})
    login("finance")
    html = client.get("/funding/ledger/").content.decode()
    trial = html[html.index('data-testid="trial-balance"'):html.index('data-testid="journal"')]
    assert "家庭账户（" in trial and f"3102-{household.number}" not in trial
    assert "发生额合计" in trial
    # 3 members × 20.00 family share each = 60.00 credited to this household's family account
    html = client.get(f"/funding/ledger/?account={household.number}").content.decode()
    trial = html[html.index('data-testid="trial-balance"'):html.index('data-testid="journal"')]
    assert f"3102-{household.number}" in trial and "60.00" in trial and "统筹基金" not in trial
    assert "收个人缴费" in html[html.index('data-testid="journal"'):]
    html = client.get("/funding/ledger/?account=NOSUCH").content.decode()
    assert "没有科目代码含“NOSUCH”的科目" in html


def test_village_clerk_sees_and_collects_only_in_the_village(client, login, household):
    from nrcms.registry.models import Household

    login("donghan")  # 东韩村 (610125100201); the fixture household is in 东韩村一组
    other = Household.objects.filter(region__code__startswith="610125100202").order_by("number").first()
    html = client.get(f"/funding/contributions/?year=2026&household={other.number}").content.decode()
    assert f"本辖区没有户编号 {other.number}" in html
    table = html[html.index('data-testid="contribution-table"'):]
    assert "东韩村" in table and "西街村" not in table and "南关村" not in table
    response = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "person": [household.people[0].pk], "idempotency_key": "village-1"})
    assert response.status_code == 302 and str(Contribution.objects.get(idempotency_key="village-1").total) == "380.00"


def test_a_ticked_member_of_another_household_is_refused_without_showing_their_id_number(client, login, household):
    from nrcms.registry.models import Person

    login("ganting")
    stranger = Person.objects.filter(household__region__code__startswith="610125100").exclude(
        household__number=household.number).order_by("pk").first()
    html = client.post("/funding/contributions/?year=2026", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "person": [household.people[0].pk, stranger.pk], "idempotency_key": "stranger-1"}).content.decode()
    assert "勾选的人员不属于该户" in html and stranger.id_number not in html
    assert not Contribution.objects.filter(idempotency_key="stranger-1").exists()
    html = client.post("/funding/contributions/?year=2026", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "person": ["²"], "idempotency_key": "stranger-2"}).content.decode()
    assert "勾选的人员" in html and "不是整数" in html

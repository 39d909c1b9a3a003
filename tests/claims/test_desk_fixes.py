"""The desk defects a reviewer found walking the desk as its users: withdrawing a wrong charge line and
cancelling a wrong registration; charge files in GBK, damaged or empty; bounds on every field; diagnosis
codes checked against the ICD-10 list; one hospital stay at a time; the voucher's family-account line; amounts
to the fen; Chinese words instead of raw codes."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from claims_factory import ADMIT, DISCHARGE, admitted
from designation_flow import designation_change
from django.core.files.uploadedfile import SimpleUploadedFile

from nrcms.accounts.models import AuditEntry
from nrcms.accounts.services import api_token_create
from nrcms.claims.charge_file import parse_charge_file
from nrcms.claims.desk import episode_cancel, episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charge_withdraw, charges_upload
from nrcms.claims.models import ChargeLine, Episode, EpisodeStatus, Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle, settlement_trial
from nrcms.claims.voucher import voucher_context
from nrcms.core.errors import Conflict, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(demo):
    return demo["desk_county"]


def line(n, code="5001-ZL0001", q="10", p="30", a="300.00", name="床位费", on=ADMIT):
    return ChargeInput(line_no=n, facility_item_code=code, item_name=name, charged_on=on, quantity=Decimal(q),
                       unit_price=Decimal(p), amount=Decimal(a))


def register(desk, person, serial, admission=ADMIT, kind="inpatient", **more):
    return admission_register(actor=desk, data=AdmissionInput(serial=serial, kind=kind, id_number=person.id_number,
                                                              admission_date=admission, **more))[0]


# 1. Withdrawing a charge line, cancelling a registration ---------------------------------------------------

def test_a_withdrawn_line_is_kept_but_no_longer_counts(demo, family, desk):
    episode = admitted(desk, family.head)  # lines 1 床位 300 (甲), 2 尿激酶 6000 (乙, 20 % first), 3 白蛋白 700 (丙)
    line1 = charge_withdraw(actor=desk, episode=episode, line_no=1, reason="床位天数录错")
    assert line1.withdrawn and line1.withdrawn_by == desk and line1.withdrawn_reason == "床位天数录错"
    assert ChargeLine.with_withdrawn.filter(episode=episode).count() == 3  # kept on file
    assert [c.line_no for c in episode.charges.all()] == [2, 3]
    entry = AuditEntry.objects.filter(action="episode.charge_withdraw").latest("seq")
    assert entry.reason == "床位天数录错" and entry.before["line_no"] == 1
    # eligible 6000 × 80 % = 4800; (4800 − 500) × 75 % = 3225.00
    trial = settlement_trial(actor=desk, episode=episode)
    assert (trial.total_cost, trial.eligible_cost, trial.fund_total) == (
        Decimal("6700.00"), Decimal("4800.00"), Decimal("3225.00"))
    # the same line number cannot come back; the corrected line goes under a new number
    refused = charges_upload(actor=desk, episode=episode, lines=[line(1, q="9", a="270.00")])
    assert not refused.ok and "已撤销" in refused.errors[0]["message"] and "新的明细序号" in refused.errors[0]["message"]
    assert charges_upload(actor=desk, episode=episode, lines=[line(4, q="9", a="270.00")]).added == 1
    # eligible 270 + 4800 = 5070; (5070 − 500) × 75 % = 3427.50; total 270 + 6000 + 700 = 6970
    s, _ = settlement_settle(actor=desk, episode=episode)
    assert (s.total_cost, s.eligible_cost, s.fund_total) == (Decimal("6970.00"), Decimal("5070.00"), Decimal("3427.50"))
    assert [c["code"] for c in s.inputs["charges"]] == ["YP0106", "YP0201", "ZL0001"]


def test_withdrawal_needs_a_reason_an_open_episode_and_the_own_desk(demo, family, desk):
    episode = admitted(desk, family.head)
    with pytest.raises(ValidationFailed) as exc:
        charge_withdraw(actor=desk, episode=episode, line_no=1, reason="  ")
    assert exc.value.field == "reason"
    with pytest.raises(NotFound):
        charge_withdraw(actor=desk, episode=episode, line_no=99, reason="错")
    with pytest.raises(NotFound):
        charge_withdraw(actor=demo["desk_ganting"], episode=episode, line_no=1, reason="错")
    charge_withdraw(actor=desk, episode=episode, line_no=1, reason="错")
    with pytest.raises(ValidationFailed) as exc:
        charge_withdraw(actor=desk, episode=episode, line_no=1, reason="再撤")
    assert exc.value.code == "already_withdrawn"
    s, _ = settlement_settle(actor=desk, episode=episode)
    with pytest.raises(ValidationFailed) as exc:
        charge_withdraw(actor=desk, episode=episode, line_no=2, reason="错")
    assert exc.value.code == "episode_settled" and s.number in exc.value.message
    # after 冲正 the line can be withdrawn and the admission settled again
    settlement_reverse(actor=desk, settlement=s, reason="费用录错")
    charge_withdraw(actor=desk, episode=episode, line_no=3, reason="白蛋白未用")
    again, created = settlement_settle(actor=desk, episode=Episode.objects.get(pk=episode.pk))
    assert created and again.total_cost == Decimal("6000.00")  # only line 2 counts


def test_cancelling_a_wrong_registration(demo, family, desk):
    episode = admitted(desk, family.head, discharge=None)
    with pytest.raises(ValidationFailed):
        episode_cancel(actor=desk, episode=episode, reason="")
    cancelled = episode_cancel(actor=desk, episode=episode, reason="患者登记错误")
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        EpisodeStatus.CANCELLED, "患者登记错误", desk)
    assert AuditEntry.objects.filter(action="episode.cancel", reason="患者登记错误").exists()
    with pytest.raises(ValidationFailed):
        settlement_trial(actor=desk, episode=cancelled)
    with pytest.raises(ValidationFailed):
        charges_upload(actor=desk, episode=cancelled, lines=[line(9)])
    with pytest.raises(ValidationFailed):
        episode_cancel(actor=desk, episode=cancelled, reason="再撤")
    with pytest.raises(Conflict) as exc:  # the serial stays used
        register(desk, family.head, "ZY1", diagnosis_code="I63.9")
    assert exc.value.code == "serial_cancelled"
    # a cancelled stay does not block the right one
    assert register(desk, family.head, "ZY1-R").status == EpisodeStatus.ADMITTED


def test_a_settled_episode_cannot_be_cancelled(demo, family, desk):
    s, _ = settlement_settle(actor=desk, episode=admitted(desk, family.head))
    with pytest.raises(ValidationFailed) as exc:
        episode_cancel(actor=desk, episode=s.episode, reason="错")
    assert exc.value.code == "episode_settled"


def test_withdraw_and_cancel_on_the_desk_page(client, login, family):
    desk = login("desk_county")
    episode = admitted(desk, family.head)
    url = f"/desk/episodes/{episode.pk}/"
    html = client.get(url).content.decode()
    assert 'data-testid="withdraw-1"' in html and 'data-testid="cancel-episode"' in html
    response = client.post(url, {"action": "withdraw", "line_no": "1", "reason": "床位天数录错"}, follow=True)
    html = response.content.decode()
    assert "已撤销明细 1" in html and "已撤销：床位天数录错" in html
    assert "2 行，合计 6,700.00 元；另有已撤销 1 行，不计入" in html
    html = client.post(url, {"action": "withdraw", "line_no": "2", "reason": ""}, follow=True).content.decode()
    assert "撤销明细必须填写原因" in html and ChargeLine.objects.filter(episode=episode).count() == 2
    html = client.post(url, {"action": "cancel", "reason": "登记错患者"}, follow=True).content.decode()
    assert "已撤销住院登记" in html and "登记错患者" in html and 'data-testid="cancel-episode"' not in html
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.CANCELLED


@pytest.fixture
def his(client, demo):
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")

    def call(method, path, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/desk{path}", **kwargs)
        return response.status_code, json.loads(response.content)

    return call


def test_withdraw_and_cancel_through_the_api(his, family, desk):
    episode = admitted(desk, family.head)
    status, body = his("post", f"/episodes/{episode.serial}/charges/1/withdraw", {"reason": "录错"})
    assert status == 200 and body["withdrawn"] and body["withdrawn_reason"] == "录错"
    status, lines = his("get", f"/episodes/{episode.serial}/charges")
    assert [(x["line_no"], x["withdrawn"]) for x in lines] == [(1, True), (2, False), (3, False)]
    status, body = his("post", f"/episodes/{episode.serial}/charges/1/withdraw", {"reason": "再撤"})
    assert status == 422 and body["code"] == "already_withdrawn"
    status, body = his("post", f"/episodes/{episode.serial}/cancel", {"reason": ""})
    assert status == 422 and body["field"] == "reason"
    status, body = his("post", f"/episodes/{episode.serial}/cancel", {"reason": "重复登记"})
    assert status == 200 and body["status"] == "cancelled" and body["cancel_reason"] == "重复登记"


# 2. Charge files and bounds ---------------------------------------------------------------------------------

CSV = "明细序号,院内编码,项目名称,费用日期,数量,单价,金额\n1,5001-ZL0001,普通病房床位费,2026-05-10,10,25.5,255.00\n"


def test_a_gbk_csv_from_excel_is_read():
    lines = parse_charge_file("费用.csv", CSV.encode("gbk"))
    assert [(x.line_no, x.item_name, x.unit_price) for x in lines] == [(1, "普通病房床位费", Decimal("25.5"))]
    assert parse_charge_file("费用.csv", CSV.encode("utf-8-sig"))[0].item_name == "普通病房床位费"


@pytest.mark.parametrize("name, content, words", [
    ("费用.xlsx", b"PK\x03\x04 this is not a workbook", "无法读取该 Excel 文件"),
    ("费用.csv", "明细序号,院内编码,项目名称,费用日期,数量,单价,金额\n".encode("gbk"), "只有列名"),
    ("费用.csv", b"", "空"),
    ("费用.csv", (CSV + "2,5001-ZL0001,x,2026-05-10,nan,1,1.00\n").encode(), "第 3 行“数量”列：“nan”不是有效的数量"),
])
def test_bad_charge_files_are_refused_with_a_message(name, content, words):
    with pytest.raises(ValidationFailed) as exc:
        parse_charge_file(name, content)
    assert words in exc.value.message and exc.value.field == "file"


def test_bad_files_on_the_page_show_a_message(client, login, family):
    desk = login("desk_county")
    url = f"/desk/episodes/{admitted(desk, family.head, discharge=None).pk}/"
    for upload, words in [(SimpleUploadedFile("a.xlsx", b"garbage"), "无法读取该 Excel 文件"),
                          (SimpleUploadedFile("a.csv", CSV.split("\n")[0].encode("gbk")), "只有列名")]:
        html = client.post(url, {"action": "file", "file": upload}).content.decode()
        assert words in html
    response = client.post(url, {"action": "file", "file": SimpleUploadedFile(
        "a.csv", CSV.replace("1,5001", "4,5001").encode("gbk"))})
    assert response.status_code == 302 and episode_line(4).unit_price == Decimal("25.5")


def episode_line(n):
    return ChargeLine.objects.get(episode__serial="ZY1", line_no=n)


@pytest.mark.parametrize("changes, field", [
    ({"line_no": 2**31}, "line_no"),
    ({"item_name": "药" * 121}, "item_name"),
    ({"facility_item_code": "X" * 41}, "facility_item_code"),
    ({"quantity": Decimal("0.00001"), "unit_price": Decimal("1"), "amount": Decimal("0.01")}, "quantity"),
    ({"quantity": Decimal("NaN")}, "quantity"),
    ({"unit_price": Decimal("1.00001"), "quantity": Decimal("1"), "amount": Decimal("1.00")}, "unit_price"),
])
def test_the_service_checks_each_line_against_its_column(demo, family, desk, changes, field):
    episode = admitted(desk, family.head, discharge=None)
    values = {"line_no": 9, "facility_item_code": "5001-ZL0001", "item_name": "床位费", "charged_on": ADMIT,
              "quantity": Decimal("1"), "unit_price": Decimal("30"), "amount": Decimal("30.00"), **changes}
    result = charges_upload(actor=desk, episode=episode, lines=[ChargeInput(**values)])
    assert not result.ok and result.errors[0]["field"] == field and field in result.errors[0]["message"]


@pytest.mark.parametrize("changes, field", [
    ({"serial": "Z" * 41}, "serial"), ({"department": "科" * 41}, "department"),
    ({"diagnosis_code": "I" * 21}, "diagnosis_code"), ({"diagnosis_name": "病" * 121}, "diagnosis_name"),
])
def test_registration_fields_are_bounded(demo, family, desk, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        register(desk, family.head, changes.pop("serial", "ZY-B"), **changes)
    assert exc.value.field == field and field in exc.value.message


@pytest.mark.parametrize("changes, field", [
    ({"serial": "Z" * 41}, "serial"), ({"department": "科" * 41}, "department"),
    ({"diagnosis_code": "I" * 21}, "diagnosis_code"),
])
def test_the_api_refuses_overlong_registration_fields_in_chinese(his, family, changes, field):
    body = {"serial": "ZY-L", "id_number": family.head.id_number, "admission_date": "2026-05-10", **changes}
    status, error = his("post", "/episodes", body)
    assert status == 422 and error["field"] == field and "最长" in error["message"] and field in error["message"]


@pytest.mark.parametrize("changes, field, words", [
    ({"line_no": 2**31}, "lines.0.line_no", "应不大于"),
    ({"item_name": "药" * 121}, "lines.0.item_name", "最长 120 个字符"),
    ({"quantity": "0.00001", "amount": "0.00"}, "lines.0.quantity", "最多 4 位小数"),
    ({"quantity": "0.00005", "unit_price": "1", "amount": "0.00"}, "lines.0.quantity", "最多 4 位小数"),
    ({"quantity": "0.0000", "amount": "0.00"}, "lines.0.quantity", "应不小于 0.0001"),
    ({"quantity": "NaN"}, "lines.0.quantity", "有限的数字"),
])
def test_the_api_refuses_out_of_bounds_lines_in_chinese(his, family, desk, changes, field, words):
    admitted(desk, family.head, discharge=None)
    one = {"line_no": 9, "facility_item_code": "5001-ZL0001", "item_name": "床位费", "charged_on": "2026-05-10",
           "quantity": "1", "unit_price": "30", "amount": "30.00", **changes}
    status, error = his("post", "/episodes/ZY1/charges", {"lines": [one]})
    assert status == 422 and error["field"] == field and words in error["message"], error


# 3. Diagnosis codes -------------------------------------------------------------------------------------------

def test_an_unknown_diagnosis_code_is_refused(demo, family, desk):
    with pytest.raises(ValidationFailed) as exc:
        register(desk, family.head, "ZY-D", diagnosis_code="ZZZ.9")
    assert exc.value.field == "diagnosis_code" and "ZZZ.9" in exc.value.message


def test_a_diagnosis_code_is_taken_in_the_lists_spelling_with_its_name(demo, family, desk):
    episode = register(desk, family.head, "ZY-D", diagnosis_code="i63.9")
    assert (episode.diagnosis_code, episode.diagnosis_name) == ("I63.9", "脑梗死")
    # a name the desk wrote is kept; a retried registration with the demo's spelling finds the first
    visit = register(desk, family.spouse, "MZ-D", kind="outpatient", diagnosis_code="I10.x", diagnosis_name="高血压")
    assert (visit.diagnosis_code, visit.diagnosis_name) == ("I10.X", "高血压")
    assert register(desk, family.spouse, "MZ-D", kind="outpatient", diagnosis_code="I10.x",
                    diagnosis_name="高血压").pk == visit.pk


# 4. One stay at a time -----------------------------------------------------------------------------------------

def test_a_second_open_admission_is_refused_at_the_same_and_another_facility(demo, family, desk):
    first = register(desk, family.head, "ZY-A")
    for actor, serial, day in [(desk, "ZY-B", ADMIT), (desk, "ZY-C", ADMIT + dt.timedelta(3)),
                               (demo["desk_ganting"], "ZY-T", ADMIT + dt.timedelta(1)),
                               (demo["desk_ganting"], "ZY-U", ADMIT - dt.timedelta(5))]:
        with pytest.raises(ValidationFailed) as exc:
            register(actor, family.head, serial, admission=day)
        assert exc.value.code == "overlapping_stay" and first.serial in exc.value.message
    # outpatient visits are not affected
    assert register(desk, family.head, "MZ-A", kind="outpatient", admission=ADMIT + dt.timedelta(2))
    # discharged on the 20th: a transfer admitted that day is fine, one admitted the 19th is not
    episode_discharge(actor=desk, episode=first, discharge_date=DISCHARGE)
    with pytest.raises(ValidationFailed):
        register(demo["desk_ganting"], family.head, "ZY-T", admission=DISCHARGE - dt.timedelta(1))
    assert register(demo["desk_ganting"], family.head, "ZY-T", admission=DISCHARGE).status == EpisodeStatus.ADMITTED


def test_a_discharge_may_not_run_into_a_later_stay(demo, family, desk):
    late = register(desk, family.head, "ZY-LATE", admission=dt.date(2026, 6, 1))
    episode_discharge(actor=desk, episode=late, discharge_date=dt.date(2026, 6, 5))
    early = register(demo["desk_ganting"], family.head, "ZY-EARLY", admission=dt.date(2026, 5, 25))
    with pytest.raises(ValidationFailed) as exc:
        episode_discharge(actor=demo["desk_ganting"], episode=early, discharge_date=dt.date(2026, 6, 3))
    assert exc.value.field == "discharge_date" and "ZY-LATE" in exc.value.message
    assert episode_discharge(actor=demo["desk_ganting"], episode=early, discharge_date=dt.date(2026, 6, 1))


# 5–7. What the desk and the voucher show --------------------------------------------------------------------

def test_the_pooling_voucher_has_no_family_account_line_and_names_the_scheme(demo, family):
    desk = demo["desk_ganting"]
    visit = register(desk, family.head, "MZ-V", kind="outpatient")
    charges_upload(actor=desk, episode=visit, lines=[line(1, code="5101-YP0001", q="1", p="10.03", a="10.03")])
    s, _ = settlement_settle(actor=desk, episode=visit)
    ctx = voucher_context(s)
    assert not ctx["has_family_account"] and ctx["scheme_name"] == "示范县城乡居民医疗保障分层补偿方案"
    from django.template.loader import render_to_string

    html = render_to_string("claims/voucher.html", ctx)
    assert "家庭账户支付" not in html and "demo-layered-2020" not in html and "示范县城乡居民医疗保障分层补偿方案" in html


def test_the_desk_page_shows_amounts_to_the_fen_and_words_not_codes(client, login, family):
    desk = login("desk_county")
    episode = admitted(desk, family.head, lines=[("5001-ZL0001", "10", "25.5", "255.00"),
                                                 ("5001-YP0106", "1", "2180", "2180.00")], discharge=None)
    html = client.get(f"/desk/episodes/{episode.pk}/").content.decode()
    assert "合计 2,435.00 元" in html  # 255.00 + 2180.00
    assert ">25.5<" in html and ">2180<" in html and ">10<" in html and "25.5000" not in html
    assert "先行自付20%" in html and "0.2000" not in html
    assert "<td>甲</td>" in html and "<td>乙 先行自付20%</td>" in html


def test_an_outpatient_visit_not_yet_settled_is_in_progress(client, login, family):
    desk = login("desk_ganting")
    visit = register(desk, family.head, "MZ-S", kind="outpatient")
    assert visit.status_label == "就诊中"
    assert "就诊中" in client.get(f"/desk/episodes/{visit.pk}/").content.decode()
    assert "就诊中" in client.get("/desk/?q=MZ-S").content.decode()


def test_a_suspended_facility_is_named_in_the_trial_refusal(client, login, family, demo):
    desk = login("desk_county")
    episode = admitted(desk, family.head, discharge=None)
    designation_change(demo, desk.facility, "suspended", dt.date(2026, 5, 15), "违规收费")
    episode_discharge(actor=desk, episode=episode, discharge_date=DISCHARGE)
    html = client.get(f"/desk/episodes/{episode.pk}/trial/").content.decode()
    assert "暂停定点" in html and "不予补偿：不予补偿" not in html
    assert not Settlement.objects.filter(episode=episode).exists()


def test_manual_claim_lines_read_as_class_totals(demo):
    line_ = ChargeLine(catalogue_code="手工-A", catalogue_class="A", first_self_pay_share=Decimal("0"))
    assert (line_.catalogue_label, line_.class_label, line_.first_self_pay_percent) == ("甲类费用合计", "甲", "")
    line_ = ChargeLine(catalogue_code="YP0106", catalogue_class="B", first_self_pay_share=Decimal("0.0750"))
    assert (line_.catalogue_label, line_.class_label, line_.first_self_pay_percent) == ("YP0106", "乙", "7.5%")


def test_plain_and_yuan_filters():
    from nrcms.web.templatetags.numbers import plain, yuan

    assert [plain(Decimal(x)) for x in ("25.5000", "15.0000", "0.0001", "100")] == ["25.5", "15", "0.0001", "100"]
    assert [yuan(x) for x in (Decimal("2435"), None, Decimal("0.5"))] == ["2,435.00", "", "0.50"]

"""Outpatient visits at the desk: register (no discharge), charges of the visit day, trial, settle, voucher,
reverse — under each outpatient mode the shipped schemes offer (demo-layered-2020: pooling with chronic
disease; huxian-2005: family account) and, from a scheme written by the test, family account then pooling."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from nrcms.accounts.services import api_token_create
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.models import Episode, PersonYear, Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle, settlement_trial
from nrcms.core.errors import ValidationFailed
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.policy import scheme_file_from_mapping

pytestmark = pytest.mark.django_db

VISIT = dt.date(2026, 5, 10)
SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
# 甘亭镇中心卫生院 (township): 诊查费 A 10.00 + 阿莫西林 A 2 × 45 = 90.00 → total 100.00, all in policy.
LINES = [("5101-ZL0002", "1", "10", "10.00"), ("5101-YP0001", "2", "45", "90.00")]


def visit(desk, person, serial, day=VISIT, lines=LINES, diagnosis=""):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="outpatient", id_number=person.id_number, admission_date=day, diagnosis_code=diagnosis))
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=day, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a)) for n, (code, q, p, a) in enumerate(lines, start=1)])
    assert result.ok, result.errors
    return episode


def fund_family_account(household, amount: str):
    """An opening balance carried into the family account (not a receipt: the receipts check stays exact)."""
    ledger.post(date=dt.date(2026, 1, 5), kind="opening_balance", description="测试：家庭账户期初余额",
                lines=[(ledger.account(ledger.FUND_ACCOUNT), Decimal(amount), Decimal("0")),
                       (ledger.family_account_of(household), Decimal("0"), Decimal(amount))])


@pytest.fixture
def desk(demo):
    return demo["desk_ganting"]


@pytest.fixture
def family_account_scheme(scheme_file):
    scheme_file(SCHEMES / "huxian-2005.yaml")


@pytest.fixture
def account_then_pooling_scheme(scheme_file, tmp_path):
    """demo-layered-2020 with outpatient.mode changed to family_account_then_pooling."""
    raw = yaml.safe_load((SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8"))
    raw["id"] = "test-account-then-pooling"
    raw["versions"][0]["parameters"]["outpatient"]["mode"] = "family_account_then_pooling"
    assert scheme_file_from_mapping(raw).versions[0].params.outpatient.mode == "family_account_then_pooling"
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    scheme_file(path)


def test_the_demo_scheme_pays_outpatient_by_pooling_only():
    from nrcms.policy import load_scheme_file

    modes = {p.name: {v.params.outpatient.mode for v in load_scheme_file(p).versions if v.params.outpatient}
             for p in SCHEMES.glob("*.yaml")}
    assert modes["demo-layered-2020.yaml"] == {"pooling"}
    assert modes["huxian-2005.yaml"] == {"family_account"}


# ---- outpatient pooling (demo-layered-2020: township 55 %, 60 a visit, 80 a day, 400 a year) ----

def test_a_visit_is_settled_without_discharge_from_the_pooled_fund(demo, family, desk):
    episode = visit(desk, family.head, "MZ1")
    assert episode.kind == "outpatient" and episode.discharge_date is None
    trial = settlement_trial(actor=desk, episode=episode)
    assert not Settlement.objects.filter(episode=episode).exists()
    pooled_before = ledger.balance(ledger.account(ledger.POOLED_FUND))
    payable_before = ledger.balance(ledger.payable_to(desk.facility))
    s, created = settlement_settle(actor=desk, episode=episode, idempotency_key="mz-1")
    # 100.00 × 55 % = 55.00, under the 60.00 a visit; the patient pays 45.00
    assert created and (s.total_cost, s.basic, s.family_account, s.fund_total, s.self_pay) == (
        Decimal("100.00"), Decimal("55.00"), Decimal("0.00"), Decimal("55.00"), Decimal("45.00"))
    assert trial.fund_total == s.fund_total
    assert any("门诊统筹" in line["text"] for line in s.result["lines"])
    assert PersonYear.objects.get(person=family.head).outpatient_pooling_paid == Decimal("55.00")
    assert pooled_before - ledger.balance(ledger.account(ledger.POOLED_FUND)) == Decimal("55.00")
    assert ledger.balance(ledger.payable_to(desk.facility)) - payable_before == Decimal("55.00")
    again, created = settlement_settle(actor=desk, episode=episode, idempotency_key="mz-1")
    assert not created and again.pk == s.pk and Settlement.objects.filter(episode=episode).count() == 1
    episode.refresh_from_db()
    assert episode.status == "settled" and books_check().ok


def test_a_second_visit_the_same_day_respects_the_daily_cap(demo, family, desk):
    settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    second, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ2"))
    # 100.00 × 55 % = 55.00, but 80.00 a day with 55.00 paid today leaves 25.00
    assert second.basic == Decimal("25.00") and second.self_pay == Decimal("75.00")
    assert "每日限额" in " ".join(line["text"] for line in second.result["lines"])
    next_day, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ3", day=VISIT + dt.timedelta(1)))
    assert next_day.basic == Decimal("55.00")  # a new day, a new daily limit
    assert PersonYear.objects.get(person=family.head).outpatient_pooling_paid == Decimal("135.00")


def test_the_annual_pooling_cap_holds(demo, family, desk):
    PersonYear.objects.create(person=family.head, scheme_year=2026, outpatient_pooling_paid=Decimal("380.00"))
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    # 400.00 a year less 380.00 already paid leaves 20.00 of the 55.00
    assert s.basic == Decimal("20.00")
    assert PersonYear.objects.get(person=family.head).outpatient_pooling_paid == Decimal("400.00")
    nothing, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ2", day=VISIT + dt.timedelta(1)))
    assert nothing.basic == Decimal("0.00") and nothing.self_pay == Decimal("100.00")


def test_amounts_that_floats_cannot_add_are_settled(demo, family, desk):
    # 10.03 × 55 % = 5.5165 → 5.50 (to the jiao); the patient 4.53. In floats 5.5 + 4.53 ≠ 10.03, which
    # SQLite's sum in the amounts-add-up constraint used to refuse.
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1",
                                                       lines=[("5101-YP0001", "1", "10.03", "10.03")]))
    assert (s.total_cost, s.fund_total, s.self_pay) == (Decimal("10.03"), Decimal("5.50"), Decimal("4.53"))


def test_a_chronic_disease_visit_is_paid_by_the_chronic_rule(demo, family, desk):
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1", diagnosis="i10.x"))
    # the code is taken in the list's spelling, with its name
    assert (s.episode.diagnosis_code, s.episode.diagnosis_name) == ("I10.X", "特发性（原发性）高血压")
    # hypertension I10 is listed: 100.00 × 65 % = 65.00 within the 3000.00 chronic cap, no pooling
    assert s.basic == Decimal("65.00")
    year = PersonYear.objects.get(person=family.head)
    assert (year.chronic_paid, year.outpatient_pooling_paid) == (Decimal("65.00"), Decimal("0.00"))


def test_reversing_a_visit_gives_the_year_back(demo, family, desk):
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    reversal = settlement_reverse(actor=desk, settlement=s, reason="药品数量录错")
    assert reversal.fund_total == Decimal("-55.00")
    assert PersonYear.objects.get(person=family.head).outpatient_pooling_paid == Decimal("0.00")
    episode = Episode.objects.get(serial="MZ1")
    assert episode.status == "admitted"  # open again for correction; a visit has no discharge
    again, created = settlement_settle(actor=desk, episode=episode)
    assert created and again.basic == Decimal("55.00")


def test_a_person_not_enrolled_cannot_register_a_visit(demo, family, desk):
    with pytest.raises(ValidationFailed) as exc:
        admission_register(actor=desk, data=AdmissionInput(serial="MZ-N", kind="outpatient",
                                                           id_number=family.head.id_number,
                                                           admission_date=dt.date(2025, 12, 1)))
    assert exc.value.code == "not_enrolled" and exc.value.field == "id_number"


def test_a_visit_has_no_discharge_and_its_charges_are_of_the_visit_day(demo, family, desk):
    episode = visit(desk, family.head, "MZ1")
    with pytest.raises(ValidationFailed) as exc:
        episode_discharge(actor=desk, episode=episode, discharge_date=VISIT)
    assert exc.value.code == "outpatient_no_discharge"
    result = charges_upload(actor=desk, episode=episode, lines=[ChargeInput(
        line_no=9, facility_item_code="5101-ZL0002", item_name="x", charged_on=VISIT + dt.timedelta(1),
        quantity=Decimal("1"), unit_price=Decimal("10"), amount=Decimal("10.00"))])
    assert not result.ok and result.errors[0]["field"] == "charged_on"


# ---- family account (huxian-2005) ----

def test_the_family_account_pays_up_to_its_balance_and_falls_in_the_ledger(demo, family, desk, family_account_scheme):
    fund_family_account(family.household, "150.00")
    account = ledger.family_account_of(family.household)
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    # balance 150.00 covers the whole 100.00 of in-policy cost
    assert (s.family_account, s.basic, s.fund_total, s.self_pay) == (
        Decimal("100.00"), Decimal("0.00"), Decimal("100.00"), Decimal("0.00"))
    assert ledger.balance(account) == Decimal("50.00")
    # the spouse spends the same household's account: only 50.00 is left of her 100.00
    t, _ = settlement_settle(actor=desk, episode=visit(desk, family.spouse, "MZ2"))
    assert (t.family_account, t.fund_total, t.self_pay) == (Decimal("50.00"), Decimal("50.00"), Decimal("50.00"))
    assert ledger.balance(account) == Decimal("0.00")
    assert t.result["ytd_after"]["family_account_balance"] == "0.00"
    # and the child finds it empty
    u, _ = settlement_settle(actor=desk, episode=visit(desk, family.child, "MZ3"))
    assert (u.family_account, u.self_pay) == (Decimal("0.00"), Decimal("100.00"))
    assert ledger.balance(account) == Decimal("0.00") and books_check().ok


def test_reversal_gives_the_family_account_back(demo, family, desk, family_account_scheme):
    fund_family_account(family.household, "150.00")
    account = ledger.family_account_of(family.household)
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    assert ledger.balance(account) == Decimal("50.00")
    reversal = settlement_reverse(actor=desk, settlement=s, reason="患者退药")
    assert reversal.family_account == Decimal("-100.00")
    assert ledger.balance(account) == Decimal("150.00") and books_check().ok


def test_the_trial_shows_the_family_account_and_writes_nothing(demo, family, desk, family_account_scheme):
    fund_family_account(family.household, "30.00")
    trial = settlement_trial(actor=desk, episode=visit(desk, family.head, "MZ1"))
    assert trial.family_account == Decimal("30.00") and trial.self_pay == Decimal("70.00")
    assert ledger.balance(ledger.family_account_of(family.household)) == Decimal("30.00")
    assert not Settlement.objects.filter(episode__person=family.head).exists()


# ---- family account first, then pooling (a scheme written by the test) ----

def test_the_family_account_first_then_pooling_for_the_rest(demo, family, desk, account_then_pooling_scheme):
    fund_family_account(family.household, "30.00")
    pooled_before = ledger.balance(ledger.account(ledger.POOLED_FUND))
    s, _ = settlement_settle(actor=desk, episode=visit(desk, family.head, "MZ1"))
    # family account 30.00; the 70.00 left × 55 % = 38.50 from pooling; the patient pays 31.50
    assert (s.family_account, s.basic, s.fund_total, s.self_pay) == (
        Decimal("30.00"), Decimal("38.50"), Decimal("68.50"), Decimal("31.50"))
    assert ledger.balance(ledger.family_account_of(family.household)) == Decimal("0.00")
    assert pooled_before - ledger.balance(ledger.account(ledger.POOLED_FUND)) == Decimal("38.50")
    assert PersonYear.objects.get(person=family.head).outpatient_pooling_paid == Decimal("38.50")


# ---- API and pages ----

@pytest.fixture
def his(client, desk):
    _, key = api_token_create(actor=None, user=desk, name="HIS")

    def call(method, path, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/desk{path}", **kwargs)
        return response.status_code, (json.loads(response.content) if response["Content-Type"].startswith(
            "application/json") else response.content)

    return call


def test_a_visit_through_the_api(his, family, family_account_scheme):
    fund_family_account(family.household, "40.00")
    status, member = his("get", f"/members?id_number={family.head.id_number}&on=2026-05-10")
    assert status == 200 and member["family_account_balance"] == "40.00"
    body = {"serial": "MZ-API-1", "kind": "outpatient", "id_number": family.head.id_number,
            "admission_date": "2026-05-10"}
    status, episode = his("post", "/episodes", body)
    assert status == 201 and episode["kind"] == "outpatient" and episode["discharge_date"] is None
    lines = {"lines": [{"line_no": n, "facility_item_code": code, "item_name": "x", "charged_on": "2026-05-10",
                        "quantity": q, "unit_price": p, "amount": a} for n, (code, q, p, a) in enumerate(LINES, 1)]}
    assert his("post", "/episodes/MZ-API-1/charges", lines)[0] == 200
    status, error = his("post", "/episodes/MZ-API-1/discharge", {"discharge_date": "2026-05-10"})
    assert status == 422 and error["code"] == "outpatient_no_discharge"
    status, trial = his("post", "/episodes/MZ-API-1/trial")
    assert status == 200 and trial["family_account"] == "40.00"
    status, s = his("post", "/episodes/MZ-API-1/settle", HTTP_IDEMPOTENCY_KEY="mz-api")
    assert status == 201 and s["family_account"] == "40.00" and s["fund_total"] == "40.00" and s["self_pay"] == "60.00"
    status, pdf = his("get", f"/settlements/{s['number']}/voucher.pdf")
    assert status == 200 and pdf[:5] == b"%PDF-"
    assert his("get", f"/members?id_number={family.head.id_number}&on=2026-05-10")[1]["family_account_balance"] == "0.00"


def test_the_desk_pages_have_a_plain_outpatient_path(client, login, family):
    login("desk_ganting")
    home = client.get("/desk/").content.decode()
    assert "门诊就诊" in home and "?kind=outpatient" in home
    page = client.get(f"/desk/admit/?kind=outpatient&id_number={family.head.id_number}").content.decode()
    assert "门诊就诊登记" in page and "就诊日期" in page and "转诊单号" not in page
    response = client.post("/desk/admit/", {"kind": "outpatient", "serial": "MZ-P-1", "id_number": family.head.id_number,
                                            "admission_date": "2026-05-10"})
    assert response.status_code == 302
    episode = Episode.objects.get(serial="MZ-P-1")
    assert episode.kind == "outpatient"
    detail = client.get(f"/desk/episodes/{episode.pk}/").content.decode()
    assert "门诊结算" in detail and "登记出院" not in detail and "家庭账户余额" in detail
    card = client.get(f"/desk/?id_number={family.head.id_number}").content.decode()
    assert "家庭账户余额" in card

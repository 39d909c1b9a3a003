"""手工报销 at the county centre: record, trial, notice (公示, 15 days), settle by another reviewer, voucher,
reverse — and every refusal: no referral, referral late, papers late, notice not yet over, the same claim
twice, the recorder approving their own claim."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.claims import manual
from nrcms.claims.manual import (
    ManualClaimInput,
    ReceiptLine,
    manual_claim_notice,
    manual_claim_record,
    manual_claim_reject,
    manual_claim_reverse,
    manual_claim_settle,
    manual_claim_trial,
)
from nrcms.claims.models import ManualClaim, PersonYear, Referral, Settlement
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.funding import ledger
from nrcms.funding.checks import books_check

pytestmark = pytest.mark.django_db

ADMIT, DISCHARGE, PAPERS = dt.date(2026, 5, 10), dt.date(2026, 5, 20), dt.date(2026, 5, 30)
# Receipts by class: 甲类 3000 + 乙类 5000 (20 % first self-pay) + 丙类 1000 = 9000.00
RECEIPTS = (ReceiptLine("甲类费用合计", Decimal("3000.00"), "A"),
            ReceiptLine("乙类费用合计", Decimal("5000.00"), "B", Decimal("0.2")),
            ReceiptLine("丙类费用合计", Decimal("1000.00"), "C"))


@pytest.fixture
def today(monkeypatch):
    """Set the centre's calendar: today.set(date)."""

    class Clock:
        def set(self, day):
            monkeypatch.setattr(manual, "_today", lambda: day)

    clock = Clock()
    clock.set(dt.date(2026, 6, 1))
    return clock


@pytest.fixture
def xian(demo):
    return Facility.objects.get(code="H610100001")  # 西安市中心医院, prefecture level, out of county


@pytest.fixture
def referral(family, xian, demo):
    return Referral.objects.create(number="ZZ2026-0001", person=family.head, to_facility=xian,
                                   approved_on=dt.date(2026, 5, 9), valid_until=dt.date(2026, 6, 30),
                                   approved_by=demo["ganting"])


def claim_input(person, **kw):
    values = {"id_number": person.id_number, "facility_code": "H610100001", "admission_date": ADMIT,
              "discharge_date": DISCHARGE, "papers_received_on": PAPERS, "diagnosis_code": "I21.9",
              "diagnosis_name": "急性心肌梗死", "referral_number": "ZZ2026-0001", "lines": RECEIPTS}
    values.update(kw)
    return ManualClaimInput(**values)


def recorded(demo, family, **kw):
    claim, created = manual_claim_record(actor=demo["reviewer"], data=claim_input(family.head, **kw))
    assert created
    return claim


# Worked by hand under demo-layered-2020 (2020 version), prefecture hospital, referred, first admission:
# eligible = 3000 + 5000 × 80 % = 7000; deductible 1000; (7000 − 1000) × 60 % = 3600.00;
# catastrophic: in-policy self-pay 3400 is under its 10000 deductible → 0; the patient bears 9000 − 3600 = 5400.
def test_the_whole_claim_record_trial_notice_settle(demo, family, referral, today):
    claim = recorded(demo, family)
    assert claim.status == "recorded" and claim.number.startswith("SG2026") and not claim.unreferred
    assert claim.episode.referral == referral and claim.episode.facility.in_county is False
    trial = manual_claim_trial(actor=demo["reviewer"], claim=claim)
    assert (trial.total_cost, trial.eligible_cost, trial.deductible, trial.basic, trial.self_pay) == (
        Decimal("9000.00"), Decimal("7000.00"), Decimal("1000.00"), Decimal("3600.00"), Decimal("5400.00"))
    assert not PersonYear.objects.filter(person=family.head).exists()

    today.set(dt.date(2026, 6, 1))
    claim = manual_claim_notice(actor=demo["reviewer"], claim=claim)
    assert (claim.status, claim.notice_from, claim.notice_amount) == ("noticed", dt.date(2026, 6, 1), Decimal("3600.00"))
    assert manual.payable_from(claim) == dt.date(2026, 6, 16)

    cash_before = ledger.balance(ledger.account(ledger.FUND_ACCOUNT))
    pooled_before = ledger.balance(ledger.account(ledger.POOLED_FUND))
    today.set(dt.date(2026, 6, 16))
    claim, created = manual_claim_settle(actor=demo["director"], claim=claim)
    assert created and claim.status == "paid" and claim.paid_by == demo["director"]
    assert (claim.fund_total, claim.basic, claim.self_pay) == (Decimal("3600.00"), Decimal("3600.00"), Decimal("5400.00"))
    assert len(claim.scheme_version) == 64 and claim.result["lines"]
    year = PersonYear.objects.get(person=family.head, scheme_year=2026)
    assert (year.admissions, year.basic_paid, year.inpatient_cost) == (1, Decimal("3600.00"), Decimal("9000.00"))
    # the fund pays the patient from the special account: Dr 3101 3600 / Cr 1001 3600, nothing owed to Xi'an
    assert cash_before - ledger.balance(ledger.account(ledger.FUND_ACCOUNT)) == Decimal("3600.00")
    assert pooled_before - ledger.balance(ledger.account(ledger.POOLED_FUND)) == Decimal("3600.00")
    assert ledger.balance(ledger.payable_to(claim.episode.facility)) == Decimal("0.00")
    assert not Settlement.objects.filter(episode=claim.episode).exists() and books_check().ok
    actions = set(AuditEntry.objects.filter(object_id=str(claim.pk), object_type="claims.manualclaim")
                  .values_list("action", flat=True))
    assert actions == {"manual_claim.record", "manual_claim.notice", "manual_claim.settle"}
    again, created = manual_claim_settle(actor=demo["director"], claim=claim)
    assert not created and again.pk == claim.pk
    assert ledger.balance(ledger.account(ledger.FUND_ACCOUNT)) == cash_before - Decimal("3600.00")
    from nrcms.claims.manual_voucher import manual_voucher_context

    slip = manual_voucher_context(claim)  # prefecture hospital, referred: one tier at 60 %; an ordinary member
    assert slip["rate"] == "60%" and slip["categories"] == "一般"


def test_settlement_before_fifteen_days_of_notice_is_refused(demo, family, referral, today):
    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    today.set(dt.date(2026, 6, 15))  # the 15th day of notice is 6-15; payable from 6-16
    with pytest.raises(ValidationFailed) as exc:
        manual_claim_settle(actor=demo["director"], claim=claim)
    assert exc.value.code == "notice_period" and "2026-06-16 起方可支付" in exc.value.message
    assert ManualClaim.objects.get(pk=claim.pk).status == "noticed"


def test_a_claim_not_noticed_cannot_be_paid(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        manual_claim_settle(actor=demo["director"], claim=recorded(demo, family))
    assert exc.value.code == "not_noticed"


def test_the_recorder_cannot_approve_the_payment(demo, family, referral, today):
    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    today.set(dt.date(2026, 7, 1))
    with pytest.raises(Forbidden) as exc:
        manual_claim_settle(actor=demo["reviewer"], claim=claim)
    assert exc.value.code == "separation_of_duties"


def test_a_desk_or_a_clerk_cannot_record(demo, family, referral, today):
    for who in ("desk_county", "ganting", "finance"):
        with pytest.raises(Forbidden):
            manual_claim_record(actor=demo[who], data=claim_input(family.head))


def test_no_referral_is_refused_unless_settled_as_unreferred(demo, family, today):
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, referral_number="")
    assert exc.value.code == "no_referral" and exc.value.field == "referral_number"
    claim = recorded(demo, family, referral_number="", unreferred=True)
    assert claim.unreferred and claim.referral is None and claim.episode.referral is None
    # unreferred out of county: deductible 2000, rate 60 % − 20 points = 40 %: (7000 − 2000) × 40 % = 2000.00
    trial = manual_claim_trial(actor=demo["reviewer"], claim=claim)
    assert (trial.deductible, trial.basic) == (Decimal("2000.00"), Decimal("2000.00"))


def test_a_referral_filed_more_than_seven_days_after_admission_is_refused(demo, family, referral, today):
    referral.approved_on = ADMIT + dt.timedelta(days=8)
    referral.save()
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family)
    assert exc.value.code == "referral_late" and "2026-05-17" in exc.value.message
    referral.approved_on = ADMIT + dt.timedelta(days=7)  # the 7th day is still in time
    referral.save()
    assert not recorded(demo, family).unreferred


def test_a_late_referral_may_be_settled_as_unreferred(demo, family, referral, today):
    referral.approved_on = ADMIT + dt.timedelta(days=8)
    referral.save()
    claim = recorded(demo, family, unreferred=True)
    assert claim.unreferred and claim.referral == referral and claim.episode.referral is None


def test_someone_elses_referral_is_refused(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        manual_claim_record(actor=demo["reviewer"], data=claim_input(family.spouse))
    assert "不是刘桂芳的" in exc.value.message


def test_papers_handed_in_more_than_twenty_days_after_discharge_are_refused(demo, family, referral, today):
    today.set(dt.date(2026, 7, 1))
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, papers_received_on=DISCHARGE + dt.timedelta(days=21))
    assert exc.value.code == "papers_late" and exc.value.field == "papers_received_on"
    assert recorded(demo, family, papers_received_on=DISCHARGE + dt.timedelta(days=20)).status == "recorded"


def test_in_county_care_goes_to_the_desk_not_to_manual_reimbursement(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, facility_code="H610125001")
    assert exc.value.code == "in_county"


def test_a_person_not_enrolled_is_refused(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, admission_date=dt.date(2025, 12, 20), discharge_date=dt.date(2025, 12, 28),
                 papers_received_on=dt.date(2026, 1, 5))
    assert exc.value.code == "not_enrolled"


def test_receipt_lines_need_a_class_and_a_b_share(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, lines=(ReceiptLine("药费", Decimal("100.00")),))
    assert "甲/乙/丙" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, lines=(ReceiptLine("乙类", Decimal("100.00"), "B"),))
    assert "先行自付比例" in exc.value.message
    # a catalogue code brings its class and share: 尿激酶 YP0106 is 乙类 with 20 %
    claim = recorded(demo, family, lines=(ReceiptLine("注射用尿激酶", Decimal("1000.00"), catalogue_code="YP0106"),))
    line = claim.episode.charges.get()
    assert (line.catalogue_class, line.first_self_pay_share) == ("B", Decimal("0.2000"))


def test_the_same_claim_twice_is_refused_and_a_retry_returns_the_first(demo, family, referral, today):
    first, created = manual_claim_record(actor=demo["reviewer"], data=claim_input(family.head), idempotency_key="k1")
    retry, created_again = manual_claim_record(actor=demo["reviewer"], data=claim_input(family.head),
                                               idempotency_key="k1")
    assert created and not created_again and retry.pk == first.pk
    with pytest.raises(Conflict) as exc:
        manual_claim_record(actor=demo["reviewer"], data=claim_input(family.head))
    assert exc.value.code == "duplicate_claim" and first.number in exc.value.message
    assert ManualClaim.objects.filter(episode__person=family.head).count() == 1


def test_an_amount_changed_since_the_notice_must_be_noticed_again(demo, family, referral, today):
    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    # meanwhile a first admission was settled elsewhere: this one's deductible halves to 500
    PersonYear.objects.create(person=family.head, scheme_year=2026, admissions=1, basic_paid=Decimal("100.00"))
    today.set(dt.date(2026, 6, 20))
    with pytest.raises(Conflict) as exc:
        manual_claim_settle(actor=demo["director"], claim=claim)
    assert exc.value.code == "amount_changed"
    claim = manual_claim_notice(actor=demo["reviewer"], claim=claim)
    # (7000 − 500) × 60 % = 3900.00, noticed afresh from 6-20
    assert (claim.notice_from, claim.notice_amount) == (dt.date(2026, 6, 20), Decimal("3900.00"))


def test_reversal_gives_the_year_and_the_money_back(demo, family, referral, today):
    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    cash_before = ledger.balance(ledger.account(ledger.FUND_ACCOUNT))
    today.set(dt.date(2026, 6, 16))
    claim, _ = manual_claim_settle(actor=demo["director"], claim=claim)
    with pytest.raises(ValidationFailed):
        manual_claim_reverse(actor=demo["reviewer"], claim=claim, reason=" ")
    claim = manual_claim_reverse(actor=demo["reviewer"], claim=claim, reason="票据重复报销")
    assert claim.status == "reversed" and claim.reason == "票据重复报销"
    year = PersonYear.objects.get(person=family.head)
    assert (year.admissions, year.basic_paid, year.inpatient_cost) == (0, Decimal("0.00"), Decimal("0.00"))
    assert ledger.balance(ledger.account(ledger.FUND_ACCOUNT)) == cash_before and books_check().ok
    with pytest.raises(ValidationFailed) as exc:
        manual_claim_reverse(actor=demo["reviewer"], claim=claim, reason="再冲")
    assert exc.value.code == "not_paid"
    assert AuditEntry.objects.filter(action="manual_claim.reverse", object_id=str(claim.pk)).exists()
    # the stay may now be claimed again, correctly
    assert recorded(demo, family).status == "recorded"


def test_a_claim_may_be_rejected_during_the_notice(demo, family, referral, today):
    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    claim = manual_claim_reject(actor=demo["director"], claim=claim, reason="公示期间群众反映住院不实，经核查属实")
    claim.episode.refresh_from_db()
    assert claim.status == "rejected" and claim.episode.status == "cancelled"
    today.set(dt.date(2026, 7, 1))
    with pytest.raises(ValidationFailed) as exc:
        manual_claim_settle(actor=demo["director"], claim=claim)
    assert exc.value.code == "claim_closed"


# ---- API and pages ----

@pytest.fixture
def api(client, login):
    def call(user, method, path, body=None):
        login(user)
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(client, method)(f"/api/manual-claims{path}", **kwargs)
        ok_json = response["Content-Type"].startswith("application/json")
        return response.status_code, (json.loads(response.content) if ok_json else response.content)

    return call


def test_the_claim_through_the_api(api, family, referral, today):
    body = {"id_number": family.head.id_number, "facility_code": "H610100001", "admission_date": "2026-05-10",
            "discharge_date": "2026-05-20", "papers_received_on": "2026-05-30", "diagnosis_code": "I21.9",
            "referral_number": "ZZ2026-0001",
            "lines": [{"item_name": "甲类", "amount": "3000.00", "catalogue_class": "A"},
                      {"item_name": "乙类", "amount": "5000.00", "catalogue_class": "B", "first_self_pay_share": "0.2"},
                      {"item_name": "丙类", "amount": "1000.00", "catalogue_class": "C"}]}
    status, claim = api("reviewer", "post", "", body)
    assert status == 201 and claim["status"] == "recorded"
    number = claim["number"]
    status, error = api("reviewer", "post", "", body)
    assert status == 409 and error["code"] == "duplicate_claim"
    status, trial = api("reviewer", "post", f"/{number}/trial")
    assert status == 200 and trial["fund_total"] == "3600.00"
    status, noticed = api("reviewer", "post", f"/{number}/notice")
    assert status == 200 and noticed["notice_amount"] == "3600.00" and noticed["payable_from"] == "2026-06-16"
    status, error = api("director", "post", f"/{number}/settle")
    assert status == 422 and error["code"] == "notice_period"
    today.set(dt.date(2026, 6, 16))
    status, error = api("reviewer", "post", f"/{number}/settle")
    assert status == 403 and error["code"] == "separation_of_duties"
    status, paid = api("director", "post", f"/{number}/settle")
    assert status == 201 and paid["fund_total"] == "3600.00" and paid["status"] == "paid"
    assert api("director", "post", f"/{number}/settle")[0] == 200
    status, pdf = api("director", "get", f"/{number}/voucher.pdf")
    assert status == 200 and pdf[:5] == b"%PDF-"
    status, page = api("director", "get", "?status=paid")
    assert status == 200 and page["total"] == 1 and page["items"][0]["number"] == number
    status, reversed_ = api("reviewer", "post", f"/{number}/reverse", {"reason": "票据有误"})
    assert status == 200 and reversed_["status"] == "reversed"
    assert api("desk_county", "get", "")[0] == 403


def test_the_reviewer_pages(client, login, family, referral, today):
    login("reviewer")
    assert "手工报销" in client.get("/").content.decode()
    form = client.get("/manual/new/").content.decode()
    assert "材料受理日期" in form and "按未转诊报销" in form
    post = {"id_number": family.head.id_number, "facility_code": "H610100001", "admission_date": "2026-05-10",
            "discharge_date": "2026-05-20", "papers_received_on": "2026-05-30", "diagnosis_code": "I21.9",
            "diagnosis_name": "急性心肌梗死", "referral_number": "ZZ2026-0001", "idempotency_key": "page-1",
            "line-0-item_name": "甲类费用合计", "line-0-catalogue_class": "A", "line-0-amount": "3000.00",
            "line-1-item_name": "乙类费用合计", "line-1-catalogue_class": "B", "line-1-first_self_pay_share": "0.2",
            "line-1-amount": "5000.00",
            "line-2-item_name": "丙类费用合计", "line-2-catalogue_class": "C", "line-2-amount": "1000.00"}
    response = client.post("/manual/new/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = ManualClaim.objects.get(episode__person=family.head)
    detail = client.get(f"/manual/{claim.number}/").content.decode()
    assert "3,600.00" in detail and "9,000.00" in detail  # the trial on the claim page
    refused = client.post("/manual/new/", {**post, "idempotency_key": "page-2"}).content.decode()
    assert "不能重复报销" in refused
    client.post(f"/manual/{claim.number}/", {"action": "notice"})
    notice = client.get("/manual/notice/").content.decode()
    assert claim.number in notice and "3,600.00" in notice and family.head.id_number not in notice
    listing = client.get("/manual/?q=王德福").content.decode()
    assert claim.number in listing
    login("director")
    today.set(dt.date(2026, 6, 16))
    response = client.post(f"/manual/{claim.number}/", {"action": "settle"}, follow=True)
    assert "支付完成" in response.content.decode()
    assert client.get(f"/manual/{claim.number}/voucher.pdf").content[:5] == b"%PDF-"


def test_the_diagnosis_is_checked_against_the_icd_list_and_named_from_it(demo, family, referral, today):
    with pytest.raises(ValidationFailed) as exc:
        recorded(demo, family, diagnosis_code="ZZZ.9")
    assert exc.value.code == "unknown_diagnosis" and exc.value.field == "diagnosis_code"
    claim = recorded(demo, family, diagnosis_code="i21.9", diagnosis_name="")
    assert claim.episode.diagnosis_code == "I21.9" and claim.episode.diagnosis_name


def test_a_reprinted_slip_shows_the_year_as_it_stood_when_the_claim_was_paid(demo, family, referral, today):
    from claims_factory import admitted

    from nrcms.claims.manual_voucher import manual_voucher_context
    from nrcms.claims.settlement import settlement_settle
    from nrcms.registry.enrollment import certificate_reissue
    from nrcms.registry.people import person_category_grant

    claim = manual_claim_notice(actor=demo["reviewer"], claim=recorded(demo, family))
    today.set(dt.date(2026, 6, 16))
    claim, _ = manual_claim_settle(actor=demo["director"], claim=claim)
    # afterwards: a desk admission in August, a reissued certificate, a category granted back-dated
    desk = demo["desk_county"]
    later, _ = settlement_settle(actor=desk, episode=admitted(desk, family.head, serial="ZY-AUG",
                                                              admit=dt.date(2026, 8, 1), discharge=dt.date(2026, 8, 9)))
    certificate_reissue(actor=demo["ganting"], household=family.household, reason="损坏")
    person_category_grant(actor=demo["ganting"], person=family.head, category="wubao", valid_from=dt.date(2025, 1, 1),
                          authority="五保供养证 2026-补")
    assert PersonYear.objects.get(person=family.head, scheme_year=2026).admissions == 2
    slip = manual_voucher_context(claim)
    assert slip["year"]["admissions"] == 1 and slip["year"]["basic_paid"] == Decimal("3600.00")
    assert slip["year"]["inpatient_cost"] == Decimal("9000.00")
    assert slip["holder"]["certificate"] == family.certificate.number and slip["categories"] == "一般"
    assert later.fund_total > 0

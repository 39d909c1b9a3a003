"""家庭医生签约 services: fee split, overlaps, renewal, cancellation, visits, the monthly fee through the ledger
(hand-computed in fd_county.py), idempotent payment, the books still balanced, signing rates, the poor unsigned."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.family_doctors import services as svc
from nrcms.family_doctors.models import Contract, ContractStatus, FeePayment
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_fee_split_must_add_up_and_the_message_names_the_fields(fd):
    with pytest.raises(ValidationFailed) as exc:
        svc.contract_sign(actor=fd["reviewer"], team=fd["t1"], household=fd["h3"][1].household, person=fd["h3"][1],
                          package="basic", start=dt.date(2026, 5, 1), fee="100.00", fee_fund="60.00",
                          fee_person="10.00", fee_public_health="20.00")
    assert exc.value.field == "fee_fund"
    assert exc.value.message == ("年服务费 100.00 元应等于基金承担 60.00 + 个人承担 10.00 + 公共卫生经费承担 20.00 = 90.00 元；"
                                 "请调整各方承担金额")
    with pytest.raises(ValidationFailed, match="个人承担 1.005 元应精确到分"):
        svc.fee_split("10", "9", "1.005", "0")
    with pytest.raises(ValidationFailed, match="基金承担不能为负数"):
        svc.fee_split("10", "-1", "11", "0")


def test_a_person_already_covered_cannot_sign_again_for_an_overlapping_period(fd):
    wife = fd["h1"][1]  # covered by the household contract C1 (2026-03-01 – 2027-02-28)
    with pytest.raises(Conflict) as exc:
        svc.contract_sign(actor=fd["reviewer"], team=fd["t2"], household=wife.household, person=wife,
                          package="basic", start=dt.date(2026, 12, 1), fee="10", fee_fund="10", fee_person="0",
                          fee_public_health="0")
    assert exc.value.code == "overlap" and fd["c1"].number in exc.value.message and "户 QY0001 全体成员" in exc.value.message
    # the household of 丙 cannot sign as a whole either: 丙 has a person contract
    with pytest.raises(Conflict, match=fd["c2"].number):
        svc.contract_sign(actor=fd["reviewer"], team=fd["t1"], household=fd["h3"][0].household, package="basic",
                          start=dt.date(2026, 6, 1), fee="10", fee_fund="10", fee_person="0", fee_public_health="0")
    # 丁 alone may sign; 乙's contract was cancelled from 20 March, so 乙 may sign from that day
    svc.contract_sign(actor=fd["reviewer"], team=fd["t1"], household=fd["h3"][1].household, person=fd["h3"][1],
                      package="basic", start=dt.date(2026, 6, 1), fee="10", fee_fund="10", fee_person="0",
                      fee_public_health="0")
    c = svc.contract_sign(actor=fd["reviewer"], team=fd["t1"], household=fd["yi"].household, package="poor",
                          start=dt.date(2026, 3, 20), fee="10", fee_fund="10", fee_person="0", fee_public_health="0")
    assert c.end == dt.date(2027, 3, 19)


def test_renewal_starts_the_day_after_keeps_the_terms_and_links_the_contracts(fd):
    renewed = svc.contract_renew(actor=fd["reviewer"], contract=fd["c1"])
    assert (renewed.start, renewed.end, renewed.renews_id) == (dt.date(2027, 3, 1), dt.date(2028, 2, 29), fd["c1"].pk)
    assert (renewed.fee, renewed.fee_fund, renewed.fee_person, renewed.fee_public_health, renewed.package) == (
        Decimal("120.00"), Decimal("80.00"), Decimal("10.00"), Decimal("30.00"), "poor")
    with pytest.raises(Conflict, match="已续签"):
        svc.contract_renew(actor=fd["reviewer"], contract=fd["c1"])
    with pytest.raises(ValidationFailed, match="已解约"):
        svc.contract_renew(actor=fd["reviewer"], contract=fd["c3"])
    assert AuditEntry.objects.filter(action="family_doctor.contract_renew", object_id=str(renewed.pk)).exists()


def test_cancellation_needs_a_reason_and_a_day_within_the_period(fd):
    with pytest.raises(ValidationFailed, match="解约原因不能为空"):
        svc.contract_cancel(actor=fd["reviewer"], contract=fd["c1"], on=dt.date(2026, 6, 1), reason=" ")
    with pytest.raises(ValidationFailed, match="应在签约期"):
        svc.contract_cancel(actor=fd["reviewer"], contract=fd["c1"], on=dt.date(2027, 6, 1), reason="x")
    with pytest.raises(Conflict, match="已于 2026-03-20 解约"):
        svc.contract_cancel(actor=fd["reviewer"], contract=fd["c3"], on=dt.date(2026, 3, 21), reason="x")
    c3 = Contract.objects.get(pk=fd["c3"].pk)
    assert (c3.status, c3.last_day) == (ContractStatus.CANCELLED, dt.date(2026, 3, 19))


def test_visits_are_recorded_for_covered_persons_within_the_period(fd, demo):
    c1, (head, wife, _son) = fd["c1"], fd["h1"]
    doctor = fd["t1"].members.get(name="王医生")
    v = svc.visit_record(actor=fd["reviewer"], contract=c1, person=wife, date=dt.date(2026, 4, 2),
                         kind="home_visit", note="测血压 135/85", member=doctor)
    assert (v.person, v.member, v.get_kind_display()) == (wife, doctor, "上门服务")
    with pytest.raises(ValidationFailed, match="不在签约 .* 的服务对象中"):
        svc.visit_record(actor=fd["reviewer"], contract=c1, person=fd["yi"], date=dt.date(2026, 4, 2),
                         kind="follow_up", note="x")
    with pytest.raises(ValidationFailed, match="不在签约 .* 的有效期"):
        svc.visit_record(actor=fd["reviewer"], contract=c1, person=head, date=dt.date(2026, 2, 1),
                         kind="follow_up", note="x")
    with pytest.raises(ValidationFailed, match="不是团队"):
        svc.visit_record(actor=fd["reviewer"], contract=c1, person=head, date=dt.date(2026, 4, 2), kind="follow_up",
                         note="x", member=fd["t2"].members.get())
    with pytest.raises(Forbidden):
        svc.visit_record(actor=demo["director"], contract=c1, person=head, date=dt.date(2026, 4, 2),
                         kind="follow_up", note="x")


def _fee_lines(payment):
    return sorted((line.account.code, line.debit, line.credit) for line in payment.entry.lines.select_related("account"))


def test_contract_fees_through_the_ledger_by_hand_computed_figures(fd):
    before = ledger.balance(ledger.POOLED_FUND)
    march = svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=3)
    by_team = {p.team.name: p for p in march.paid}
    assert {k: (p.contract_months, p.fund_fees, p.amount) for k, p in by_team.items()} == {
        "东韩村家医团队": (1, Decimal("80.00"), Decimal("6.67")), "甘亭镇家医团队": (1, Decimal("50.00"), Decimal("4.17"))}
    assert _fee_lines(by_team["东韩村家医团队"]) == [("2201-C610125100201", Decimal("0.00"), Decimal("6.67")),
                                                ("3101", Decimal("6.67"), Decimal("0.00"))]
    assert by_team["东韩村家医团队"].entry.date == dt.date(2026, 3, 31)
    assert by_team["东韩村家医团队"].entry.kind == "family_doctor_fee"
    april = svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=4)
    (p,) = april.paid
    assert (p.team.name, p.contract_months, p.fund_fees, p.amount) == ("东韩村家医团队", 2, Decimal("160.00"),
                                                                       Decimal("13.33"))
    assert [t.name for t in april.nothing] == ["甘亭镇家医团队"]
    assert ledger.balance(ledger.POOLED_FUND) == before - Decimal("6.67") - Decimal("4.17") - Decimal("13.33")
    assert AuditEntry.objects.filter(action="family_doctor.fee_pay").count() == 3
    report = books_check()
    assert report.ok, report.problems


def test_paying_a_month_twice_never_posts_twice(fd):
    first = svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=3)
    entries = JournalEntry.objects.filter(kind="family_doctor_fee").count()
    again = svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=3)
    assert (len(first.paid), len(again.paid), len(again.already)) == (2, 0, 2)
    assert JournalEntry.objects.filter(kind="family_doctor_fee").count() == entries == 2
    payment, created = svc.fee_pay_team(actor=fd["reviewer"], team=fd["t1"], year=2026, month=3)
    assert not created and payment.pk in {p.pk for p in first.paid}
    assert FeePayment.objects.count() == 2


def test_paying_needs_the_capability_and_a_month_begun(fd, demo):
    with pytest.raises(Forbidden):
        svc.fee_pay_month(actor=demo["ganting"], year=2026, month=3)
    with pytest.raises(ValidationFailed, match="尚未开始"):
        svc.fee_pay_month(actor=fd["reviewer"], year=2099, month=1)


def test_signing_rates_by_village_and_category_by_hand(fd):
    data = svc.signing_rates(actor=fd["reviewer"], day=dt.date(2026, 4, 1), region="610125197000")
    rows = {r["name"]: r for r in data["rows"]}
    assert [(r["township"], r["name"]) for r in data["rows"]] == [("签约乡", "甲村"), ("签约乡", "乙村")]
    a, b, t = rows["甲村"], rows["乙村"], data["total"]
    assert (a["enrolled"], a["covered"], a["rate"], a["poor_rate"], a["other_rate"]) == (
        4, 3, Decimal("75.00"), Decimal("50.00"), Decimal("100.00"))
    assert (b["enrolled"], b["covered"], b["rate"], b["poor_rate"], b["other_rate"]) == (
        2, 1, Decimal("50.00"), Decimal("100.00"), Decimal("0.00"))
    assert (t["enrolled"], t["covered"], t["rate"], t["poor_enrolled"], t["poor_covered"], t["poor_rate"],
            t["other_rate"]) == (6, 4, Decimal("66.67"), 3, 2, Decimal("66.67"), Decimal("66.67"))
    # on 10 March 丙's contract had not begun and 乙's was still in force
    march = svc.signing_rates(actor=fd["reviewer"], day=dt.date(2026, 3, 10), region="610125197000")["total"]
    assert (march["covered"], march["poor_covered"]) == (4, 2)


def test_the_registered_poor_without_a_contract(fd):
    people = svc.poor_unsigned(actor=fd["reviewer"], day=dt.date(2026, 4, 1), region="610125197000")
    assert [p.name for p in people] == ["乙"]
    # on 10 March 乙's contract was in force and 丙's had not begun
    assert [p.name for p in svc.poor_unsigned(actor=fd["reviewer"], day=dt.date(2026, 3, 10),
                                              region="610125197000")] == ["丙"]
    assert [p.name for p in svc.poor_unsigned(actor=fd["reviewer"], day=dt.date(2026, 4, 1),
                                              region="610125197202")] == []


def test_the_patient_file_shows_the_persons_contracts(fd, demo):
    from nrcms.poverty.patient_file import patient_file

    rows = patient_file(fd["h1"][0])["contracts"]
    assert [(r["number"], r["team"], r["doctor"], r["fee"]) for r in rows] == [
        (fd["c1"].number, "东韩村家医团队", "王医生", Decimal("120.00"))]
    assert "户签约" in rows[0]["note"] and "履约中" in rows[0]["note"]
    (yi,) = patient_file(fd["yi"])["contracts"]
    assert "已解约（2026-03-20，迁往外县居住）" in yi["note"]

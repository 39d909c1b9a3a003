import datetime as dt
from decimal import Decimal

import pytest
from claims_factory import DISCHARGE, admitted

from nrcms.accounts.models import AuditEntry
from nrcms.claims.models import PersonYear, Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle, settlement_trial
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.registry.models import PersonCategory

pytestmark = pytest.mark.django_db


# Worked by hand under demo-layered-2020 (2020 version in force in 2026), county hospital, first admission:
# bed 300 (A) + urokinase 6000 (B, 20 % first self-pay = 1200) + albumin 700 (C) = total 7000;
# eligible = 300 + 4800 = 5100; deductible 500; (5100 − 500) × 75 % = 3450.00; self-pay 7000 − 3450 = 3550.
def test_trial_gives_the_answer_and_writes_nothing(demo, family):
    episode = admitted(demo["desk_county"], family.head)
    result = settlement_trial(actor=demo["desk_county"], episode=episode)
    assert (result.total_cost, result.eligible_cost, result.basic, result.self_pay) == (
        Decimal("7000.00"), Decimal("5100.00"), Decimal("3450.00"), Decimal("3550.00"))
    assert not Settlement.objects.filter(episode=episode).exists()
    assert not PersonYear.objects.filter(person=family.head).exists()


def test_settle_stores_inputs_version_lines_and_updates_the_year(demo, family):
    episode = admitted(demo["desk_county"], family.head)
    settlement, created = settlement_settle(actor=demo["desk_county"], episode=episode, idempotency_key="k-1")
    assert created and settlement.fund_total == Decimal("3450.00") and settlement.number.startswith("JS2026")
    assert len(settlement.scheme_version) == 64 and settlement.inputs["year_to_date"]["basic_paid"] == "0.00"
    assert any("封顶线" in line["text"] for line in settlement.result["lines"])
    year = PersonYear.objects.get(person=family.head, scheme_year=2026)
    assert (year.admissions, year.basic_paid, year.inpatient_cost) == (1, Decimal("3450.00"), Decimal("7000.00"))
    episode.refresh_from_db()
    assert episode.status == "settled"
    assert AuditEntry.objects.filter(action="settlement.settle", object_id=str(settlement.pk)).exists()


def test_settling_twice_returns_the_first_settlement(demo, family):
    episode = admitted(demo["desk_county"], family.head)
    first, _ = settlement_settle(actor=demo["desk_county"], episode=episode, idempotency_key="k-1")
    again, created = settlement_settle(actor=demo["desk_county"], episode=episode, idempotency_key="k-1")
    other_key, created2 = settlement_settle(actor=demo["desk_county"], episode=episode, idempotency_key="k-2")
    assert not created and not created2 and first.pk == again.pk == other_key.pk
    assert Settlement.objects.filter(episode=episode).count() == 1
    assert PersonYear.objects.get(person=family.head).basic_paid == Decimal("3450.00")


def test_second_admission_uses_the_year_to_date(demo, family):
    first = admitted(demo["desk_county"], family.head, "ZY1")
    settlement_settle(actor=demo["desk_county"], episode=first)
    # the second stay begins the day the first ends (a stay may not overlap another)
    second = admitted(demo["desk_county"], family.head, "ZY2", admit=DISCHARGE, discharge=dt.date(2026, 5, 30))
    s, _ = settlement_settle(actor=demo["desk_county"], episode=second)
    # second admission: deductible halved to 250 → (5100 − 250) × 75 % = 3637.50
    assert s.deductible == Decimal("250.00") and s.basic == Decimal("3637.50")
    assert PersonYear.objects.get(person=family.head).basic_paid == Decimal("7087.50")


def test_the_annual_cap_holds(demo, family):
    PersonYear.objects.create(person=family.head, scheme_year=2026, admissions=3, basic_paid=Decimal("199000.00"))
    s, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.head))
    assert s.basic == Decimal("1000.00")
    assert PersonYear.objects.get(person=family.head).basic_paid == Decimal("200000.00")


def test_registered_poor_patient_gets_assistance_and_safety_net(demo, family):
    PersonCategory.objects.create(person=family.spouse, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    s, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.spouse))
    # in-policy left 5100 − 3450 = 1650; assistance (registered_poor, threshold 3000): 0;
    # safety net: burden 1650 > 10 % × 5100 = 510 → 1140.00
    assert s.assistance == Decimal("0.00") and s.safety_net == Decimal("1140.00")
    assert s.fund_total == Decimal("4590.00") and s.self_pay == Decimal("2410.00")


def test_reverse_gives_the_year_back_and_allows_resettlement(demo, family):
    desk = demo["desk_county"]
    episode = admitted(desk, family.head)
    settlement, _ = settlement_settle(actor=desk, episode=episode)
    reversal = settlement_reverse(actor=desk, settlement=settlement, reason="床位费录入错误")
    assert reversal.fund_total == Decimal("-3450.00") and reversal.number.startswith("CZ2026")
    year = PersonYear.objects.get(person=family.head)
    assert (year.admissions, year.basic_paid) == (0, Decimal("0.00"))
    settlement.refresh_from_db()
    assert settlement.status == "reversed"
    with pytest.raises(ValidationFailed) as exc:
        settlement_reverse(actor=desk, settlement=settlement, reason="再来一次")
    assert exc.value.code == "already_reversed"
    with pytest.raises(ValidationFailed):
        settlement_reverse(actor=desk, settlement=reversal, reason="冲正冲正")
    again, created = settlement_settle(actor=desk, episode=episode)
    assert created and again.pk != settlement.pk and again.fund_total == Decimal("3450.00")


def test_reversal_needs_a_reason(demo, family):
    settlement, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.head))
    with pytest.raises(ValidationFailed):
        settlement_reverse(actor=demo["desk_county"], settlement=settlement, reason=" ")


def test_an_admission_not_yet_discharged_cannot_be_settled(demo, family):
    episode = admitted(demo["desk_county"], family.head, discharge=None)
    with pytest.raises(ValidationFailed) as exc:
        settlement_settle(actor=demo["desk_county"], episode=episode)
    assert exc.value.code == "not_discharged"


def test_another_desk_or_a_clerk_cannot_settle(demo, family):
    episode = admitted(demo["desk_county"], family.head)
    with pytest.raises(Forbidden):
        settlement_settle(actor=demo["ganting"], episode=episode)
    from nrcms.core.errors import NotFound

    with pytest.raises(NotFound):
        settlement_trial(actor=demo["desk_ganting"], episode=episode)


def test_database_refuses_a_second_active_settlement(demo, family):
    from django.db import IntegrityError, transaction

    settlement, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.head))
    with pytest.raises(IntegrityError), transaction.atomic():
        Settlement.objects.create(**{f.name: getattr(settlement, f.name) for f in Settlement._meta.concrete_fields
                                     if f.name not in ("id", "number", "idempotency_key")}, number="X")


def test_settlement_and_reversal_post_the_payable_to_the_facility_in_the_ledger(demo, family):
    from nrcms.funding import ledger
    from nrcms.funding.checks import books_check

    desk = demo["desk_county"]
    PersonCategory.objects.create(person=family.spouse, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    payable = ledger.payable_to(desk.facility)
    before, safety_net_before = ledger.balance(payable), ledger.balance("1303")
    settlement, _ = settlement_settle(actor=desk, episode=admitted(desk, family.spouse))
    # 3450 basic from the pooled fund and 1140 safety net advanced for civil affairs: 4590 owed to the hospital
    assert ledger.balance(payable) - before == Decimal("4590.00")
    assert ledger.balance("1303") - safety_net_before == Decimal("1140.00")
    settlement_reverse(actor=desk, settlement=settlement, reason="诊断录入错误")
    assert ledger.balance(payable) == before and ledger.balance("1303") == safety_net_before
    assert books_check().ok


def test_a_stay_in_a_suspension_is_refused_at_settle_with_one_clear_reason(demo, family):
    from designation_flow import designation_change

    from nrcms.facilities.models import Facility

    desk = demo["desk_county"]
    episode = admitted(desk, family.head)  # 2026-05-10 to 05-20, registered while designated
    designation_change(demo, Facility.objects.get(code="H610125001"), "suspended", dt.date(2026, 5, 15), "专项检查暂停")
    with pytest.raises(ValidationFailed) as exc:
        settlement_settle(actor=desk, episode=episode)
    message = exc.value.message
    assert exc.value.code == "refused"
    assert message.startswith("不予补偿：") and "不予补偿：不予补偿" not in message
    assert "暂停定点" in message


def test_an_idempotency_key_used_for_another_admission_is_refused(demo, family):
    from nrcms.core.errors import Conflict
    from nrcms.funding.models import JournalEntry

    desk = demo["desk_county"]
    first, _ = settlement_settle(actor=desk, episode=admitted(desk, family.head), idempotency_key="his-001")
    other = admitted(desk, family.spouse, serial="ZY2")
    with pytest.raises(Conflict) as exc:
        settlement_settle(actor=desk, episode=other, idempotency_key="his-001")
    assert exc.value.code == "idempotency_key_reused" and exc.value.field == "idempotency_key"
    again, created = settlement_settle(actor=desk, episode=first.episode, idempotency_key="his-002")
    assert not created and again.pk == first.pk  # the admission is settled once, whatever the key
    assert JournalEntry.objects.filter(source_type="claims.settlement", source_id=str(first.pk)).count() == 1

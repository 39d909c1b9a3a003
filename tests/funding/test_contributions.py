import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.funding import ledger
from nrcms.funding.models import Contribution, ContributionLine
from nrcms.funding.selectors import paid_by_person
from nrcms.funding.services import (
    cadre_advance_repay,
    contribution_record,
    contribution_reverse,
    contribution_standard_set,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 11, 2)


def pay(actor, household, **kw):
    args = {"actor": actor, "household": household, "scheme_year": 2026, "payer_kind": "self", "paid_on": DAY}
    args.update(kw)
    return contribution_record(**args)


def test_self_payment_for_the_household_posts_a_balanced_entry(demo, household):
    fund, pooled = ledger.balance("1001"), ledger.balance("3101")
    c = pay(demo["ganting"], household, persons=household.people[:2])
    assert c.total == Decimal("760.00") and c.receipt_number.startswith("SJ6101252026")
    assert ledger.balance("1001") - fund == Decimal("760.00")
    assert ledger.family_account_balance(household) == Decimal("40.00")
    assert ledger.balance("3101") - pooled == Decimal("720.00")
    assert AuditEntry.objects.filter(action="contribution.record", object_id=str(c.pk)).exists()


def test_whole_household_payment_skips_members_already_paid(demo, household):
    pay(demo["civil"], household, payer_kind="civil_affairs", persons=[household.people[2]])
    c = pay(demo["ganting"], household)
    assert c.lines.count() == 2 and c.total == Decimal("760.00")


def test_collective_pays_part_and_the_person_the_rest(demo, household):
    head = household.people[0]
    part = pay(demo["ganting"], household, payer_kind="collective", persons=[head], amount_per_person="100")
    rest = pay(demo["ganting"], household, persons=[head])
    assert part.payer_name == "东韩村村委会" and rest.total == Decimal("280.00")
    assert paid_by_person(2026, [head.pk])[head.pk] == Decimal("380.00")
    with pytest.raises(ValidationFailed) as exc:
        pay(demo["ganting"], household, persons=[head])
    assert exc.value.code == "already_paid"


def test_overpayment_is_refused(demo, household):
    with pytest.raises(ValidationFailed) as exc:
        pay(demo["ganting"], household, persons=[household.people[0]], amount_per_person="400")
    assert exc.value.code == "overpaid" and "380" in exc.value.message


def test_civil_affairs_pays_only_for_wubao_tekun_dibao_on_the_date(demo, household):
    with pytest.raises(ValidationFailed) as exc:
        pay(demo["civil"], household, payer_kind="civil_affairs", persons=[household.people[0]])
    assert exc.value.code == "not_eligible" and "陈永刚" in exc.value.message
    c = pay(demo["civil"], household, payer_kind="civil_affairs", persons=[household.people[2]])
    assert c.payer_name == "县民政局"


def test_cadre_advance_needs_a_name_and_records_repayment(demo, household):
    with pytest.raises(ValidationFailed):
        pay(demo["ganting"], household, payer_kind="cadre_advance", persons=[household.people[0]])
    c = pay(demo["ganting"], household, payer_kind="cadre_advance", payer_name="张书记", persons=[household.people[0]])
    with pytest.raises(ValidationFailed):
        cadre_advance_repay(actor=demo["ganting"], contribution=c, repaid_on=DAY - dt.timedelta(days=1))
    cadre_advance_repay(actor=demo["ganting"], contribution=c, repaid_on=DAY + dt.timedelta(days=30))
    c.refresh_from_db()
    assert c.cadre_repaid_on == DAY + dt.timedelta(days=30)


def test_a_retry_with_the_same_key_never_records_twice(demo, household):
    fund, receipts = ledger.balance("1001"), Contribution.objects.count()
    first = pay(demo["ganting"], household, idempotency_key="form-123")
    again = pay(demo["ganting"], household, idempotency_key="form-123")
    assert first.pk == again.pk and Contribution.objects.count() == receipts + 1
    assert ledger.balance("1001") - fund == first.total


def test_reversal_is_an_entry_by_another_person_with_a_reason(demo, household):
    fund = ledger.balance("1001")
    c = pay(demo["ganting"], household)
    with pytest.raises(Forbidden) as exc:
        contribution_reverse(actor=demo["ganting"], contribution=c, reason="收错")
    assert exc.value.code == "separation_of_duties"
    with pytest.raises(ValidationFailed):
        contribution_reverse(actor=demo["donghan"], contribution=c, reason="")
    reversal = contribution_reverse(actor=demo["donghan"], contribution=c, reason="重复收款")
    assert reversal.total == -c.total and reversal.reverses == c
    assert ledger.balance("1001") == fund and ledger.family_account_balance(household) == Decimal("0.00")
    assert ContributionLine.objects.filter(contribution=c).count() == 3  # the original is kept
    with pytest.raises(ValidationFailed):
        contribution_reverse(actor=demo["donghan"], contribution=c, reason="再冲")
    assert pay(demo["ganting"], household).total == Decimal("1140.00")  # may be paid again after reversal


def test_a_clerk_of_another_township_cannot_collect_here(demo, household):
    with pytest.raises(NotFound):
        pay(demo["yuxia"], household)
    with pytest.raises(Forbidden):
        pay(demo["desk_county"], household)


def test_a_household_not_enrolled_cannot_pay(demo, household):
    with pytest.raises(ValidationFailed) as exc:
        pay(demo["ganting"], household, scheme_year=2027)
    assert exc.value.code in ("no_standard", "not_enrolled")


def test_standards_are_dated_and_never_overwritten(demo, standard):
    with pytest.raises(Exception) as exc:
        contribution_standard_set(actor=None, scheme_year=2026, effective_from=standard.effective_from,
                                  personal_amount="400", central_subsidy="400", provincial_subsidy="140",
                                  county_subsidy="100", authority="x")
    assert "新的生效日期" in str(exc.value)
    with pytest.raises(ValidationFailed) as exc:
        contribution_standard_set(actor=None, scheme_year=2027, effective_from=dt.date(2026, 9, 1),
                                  personal_amount="10", central_subsidy="10", provincial_subsidy="5",
                                  county_subsidy="5", family_account_amount="12", authority="x")
    assert exc.value.field == "family_account_amount"
    with pytest.raises(Forbidden):
        contribution_standard_set(actor=demo["ganting"], scheme_year=2027, effective_from=dt.date(2026, 9, 1),
                                  personal_amount="10", central_subsidy="10", provincial_subsidy="5",
                                  county_subsidy="5", authority="x")

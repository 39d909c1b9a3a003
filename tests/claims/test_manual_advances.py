"""Issue 12: the layers the county centre pays itself on a manual claim (手工报销) are claimed from their payers on
the monthly advance claim (垫付申报, 1301–1303) like the one-stop window's — a reversal as a negative line — and
never appear on a facility's statement: the patient was paid directly, no facility advanced anything."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.claims import manual
from nrcms.claims.manual import (
    ManualClaimInput,
    ReceiptLine,
    manual_claim_notice,
    manual_claim_record,
    manual_claim_reverse,
    manual_claim_settle,
)
from nrcms.claims.models import ManualClaim, Referral
from nrcms.core.errors import ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.payments.advances import advance_claim_create, receivable_check
from nrcms.payments.models import FacilityStatement, StatementLine
from nrcms.stats import facts

pytestmark = pytest.mark.django_db
XIAN = "H610100001"  # 西安市中心医院, prefecture level, out of county
NOVEMBER_DAY = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
DECEMBER_DAY = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)


def paid_claim(demo, family, monkeypatch) -> ManualClaim:
    """甲类 30000.00 at a prefecture hospital, referred: basic (30000 − 1000) × 60 % = 17400.00; in-policy self-pay
    12600.00 over the catastrophic deductible 10000 → (12600 − 10000) × 60 % = 1560.00 catastrophic insurance."""
    Referral.objects.create(number="ZZ2026-0009", person=family.head, to_facility=Facility.objects.get(code=XIAN),
                            approved_on=dt.date(2026, 5, 9), valid_until=dt.date(2026, 6, 30),
                            approved_by=demo["ganting"])
    claim, _ = manual_claim_record(actor=demo["reviewer"], data=ManualClaimInput(
        id_number=family.head.id_number, facility_code=XIAN, admission_date=dt.date(2026, 5, 10),
        discharge_date=dt.date(2026, 5, 20), papers_received_on=dt.date(2026, 5, 30), diagnosis_code="I21.9",
        diagnosis_name="急性心肌梗死", referral_number="ZZ2026-0009",
        lines=(ReceiptLine("甲类费用合计", Decimal("30000.00"), "A"),)))
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 6, 1))
    claim = manual_claim_notice(actor=demo["reviewer"], claim=claim)
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 6, 16))
    claim, _ = manual_claim_settle(actor=demo["director"], claim=claim)
    assert (claim.basic, claim.catastrophic, claim.assistance, claim.safety_net) == (
        Decimal("17400.00"), Decimal("1560.00"), Decimal("0.00"), Decimal("0.00"))
    ManualClaim.objects.filter(pk=claim.pk).update(paid_at=NOVEMBER_DAY)  # paid in November
    facts.add(claim_ids=[claim.pk])
    claim.refresh_from_db()
    return claim


def row(layer="catastrophic"):
    return next(r for r in receivable_check() if r["layer"] == layer)


def test_a_paid_manual_claim_is_claimed_and_its_reversal_nets_next_month(demo, family, monkeypatch, client, login):
    before = row()
    claim = paid_claim(demo, family, monkeypatch)
    after_pay = row()
    # the receivable grew by the manual claim's layer, which waits as "手工报销未申报"; the check still balances
    assert after_pay["balance"] == before["balance"] + Decimal("1560.00")
    assert after_pay["manual"] == Decimal("1560.00") and after_pay["difference"] == 0
    settled = before["unclaimed"]  # the demo's one-stop settlements with catastrophic insurance in November: 53.90
    assert settled == Decimal("53.90")
    advance, _ = advance_claim_create(actor=demo["finance"], layer="catastrophic", month="2026-11",
                                      today=dt.date(2026, 12, 7))
    assert advance.amount == Decimal("1613.90")  # 53.90 + 1560.00
    (line,) = advance.lines.filter(manual_claim=claim)
    assert (line.amount, line.reversal, line.settlement_id, line.facility_code) == (Decimal("1560.00"), False,
                                                                                    None, None)
    assert line.payee == "手工报销（县合管办直接支付患者）" and line.number == claim.number
    claimed = row()
    assert claimed["manual"] == Decimal("0.00") and claimed["outstanding"] == Decimal("1613.90")
    assert claimed["difference"] == 0

    # the page and the API show the line without a facility
    login("finance")
    html = client.get(f"/payments/advances/{advance.pk}/").content.decode()
    assert f'data-testid="manual-line-{claim.pk}"><td>{claim.number}</td>' in html
    assert "手工报销（县合管办直接支付患者）" in html
    items = client.get(f"/api/payments/advances/{advance.number}/lines").json()["items"]
    mine = [i for i in items if i["source"] == "manual_claim"]
    assert [(i["settlement_number"], i["facility_code"], i["amount"]) for i in mine] == [
        (claim.number, None, "1560.00")]

    # never on a facility's statement: Xi'an hospital advanced nothing and is owed nothing
    xian = Facility.objects.get(code=XIAN)
    assert not StatementLine.objects.filter(settlement__episode=claim.episode).exists()
    assert not FacilityStatement.objects.filter(facility=xian).exists()
    assert ledger.balance(ledger.payable_to(xian)) == Decimal("0.00")

    # reversed in December: a negative line of December's claim, which alone is not positive and waits
    claim = manual_claim_reverse(actor=demo["director"], claim=claim, reason="患者退回：重复报销")
    ManualClaim.objects.filter(pk=claim.pk).update(closed_at=DECEMBER_DAY)
    facts.add(claim_ids=[claim.pk])
    reversed_row = row()
    assert reversed_row["manual"] == Decimal("-1560.00") and reversed_row["difference"] == 0
    with pytest.raises(ValidationFailed) as exc:
        advance_claim_create(actor=demo["finance"], layer="catastrophic", month="2026-12", today=dt.date(2027, 1, 5))
    assert exc.value.code == "not_positive" and "-1560.00" in exc.value.message
    assert books_check().ok

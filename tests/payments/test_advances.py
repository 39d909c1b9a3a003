"""The one-stop window's advances claimed from the insurer and civil affairs (1301–1303) and their repayment."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.claims.models import Settlement
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.payments.advances import (
    advance_claim_create,
    advance_claim_repay,
    advance_claim_send,
    receivable_check,
)
from nrcms.payments.models import AdvanceClaim, AdvanceClaimLine

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


def _row(layer: str) -> dict:
    return next(r for r in receivable_check() if r["layer"] == layer)


def test_the_claim_is_the_sum_of_the_unclaimed_layer_amounts_and_repayment_clears_the_receivable(demo):
    """The demo county advanced medical assistance on two settlements in November 2026: 1125.50 + 3799.70."""
    expected = dict(Settlement.objects.exclude(assistance=0).values_list("pk", "assistance"))
    assert sorted(expected.values()) == [Decimal("1125.50"), Decimal("3799.70")]
    before = _row("assistance")
    assert before["difference"] == 0
    with pytest.raises(Forbidden):
        advance_claim_create(actor=demo["reviewer"], layer="assistance", month="2026-11", today=TODAY)
    claim, created = advance_claim_create(actor=demo["finance"], layer="assistance", month="2026-11", today=TODAY)
    assert created and claim.number == "DF1302-202611" and claim.status == "drafted"
    assert claim.amount == Decimal("4925.20") and claim.line_count == 2
    assert dict(claim.lines.values_list("settlement_id", "amount")) == expected
    again, created = advance_claim_create(actor=demo["finance"], layer="assistance", month="2026-11", today=TODAY)
    assert not created and again.pk == claim.pk and AdvanceClaimLine.objects.filter(claim=claim).count() == len(expected)
    # the claimed amounts moved from "unclaimed" to "outstanding"; the receivable itself did not move
    row = _row("assistance")
    assert row["balance"] == before["balance"] and row["outstanding"] == claim.amount and row["difference"] == 0
    with pytest.raises(ValidationFailed) as exc:  # repaid before it was sent
        advance_claim_repay(actor=demo["finance"], claim=claim, amount="1.00", reference="BX-1")
    assert exc.value.code == "invalid_status"
    claim = advance_claim_send(actor=demo["finance"], claim=claim)
    with pytest.raises(ValidationFailed) as exc:
        advance_claim_repay(actor=demo["finance"], claim=claim, amount=claim.amount + Decimal("0.01"), reference="BX-1")
    assert exc.value.field == "amount" and exc.value.code == "above_outstanding"
    bank = ledger.balance("1001")
    part = Decimal("100.00")
    first, created = advance_claim_repay(actor=demo["finance"], claim=claim, amount=part, reference="BX-1",
                                         idempotency_key="bx-1")
    claim.refresh_from_db()
    assert created and claim.status == "partly_repaid" and claim.repaid_amount == part
    retry, created = advance_claim_repay(actor=demo["finance"], claim=claim, amount=part, reference="BX-1",
                                         idempotency_key="bx-1")
    assert not created and retry.pk == first.pk
    rest = claim.amount - part
    advance_claim_repay(actor=demo["finance"], claim=claim, amount=rest, reference="BX-2")
    claim.refresh_from_db()
    assert claim.status == "repaid" and claim.outstanding == 0
    assert ledger.balance("1001") == bank + claim.amount
    row = _row("assistance")
    assert row["outstanding"] == 0 and row["balance"] == Decimal("0.00") and row["difference"] == 0
    report = books_check()
    assert report.ok, report.problems


def test_a_month_not_ended_or_an_unknown_layer_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        advance_claim_create(actor=demo["finance"], layer="assistance", month="2026-12", today=TODAY)
    assert exc.value.code == "month_not_ended"
    with pytest.raises(ValidationFailed) as exc:
        advance_claim_create(actor=demo["finance"], layer="assistance", month="2026-10", today=TODAY)
    assert exc.value.code == "empty_month"  # nothing advanced before November
    with pytest.raises(ValidationFailed) as exc:
        advance_claim_create(actor=demo["finance"], layer="basic", month="2026-11", today=TODAY)
    assert exc.value.field == "layer"
    assert not AdvanceClaim.objects.exists()

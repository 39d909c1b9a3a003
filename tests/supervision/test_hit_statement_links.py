"""Issue 12: the facility's statement links each deduction and refund to the audit-rule hit behind it, and the
hit links to the statement that carries its deduction or recovers its refund."""

from decimal import Decimal

import pytest

from nrcms.payments.models import PatientRefund
from nrcms.payments.services import statement_generate
from nrcms.supervision.review import hit_decide, pending_deductions_post
from tests.payments.payments_factory import at
from tests.supervision.test_review_flow import JUNE, TODAY, june_hit, sample_all

pytestmark = pytest.mark.django_db


def test_deduction_and_refund_lines_link_to_their_hits_and_back(demo, patients, client, login):
    sample_all(demo)
    reviewer = demo["reviewer"]
    settlement, deducted = june_hit(demo, patients, serial="ZS1", who=0)
    _, refunded = june_hit(demo, patients, serial="ZS2", who=1)
    deduction = hit_decide(actor=reviewer, hit=deducted, kind="deduct", reason="不符合入院指征",
                           base_amount="100.00", multiplier="1", violation_kind="loss")
    refund = hit_decide(actor=reviewer, hit=refunded, kind="refund", reason="多收患者费用", refund_amount="50.00")
    assert refund.refund.amount == Decimal("50.00")  # the decision keeps its refund
    PatientRefund.objects.filter(pk=refund.refund_id).update(recorded_at=at(2026, 6, 20))  # recorded in June
    statement, _ = statement_generate(actor=None, facility=settlement.episode.facility, month=JUNE, today=TODAY)
    pending_deductions_post(actor=reviewer)
    deduction.refresh_from_db()
    statement.refresh_from_db()
    assert deduction.deduction.statement == statement and statement.refunds.get() == refund.refund

    login("reviewer")
    html = client.get(f"/payments/statements/{statement.pk}/").content.decode()
    assert (f'<a href="/supervision/hits/{deducted.pk}/" data-testid="deduction-hit-{deduction.deduction_id}">'
            f'疑点 #{deducted.pk} DZ1</a>') in html
    assert (f'<a href="/supervision/hits/{refunded.pk}/" data-testid="refund-hit-{refund.refund_id}">'
            f'疑点 #{refunded.pk} DZ1</a>') in html
    hit_page = client.get(f"/supervision/hits/{deducted.pk}/").content.decode()
    assert (f'<a href="/payments/statements/{statement.pk}/" data-testid="deduction-statement-link">'
            f'{statement.number}</a>') in hit_page
    hit_page = client.get(f"/supervision/hits/{refunded.pk}/").content.decode()
    assert (f'<a href="/payments/statements/{statement.pk}/" data-testid="refund-statement-link">'
            f'{statement.number}</a> 追回') in hit_page

    login("desk_county")  # the hospital reads its statement but not the audit-rule hits
    html = client.get(f"/payments/statements/{statement.pk}/").content.decode()
    assert 'data-testid="deduction-hit-' not in html and "智能审核" in html

"""Demo facility payments: October's statements for every in-county demo facility that settled claims that
month, so a newcomer can follow the money from the desk to the disbursement — the county hospital's statement
waits in review, the 甘亭镇 centre's is approved and disbursed by finance, the rest wait for review.
Idempotent: generating a statement again returns the first, and a step already taken is not taken again."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.facilities.models import Facility
from nrcms.payments.models import FacilityStatement, StatementStatus
from nrcms.payments.services import (
    statement_approve,
    statement_disburse,
    statement_generate,
    statement_review_start,
)

from .claims import FACILITIES

MONTH = dt.date(2026, 10, 1)
IN_REVIEW = "H610125001"
DISBURSED = "H610125101"


@transaction.atomic
def load_statements(today: dt.date | None = None) -> list[FacilityStatement]:
    reviewer = User.objects.filter(username="reviewer").first()
    finance = User.objects.filter(username="finance").first()
    if reviewer is None or finance is None:
        return []
    today = today or timezone.localdate()
    if today < dt.date(2026, 11, 1):
        return []  # October has not ended on this clock
    out = []
    for facility in Facility.objects.filter(code__in=list(FACILITIES)).order_by("code"):
        if not facility.statements.filter(month=MONTH).exists() and not _has_october(facility):
            continue
        statement, _ = statement_generate(actor=None, facility=facility, month=MONTH, today=today)
        if facility.code in (IN_REVIEW, DISBURSED) and statement.status == StatementStatus.SUBMITTED:
            statement = statement_review_start(actor=reviewer, statement=statement)
        if facility.code == DISBURSED and statement.status == StatementStatus.IN_REVIEW:
            statement = statement_approve(actor=reviewer, statement=statement)
        if facility.code == DISBURSED and statement.status == StatementStatus.APPROVED:
            statement, _ = statement_disburse(actor=finance, statement=statement, reference="财付〔2026〕1107 号",
                                           idempotency_key=f"demo-{statement.number}")
        out.append(statement)
    return out


def _has_october(facility: Facility) -> bool:
    from nrcms.payments.services import month_settlements

    return bool(month_settlements(facility=facility, month=MONTH))

"""Demo contributions for 2026 through the funding services: every kind of payer, a few households unpaid,
one receipt reversed by a second clerk, subsidies due posted by finance. Deterministic and idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from nrcms.accounts.models import User
from nrcms.funding.models import Contribution, PayerKind
from nrcms.funding.services import (
    ON_BEHALF_CATEGORIES,
    cadre_advance_repay,
    contribution_record,
    contribution_reverse,
    contribution_standard_set,
    subsidy_receivable_post,
)
from nrcms.registry.models import Enrollment, Household, PersonCategory

YEAR = 2026
CLERKS = {"610125100": "ganting", "610125101": "yuxia"}
CADRES = ["张书记", "李主任", "王会计"]


def _day(n: int) -> dt.date:
    return dt.date(2025, 10, 8) + dt.timedelta(days=n % 60)  # the winter collection campaign before the year


@transaction.atomic
def load_contributions() -> None:
    contribution_standard_set(
        actor=None, scheme_year=YEAR, effective_from=dt.date(2025, 9, 1), personal_amount="380",
        central_subsidy="400", provincial_subsidy="140", county_subsidy="100", family_account_amount="20",
        authority="户县合管委〔2025〕6号（演示：个人 380 元，其中 20 元划入家庭账户；各级财政补助 640 元）")
    if Contribution.objects.filter(scheme_year=YEAR).exists():
        return  # already loaded: the receipts below are only written once
    users = {u.username: u for u in User.objects.filter(username__in=[*CLERKS.values(), "civil", "donghan", "finance"])}
    on_behalf = set(PersonCategory.objects.held_on(_day(0)).filter(category__in=ON_BEHALF_CATEGORIES)
                    .values_list("person_id", flat=True))
    households = (Household.objects.filter(enrollments__scheme_year=YEAR).distinct().select_related("region")
                  .order_by("number"))
    reversed_one = False
    for i, household in enumerate(households):
        clerk = users.get(CLERKS.get(household.region.code[:9], ""))
        if clerk is None:
            continue
        members = [e.person for e in Enrollment.objects.filter(household=household, scheme_year=YEAR)
                   .select_related("person").order_by("person_id")]
        assisted = [p for p in members if p.pk in on_behalf]
        if assisted:
            contribution_record(actor=users["civil"], household=household, scheme_year=YEAR,
                                payer_kind=PayerKind.CIVIL_AFFAIRS, paid_on=_day(i), persons=assisted)
        rest = [p for p in members if p.pk not in on_behalf]
        if not rest or i % 10 == 9:
            continue  # unpaid so far: progress is not 100 %
        village = household.region.code[:12]
        if village.endswith("202"):
            contribution_record(actor=clerk, household=household, scheme_year=YEAR, payer_kind=PayerKind.COLLECTIVE,
                                payer_name="西街村村委会", paid_on=_day(i), persons=rest)
            continue
        if village.endswith("201"):
            contribution_record(actor=clerk, household=household, scheme_year=YEAR, payer_kind=PayerKind.COLLECTIVE,
                                payer_name="东韩村村委会", paid_on=_day(i), persons=rest, amount_per_person="100")
        if i % 17 == 3:
            c = contribution_record(actor=clerk, household=household, scheme_year=YEAR,
                                    payer_kind=PayerKind.CADRE_ADVANCE, payer_name=CADRES[i % 3], paid_on=_day(i),
                                    persons=rest)
            if i % 2:
                cadre_advance_repay(actor=clerk, contribution=c, repaid_on=c.paid_on + dt.timedelta(days=20))
            continue
        c = contribution_record(actor=clerk, household=household, scheme_year=YEAR, payer_kind=PayerKind.SELF,
                                paid_on=_day(i), persons=rest)
        if not reversed_one and village.endswith("201"):
            contribution_reverse(actor=users["donghan"], contribution=c, reason="户主称已由子女在外代缴，核实后冲销重收")
            contribution_record(actor=clerk, household=household, scheme_year=YEAR, payer_kind=PayerKind.SELF,
                                paid_on=c.paid_on + dt.timedelta(days=1), persons=rest)
            reversed_one = True
    subsidy_receivable_post(actor=users["finance"], scheme_year=YEAR)

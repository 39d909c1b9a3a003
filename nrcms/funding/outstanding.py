"""未参合、未缴费户: the households a township or village clerk still has to visit in a scheme year.

A household is outstanding when it has active members and
- 未参合 (not_enrolled): nobody in it is enrolled for the year and not every active member has a recorded
  reason for staying out (以户为单位参合: a household wholly exempted is not outstanding);
- 已参合未缴费 (unpaid): it is enrolled and nothing has been paid for the year;
- 未缴清 (partial): something is paid but less than enrolled persons × the year's personal contribution.
Everything is computed in the database (subqueries, no join fan-out), so the list pages, counts and exports
stay quick for a whole township. Reads only; jurisdiction through the registry's household selector."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError, ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.registry.models import Enrollment, EnrollmentExemption, EnrollmentStatus, Household
from nrcms.registry.selectors_people import household_list

from .models import ContributionLine


class OutstandingStatus(models.TextChoices):
    NOT_ENROLLED = "not_enrolled", "未参合"
    UNPAID = "unpaid", "已参合未缴费"
    PARTIAL = "partial", "未缴清"


STATUSES = {member.value: str(member.label) for member in OutstandingStatus}
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class OutstandingRow:
    """One outstanding household, as the page, the export and the API show it."""

    household: Household
    head: str
    village: str
    address: str  # 甘亭镇东韩村一组12 号 (Household.full_address)
    status: str
    status_label: str
    members: int
    enrolled: int
    paid: Decimal
    owed: Decimal | None


def _count(model, year: int, **extra) -> Subquery:
    rows = (model.objects.filter(household=OuterRef("pk"), scheme_year=year, **extra).order_by()
            .values("household").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def personal_amount(scheme_year: int) -> Decimal | None:
    from .selectors import standard_for

    try:
        return standard_for(scheme_year).personal_amount
    except NrcmsError:
        return None


def outstanding_households(*, actor: User, scheme_year: int, region_code: str = "", status: str = "",
                           search: str = "") -> QuerySet[Household]:
    """The actor's outstanding households for the year, annotated with enrolled_n, paid, expected and
    outstanding_status; `status` narrows to one of STATUSES."""
    if status and status not in STATUSES:
        raise ValidationFailed("invalid", f"状态“{status}”不是有效选项，应为未参合、已参合未缴费或未缴清", field="status")
    personal = personal_amount(scheme_year)
    paid = (ContributionLine.objects.filter(contribution__household=OuterRef("pk"),
                                            contribution__scheme_year=scheme_year).order_by()
            .values("contribution__household").annotate(s=Sum("amount")).values("s"))
    qs = household_list(actor=actor, search=search, region_code=region_code).annotate(
        enrolled_n=_count(Enrollment, scheme_year, status=EnrollmentStatus.ENROLLED),
        exempt_n=_count(EnrollmentExemption, scheme_year),
        paid=Round(Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY), 2,
                   output_field=MONEY),
    ).filter(member_count__gt=0)
    if personal is not None:
        qs = qs.annotate(expected=F("enrolled_n") * Value(personal, output_field=MONEY))
    else:  # no standard yet: only "nothing paid" can be told apart
        qs = qs.annotate(expected=Value(None, output_field=MONEY))
    qs = qs.annotate(outstanding_status=Case(
        When(enrolled_n=0, exempt_n__lt=F("member_count"), then=Value("not_enrolled")),
        When(enrolled_n__gt=0, paid__lte=0, then=Value("unpaid")),
        When(enrolled_n__gt=0, paid__lt=F("expected"), then=Value("partial")),
        default=Value(""), output_field=CharField()))
    qs = qs.exclude(outstanding_status="")
    if status:
        qs = qs.filter(outstanding_status=status)
    return qs.order_by("region__code", "number")


def outstanding_count(*, actor: User, scheme_year: int) -> int:
    return outstanding_households(actor=actor, scheme_year=scheme_year).count()


def outstanding_rows(households) -> list[OutstandingRow]:
    out = []
    for h in households:
        paid = round_amount(h.paid)
        owed = round_amount(h.expected - paid) if h.expected is not None else None
        out.append(OutstandingRow(
            household=h, head=h.heads[0].name if h.heads else "", village=h.region.full_name, address=h.full_address,
            status=h.outstanding_status, status_label=STATUSES[h.outstanding_status], members=h.member_count,
            enrolled=h.enrolled_n, paid=paid, owed=owed))
    return out


@dataclass(frozen=True)
class HouseholdPayment:
    """What the household page shows for a year: enrolled persons, paid, still owed, and one word for it."""

    scheme_year: int
    enrolled: int
    personal: Decimal | None
    paid: Decimal
    owed: Decimal | None
    status: str  # not_enrolled, unpaid, partial, paid (or unknown without a standard)
    status_label: str


def household_payment(*, household: Household, scheme_year: int) -> HouseholdPayment:
    enrolled = household.enrollments.filter(scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED).count()
    total = ContributionLine.objects.filter(contribution__household=household,
                                            contribution__scheme_year=scheme_year).aggregate(s=Sum("amount"))["s"]
    paid = round_amount(total) if total is not None else ZERO
    personal = personal_amount(scheme_year)
    owed = round_amount(enrolled * personal - paid) if personal is not None else None
    if not enrolled:
        status = "not_enrolled"
    elif paid <= 0:
        status = "unpaid"
    elif owed is None:
        status = "unknown"
    else:
        status = "partial" if owed > 0 else "paid"
    labels = {**STATUSES, "paid": "已缴清", "unknown": "已缴部分（尚未设定筹资标准）"}
    return HouseholdPayment(scheme_year, enrolled, personal, paid, owed, status, labels[status])

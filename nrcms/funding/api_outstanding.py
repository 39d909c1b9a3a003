"""API: the households not yet enrolled or not yet paid in the caller's jurisdiction for a scheme year."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.core.errors import Forbidden

from .outstanding import (
    STATUSES,
    OutstandingStatus,
    outstanding_households,
    outstanding_rows,
    personal_amount,
)

router = Router(tags=["筹资与基金"], auth=requires(Cap.REGISTRY_VIEW))


class OutstandingOut(Schema):
    household_number: str
    head: str
    address: str
    village_code: str
    status: coded(OutstandingStatus, description="未参合或未缴费的情形")
    status_label: str
    members: int
    enrolled: int
    paid: Decimal
    owed: Decimal | None


class OutstandingPage(PageOut):
    scheme_year: int
    personal_amount: Decimal | None
    items: list[OutstandingOut]


@router.get("", response={200: OutstandingPage, **ERRORS},
            summary="未参合、未缴费户（按辖区；status: not_enrolled 未参合 / unpaid 已参合未缴费 / partial 未缴清）")
def outstanding(request, year: int | None = None, village: str = "", status: coded_query(OutstandingStatus) = "", q: str = "",
                offset: int = 0, limit: int = 100):
    if not request.user.can(Cap.REGISTRY_VIEW):
        raise Forbidden("您的角色无权查看家庭户的参合与缴费情况")
    year = year or timezone.localdate().year
    qs = outstanding_households(actor=request.user, scheme_year=year, region_code=village.strip(), status=status,
                                search=q.strip())
    households, page = paginate(qs, offset, limit)
    items = [{"household_number": r.household.number, "head": r.head, "address": r.address,
              "village_code": r.household.region.code[:12], "status": r.status, "status_label": STATUSES[r.status],
              "members": r.members, "enrolled": r.enrolled, "paid": r.paid, "owed": r.owed}
             for r in outstanding_rows(households)]
    return {**page, "scheme_year": year, "personal_amount": personal_amount(year), "items": items}

"""Reads about statements and reconciliations, scoped by the actor: a facility desk sees its own facility,
the county's reviewers, finance and auditors the facilities in their jurisdiction; everyone else nothing."""

from __future__ import annotations

from django.db.models import QuerySet

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import facility_list
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import Facility

from .models import DailyReconciliation, FacilityStatement, StatementLine

READERS = (Cap.DESK_SETTLE, Cap.CLAIMS_REVIEW, Cap.FUND_DISBURSE, Cap.FUND_VIEW)


def can_read(actor: User) -> bool:
    return any(actor.can(cap) for cap in READERS)


def _facilities(actor: User):
    if not can_read(actor):
        return facility_list(actor=actor).none()
    return facility_list(actor=actor)


def statement_list(*, actor: User, month=None, facility_code: str = "", status: str = "") -> QuerySet:
    qs = FacilityStatement.objects.select_related("facility", "prepared_by", "approved_by", "disbursed_by").filter(
        facility__in=_facilities(actor))
    if month:
        qs = qs.filter(month=month)
    if facility_code:
        qs = qs.filter(facility__code=facility_code)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-month", "facility__code")


def statement_facility(*, actor: User, facility_code: str = "") -> Facility:
    """The facility a statement is generated for: a desk's own (naming another facility is refused, never
    quietly replaced by its own), otherwise the named facility within the actor's jurisdiction."""
    code = (facility_code or "").strip()
    if actor.can(Cap.DESK_SETTLE) and actor.facility_id is not None:
        if code and code != actor.facility.code:
            raise Forbidden(f"定点医疗机构只能生成本机构的月结算单，不能为机构 {code} 生成")
        return actor.facility
    if not code:
        raise ValidationFailed("required", "请填写要生成月结算单的机构编码", field="facility_code")
    facility = facility_list(actor=actor).filter(code=code).first()
    if facility is None:
        raise NotFound("医疗机构", code)
    return facility


def statement_get(*, actor: User, pk: int | None = None, number: str | None = None) -> FacilityStatement:
    key = {"pk": pk} if pk is not None else {"number": number}
    statement = statement_list(actor=actor).select_related("reviewed_by", "returned_by", "facility__region").filter(**key).first()
    if statement is None:
        raise NotFound("月结算单", pk if pk is not None else number)
    return statement


def statement_lines(statement: FacilityStatement) -> QuerySet:
    return (StatementLine.objects.filter(statement=statement)
            .select_related("settlement", "settlement__episode", "settlement__episode__person",
                            "settlement__reverses")
            .order_by("settlement__settled_at", "settlement_id"))


def reconciliation_list(*, actor: User, date=None, facility_code: str = "", result: str = "") -> QuerySet:
    qs = DailyReconciliation.objects.select_related("facility", "submitted_by").filter(
        facility__in=_facilities(actor))
    if date:
        qs = qs.filter(date=date)
    if facility_code:
        qs = qs.filter(facility__code=facility_code)
    if result:
        qs = qs.filter(result=result)
    return qs


def reconciliation_get(*, actor: User, pk: int) -> DailyReconciliation:
    row = reconciliation_list(actor=actor).filter(pk=pk).first()
    if row is None:
        raise NotFound("对账记录", pk)
    return row

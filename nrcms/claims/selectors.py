"""Reads of settlements, each scoped by the actor's jurisdiction (结算查询).

A hospital desk reads its own facility's settlements; the county's reviewer, director, committee and
auditor (Cap.CLAIMS_VIEW) read those of the residents of their region — the whole county, or a township for
an auditor or clerk bound to one; everyone else reads nothing. A settlement outside the scope is "not found",
never "forbidden", so a number cannot be probed. Reversals are rows with negated amounts, so every total here
is the net amount the fund paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Abs
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.core.money import ZERO, round_amount
from nrcms.registry.models import Person
from nrcms.registry.selectors_people import person_match
from nrcms.web.params import amount_param, choice_param, date_param, text_param

from .models import (
    ManualClaim,
    ManualClaimStatus,
    Settlement,
    SettlementKind,
    SettlementStatus,
)

TOTAL_FIELDS = ("total_cost", "eligible_cost", "basic", "family_account", "catastrophic", "assistance",
                "safety_net", "fund_total", "self_pay", "facility_borne")
MAX_QUERY = 50


def settlement_can_read(actor: User) -> bool:
    return actor.can(Cap.CLAIMS_VIEW) or (actor.can(Cap.DESK_SETTLE) and actor.facility_id is not None)


def settlement_readable(actor: User) -> None:
    if not settlement_can_read(actor):
        raise Forbidden("您的角色无权查看结算单")


def settlement_scope(actor: User, prefix: str = "") -> Q:
    """The rows the actor may read of any model with an `episode` (settlements, manual claims); `prefix` for a
    model reaching them through a relation."""
    j = jurisdiction_of(actor)
    if actor.can(Cap.DESK_SETTLE) and j.facility_id is not None:
        return Q(**{f"{prefix}episode__facility_id": j.facility_id})
    if actor.can(Cap.CLAIMS_VIEW) and j.region_prefix is not None:
        if j.is_county:
            return Q()
        return Q(**{f"{prefix}episode__household__region__code__startswith": j.region_prefix})
    return Q(pk__in=[])


@dataclass(frozen=True)
class SettlementFilters:
    q: str = ""  # the patient's name, pinyin initials or ID number; a settlement number or a serial
    facility: str = ""  # facility code
    date_from: dt.date | None = None  # settled on or after (local day)
    date_to: dt.date | None = None  # settled on or before
    amount_min: Decimal | None = None  # 补偿金额 (fund total, a reversal by its size)
    amount_max: Decimal | None = None
    kind: str = ""
    status: str = ""


def settlement_filters(data: Mapping) -> SettlementFilters:
    """The search's filters read from a query string (page or API), each validated at the edge: a bad date,
    amount or code is a Chinese sentence naming the field."""
    filters = SettlementFilters(
        q=text_param(data, "q", "查询内容", max_length=MAX_QUERY),
        facility=text_param(data, "facility", "医疗机构编码", max_length=20),
        date_from=date_param(data, "date_from", "结算日期（起）"),
        date_to=date_param(data, "date_to", "结算日期（止）"),
        amount_min=amount_param(data, "amount_min", "补偿金额（下限）"),
        amount_max=amount_param(data, "amount_max", "补偿金额（上限）"),
        kind=choice_param(data, "kind", "类别", SettlementKind.choices),
        status=choice_param(data, "status", "状态", SettlementStatus.choices),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise NrcmsError("invalid", f"结算日期（起）{filters.date_from} 晚于结算日期（止）{filters.date_to}",
                               field="date_from")
    if filters.amount_min is not None and filters.amount_max is not None and filters.amount_min > filters.amount_max:
        raise NrcmsError("invalid", f"补偿金额下限 {filters.amount_min} 大于上限 {filters.amount_max}",
                               field="amount_min")
    return filters


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def settlement_list(*, actor: User) -> QuerySet[Settlement]:
    """Every settlement the actor may read, newest first, without the stored engine inputs and explanation."""
    settlement_readable(actor)
    return (Settlement.objects.filter(settlement_scope(actor))
            .select_related("episode", "episode__person", "episode__facility", "settled_by", "reverses")
            .defer("inputs", "result", "issued").order_by("-settled_at", "-id"))


def settlement_search(*, actor: User, filters: SettlementFilters) -> QuerySet[Settlement]:
    qs = settlement_list(actor=actor)
    f = filters
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(number=text.upper()) | Q(episode__serial=text)
                       | Q(episode__person__in=Person.objects.filter(person_match(text)).values("pk")))
    if f.facility:
        qs = qs.filter(episode__facility__code=f.facility)
    if f.date_from:
        qs = qs.filter(settled_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(settled_at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.amount_min is not None or f.amount_max is not None:
        qs = qs.annotate(fund_size=Abs("fund_total"))
        if f.amount_min is not None:
            qs = qs.filter(fund_size__gte=f.amount_min)
        if f.amount_max is not None:
            qs = qs.filter(fund_size__lte=f.amount_max)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:  # 有效 / 已冲正 describe settlements; a reversal row is never itself undone
        qs = qs.filter(kind=SettlementKind.SETTLEMENT, status=f.status)
    return qs


def settlement_totals(qs: QuerySet[Settlement]) -> dict:
    """Count and the net amounts of a list (reversals count negative), each through the one rounding rule."""
    row = qs.order_by().aggregate(
        count=Count("id"), reversals=Count("id", filter=Q(kind=SettlementKind.REVERSAL)),
        **{name: Sum(name) for name in TOTAL_FIELDS})
    totals = {name: round_amount(row[name]) if row[name] is not None else ZERO for name in TOTAL_FIELDS}
    return {"count": row["count"], "reversal_count": row["reversals"],
            "settlement_count": row["count"] - row["reversals"], **totals}


def settlement_get(*, actor: User, number: str) -> Settlement:
    settlement_readable(actor)
    number = (number or "").strip().upper()
    settlement = (Settlement.objects.filter(settlement_scope(actor), number=number)
                  .select_related("episode", "episode__person", "episode__household__region", "episode__facility",
                                  "episode__referral", "settled_by", "reverses").first())
    if settlement is None:
        raise NotFound("结算单", number)
    return settlement


def settlement_history(settlement: Settlement) -> list[Settlement]:
    """The episode's settlements in order: settled, reversed (by whom, why), settled again …"""
    return list(Settlement.objects.filter(episode_id=settlement.episode_id)
                .select_related("settled_by", "reverses").defer("inputs", "result", "issued")
                .order_by("settled_at", "id"))


def settled_charges(settlement: Settlement) -> list[dict]:
    """The charge lines as the engine read them when it settled (stored in the settlement's inputs), so a
    line corrected after a reversal does not change what this settlement shows."""
    return list((settlement.inputs or {}).get("charges", []))


def desk_day(*, actor: User, day: dt.date) -> QuerySet[Settlement]:
    """A desk's settlements and reversals of one day (its own facility), in the order they were made."""
    if not (actor.can(Cap.DESK_SETTLE) and actor.facility_id is not None):
        raise Forbidden("只有定点医疗机构合疗科可以查看本机构的当日结算")
    return (settlement_list(actor=actor).filter(settled_at__gte=_day_start(day),
                                                settled_at__lt=_day_start(day + dt.timedelta(days=1)))
            .order_by("settled_at", "id"))


@dataclass(frozen=True)
class Reimbursement:
    """One reimbursement on a person's page: a desk settlement (or its reversal) or a manual claim."""

    year: int
    number: str
    source: str  # 即时结报 / 手工报销
    kind_label: str
    status_label: str
    on: dt.date
    facility: str
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal
    url_name: str  # settlement_detail / manual_detail; "" when the reader may not open it
    counts: bool = True  # in the year's totals (a reversed manual claim is shown but no longer counts)


@dataclass(frozen=True)
class ReimbursementYear:
    year: int
    rows: list[Reimbursement]
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal


def person_reimbursements(*, actor: User, person: Person) -> list[ReimbursementYear]:
    """Every reimbursement of the person the actor may read, by scheme year (newest first), with the year's
    net totals: desk settlements and their reversals, and manual claims paid (or paid and reversed)."""
    if not settlement_can_read(actor):
        return []
    rows: list[Reimbursement] = []
    settlements = (Settlement.objects.filter(settlement_scope(actor), episode__person=person)
                   .select_related("episode", "episode__facility").defer("inputs", "result", "issued"))
    for s in settlements:
        rows.append(Reimbursement(
            s.episode.scheme_year, s.number, "即时结报", s.get_kind_display(), s.status_label,
            timezone.localtime(s.settled_at).date(), s.episode.facility.name, s.total_cost, s.fund_total, s.self_pay,
            "settlement_detail"))
    if actor.can(Cap.CLAIMS_VIEW):  # manual claims are the county centre's, not a desk's
        claims = (ManualClaim.objects.filter(settlement_scope(actor), episode__person=person,
                                             status__in=(ManualClaimStatus.PAID, ManualClaimStatus.REVERSED),
                                             paid_at__isnull=False)
                  .select_related("episode", "episode__facility").defer("inputs", "result", "issued"))
        for c in claims:
            rows.append(Reimbursement(
                c.episode.scheme_year, c.number, "手工报销", "报销", c.get_status_display(),
                timezone.localtime(c.paid_at).date(), c.episode.facility.name, c.total_cost, c.fund_total,
                c.self_pay, "manual_detail" if actor.can(Cap.CLAIMS_REVIEW) else "",  # the claim's page is the centre's
                counts=c.status == ManualClaimStatus.PAID))
    years = []
    for year in sorted({r.year for r in rows}, reverse=True):
        these = sorted((r for r in rows if r.year == year), key=lambda r: (r.on, r.number), reverse=True)
        counted = [r for r in these if r.counts]
        years.append(ReimbursementYear(year, these, *(round_amount(sum((getattr(r, name) for r in counted), ZERO))
                                                     for name in ("total_cost", "fund_total", "self_pay"))))
    return years

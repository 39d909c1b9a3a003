"""药占比 and 政策范围外费用占比 per facility, for the settlements in scope (reversals net out).

Drug cost: the episode's current charge lines whose catalogue code is a drug (药品) in the catalogue, weighted
+1 for each settlement row and −1 for each reversal row in the period — so a settled-reversed-resettled
episode counts once. Manual claims carry class totals, not items: they have no drug share of their own."""

from __future__ import annotations

from django.db.models import Case, DecimalField, F, Q, Sum, When
from django.db.models.functions import ExtractMonth

from nrcms.claims.models import ChargeLine, SettlementKind
from nrcms.facilities.models import CatalogueItem, Facility, ItemKind
from nrcms.funding.ledger import fen_sum
from nrcms.funding.summary import from_fen

from .models import FactSource
from .ratios import percent
from .scope import Scope
from .sources import (
    Untranslatable,
    _category,
    by_facility_code,
    day_range,
    fact_aggregates,
    fact_q,
    fact_rows,
    fact_totals,
    net_by,
    scope_q,
)


def drug_cost_by_facility(scope: Scope, where: Q | None = None) -> dict[str, object]:
    """Net drug cost by facility code; `where` narrows the charge lines (e.g. Q(episode__kind="inpatient"))."""
    return {code: cost for (code,), cost in drug_cost_by(scope, where).items()}


def drug_cost_by_month(scope: Scope) -> dict[tuple, object]:
    """Net drug cost by (facility code, month of the settlement row)."""
    try:
        return desk_cost_and_drug_cost_by_month(scope)[1]
    except Untranslatable:
        return drug_cost_by(scope, month=ExtractMonth("episode__settlements__settled_at"))


def desk_cost_and_drug_cost_by_month(scope: Scope) -> tuple[dict[tuple, object], dict[tuple, object]]:
    """By (facility code, month of the settlement row), from the settlement facts in one grouped query: the net
    total cost of the desk settlement rows, and the net drug cost of the facility-months with drug lines
    (Untranslatable with a category)."""
    rows = (fact_rows(scope).annotate(month=ExtractMonth("day")).values("facility_id", "month")
            .annotate(total=Sum("total_cost_fen", filter=Q(source=FactSource.DESK)), drug=Sum("drug_cost_fen"),
                      drug_lines=Sum("drug_lines")))
    totals, drugs = {}, {}
    for code, r in by_facility_code(rows):
        key = (code, r["month"])
        if r["total"] is not None:
            totals[key] = from_fen(r["total"])
        if (r["drug_lines"] or 0) > 0:
            drugs[key] = from_fen(r["drug"])
    return totals, drugs


def _fact_drug_cost(scope: Scope, where: Q | None, **keys) -> dict[tuple, object]:
    """drug_cost_by() from the settlement facts (each desk row keeps its episode's drug cost, signed): a key
    with drug lines only, as the lines grouped give it."""
    qs = fact_rows(scope).filter(fact_q(where) or Q())
    rows = (qs.annotate(**keys).values("facility_id", *keys)
            .annotate(d=Sum("drug_cost_fen"), n=Sum("drug_lines")).filter(n__gt=0))
    return {(code, *(r[k] for k in keys)): from_fen(r["d"]) for code, r in by_facility_code(rows)}


def drug_cost_by(scope: Scope, where: Q | None = None, **keys) -> dict[tuple, object]:
    """Net drug cost by facility code and any further `keys` (name → expression on ChargeLine, e.g. the month of
    the settlement row), keyed by (facility code, *keys); `where` narrows the charge lines. Without keys read
    from the settlement facts when they can answer (no category, a `where` on their columns)."""
    if not keys:
        try:
            return _fact_drug_cost(scope, where)
        except Untranslatable:  # a category or a condition the facts lack: the charge lines themselves
            return raw_drug_cost_by(scope, where)
    return raw_drug_cost_by(scope, where, **keys)


def raw_drug_cost_by(scope: Scope, where: Q | None = None, **keys) -> dict[tuple, object]:
    """drug_cost_by() read from the charge lines themselves."""
    drugs = CatalogueItem.objects.filter(kind=ItemKind.DRUG).values("code")
    qs = ChargeLine.objects.filter(Q(catalogue_code__in=drugs)
                                   & day_range("episode__settlements__settled_at", scope.start, scope.end))
    qs = qs.filter(scope_q(scope)).filter(where or Q())
    if scope.category:
        qs = qs.filter(_category(scope))
    signed = Case(When(episode__settlements__kind=SettlementKind.REVERSAL, then=-F("amount")), default=F("amount"),
                  output_field=DecimalField(max_digits=14, decimal_places=2))
    rows = qs.order_by().annotate(**keys).values("episode__facility__code", *keys).annotate(d=Sum(signed))
    return {(r["episode__facility__code"], *(r[k] for k in keys)): fen_sum(r["d"]) for r in rows}


def _totals_and_drugs(scope: Scope) -> tuple[dict, dict]:
    """Net totals by facility code and the net drug cost of the facilities that have drug lines: from the
    settlement facts in one grouped query (the same groups as net_by and drug_cost_by_facility give apart), with
    a category from the rows and charge lines themselves."""
    try:
        qs = fact_rows(scope)
    except Untranslatable:
        return net_by(scope, "episode__facility__code"), drug_cost_by_facility(scope)
    rows = by_facility_code(qs.values("facility_id").annotate(**fact_aggregates(), drug=Sum("drug_cost_fen"),
                                                              drug_lines=Sum("drug_lines")))
    totals = {code: fact_totals(r) for code, r in rows}
    drugs = {code: from_fen(r["drug"]) for code, r in rows if (r["drug_lines"] or 0) > 0}
    return totals, drugs


def facility_rows(scope: Scope) -> list[dict]:
    totals, drugs = _totals_and_drugs(scope)
    names = dict(Facility.objects.filter(code__in=totals).values_list("code", "name"))
    levels = {f.code: f.get_level_display() for f in Facility.objects.filter(code__in=totals)}
    rows = []
    for code in sorted(totals):
        t = totals[code]
        drug = drugs.get(code)
        rows.append({"code": code, "name": names.get(code, code), "level": levels.get(code, ""), "count": t.count,
                     "total_cost": t.total_cost, "drug_cost": drug,
                     "drug_share": percent(drug, t.total_cost) if drug is not None else None,
                     "out_of_policy": t.total_cost - t.eligible_cost,
                     "out_of_policy_share": percent(t.total_cost - t.eligible_cost, t.total_cost),
                     "fund_total": t.fund_total})
    return rows

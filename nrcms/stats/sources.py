"""Where every statistic's money and person-times come from, and how reversals net out.

Two kinds of settlement count, both under the patient's household region:
  * desk settlements (即时结报, claims.Settlement) on their settlement date; a reversal (冲正) is a row of its
    own with negated amounts on its own date, so summing the rows of a period nets it out;
  * manual out-of-county claims (手工报销, claims.ManualClaim) on the day they were paid, and — if reversed —
    negated on the day of the reversal.
Every figure is a database aggregate (Sum/Count with CASE) over these three sources, added up in Decimal to the
fen (`fen_sum`: SQLite hands decimal sums back through a float).

net, net_many and net_by read the settlement facts (stats.SettlementFact, facts.py) instead: one narrow row per
counted row, signed and in fen, so each is one scan without joins. A filter or key is translated onto the facts'
columns (the episode's kind, person, household region code; the facility by a join to its small table; amounts
compared with whole yuan); a scope with a category, or a filter or key they cannot answer (a referral lookup, an
Exists), is read from the rows as before (raw_net, raw_net_many, raw_net_by: the same figures, which the tests
compare)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from nrcms.claims.models import ManualClaim, ManualClaimStatus, Settlement, SettlementKind
from nrcms.core.money import ZERO
from nrcms.funding.ledger import fen_sum
from nrcms.funding.summary import from_fen
from nrcms.registry.models import PersonCategory

from .scope import Scope

AMOUNTS = ("total_cost", "eligible_cost", "basic", "fixed_fee", "subsidy", "family_account", "catastrophic",
           "assistance", "safety_net", "fund_total", "self_pay", "facility_borne")
# 基本医疗补偿 as the pooled fund pays it (what the ledger debits 3101 with): basic + fixed fee + subsidy.
POOLED = F("basic") + F("fixed_fee") + F("subsidy")
INPATIENT = Q(episode__kind="inpatient")
OUTPATIENT = Q(episode__kind="outpatient")
IN_COUNTY = Q(episode__facility__in_county=True)
KINDS = {  # 补偿类别, the three of domain §11
    "inpatient_in_county": ("县内住院", INPATIENT & IN_COUNTY),
    "inpatient_out_of_county": ("县外住院", INPATIENT & ~IN_COUNTY),
    "outpatient": ("门诊", OUTPATIENT),
}
THRESHOLDS = (2000, 5000, 10000)
# the kind of each settlement as a key: the KINDS above are disjoint and cover every episode (kind is inpatient or
# outpatient, in_county is never null), so grouping by this key gives each kind's net(scope, q) in one GROUP BY
KIND_KEY = Case(When(INPATIENT & IN_COUNTY, then=Value("inpatient_in_county")),
                When(INPATIENT, then=Value("inpatient_out_of_county")), When(OUTPATIENT, then=Value("outpatient")),
                default=Value(""))


@dataclass
class Totals:
    """Net person-times and amounts of a set of settlements."""

    count: int = 0  # 结算人次
    benefit: int = 0  # 受益人次: settlements that paid something
    referred: int = 0
    above: dict = field(default_factory=lambda: dict.fromkeys(THRESHOLDS, 0))
    amounts: dict = field(default_factory=lambda: dict.fromkeys(AMOUNTS, ZERO))

    def add(self, other: Totals) -> None:
        self.count += other.count
        self.benefit += other.benefit
        self.referred += other.referred
        for t in THRESHOLDS:
            self.above[t] += other.above[t]
        for name in AMOUNTS:
            self.amounts[name] += other.amounts[name]

    @property
    def pooled(self) -> Decimal:
        return self.amounts["basic"] + self.amounts["fixed_fee"] + self.amounts["subsidy"]

    def __getattr__(self, name: str):
        if name in AMOUNTS:
            return self.amounts[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class Source:
    qs: QuerySet
    sign: int  # multiplies everything: −1 for the reversals of manual claims
    row_sign: object  # +1 / −1 per row (a desk reversal row is −1)
    referral: Q
    date_field: str  # the moment that dates a row into a period (settled_at, paid_at, closed_at)


def _category(scope: Scope, path: str = "episode__") -> Exists:
    held = PersonCategory.objects.filter(
        person=OuterRef(f"{path}person_id"), category=scope.category, valid_from__lte=OuterRef(f"{path}admission_date"))
    return Exists(held.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef(f"{path}admission_date"))))


def scope_q(scope: Scope, path: str = "episode__") -> Q:
    q = Q()
    if scope.region_prefix:
        q &= Q(**{f"{path}household__region__code__startswith": scope.region_prefix})
    if scope.facility_level:
        q &= Q(**{f"{path}facility__level": scope.facility_level})
    if scope.facility_code:
        q &= Q(**{f"{path}facility__code": scope.facility_code})
    return q


def _filtered(qs: QuerySet, scope: Scope, path: str = "episode__") -> QuerySet:
    qs = qs.filter(scope_q(scope, path)).order_by()
    return qs.filter(_category(scope, path)) if scope.category else qs


def day_range(field: str, start: dt.date, end: dt.date) -> Q:
    """`field` (a timestamp) on the local days start..end inclusive, as a range of instants rather than
    `field__date__range`: the same rows, but PostgreSQL can use an index on the column for it."""
    tz = timezone.get_current_timezone()
    return Q(**{f"{field}__gte": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
                f"{field}__lt": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)})


def sources(scope: Scope) -> list[Source]:
    desk = Settlement.objects.filter(day_range("settled_at", scope.start, scope.end))
    paid = ManualClaim.objects.filter(day_range("paid_at", scope.start, scope.end),
                                      status__in=(ManualClaimStatus.PAID, ManualClaimStatus.REVERSED))
    reversed_ = ManualClaim.objects.filter(day_range("closed_at", scope.start, scope.end),
                                           status=ManualClaimStatus.REVERSED)
    desk_sign = Case(When(kind=SettlementKind.REVERSAL, then=Value(-1)), default=Value(1), output_field=IntegerField())
    manual_referral = Q(referral__isnull=False) | Q(episode__referral__isnull=False)
    return [Source(_filtered(desk, scope), 1, desk_sign, Q(episode__referral__isnull=False), "settled_at"),
            Source(_filtered(paid, scope), 1, Value(1), manual_referral, "paid_at"),
            Source(_filtered(reversed_, scope), -1, Value(1), manual_referral, "closed_at")]


def _counted(condition: Q, row_sign, where: Q | None = None) -> Sum:
    return Sum(Case(When(condition, then=row_sign), default=Value(0), output_field=IntegerField()), filter=where)


def _aggregates(src: Source, where: Q | None = None) -> dict:
    """The sums of _totals(); with `where`, each summed over only the rows it matches (SQL FILTER)."""
    out = {f"s_{name}": Sum(name, filter=where) for name in AMOUNTS}
    out["n"] = Sum(src.row_sign, filter=where)
    out["benefit"] = _counted(~Q(fund_total=0), src.row_sign, where)
    out["referred"] = _counted(src.referral, src.row_sign, where)
    for t in THRESHOLDS:
        # a reversal row carries negated amounts: it takes back a count when the original was above t
        out[f"above_{t}"] = Sum(Case(When(Q(_pooled__gt=t) | Q(_pooled__lt=-t), then=src.row_sign), default=Value(0),
                                     output_field=IntegerField()), filter=where)
    return out


def _totals(row: dict, sign: int) -> Totals:
    t = Totals(count=sign * (row["n"] or 0), benefit=sign * (row["benefit"] or 0),
               referred=sign * (row["referred"] or 0))
    t.above = {th: sign * (row[f"above_{th}"] or 0) for th in THRESHOLDS}
    t.amounts = {name: fen_sum(row[f"s_{name}"]) * sign for name in AMOUNTS}
    return t


class Untranslatable(Exception):
    """A filter or key the settlement facts cannot answer (it needs a join they do not carry)."""


# the paths on Settlement/ManualClaim the facts answer, as their own columns (facility: a join to the small table)
_PATHS = {"episode__kind": "episode_kind", "episode__household__region__code": "region_code",
          "episode__person_id": "person_id", "episode__person": "person_id", "episode_id": "episode_id"}
_LOOKUPS = ("", "exact", "in", "isnull", "startswith", "gt", "gte", "lt", "lte", "range")  # (amounts: "" … "lte")
_FACILITY = ("id", "code", "level", "in_county")
_FLIP = {"exact": "exact", "gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}


def _fact_path(path: str) -> tuple[str, bool]:
    """(the facts' lookup for a lookup on the raw rows, whether its value is an amount to turn into fen)."""
    if path.startswith("episode__facility__"):
        name, _, lookup = path[len("episode__facility__"):].partition("__")
        if name in _FACILITY and lookup in _LOOKUPS:
            return "facility__" + path[len("episode__facility__"):], False
    for raw, fact in _PATHS.items():
        if (path == raw or path.startswith(raw + "__")) and path[len(raw) + 2:] in _LOOKUPS:
            return fact + path[len(raw):], False
    name, _, lookup = path.partition("__")
    if name in AMOUNTS and lookup in _LOOKUPS:
        return f"{name}_fen" + (f"__{lookup}" if lookup else ""), True
    raise Untranslatable(path)


def _fact_q(q: Q) -> Q:
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_fact_q(child))
            continue
        if not isinstance(child, tuple):  # an Exists or other expression: a join the facts do not carry
            raise Untranslatable(repr(child))
        path, value = child
        if path == "episode__manual_claim__isnull" and isinstance(value, bool):  # desk rows / manual claims
            out.children.append(Q(source="desk") if value else ~Q(source="desk"))
            continue
        if hasattr(value, "resolve_expression"):
            raise Untranslatable(path)
        fact, amount = _fact_path(path)
        if amount:
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or path.endswith(("__in", "__range")):
                raise Untranslatable(path)
            name, _, lookup = fact.partition("__")
            # the rows compare the amount as stored; a manual claim's reversal fact keeps it negated
            fen = int(Decimal(value) * 100)
            if fen == 0 and lookup in ("", "exact"):  # zero reads the same either way round
                out.children.append((fact, 0))
                continue
            flipped = f"{name}__{_FLIP[lookup]}" if lookup else name
            out.children.append((~Q(source="reversed") & Q(**{fact: fen})) | (Q(source="reversed") & Q(**{flipped: -fen})))
            continue
        out.children.append((fact, value))
    return out


def _fact_expr(expr):
    if isinstance(expr, str):
        return _fact_expr(F(expr))
    if isinstance(expr, Q):
        return _fact_q(expr)
    if isinstance(expr, F):
        path, amount = _fact_path(expr.name)
        if amount:
            raise Untranslatable(expr.name)
        return F(path)
    if isinstance(expr, Value):
        return expr
    if not hasattr(expr, "get_source_expressions") or isinstance(expr, Exists) or getattr(expr, "subquery", False):
        raise Untranslatable(repr(expr))
    copy = expr.copy()
    copy.set_source_expressions([_fact_expr(e) for e in expr.get_source_expressions()])
    return copy


def fact_q(q: Q | None) -> Q | None:
    """A filter on the settlement rows' fields as one on the facts' (Untranslatable when they cannot answer it)."""
    return _fact_q(q) if q is not None else None


def fact_rows(scope: Scope) -> QuerySet:
    """The settlement facts of the scope (Untranslatable with a category filter)."""
    return _facts_filtered(scope)


def _facts_filtered(scope: Scope) -> QuerySet:
    """The facts of the scope (no category: that needs the person's categories, read on the raw rows)."""
    from .models import SettlementFact

    if scope.category:
        raise Untranslatable("category")
    qs = SettlementFact.objects.filter(day__range=(scope.start, scope.end)).order_by()
    if scope.region_prefix:
        qs = qs.filter(region_code__startswith=scope.region_prefix)
    if scope.facility_level:
        qs = qs.filter(facility__level=scope.facility_level)
    if scope.facility_code:
        qs = qs.filter(facility__code=scope.facility_code)
    return qs


def _and(a: Q, where: Q | None) -> Q:
    return a & where if where is not None else a


def fact_aggregates(where: Q | None = None) -> dict:
    """_aggregates() over the facts: one table, amounts and signs already net."""
    out = {f"s_{name}": Sum(f"{name}_fen", filter=where) for name in AMOUNTS}
    out["n"] = Sum("sign", filter=where)
    out["benefit"] = Sum("sign", filter=_and(~Q(fund_total_fen=0), where))
    out["referred"] = Sum("sign", filter=_and(Q(referred=True), where))
    for t in THRESHOLDS:
        out[f"above_{t}"] = Sum("sign", filter=_and(Q(pooled_fen__gt=t * 100) | Q(pooled_fen__lt=-t * 100), where))
    return out


def fact_totals(row: dict) -> Totals:
    t = Totals(count=int(row["n"] or 0), benefit=int(row["benefit"] or 0), referred=int(row["referred"] or 0))
    t.above = {th: int(row[f"above_{th}"] or 0) for th in THRESHOLDS}
    t.amounts = {name: from_fen(row[f"s_{name}"]) for name in AMOUNTS}
    return t


def net(scope: Scope, where: Q | None = None) -> Totals:
    """The net totals of every settlement in scope (and `where`, on either model's fields)."""
    try:
        qs, fwhere = _facts_filtered(scope), _fact_q(where) if where is not None else None
    except Untranslatable:
        return raw_net(scope, where)
    return fact_totals(qs.aggregate(**fact_aggregates(fwhere)))


def raw_net(scope: Scope, where: Q | None = None) -> Totals:
    """net() read from the settlement rows themselves (what the facts must equal)."""
    total = Totals()
    for src in sources(scope):
        row = src.qs.filter(where or Q()).annotate(_pooled=POOLED).aggregate(**_aggregates(src))
        total.add(_totals(row, src.sign))
    return total


def net_many(scope: Scope, wheres: dict[str, Q | None]) -> dict[str, Totals]:
    """net(scope, where) for each of several `wheres` at once, in one query over the settlement facts: each where
    becomes a yes/no column, the facts are summed once per combination of those columns (GROUP BY; a handful of
    groups), and each where's totals add up the groups it says yes to — the same figures as one net() call per
    where (the sums are integer fen, so adding groups is exact), with one pass of the aggregates instead of one per
    where (SQL FILTER)."""
    try:
        qs = _facts_filtered(scope)
        fwheres = {key: _fact_q(q) if q is not None else None for key, q in wheres.items()}
    except Untranslatable:
        return raw_net_many(scope, wheres)
    distinct: list[Q] = []  # one yes/no column per distinct where (two keys may ask the same)
    for q in fwheres.values():
        if q is not None and q not in distinct:
            distinct.append(q)
    flags = {f"k{i}": Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
             for i, q in enumerate(distinct)}
    rows = qs.annotate(**flags).values(*flags).annotate(**fact_aggregates()) if flags else [
        qs.aggregate(**fact_aggregates())]
    out = {key: Totals() for key in wheres}
    for row in rows:
        t = fact_totals(row)
        for key, q in fwheres.items():
            if q is None or row[f"k{distinct.index(q)}"]:
                out[key].add(t)
    return out


def raw_net_many(scope: Scope, wheres: dict[str, Q | None]) -> dict[str, Totals]:
    """net_many() read from the settlement rows themselves."""
    out = {key: Totals() for key in wheres}
    keys = list(wheres)
    for src in sources(scope):
        aggregates = {}
        for i, key in enumerate(keys):
            aggregates.update({f"w{i}_{name}": agg for name, agg in _aggregates(src, wheres[key]).items()})
        row = src.qs.annotate(_pooled=POOLED).aggregate(**aggregates)
        for i, key in enumerate(keys):
            prefix = f"w{i}_"
            out[key].add(_totals({k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}, src.sign))
    return out


def net_by_kind(scope: Scope) -> dict[str, Totals]:
    """net(scope, q) for each of KINDS, by one grouped query per source."""
    totals = net_by(scope, KIND_KEY)
    return {key: totals.get(key, Totals()) for key in KINDS}


def net_by(scope: Scope, key, where: Q | None = None) -> dict[object, Totals]:
    """Net totals grouped by `key` (a field path or expression on either model), in one query per source."""
    try:
        qs, fkey = _facts_filtered(scope), _fact_expr(key)
        fwhere = _fact_q(where) if where is not None else None
    except Untranslatable:
        return raw_net_by(scope, key, where)
    qs = qs.filter(fwhere or Q())
    if isinstance(fkey, F) and fkey.name == "facility__code":
        rows = qs.values("facility_id").annotate(**fact_aggregates())
        return {code: fact_totals(row) for code, row in by_facility_code(rows)}
    rows = qs.annotate(_key=fkey).values("_key").annotate(**fact_aggregates())
    return {row["_key"]: fact_totals(row) for row in rows}


def by_facility_code(rows) -> list[tuple[str, dict]]:
    """Rows of the facts grouped by facility_id, each with its facility's code. Grouped by the id rather than
    by the code through a join: PostgreSQL then knows how many facilities there are (the column's statistics)
    and sums in a hash table — grouped by the joined code it expects a group per row and sorts every row on
    disk (80–110 ms on the bench county against 40). A code is unique, so the groups are the same; a fact whose
    facility is not in the table (the key has no constraint) drops out, as the inner join dropped it."""
    rows = list(rows)
    from nrcms.facilities.models import Facility

    codes = dict(Facility.objects.filter(pk__in={r["facility_id"] for r in rows}).values_list("id", "code"))
    return [(codes[r["facility_id"]], r) for r in rows if r["facility_id"] in codes]


def raw_net_by(scope: Scope, key, where: Q | None = None) -> dict[object, Totals]:
    """net_by() read from the settlement rows themselves."""
    out: dict[object, Totals] = defaultdict(Totals)
    for src in sources(scope):
        rows = (src.qs.filter(where or Q()).annotate(_pooled=POOLED, _key=key if not isinstance(key, str) else F(key))
                .values("_key").annotate(**_aggregates(src)))
        for row in rows:
            out[row["_key"]].add(_totals(row, src.sign))
    return dict(out)


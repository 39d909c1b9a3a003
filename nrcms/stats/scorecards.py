"""定点医疗机构监管指标 (issue 12): each facility's monthly scorecard, ranked by level, with the scheme's thresholds.

Every measure is defined in docs/guide/facility-supervision.md. The settlements counted are those of
sources.py (desk and manual, reversals netted out, on their settlement/payment dates); each measure is one
grouped query (GROUP BY facility) per source, never one query per facility:

  drug_share           药占比: drug cost ÷ total cost of the month's inpatient desk settlements (出院患者, seed 001)
  out_of_policy_share  政策范围外费用占比: (total − in-policy cost) ÷ total cost, inpatient settlements
  cost_per_admission   次均住院费用: inpatient total cost ÷ net inpatient settlements
  cost_growth          次均住院费用同比增长: against the same month a year before
  average_stay         平均住院日: days (discharge − admission, a same-day stay counts 1) ÷ stays
  readmission_rate     30 天内再住院率: inpatient settlements whose admission came within 30 days after the same
                       person's discharge from the same facility ÷ inpatient settlements
  referral_out_rate    转出率: referrals approved in the month from the facility ÷ its inpatient settlements
  hits_per_100         每百人次审核疑点: audit hits ÷ settlements × 100 — from the supervision app when installed
  complaints           投诉件数 — from a complaints app when installed

The last two are pluggable (`register_count_source`): until an app registers a source, they are None (“—”).
Ratios are percentages to two places, None when the denominator is zero (ratios.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear

from nrcms.claims.models import Episode, EpisodeKind, EpisodeStatus, Referral
from nrcms.core.money import round_amount
from nrcms.facilities.measures import MEASURE_BY_KEY, MEASURES, THRESHOLD_MEASURES
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.funding.summary import from_fen
from nrcms.policy.parameters import DEFAULT_DRUG_SHARE, DEFAULT_OUT_OF_POLICY_SHARE, SupervisionThresholds

from .facility_shares import drug_cost_by_facility
from .models import FactSource
from .ratios import average, percent
from .scope import Scope, month_range
from .sources import INPATIENT, Totals, fact_aggregates, fact_rows, fact_totals, net_by, sources

KEY = "episode__facility__code"
READMISSION_DAYS = 30
DESK_ONLY = Q(episode__manual_claim__isnull=True)  # true for desk settlement rows, false for manual claims



# Pluggable counts by facility code for a date range: the supervision app (audit hits) and a complaints app
# register theirs at start-up; None means “no such app”, shown as “—”. A source may come with a form by month
# (one facility's counts of the whole months start..end, by (year, month)) for the trend; without one the trend
# asks the source month by month.
CountSource = Callable[[dt.date, dt.date], dict[str, int]]
MonthlyCountSource = Callable[[dt.date, dt.date, str], dict[tuple[int, int], int]]
_COUNT_SOURCES: dict[str, CountSource] = {}
_MONTHLY_COUNT_SOURCES: dict[str, MonthlyCountSource] = {}


def register_count_source(name: str, source: CountSource | None, by_month: MonthlyCountSource | None = None) -> None:
    """name: "hits" (审核疑点) or "complaints" (投诉). Call from an AppConfig.ready(); None unregisters.
    by_month(start, end, facility_code) → {(year, month): count}: the same counts as source() gives each month
    of start..end, in one query."""
    if name not in ("hits", "complaints"):
        raise ValueError(f"unknown count source {name!r}")
    _MONTHLY_COUNT_SOURCES.pop(name, None)
    if source is None:
        _COUNT_SOURCES.pop(name, None)
        return
    _COUNT_SOURCES[name] = source
    if by_month is not None:
        _MONTHLY_COUNT_SOURCES[name] = by_month


def _counts(name: str, start: dt.date, end: dt.date) -> dict[str, int] | None:
    source = _COUNT_SOURCES.get(name)
    return None if source is None else source(start, end)


def _counts_by_month(name: str, code: str, periods: list[tuple[int, int]]) -> dict[tuple[int, int], int] | None:
    """One facility's count of each (year, month) of `periods` (consecutive), None without the source."""
    source = _COUNT_SOURCES.get(name)
    if source is None:
        return None
    by_month = _MONTHLY_COUNT_SOURCES.get(name)
    if by_month is not None:
        return by_month(month_range(*periods[0])[0], month_range(*periods[-1])[1], code)
    return {p: source(*month_range(*p)).get(code, 0) for p in periods}


@dataclass
class Card:
    """One facility's month."""

    code: str
    name: str
    level: str
    level_label: str
    settlements: int
    admissions: int
    total_cost: Decimal
    values: dict = field(default_factory=dict)  # measure key → Decimal | int | None
    thresholds: dict = field(default_factory=dict)  # measure key → Decimal (percent) for bounded measures
    rank: int | None = None

    def above(self, key: str) -> bool:
        value, limit = self.values.get(key), self.thresholds.get(key)
        return value is not None and limit is not None and value > limit

    @property
    def cells(self) -> list[dict]:
        """For pages: each measure's value, whether above its threshold, and the threshold."""
        return [{"measure": m, "value": self.values.get(m.key), "above": self.above(m.key),
                 "threshold": self.thresholds.get(m.key)} for m in MEASURES]

    @property
    def above_keys(self) -> list[str]:
        return [m.key for m in THRESHOLD_MEASURES if self.above(m.key)]


def thresholds_on(day: dt.date) -> tuple[SupervisionThresholds, bool]:
    """The thresholds of the county's scheme version in force on `day` and whether the scheme names them
    (False: the documented defaults)."""
    from nrcms.claims.settlement import county_scheme

    try:
        version = county_scheme().select(day)
    except (OSError, ValueError):
        version = None
    if version is None:
        return SupervisionThresholds(), False
    return version.supervision, version.supervision_from_scheme


def level_thresholds(t: SupervisionThresholds, level: str) -> dict[str, Decimal]:
    """As percentages (45.00), the level's own figure or the default for a level the scheme leaves out."""
    drug = t.drug_share.get(level, DEFAULT_DRUG_SHARE.get(level))
    oop = t.out_of_policy_share.get(level, DEFAULT_OUT_OF_POLICY_SHARE.get(level))
    return {"drug_share": round_amount(drug * 100), "out_of_policy_share": round_amount(oop * 100),
            "cost_growth": round_amount(t.cost_growth * 100)}


def _stay_days(scope: Scope) -> dict[str, tuple[int, int]]:
    """(net stays, net days) by facility: one grouped query per source."""
    length = ExpressionWrapper(F("episode__discharge_date") - F("episode__admission_date"), output_field=DurationField())
    days = Case(When(episode__discharge_date=F("episode__admission_date"), then=Value(dt.timedelta(days=1))),
                default=length, output_field=DurationField())
    out: dict[str, list[int]] = {}
    for src in sources(scope):
        rows = (src.qs.filter(INPATIENT, episode__discharge_date__isnull=False).annotate(_sign=src.row_sign)
                .values(KEY).annotate(n=Sum("_sign"),
                                      plus=Sum(days, filter=Q(_sign__gt=0)), minus=Sum(days, filter=Q(_sign__lt=0))))
        for row in rows:
            stays_days = out.setdefault(row[KEY], [0, 0])
            stays_days[0] += src.sign * (row["n"] or 0)
            stays_days[1] += src.sign * (_days(row["plus"]) - _days(row["minus"]))
    return {k: (v[0], v[1]) for k, v in out.items()}


def _days(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value.days
    return int(value) // 86_400_000_000  # a backend that hands the sum back in microseconds


def _readmitted() -> Exists:
    earlier = Episode.objects.filter(
        person_id=OuterRef("episode__person_id"), facility_id=OuterRef("episode__facility_id"),
        kind=EpisodeKind.INPATIENT, discharge_date__lte=OuterRef("episode__admission_date"),
        discharge_date__gte=OuterRef("episode__admission_date") - dt.timedelta(days=READMISSION_DAYS),
    ).exclude(pk=OuterRef("episode_id")).exclude(status=EpisodeStatus.CANCELLED)
    return Exists(earlier)


def _referrals_out(start: dt.date, end: dt.date, codes=None) -> dict[str, int]:
    qs = Referral.objects.filter(from_facility__isnull=False, approved_on__range=(start, end),
                                 cancelled_at__isnull=True)
    if codes is not None:
        qs = qs.filter(from_facility__code__in=codes)
    rows = qs.order_by().values("from_facility__code").annotate(n=Count("id"))
    return {r["from_facility__code"]: r["n"] for r in rows}


@dataclass
class Figures:
    """What one facility's card of a month is computed from: the month's net totals (all settlements, the
    inpatient ones, the inpatient desk ones), the same month a year before (inpatient), the net drug cost of the
    inpatient charge lines (None without drug lines), (net stays, net days), net readmissions, approved referrals
    out, and the pluggable counts (None: no such app)."""

    everything: Totals = field(default_factory=Totals)
    inpatient: Totals = field(default_factory=Totals)
    desk_inpatient: Totals = field(default_factory=Totals)
    last_year: Totals = field(default_factory=Totals)
    drug: Decimal | None = None
    stays: tuple[int, int] = (0, 0)
    readmitted: int = 0
    referrals: int = 0
    hits: int | None = None
    complaints: int | None = None


def _card(f: Facility, x: Figures, thresholds: SupervisionThresholds) -> Card:
    t, ip, desk, before = x.everything, x.inpatient, x.desk_inpatient, x.last_year
    cost = average(ip.total_cost, ip.count)
    cost_before = average(before.total_cost, before.count)
    n_stays, n_days = x.stays
    values = {
        "drug_share": percent(x.drug, desk.total_cost) if x.drug is not None else None,
        "out_of_policy_share": percent(ip.total_cost - ip.eligible_cost, ip.total_cost),
        "cost_per_admission": cost,
        "cost_growth": percent(cost - cost_before, cost_before) if cost is not None and cost_before else None,
        "average_stay": average(n_days, n_stays),
        "readmission_rate": percent(x.readmitted, ip.count),
        "referral_out_rate": percent(x.referrals, ip.count),
        "hits_per_100": percent(x.hits, t.count) if x.hits is not None else None,
        "complaints": x.complaints,
    }
    return Card(code=f.code, name=f.name, level=f.level, level_label=f.get_level_display(), settlements=t.count,
                admissions=ip.count, total_cost=t.total_cost, values=values,
                thresholds=level_thresholds(thresholds, f.level))


def scorecards(year: int, month: int, *, level: str = "", facility_code: str = "") -> list[Card]:
    """Every facility with a settlement in the month (or only `level` / `facility_code`), unranked."""
    start, end = month_range(year, month)
    scope = Scope(start=start, end=end, facility_level=level, facility_code=facility_code)
    everything = net_by(scope, KEY)
    inpatient = net_by(scope, KEY, INPATIENT)
    desk_inpatient = net_by(scope, KEY, INPATIENT & DESK_ONLY)
    last_year = net_by(scope.previous_year(), KEY, INPATIENT)
    drugs = drug_cost_by_facility(scope, Q(episode__kind=EpisodeKind.INPATIENT))
    stays = _stay_days(scope)
    readmitted = net_by(scope, KEY, INPATIENT & Q(_readmitted()))
    codes = [c for c, t in everything.items() if t.count]
    referrals = _referrals_out(start, end, codes)
    hits = _counts("hits", start, end)
    complaints = _counts("complaints", start, end)
    thresholds, _ = thresholds_on(end)
    facilities = {f.code: f for f in Facility.objects.filter(code__in=codes)}
    return [_card(facilities[code], Figures(
        everything=everything[code], inpatient=inpatient.get(code, Totals()),
        desk_inpatient=desk_inpatient.get(code, Totals()), last_year=last_year.get(code, Totals()),
        drug=drugs.get(code), stays=stays.get(code, (0, 0)), readmitted=readmitted.get(code, Totals()).count,
        referrals=referrals.get(code, 0), hits=hits.get(code, 0) if hits is not None else None,
        complaints=complaints.get(code, 0) if complaints is not None else None), thresholds)
        for code in codes if code in facilities]


def ranking(cards: list[Card], sort: str = "drug_share") -> list[tuple[str, str, list[Card]]]:
    """By level (village → province), each ranked by `sort` from the highest value (the most to look at)
    down; a facility without the figure comes last, unranked."""
    if sort not in MEASURE_BY_KEY:
        sort = "drug_share"
    out = []
    for level, label in FacilityLevel.choices:
        group = [c for c in cards if c.level == level]
        if not group:
            continue
        valued = sorted((c for c in group if c.values.get(sort) is not None),
                        key=lambda c: (-c.values[sort], c.code))
        for rank, card in enumerate(valued, start=1):
            card.rank = rank
        rest = sorted((c for c in group if c.values.get(sort) is None), key=lambda c: c.code)
        for card in rest:
            card.rank = None
        out.append((level, label, valued + rest))
    return out


def trend(code: str, year: int, month: int, months: int = 12) -> list[tuple[str, Card | None]]:
    """The facility's last `months` months up to (year, month), oldest first: (“2026-03”, card or None) — the
    cards scorecards(y, m, facility_code=code) gives month by month, from one grouped query per measure over
    the whole range (by the month of each row's own date) instead of a round of queries per month."""
    periods = [divmod(year * 12 + (month - 1) - back, 12) for back in range(months - 1, -1, -1)]
    periods = [(y, m + 1) for y, m in periods]
    labels = [f"{y}-{m:02d}" for y, m in periods]
    facility = Facility.objects.filter(code=code).first()
    if facility is None or not periods:
        return [(label, None) for label in labels]
    figures = monthly_figures(facility, periods)
    out = []
    for label, (y, m) in zip(labels, periods, strict=True):
        x = figures.get((y, m))
        if x is None or not x.everything.count:
            out.append((label, None))
            continue
        thresholds, _ = thresholds_on(month_range(y, m)[1])
        out.append((label, _card(facility, x, thresholds)))
    return out


def _month_of(field: str) -> dict:
    """The (local) year and month of a date or timestamp field, as two keys to group by."""
    return {"_y": ExtractYear(field), "_m": ExtractMonth(field)}


def monthly_figures(facility: Facility, periods: list[tuple[int, int]]) -> dict[tuple[int, int], Figures]:
    """One facility's Figures for each (year, month) of `periods` (consecutive months, oldest first), as
    scorecards() reads them for each month alone: the settlement facts of the whole range in one query grouped
    by month, kind and source (net totals, drug cost, stays and days — the facts' stay_days is scorecards'
    definition: discharge − admission, a same-day stay 1), the year before likewise, readmissions from the rows
    (an Exists over episodes) by the month of each source's own date, referrals and the pluggable counts by
    month."""
    start, end = month_range(*periods[0])[0], month_range(*periods[-1])[1]
    scope = Scope(start=start, end=end, facility_code=facility.code)
    out = {p: Figures() for p in periods}
    drug_lines: dict[tuple[int, int], int] = {}
    drug_fen: dict[tuple[int, int], int] = {}
    rows = (fact_rows(scope).annotate(**_month_of("day")).values("_y", "_m", "episode_kind", "source")
            .annotate(**fact_aggregates(), _drug=Sum("drug_cost_fen"), _lines=Sum("drug_lines"),
                      _stays=Sum("sign", filter=Q(stay_days__isnull=False)),
                      _days=Sum(ExpressionWrapper(F("sign") * F("stay_days"), output_field=BigIntegerField()))))
    for row in rows:
        x, key, t = out[(row["_y"], row["_m"])], (row["_y"], row["_m"]), fact_totals(row)
        x.everything.add(t)
        if row["episode_kind"] != EpisodeKind.INPATIENT:
            continue
        x.inpatient.add(t)
        if row["source"] == FactSource.DESK:
            x.desk_inpatient.add(t)
        drug_lines[key] = drug_lines.get(key, 0) + int(row["_lines"] or 0)
        drug_fen[key] = drug_fen.get(key, 0) + int(row["_drug"] or 0)
        x.stays = (x.stays[0] + int(row["_stays"] or 0), x.stays[1] + int(row["_days"] or 0))
    for key, lines in drug_lines.items():
        if lines > 0:
            out[key].drug = from_fen(drug_fen[key])
    for key, t in _last_year_by_month(scope, periods).items():
        out[key].last_year = t
    for src in sources(scope):
        readmitted = (src.qs.filter(INPATIENT & Q(_readmitted())).annotate(_sign=src.row_sign, **_month_of(src.date_field))
                      .values("_y", "_m").annotate(n=Sum("_sign")))
        for row in readmitted:
            out[(row["_y"], row["_m"])].readmitted += src.sign * (row["n"] or 0)
    referrals = (Referral.objects.filter(from_facility=facility, approved_on__range=(start, end),
                                         cancelled_at__isnull=True).order_by()
                 .annotate(**_month_of("approved_on")).values("_y", "_m").annotate(n=Count("id")))
    for row in referrals:
        out[(row["_y"], row["_m"])].referrals = row["n"]
    for name in ("hits", "complaints"):
        counts = _counts_by_month(name, facility.code, periods)
        for key, x in out.items():
            setattr(x, name, counts.get(key, 0) if counts is not None else None)
    return out


def _last_year_by_month(scope: Scope, periods: list[tuple[int, int]]) -> dict[tuple[int, int], Totals]:
    """Each month's net inpatient totals of the same days a year before (Scope.previous_year of the month: a
    29 February the month's year lacks is left out), keyed by the month they compare with."""
    before = [Scope(*month_range(y, m)).previous_year() for y, m in periods]
    gaps = [d.start - dt.timedelta(days=1) for prev, d in zip(before, before[1:], strict=False)
            if d.start - prev.end > dt.timedelta(days=1)]  # only ever a 29 February after a 28th
    rows = (fact_rows(scope.previous_year()).filter(episode_kind=EpisodeKind.INPATIENT).exclude(day__in=gaps)
            .annotate(**_month_of("day")).values("_y", "_m").annotate(**fact_aggregates()))
    return {(row["_y"] + 1, row["_m"]): fact_totals(row) for row in rows}

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

from nrcms.claims.models import Episode, EpisodeKind, EpisodeStatus, Referral
from nrcms.core.money import round_amount
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.policy.parameters import DEFAULT_DRUG_SHARE, DEFAULT_OUT_OF_POLICY_SHARE, SupervisionThresholds

from .facility_shares import drug_cost_by_facility
from .ratios import average, percent
from .scope import Scope, month_range
from .sources import INPATIENT, Totals, net_by, sources

KEY = "episode__facility__code"
READMISSION_DAYS = 30
DESK_ONLY = Q(episode__manual_claim__isnull=True)  # true for desk settlement rows, false for manual claims


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    threshold: str = ""  # the SupervisionThresholds field that bounds it, "" for none


MEASURES = (
    Measure("drug_share", "药占比", "%", "drug_share"),
    Measure("out_of_policy_share", "政策范围外费用占比", "%", "out_of_policy_share"),
    Measure("cost_per_admission", "次均住院费用", "元"),
    Measure("cost_growth", "次均住院费用同比增长", "%", "cost_growth"),
    Measure("average_stay", "平均住院日", "天"),
    Measure("readmission_rate", "30天内再住院率", "%"),
    Measure("referral_out_rate", "转出率", "%"),
    Measure("hits_per_100", "每百人次审核疑点", "个"),
    Measure("complaints", "投诉", "件"),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
THRESHOLD_MEASURES = tuple(m for m in MEASURES if m.threshold)

# Pluggable counts by facility code for a date range: the supervision app (audit hits) and a complaints app
# register theirs at start-up; None means “no such app”, shown as “—”.
CountSource = Callable[[dt.date, dt.date], dict[str, int]]
_COUNT_SOURCES: dict[str, CountSource] = {}


def register_count_source(name: str, source: CountSource | None) -> None:
    """name: "hits" (审核疑点) or "complaints" (投诉). Call from an AppConfig.ready(); None unregisters."""
    if name not in ("hits", "complaints"):
        raise ValueError(f"unknown count source {name!r}")
    if source is None:
        _COUNT_SOURCES.pop(name, None)
    else:
        _COUNT_SOURCES[name] = source


def _counts(name: str, start: dt.date, end: dt.date) -> dict[str, int] | None:
    source = _COUNT_SOURCES.get(name)
    return None if source is None else source(start, end)


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
    cards = []
    for code in codes:
        f = facilities.get(code)
        if f is None:
            continue
        t, ip = everything[code], inpatient.get(code, Totals())
        desk = desk_inpatient.get(code, Totals())
        drug = drugs.get(code)
        cost = average(ip.total_cost, ip.count)
        before = last_year.get(code, Totals())
        cost_before = average(before.total_cost, before.count)
        n_stays, n_days = stays.get(code, (0, 0))
        values = {
            "drug_share": percent(drug, desk.total_cost) if drug is not None else None,
            "out_of_policy_share": percent(ip.total_cost - ip.eligible_cost, ip.total_cost),
            "cost_per_admission": cost,
            "cost_growth": percent(cost - cost_before, cost_before) if cost is not None and cost_before else None,
            "average_stay": average(n_days, n_stays),
            "readmission_rate": percent(readmitted.get(code, Totals()).count, ip.count),
            "referral_out_rate": percent(referrals.get(code, 0), ip.count),
            "hits_per_100": percent(hits.get(code, 0), t.count) if hits is not None else None,
            "complaints": complaints.get(code, 0) if complaints is not None else None,
        }
        cards.append(Card(code=code, name=f.name, level=f.level, level_label=f.get_level_display(),
                          settlements=t.count, admissions=ip.count, total_cost=t.total_cost, values=values,
                          thresholds=level_thresholds(thresholds, f.level)))
    return cards


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
    """The facility's last `months` months up to (year, month), oldest first: (“2026-03”, card or None)."""
    out = []
    for back in range(months - 1, -1, -1):
        y, m = divmod(year * 12 + (month - 1) - back, 12)
        cards = scorecards(y, m + 1, facility_code=code)
        out.append((f"{y}-{m + 1:02d}", cards[0] if cards else None))
    return out

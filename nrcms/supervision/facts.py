"""From the database to the engine's plain facts, set-based: a handful of queries for one episode at the desk
or for a whole month of settlements in the batch — never one query per settlement."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Subquery

from nrcms.claims.models import ChargeLine, Episode, EpisodeKind, EpisodeStatus, Settlement
from nrcms.registry.models import Enrollment, EnrollmentStatus, Person, PersonStatus

from .engine import EpisodeFact, LineFact, PersonFact, cost_per_day, median

# How far around an episode the person's other episodes are read: the widest rule looks 15 days back;
# a long stay can overlap from further away, so a generous window.
WINDOW = dt.timedelta(days=120)
EPISODE_FIELDS = ("id", "kind", "facility_id", "facility__level", "admission_date", "discharge_date",
                  "diagnosis_code", "serial", "person_id")
LINE_FIELDS = ("episode_id", "line_no", "catalogue_code", "item_name", "charged_on", "quantity", "amount")


def _episode_fact(row: tuple, settled: dict, lines: dict | None = None) -> EpisodeFact:
    pk, kind, facility_id, level, admission, discharge, diagnosis, serial, _person = row
    number, total = settled.get(pk, ("", None))
    episode_lines = tuple(lines.get(pk, ())) if lines is not None else ()
    if total is None:
        total = sum((ln.amount for ln in episode_lines), Decimal("0"))
    return EpisodeFact(id=pk, kind=kind, facility_id=facility_id, facility_level=level, admission=admission,
                       discharge=discharge, diagnosis=diagnosis, total_cost=total, serial=serial,
                       settlement_number=number, lines=episode_lines)


def lines_of(episode_ids) -> dict[int, list[LineFact]]:
    out: dict[int, list[LineFact]] = defaultdict(list)
    rows = (ChargeLine.objects.filter(episode_id__in=episode_ids).order_by("episode_id", "line_no")
            .values_list(*LINE_FIELDS))
    for episode_id, line_no, code, name, day, qty, amount in rows.iterator(chunk_size=5000):
        out[episode_id].append(LineFact(line_no=line_no, code=code, name=name, charged_on=day, quantity=qty,
                                        amount=amount))
    return out


def persons_of(person_ids) -> dict[int, PersonFact]:
    years: dict[int, set[int]] = defaultdict(set)
    for person_id, year in (Enrollment.objects.filter(person_id__in=person_ids, status=EnrollmentStatus.ENROLLED)
                            .order_by().values_list("person_id", "scheme_year")):
        years[person_id].add(year)
    out = {}
    for pk, sex, birth, status, status_date in (Person.objects.filter(pk__in=person_ids).order_by()
                                                .values_list("id", "sex", "birth_date", "status", "status_date")):
        death = status_date if status == PersonStatus.DECEASED else None
        out[pk] = PersonFact(id=pk, sex=sex, birth_date=birth, death_date=death,
                             enrolled_years=frozenset(years.get(pk, ())))
    return out


def settled_of(episode_filter: Q) -> dict[int, tuple[str, Decimal]]:
    """episode id → (active settlement number, total cost)."""
    rows = (Settlement.objects.filter(episode_filter, kind="settlement", status="active").order_by()
            .values_list("episode_id", "number", "total_cost"))
    return {episode_id: (number, total) for episode_id, number, total in rows}


def others_of(person_ids, start: dt.date, end: dt.date) -> dict[int, list[EpisodeFact]]:
    """The persons' episodes admitted in [start − window, end + window], cancelled ones left out."""
    qs = (Episode.objects.filter(person_id__in=person_ids, admission_date__gte=start - WINDOW,
                                 admission_date__lte=end + WINDOW)
          .exclude(status=EpisodeStatus.CANCELLED).order_by())
    rows = list(qs.values_list(*EPISODE_FIELDS))
    settled = settled_of(Q(episode__in=Subquery(qs.values("id"))))
    out: dict[int, list[EpisodeFact]] = defaultdict(list)
    for row in rows:
        out[row[-1]].append(_episode_fact(row, settled))
    return out


def norms_for(month_end: dt.date, months_back: int, min_cases: int) -> dict[tuple[int, str], Decimal]:
    """Each facility's median cost per day by diagnosis group, over the inpatient settlements discharged in the
    `months_back` months before `month_end`, where a group has at least `min_cases` of them."""
    start = month_end - dt.timedelta(days=31 * months_back)
    rows = (Settlement.objects.filter(kind="settlement", status="active", episode__kind=EpisodeKind.INPATIENT,
                                      episode__discharge_date__gte=start, episode__discharge_date__lt=month_end)
            .order_by().values_list("episode__facility_id", "episode__diagnosis_code", "episode__admission_date",
                                    "episode__discharge_date", "total_cost"))
    groups: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    for facility_id, diagnosis, admission, discharge, total in rows.iterator(chunk_size=5000):
        group = (diagnosis or "")[:3].upper()
        if group:
            fact = EpisodeFact(id=0, kind=EpisodeKind.INPATIENT, facility_id=facility_id, facility_level="",
                               admission=admission, discharge=discharge, total_cost=total)
            groups[(facility_id, group)].append(cost_per_day(fact))
    return {key: median(values) for key, values in groups.items() if len(values) >= min_cases}


def episode_facts(episode: Episode) -> tuple[EpisodeFact, PersonFact, tuple[EpisodeFact, ...]]:
    """One episode at the desk, its current lines, the person and the person's other episodes: four queries."""
    lines = lines_of([episode.pk])
    row = (episode.pk, episode.kind, episode.facility_id, episode.facility.level, episode.admission_date,
           episode.discharge_date, episode.diagnosis_code, episode.serial, episode.person_id)
    fact = _episode_fact(row, {}, lines)
    person = persons_of([episode.person_id])[episode.person_id]
    end = episode.discharge_date or episode.admission_date
    others = tuple(o for o in others_of([episode.person_id], episode.admission_date, end).get(episode.person_id, ())
                   if o.id != episode.pk)
    return fact, person, others

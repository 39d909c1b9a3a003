"""Enrolled persons per scheme year and region (EnrolledCount): the kept summary the statistics read — the county's
enrolled persons, by township and by village (stats/indicators.py, stats/ledgers.py, stats/dashboard.py) — instead
of counting a year's ~400,000 enrollment rows joined to their households.

The region is the household's region (a village or a villagers' group; readers cut its code to the village or the
township). Only enrolled rows count; a cancelled row counts nowhere.

Every writer of enrollment rows adjusts it in the same transaction, by the exact number of rows it changed:
household_enroll (new rows and cancelled rows enrolled again, in the household enrolling them),
enrollment_cancel, and the roster import's bulk insert (roster_write._enroll), which the demo build and the demo
loader go through too. Nothing else changes an enrollment's status or household, and a household's region never
changes (a person moving keeps the year's enrollment with the household that enrolled it).

The increments are one INSERT … ON CONFLICT DO UPDATE SET persons = persons + excluded.persons per row (SQLite and
PostgreSQL), so parallel enrollments add up and never overwrite each other; keys are written in sorted order, so
two transactions take their row locks in the same order (as funding/summary.py).

rebuild() recomputes it from the enrollments (`nrcms stats rebuild-summaries`), differences() compares the two
(`--check`, `nrcms registry check`)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Count

from nrcms.core.tables import lock_for_rebuild

from .models import EnrolledCount, Enrollment, EnrollmentStatus, Household, Region

Key = tuple[int, int]  # scheme year, region id (the household's)
BATCH = 300  # rows per INSERT (3 parameters each: under SQLite's oldest limit of 999)
CHUNK = 2000  # household ids per lookup


def adjust(deltas: dict[Key, int]) -> None:
    """Add {(scheme_year, region_id): persons} (negative: take away) to the summary, in the caller's transaction."""
    keys = sorted(k for k, n in deltas.items() if n)
    if not keys:
        return
    qn = connection.ops.quote_name
    table = qn(EnrolledCount._meta.db_table)
    persons = qn("persons")
    with connection.cursor() as cur:
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            params: list[int] = []
            for year, region_id in batch:
                params += [year, region_id, deltas[(year, region_id)]]
            cur.execute(f"INSERT INTO {table} ({qn('scheme_year')}, {qn('region_id')}, {persons}) "
                        f"VALUES {', '.join(['(%s, %s, %s)'] * len(batch))} "
                        f"ON CONFLICT ({qn('scheme_year')}, {qn('region_id')}) "
                        f"DO UPDATE SET {persons} = {table}.{persons} + excluded.{persons}", params)


def adjust_households(scheme_year: int, persons_by_household: dict[int, int], sign: int = 1) -> None:
    """adjust() for persons counted per household id: the households' regions are looked up here."""
    ids = sorted(h for h, n in persons_by_household.items() if n)
    deltas: dict[Key, int] = {}
    for start in range(0, len(ids), CHUNK):
        for pk, region_id in Household.objects.filter(pk__in=ids[start:start + CHUNK]).values_list("pk", "region_id"):
            key = (scheme_year, region_id)
            deltas[key] = deltas.get(key, 0) + sign * persons_by_household[pk]
    adjust(deltas)


def raw(year: int | None = None) -> dict[Key, int]:
    """The summary as the enrollments give it (of one year, or all)."""
    qs = Enrollment.objects.filter(status=EnrollmentStatus.ENROLLED)
    if year is not None:
        qs = qs.filter(scheme_year=year)
    rows = (qs.order_by().values("scheme_year", "household__region_id").annotate(n=Count("pk"))
            .values_list("scheme_year", "household__region_id", "n"))
    return {(y, r): n for y, r, n in rows}


def stored(year: int | None = None) -> dict[Key, int]:
    qs = EnrolledCount.objects.exclude(persons=0)
    if year is not None:
        qs = qs.filter(scheme_year=year)
    return {(y, r): n for y, r, n in qs.values_list("scheme_year", "region_id", "persons")}


def differences(year: int | None = None, limit: int = 5) -> tuple[int, list[str]]:
    """(how many (year, region) rows differ from the enrollments, a few of them described in Chinese)."""
    counted, kept = raw(year), stored(year)
    keys = sorted(k for k in set(counted) | set(kept) if counted.get(k, 0) != kept.get(k, 0))
    names = dict(Region.objects.filter(pk__in=[k[1] for k in keys[:limit]]).values_list("pk", "code"))
    return len(keys), [f"{y} 年度 区划 {names.get(r, r)}：汇总 {kept.get((y, r), 0)} 人，参合记录 "
                       f"{counted.get((y, r), 0)} 人" for y, r in keys[:limit]]


def rebuild(year: int | None = None, progress: Callable[[str, int], None] | None = None, actor=None) -> int:
    """Recompute the summary (of one year, or all) from the enrollments, year by year (progress(year, rows) after
    each), and audit it (how many rows differed before, how many were written). PostgreSQL: the table is locked
    first, so an enrollment running meanwhile waits and adds its persons to the rebuilt rows after. Returns the
    number of rows written. actor None: the command line."""
    from nrcms.accounts.audit import audit_record

    written = 0
    with transaction.atomic():
        lock_for_rebuild(EnrolledCount)
        differed, _ = differences(year, limit=0)
        old = EnrolledCount.objects.all() if year is None else EnrolledCount.objects.filter(scheme_year=year)
        old.delete()
        for y in [year] if year is not None else years():
            rows = raw(y)
            EnrolledCount.objects.bulk_create([EnrolledCount(scheme_year=k[0], region_id=k[1], persons=n)
                                               for k, n in sorted(rows.items())], batch_size=2000)
            written += len(rows)
            if progress is not None:
                progress(str(y), len(rows))
        audit_record(actor=actor, action="enrolled_counts.rebuild", object_type="registry.enrolledcount",
                     object_repr="按区划参合人数汇总" + (f"（{year} 年度）" if year is not None else ""),
                     after={"differences": differed, "rows": written})
    return written


def years() -> list[int]:
    """The scheme years with any enrollment (the rebuild's progress bar counts them)."""
    return sorted(Enrollment.objects.order_by().values_list("scheme_year", flat=True).distinct())


# --- reading ---------------------------------------------------------------------------------------


def county(year: int, region_prefix: str = "") -> int:
    """Persons enrolled for the year in households of the regions whose code starts with region_prefix (all:
    ""), from the summary (a region prefix joins the small region table)."""
    from django.db.models import Sum

    qs = EnrolledCount.objects.filter(scheme_year=year)
    if region_prefix:
        qs = qs.filter(region__code__startswith=region_prefix)
    return int(qs.aggregate(n=Sum("persons"))["n"] or 0)


def by_region(year: int, region_prefix: str = "") -> dict[str, int]:
    """Persons enrolled for the year per household region code (a village's or a villagers' group's: cut it to
    12 digits for the village, 9 for the township), from the summary; regions with none left out."""
    qs = EnrolledCount.objects.filter(scheme_year=year).exclude(persons=0)
    if region_prefix:
        qs = qs.filter(region__code__startswith=region_prefix)
    return dict(qs.values_list("region__code", "persons"))

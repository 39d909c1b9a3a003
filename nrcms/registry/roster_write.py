"""Writing a checked roster: valid households a batch of whole households at a time, one transaction per batch,
so a household is written whole or not at all. Households already registered identically are "unchanged" and
only get the year's enrollment if they lack it, so running the same file twice (or again after a crash) writes
nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.selectors import jurisdiction_of

from . import enrolled_counts
from .models import (
    Enrollment,
    EnrollmentExemption,
    EnrollmentStatus,
    EventKind,
    Household,
    ImportJob,
    Person,
    PersonEvent,
    PersonStatus,
    Region,
    RegionLevel,
)
from .names import name_initials
from .people import household_numbers
from .roster_sql import bulk_insert, db_stamp, insert_with_ids, is_postgres, select_in, table_name
from .roster_template import COLUMNS
from .roster_validate import check_against_database, check_rows

BATCH_HOUSEHOLDS = 2000
ANALYZE_AFTER = 20_000  # persons written by one import


@dataclass
class ImportResult:
    rows_total: int = 0
    households_created: int = 0
    persons_created: int = 0
    households_unchanged: int = 0
    persons_enrolled: int = 0
    rows_error: int = 0
    errors: list[dict] = field(default_factory=list)  # {row, household_key, name, id_number, message, ...}


# --- writing ---------------------------------------------------------------------------------------
#
# Rows are shaped with polars, a batch of households at a time. PostgreSQL gets them by COPY (polars writes the
# CSV text in Rust) with primary keys drawn beforehand from the table's sequence, so nothing is read back;
# SQLite gets executemany and reads the new keys back by their unique numbers. Per-row Python work is none.

HOUSEHOLD_COLUMNS = {"number": "number", "region": "region_id", "address": "address", "phone": "phone",
                     "is_active": "is_active", "created_at": "created_at"}
PERSON_COLUMNS = {"id_number": "id_number", "name": "name", "name_initials": "initials", "sex": "sex",
                  "birth_date": "birth_date", "household": "household_id", "relation": "relation_code",
                  "phone": "phone", "status": "status"}


def _write_new(batch: pl.DataFrame, scheme_year: int | None, today: dt.date) -> tuple[int, int, int]:
    """batch: whole households, sorted by household_key then row. Returns (households, persons, enrolled)."""
    now = pl.lit(db_stamp(timezone.now()))
    households = (
        batch.group_by("household_key", maintain_order=True)
        .agg(region_id=pl.col("region_id").first(), village=pl.col("region_code").first().str.slice(0, 12),
             address=pl.col("address").filter(pl.col("address") != "").first(),
             phone=pl.col("phone").filter(pl.col("relation_code") == "head").first())
        .with_columns(pl.col("address").fill_null(""), k=pl.int_range(pl.len()).over("village"))
        .sort("village", "k")  # numbers are taken village by village, in a fixed order (no lock-order deadlock)
    )
    counts = households.group_by("village").len().sort("village").rows()
    numbers = [n for village, count in counts for n in household_numbers(village, count)]
    households = households.with_columns(number=pl.Series(numbers, dtype=pl.String), is_active=pl.lit(True),
                                         created_at=now)
    households = insert_with_ids(Household, households, HOUSEHOLD_COLUMNS, "household_id")
    people = (
        batch.join(households.select("household_key", "household_id"), on="household_key")
        .sort("household_id", "row")
        .with_columns(pl.col("birth_date").dt.strftime("%Y-%m-%d"), status=pl.lit(PersonStatus.ACTIVE.value))
    )
    people = insert_with_ids(Person, people, PERSON_COLUMNS, "person_id")
    bulk_insert(PersonEvent, ["person", "kind", "date", "to_household", "note", "recorded_at"], people.select(
        "person_id", kind=pl.lit(EventKind.REGISTER.value), date=pl.lit(today.isoformat()), to=pl.col("household_id"),
        note=pl.lit("花名册导入"), recorded_at=now))
    enrolled = _enroll(people, scheme_year, fresh=True) if scheme_year is not None else 0
    return households.height, people.height, enrolled


def _enroll(rows: pl.DataFrame, scheme_year: int, fresh: bool = False) -> int:
    """rows: person_id, household_id, reason_code, exemption_note. Persons already enrolled or exempted for the
    year are skipped (none are, for people created a moment ago: fresh=True skips the lookup)."""
    if not fresh and rows.height:
        ids = rows["person_id"].to_list()
        done = {r[0] for model in (Enrollment, EnrollmentExemption) for r in select_in(
            f"SELECT person_id FROM {table_name(model)} WHERE scheme_year = %s AND {{in}}", "person_id", ids,
            [scheme_year])}
        rows = rows.filter(~pl.col("person_id").is_in(list(done)))
    now = pl.lit(db_stamp(timezone.now()))
    year = pl.lit(scheme_year)
    enrolled = rows.filter(pl.col("reason_code") == "")
    bulk_insert(Enrollment, ["person", "household", "scheme_year", "status", "enrolled_at"], enrolled.select(
        "person_id", "household_id", year=year, status=pl.lit(EnrollmentStatus.ENROLLED.value), at=now))
    bulk_insert(EnrollmentExemption, ["person", "household", "scheme_year", "reason", "note"], rows.filter(
        pl.col("reason_code") != "").select("person_id", "household_id", year=year, reason="reason_code",
                                            note="exemption_note"))
    # the kept enrolled persons per region, in the batch's transaction (one lookup of the households' regions)
    enrolled_counts.adjust_households(scheme_year, dict(enrolled.group_by("household_id").len().rows()))
    return enrolled.height


def _analyze() -> None:
    """Fresh statistics after a large import, so later lookups and foreign-key checks plan on real sizes."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(table_name(m) for m in (Household, Person, PersonEvent, Enrollment,
                                                                       EnrollmentExemption)))


def import_frame(frame: pl.DataFrame, *, actor: User, township: Region, scheme_year: int | None,
                 job: ImportJob | None = None, progress: Callable[[int], None] | None = None,
                 today: dt.date | None = None) -> ImportResult:
    today = today or timezone.localdate()
    regions = dict(Region.objects.filter(code__startswith=township.prefix,
                                         level__in=[RegionLevel.VILLAGE, RegionLevel.GROUP])
                   .values_list("code", "pk"))
    visible = jurisdiction_of(actor).region_prefix
    visible = "-" if visible is None else visible  # no region, nothing visible ("-" starts no region code)
    frame = check_against_database(check_rows(frame, regions=regions, today=today, scheme_year=scheme_year),
                                   visible_prefix=visible)
    result = ImportResult(rows_total=frame.height)
    errors = frame.filter(pl.col("outcome") == "error")
    result.rows_error = errors.height
    result.errors = errors.sort("row").select(["row", *[c.key for c in COLUMNS], "error"]).to_dicts()
    unchanged = frame.filter(pl.col("outcome") == "unchanged")
    result.households_unchanged = unchanged["household_key"].n_unique()
    fresh = (frame.filter(pl.col("outcome") == "new")
             .select("row", *[c.key for c in COLUMNS], "region_id", "sex", "birth_date", "relation_code",
                     "reason_code")
             .sort("household_key", "row"))
    del frame
    names = fresh["name"].unique().to_list()
    fresh = fresh.with_columns(initials=pl.col("name").replace_strict({n: name_initials(n) for n in names},
                                                                       return_dtype=pl.String),
                               nth=(pl.col("household_key") != pl.col("household_key").shift()).fill_null(True)
                               .cum_sum() - 1)
    done = errors.height
    if progress:
        progress(done)
    if scheme_year is not None and unchanged.height:
        with transaction.atomic():
            rows = unchanged.select(person_id="e_person", household_id="e_household", reason_code="reason_code",
                                    exemption_note="exemption_note")
            enrolled = _enroll(rows, scheme_year)
            result.persons_enrolled += enrolled
            _count_on_job(job, persons_enrolled=enrolled)
    done += unchanged.height
    if progress:
        progress(done)
    # batches of BATCH_HOUSEHOLDS whole households: row offsets where a new batch starts
    starts = fresh.with_row_index("i").filter(pl.col("nth") % BATCH_HOUSEHOLDS == 0)
    starts = starts.filter(pl.col("nth").is_first_distinct())["i"].to_list()
    for start, end in pairwise([*starts, fresh.height]):
        done += _write_batch(fresh.slice(start, end - start), actor=actor, township=township,
                             scheme_year=scheme_year, job=job, today=today, result=result)
        if progress:
            progress(done)
    if result.persons_created >= ANALYZE_AFTER:
        _analyze()
    return result


def _write_batch(batch: pl.DataFrame, *, actor, township, scheme_year, job, today, result) -> int:
    """One transaction per batch of whole households; if the database refuses it (someone registered one of
    these people a moment ago), split the batch in two and try each half, down to the single household, so
    only the conflicting households are reported and the rest are written."""
    try:
        with transaction.atomic():
            households, persons, enrolled = _write_new(batch, scheme_year, today)
            audit_record(actor=actor, action="roster.import_batch", object_type="registry.importjob",
                         object_id=str(job.pk) if job else "", object_repr=job.file_name if job else "花名册导入",
                         region_code=township.code, after={"households": households, "persons": persons,
                                                           "enrolled": enrolled, "scheme_year": scheme_year})
            _count_on_job(job, households_created=households, persons_created=persons, persons_enrolled=enrolled)
        result.households_created += households
        result.persons_created += persons
        result.persons_enrolled += enrolled
    except IntegrityError:
        first, last = batch["nth"][0], batch["nth"][-1]
        if first == last:
            for r in batch.select("row", *[c.key for c in COLUMNS]).to_dicts():
                result.errors.append({**r, "error": "写入时与其他操作冲突（该户人员刚被登记），整户未导入，请重新导入"})
            result.rows_error += batch.height
            return batch.height
        middle = (first + last + 1) // 2
        for half in (batch.filter(pl.col("nth") < middle), batch.filter(pl.col("nth") >= middle)):
            _write_batch(half, actor=actor, township=township, scheme_year=scheme_year, job=job, today=today,
                         result=result)
    return batch.height



def _count_on_job(job: ImportJob | None, **written: int) -> None:
    """Add what a batch wrote to the job's counters in the batch's own transaction, so the counters stay true
    when the import is killed half-way and resumed later (the resumed run finds those households unchanged)."""
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(),
                                                   **{k: F(k) + v for k, v in written.items()})

"""Importing a township's roster. Every row is checked in bulk first (polars expressions, a handful of set-based
queries), then valid households are written a batch of whole households at a time, one transaction per batch,
so a household is written whole or not at all (COPY on PostgreSQL, executemany on SQLite). Re-importing the same
file finds every household "unchanged" and writes nothing. Rows that fail come back as a Chinese error report
(.xlsx), one sentence per row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import polars as pl
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks import task

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.core.export import xlsx_bytes
from nrcms.core.idnumber import division_known

from .enrollment import check_scheme_year
from .models import (
    Enrollment,
    EnrollmentExemption,
    EnrollmentStatus,
    EventKind,
    Household,
    ImportJob,
    ImportStatus,
    Person,
    PersonEvent,
    PersonStatus,
    Region,
    RegionLevel,
)
from .names import name_initials
from .people import PHONE_RE, household_numbers
from .roster_template import COLUMNS, REASON_WORDS, RELATION_WORDS, read_roster

BATCH_HOUSEHOLDS = 2000
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
LOOKUP_CHUNK = 50_000
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


# --- row checks (vectorised) -----------------------------------------------------------------------

def _msg(cond: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    return pl.when(cond).then(pl.lit(text) if isinstance(text, str) else text)


def _join_errors(exprs: list[pl.Expr]) -> pl.Expr:
    return pl.concat_list(exprs).list.drop_nulls().list.join("；")


def check_rows(frame: pl.DataFrame, *, regions: dict[str, int], today: dt.date, scheme_year: int | None
               ) -> pl.DataFrame:
    """Add parsed columns (id_number, birth_date, sex, relation_code, reason_code, region_id) and `error`."""
    idn = pl.col("id_number").str.to_uppercase().str.replace_all(r"\s", "")
    frame = frame.with_columns(id_number=idn)
    digits_ok = pl.col("id_number").str.contains(r"^\d{17}[\dX]$")
    total = pl.sum_horizontal([pl.col("id_number").str.slice(i, 1).cast(pl.Int64, strict=False) * w
                               for i, w in enumerate(ID_WEIGHTS)])
    check = ((12 - total % 11) % 11).cast(pl.String).replace("10", "X")
    divisions = {code: division_known(code) for code in frame["id_number"].str.slice(0, 6).unique().to_list()
                 if code.isdigit() and len(code) == 6}
    frame = frame.with_columns(
        expected_check=pl.when(digits_ok).then(check),
        birth_date=pl.when(digits_ok).then(pl.col("id_number").str.slice(6, 8)
                                              .str.strptime(pl.Date, "%Y%m%d", strict=False)),
        sex=pl.when(digits_ok).then(pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1)
                                    .then(pl.lit("M")).otherwise(pl.lit("F"))),
        relation_code=pl.col("relation").replace_strict(RELATION_WORDS, default=None),
        reason_code=pl.when(pl.col("exemption_reason") == "").then(pl.lit(""))
        .otherwise(pl.col("exemption_reason").replace_strict(REASON_WORDS, default=None)),
        region_id=pl.col("region_code").replace_strict(regions, default=None, return_dtype=pl.Int64),
        division_ok=pl.col("id_number").str.slice(0, 6).replace_strict(divisions, default=False,
                                                                       return_dtype=pl.Boolean),
    )
    id_shown = pl.format("身份证号“{}”", pl.col("id_number"))
    id_error = (
        pl.when(pl.col("id_number") == "").then(pl.lit("身份证号不能为空"))
        .when(pl.col("id_number").str.len_chars() != 18)
        .then(pl.format("{}应为 18 位，实为 {} 位", id_shown, pl.col("id_number").str.len_chars()))
        .when(~digits_ok).then(pl.format("{}前 17 位应为数字，末位为数字或 X", id_shown))
        .when(pl.col("id_number").str.slice(17, 1) != pl.col("expected_check"))
        .then(pl.format("{}校验位错误（末位应为 {}），请核对是否录错", id_shown, pl.col("expected_check")))
        .when(pl.col("birth_date").is_null())
        .then(pl.format("{}中的出生日期 {} 不存在", id_shown, pl.col("id_number").str.slice(6, 8)))
        .when(pl.col("birth_date") > today).then(pl.format("{}中的出生日期晚于今天", id_shown))
        .when(~pl.col("division_ok"))
        .then(pl.format("{}前 6 位 {} 不是有效的行政区划代码", id_shown, pl.col("id_number").str.slice(0, 6)))
    )
    frame = frame.with_columns(id_error=id_error)
    n_in_file = pl.len().over("id_number")
    heads = (pl.col("relation_code") == "head").sum().over("household_key")
    errors = [
        _msg(pl.col("household_key") == "", "户号不能为空"),
        _msg(pl.col("name") == "", "姓名不能为空"),
        _msg(pl.col("name").str.len_chars() > 40, "姓名超过 40 个字"),
        pl.col("id_error"),
        _msg((pl.col("id_error").is_null()) & (n_in_file > 1),
             pl.format("身份证号在本文件中出现了 {} 次，同一人只能登记一次", n_in_file)),
        _msg(pl.col("region_code") == "", "村民小组代码不能为空"),
        _msg((pl.col("region_code") != "") & pl.col("region_id").is_null(),
             pl.format("村民小组代码“{}”不是本乡镇的村或村民小组", pl.col("region_code"))),
        _msg(pl.col("region_code").n_unique().over("household_key") > 1, "同一户号的成员填写了不同的村民小组代码"),
        _msg(pl.col("relation_code").is_null(),
             pl.format("与户主关系“{}”无法识别（应为户主、配偶、子女等）", pl.col("relation"))),
        _msg((pl.col("relation_code") == "head") & (heads > 1), pl.format("户号 {} 有 {} 位户主，每户只能有一位",
                                                                         pl.col("household_key"), heads)),
        _msg((heads == 0) & (pl.col("household_key") != ""), pl.format("户号 {} 没有户主", pl.col("household_key"))),
        _msg((pl.col("phone") != "") & ~pl.col("phone").str.contains(PHONE_RE.pattern),
             pl.format("联系电话“{}”格式不正确", pl.col("phone"))),
        _msg(pl.col("reason_code").is_null(), pl.format("未参合原因“{}”无法识别", pl.col("exemption_reason"))),
        _msg((pl.col("reason_code") == "other") & (pl.col("exemption_note") == ""), "未参合原因为“其他”时须填写说明"),
    ]
    if scheme_year is not None:
        errors.append(_msg((pl.col("reason_code") == "").sum().over("household_key") == 0,
                           "以户为单位参合：该户所有成员都填写了未参合原因，至少一人参合"))
    return frame.with_columns(error=_join_errors(errors))


def check_against_database(frame: pl.DataFrame) -> pl.DataFrame:
    """Join what the database already holds for these ID numbers and mark each household new, unchanged or
    refused (someone already registered in another household, or a registered household that differs)."""
    ids = frame.filter(pl.col("id_error").is_null())["id_number"].unique().to_list()
    person, household, region = _table(Person), _table(Household), _table(Region)
    schema = {"id_number": pl.String, "e_person": pl.Int64, "e_household": pl.Int64, "e_number": pl.String,
              "e_region": pl.String, "e_name": pl.String, "e_relation": pl.String, "e_phone": pl.String,
              "e_status": pl.String}
    sql = (f"SELECT p.id_number, p.id, p.household_id, h.number, r.code, p.name, p.relation, p.phone, p.status "
           f"FROM {person} p JOIN {household} h ON h.id = p.household_id JOIN {region} r ON r.id = h.region_id "
           "WHERE {in}")
    # chunk by chunk into columns: a re-import finds every person, and 470,000 rows as tuples take ~300 MB
    existing = pl.concat([pl.DataFrame(_select(sql, "p.id_number", ids[start:start + LOOKUP_CHUNK]),
                                       schema=schema, orient="row")
                          for start in range(0, len(ids), LOOKUP_CHUNK)] or [pl.DataFrame(schema=schema)])
    frame = frame.join(existing, on="id_number", how="left", maintain_order="left")
    known_households = existing["e_household"].unique().to_list()
    member_counts = dict(_select(f"SELECT household_id, COUNT(*) FROM {person} WHERE status = %s AND {{in}} "
                                 "GROUP BY household_id", "household_id", known_households,
                                 [PersonStatus.ACTIVE.value]))
    key = "household_key"
    n_rows = pl.len().over(key)
    n_known = pl.col("e_household").is_not_null().sum().over(key)
    one_household = (pl.col("e_household").n_unique().over(key) == 1) & (n_known == n_rows)
    db_members = pl.col("e_household").replace_strict(member_counts, default=0, return_dtype=pl.Int64)
    differs = _join_errors([
        _msg(pl.col("e_name") != pl.col("name"), pl.format("姓名已登记为“{}”", pl.col("e_name"))),
        _msg(pl.col("e_relation") != pl.col("relation_code"), "与户主关系与已登记的不同"),
        _msg((pl.col("phone") != "") & (pl.col("e_phone") != pl.col("phone")), "联系电话与已登记的不同"),
        _msg(pl.col("e_region") != pl.col("region_code"), pl.format("该户已登记在区划 {}", pl.col("e_region"))),
    ])
    frame = frame.with_columns(differs=differs)
    db_error = (
        pl.when(pl.col("e_status").is_not_null() & (pl.col("e_status") != PersonStatus.ACTIVE))
        .then(pl.format("身份证号{}的人员已登记为{}，如需恢复请在户详情页办理迁入", pl.col("id_number"),
                        pl.col("e_status").replace_strict({"deceased": "死亡", "moved_out": "迁出本县"}, default="")))
        .when(pl.col("e_household").is_not_null() & ~one_household)
        .then(pl.format("身份证号{}已登记在户 {}（姓名：{}），不能在其他户重复登记；如需迁入请先办理户间迁移",
                        pl.col("id_number"), pl.col("e_number"), pl.col("e_name")))
        .when(pl.col("e_household").is_null() & (n_known > 0))
        .then(pl.lit("同户其他成员已在系统中登记：已登记户的新增成员请在户详情页办理增员"))
        .when(one_household & (pl.col("differs") != ""))
        .then(pl.format("与已登记信息不一致：{}", pl.col("differs")))
        .when(one_household & (db_members != n_rows))
        .then(pl.format("户 {} 已登记 {} 位在册成员，本文件只列了 {} 位：以户为单位，请列全或先办理减员",
                        pl.col("e_number"), db_members, n_rows))
    )
    frame = frame.with_columns(error=pl.when(pl.col("error") != "").then(pl.col("error")).otherwise(db_error))
    frame = frame.with_columns(error=pl.col("error").fill_null(""))
    bad_household = (pl.col("error") != "").any().over(key)
    return frame.with_columns(
        error=pl.when((pl.col("error") == "") & bad_household)
        .then(pl.lit("同户其他行有错误，整户未导入")).otherwise(pl.col("error")),
        outcome=pl.when(bad_household).then(pl.lit("error"))
        .when(n_known == n_rows).then(pl.lit("unchanged")).otherwise(pl.lit("new")),
    )


# --- writing ---------------------------------------------------------------------------------------
#
# Rows are shaped with polars, a batch of households at a time. PostgreSQL gets them by COPY (polars writes the
# CSV text in Rust) with primary keys drawn beforehand from the table's sequence, so nothing is read back;
# SQLite gets executemany and reads the new keys back by their unique numbers. Per-row Python work is none.

def _vendor_pg() -> bool:
    return connection.vendor == "postgresql"


def _in(column: str, values: list) -> tuple[str, list]:
    """`column IN values` with the whole list as one parameter: an array on PostgreSQL, a JSON list on SQLite
    (thousands of separate placeholders cost more to build and parse than the lookup itself)."""
    if _vendor_pg():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def _select(sql: str, column: str, values: list, extra: list | None = None) -> list[tuple]:
    """Run `sql` (with a `{in}` slot for `column IN values`) over values in chunks; all rows."""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), LOOKUP_CHUNK):
            clause, params = _in(column, values[start:start + LOOKUP_CHUNK])
            cursor.execute(sql.format(**{"in": clause}), [*(extra or []), *params])
            out.extend(cursor.fetchall())
    return out


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model, fields: list[str]) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)


def bulk_insert(model, fields: list[str], frame: pl.DataFrame) -> None:
    """INSERT a frame's rows (its columns in `fields` order) into a model's table: COPY on PostgreSQL,
    executemany elsewhere. Table and column names come from the model; dates must already be ISO strings."""
    if frame.height == 0:
        return
    if _vendor_pg():
        sql = f"COPY {_table(model)} ({_columns(model, fields)}) FROM STDIN (FORMAT csv)"
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(sql) as copy:
                for start in range(0, frame.height, 50_000):
                    copy.write(frame.slice(start, 50_000).write_csv(include_header=False))
        return
    sql = f"INSERT INTO {_table(model)} ({_columns(model, fields)}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, frame.height, 20_000):
            cursor.executemany(sql, frame.slice(start, 20_000).rows())


def _next_ids(model, count: int) -> pl.Series:
    """PostgreSQL: `count` primary keys taken from the table's own sequence (never reused, even on rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])
        return pl.Series([r[0] for r in cursor.fetchall()], dtype=pl.Int64)


def _ids_by(model, key: str, values: list[str]) -> dict[str, int]:
    """SQLite: key → primary key for rows just inserted."""
    qn = connection.ops.quote_name
    return dict(_select(f"SELECT {qn(key)}, {qn(model._meta.pk.column)} FROM {_table(model)} WHERE {{in}}",
                        qn(key), values))


def _with_ids(model, frame: pl.DataFrame, fields: dict[str, str], id_column: str) -> pl.DataFrame:
    """Insert frame's columns (fields: model field → column; the first is unique) and return frame with the new
    primary keys in `id_column`."""
    columns = list(fields.values())
    if _vendor_pg():
        frame = frame.with_columns(_next_ids(model, frame.height).alias(id_column))
        bulk_insert(model, ["id", *fields], frame.select(id_column, *columns))
        return frame
    bulk_insert(model, list(fields), frame.select(columns))
    key_field, key = next(iter(fields.items()))
    ids = _ids_by(model, model._meta.get_field(key_field).column, frame[key].to_list())
    return frame.with_columns(pl.col(key).replace_strict(ids, return_dtype=pl.Int64).alias(id_column))


def _stamp(now: dt.datetime) -> str:
    return now.isoformat() if _vendor_pg() else connection.ops.adapt_datetimefield_value(now)


HOUSEHOLD_COLUMNS = {"number": "number", "region": "region_id", "address": "address", "phone": "phone",
                     "is_active": "is_active", "created_at": "created_at"}
PERSON_COLUMNS = {"id_number": "id_number", "name": "name", "name_initials": "initials", "sex": "sex",
                  "birth_date": "birth_date", "household": "household_id", "relation": "relation_code",
                  "phone": "phone", "status": "status"}


def _write_new(batch: pl.DataFrame, scheme_year: int | None, today: dt.date) -> tuple[int, int, int]:
    """batch: whole households, sorted by household_key then row. Returns (households, persons, enrolled)."""
    now = pl.lit(_stamp(timezone.now()))
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
    households = _with_ids(Household, households, HOUSEHOLD_COLUMNS, "household_id")
    people = (
        batch.join(households.select("household_key", "household_id"), on="household_key")
        .sort("household_id", "row")
        .with_columns(pl.col("birth_date").dt.strftime("%Y-%m-%d"), status=pl.lit(PersonStatus.ACTIVE.value))
    )
    people = _with_ids(Person, people, PERSON_COLUMNS, "person_id")
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
        done = {r[0] for model in (Enrollment, EnrollmentExemption) for r in _select(
            f"SELECT person_id FROM {_table(model)} WHERE scheme_year = %s AND {{in}}", "person_id", ids,
            [scheme_year])}
        rows = rows.filter(~pl.col("person_id").is_in(list(done)))
    now = pl.lit(_stamp(timezone.now()))
    year = pl.lit(scheme_year)
    enrolled = rows.filter(pl.col("reason_code") == "")
    bulk_insert(Enrollment, ["person", "household", "scheme_year", "status", "enrolled_at"], enrolled.select(
        "person_id", "household_id", year=year, status=pl.lit(EnrollmentStatus.ENROLLED.value), at=now))
    bulk_insert(EnrollmentExemption, ["person", "household", "scheme_year", "reason", "note"], rows.filter(
        pl.col("reason_code") != "").select("person_id", "household_id", year=year, reason="reason_code",
                                            note="exemption_note"))
    return enrolled.height


def _analyze() -> None:
    """Fresh statistics after a large import, so later lookups and foreign-key checks plan on real sizes."""
    if _vendor_pg():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(_table(m) for m in (Household, Person, PersonEvent, Enrollment,
                                                                       EnrollmentExemption)))


def import_frame(frame: pl.DataFrame, *, actor: User, township: Region, scheme_year: int | None,
                 job: ImportJob | None = None, progress: Callable[[int], None] | None = None,
                 today: dt.date | None = None) -> ImportResult:
    today = today or timezone.localdate()
    regions = dict(Region.objects.filter(code__startswith=township.prefix,
                                         level__in=[RegionLevel.VILLAGE, RegionLevel.GROUP])
                   .values_list("code", "pk"))
    frame = check_against_database(check_rows(frame, regions=regions, today=today, scheme_year=scheme_year))
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
            result.persons_enrolled += _enroll(rows, scheme_year)
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


# --- jobs ------------------------------------------------------------------------------------------

# The table read when the upload was checked, reused when the job runs in the same process (immediate tasks,
# the CLI) so a 470,000-row workbook is parsed once. Keyed by content hash; holds one file at most.
_read_cache: dict[str, pl.DataFrame] = {}
ERROR_HEADERS = ["行号", *[c.header for c in COLUMNS], "错误说明"]


def error_report_xlsx(errors: list[dict]) -> bytes:
    rows = ([e["row"], *[e.get(c.key, "") for c in COLUMNS], e["error"]] for e in sorted(errors, key=lambda e: e["row"]))
    return xlsx_bytes("错误报告", ERROR_HEADERS, rows)


def _scoped_township(actor: User, township: Region) -> None:
    require(actor, Cap.REGISTRY_EDIT)
    if township.level != RegionLevel.TOWNSHIP:
        raise ValidationFailed("invalid", f"花名册按乡镇导入，“{township.name}”不是乡镇", field="township")
    if not Region.objects.filter(region_q(actor), pk=township.pk).exists():
        raise NotFound("乡镇", township.code)


@transaction.atomic
def roster_import_create(*, actor: User, township: Region, file_name: str, content: bytes,
                         scheme_year: int | None) -> ImportJob:
    """Record the upload. The file is read (and its columns checked) now, so a wrong file is refused at once."""
    _scoped_township(actor, township)
    if scheme_year is not None:
        check_scheme_year(scheme_year)
    frame = read_roster(content, file_name)
    _read_cache.clear()
    _read_cache[hashlib.sha256(content).hexdigest()] = frame
    if frame.height == 0:
        raise ValidationFailed("empty", "文件中没有数据行", field="file")
    job = ImportJob(township=township, scheme_year=scheme_year, file_name=file_name[:200], created_by=actor,
                    file_hash=hashlib.sha256(content).hexdigest(), rows_total=frame.height)
    job.upload.save(file_name, ContentFile(content), save=False)
    job.save()
    return job


def roster_import_run(job: ImportJob, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Carry out an import job (in the request, in a task worker or from the command line)."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)

    def report(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=min(done, job.rows_total))
        if progress:
            progress(done)

    try:
        frame = _read_cache.pop(job.file_hash, None)
        if frame is None:  # another process (a task worker) or a later run
            with job.upload.open("rb") as handle:
                frame = read_roster(handle.read(), job.file_name)
        result = import_frame(frame, actor=job.created_by, township=job.township, scheme_year=job.scheme_year,
                              job=job, progress=report)
    except ValidationFailed as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=exc.message[:500],
                                                   finished_at=timezone.now())
        job.refresh_from_db()
        return job
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now(),
                                                   message="导入时发生系统错误，已写入的批次保留，其余未导入；请联系系统管理员")
        raise
    job.refresh_from_db()
    if result.errors:
        job.error_report.save(f"错误报告-{job.pk}.xlsx", ContentFile(error_report_xlsx(result.errors)), save=False)
    job.status, job.finished_at, job.rows_done = ImportStatus.DONE, timezone.now(), job.rows_total
    job.households_created, job.persons_created = result.households_created, result.persons_created
    job.households_unchanged, job.persons_enrolled = result.households_unchanged, result.persons_enrolled
    job.rows_error = result.rows_error
    job.message = (f"新建 {result.households_created} 户 {result.persons_created} 人，未变化 {result.households_unchanged} 户，"
                   f"参合 {result.persons_enrolled} 人，错误 {result.rows_error} 行")
    job.save()
    audit_record(actor=job.created_by, action="roster.import", obj=job, region_code=job.township.code,
                 after={"file_hash": job.file_hash, "rows": job.rows_total, "households_created": job.households_created,
                        "persons_created": job.persons_created, "households_unchanged": job.households_unchanged,
                        "persons_enrolled": job.persons_enrolled, "rows_error": job.rows_error})
    return job


@task()
def roster_import_task(job_id: int) -> None:
    """Run by django-tasks: at once with the immediate backend, in a worker with the database backend."""
    roster_import_run(ImportJob.objects.select_related("township", "created_by").get(pk=job_id))

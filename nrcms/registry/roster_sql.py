"""The roster import's database plumbing: `IN` lists as one parameter, bulk INSERT (COPY on PostgreSQL,
executemany on SQLite) and new primary keys without reading rows back on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from django.db import connection

LOOKUP_CHUNK = 50_000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def in_values(column: str, values: list) -> tuple[str, list]:
    """`column IN values` with the whole list as one parameter: an array on PostgreSQL, a JSON list on SQLite
    (thousands of separate placeholders cost more to build and parse than the lookup itself)."""
    if is_postgres():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def select_in(sql: str, column: str, values: list, extra: list | None = None) -> list[tuple]:
    """Run `sql` (with a `{in}` slot for `column IN values`) over values in chunks; all rows."""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), LOOKUP_CHUNK):
            clause, params = in_values(column, values[start:start + LOOKUP_CHUNK])
            cursor.execute(sql.format(**{"in": clause}), [*(extra or []), *params])
            out.extend(cursor.fetchall())
    return out


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column_list(model, fields: list[str]) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)


def bulk_insert(model, fields: list[str], frame: pl.DataFrame) -> None:
    """INSERT a frame's rows (its columns in `fields` order) into a model's table: COPY on PostgreSQL,
    executemany elsewhere. Table and column names come from the model; dates must already be ISO strings."""
    if frame.height == 0:
        return
    if is_postgres():
        sql = f"COPY {table_name(model)} ({column_list(model, fields)}) FROM STDIN (FORMAT csv)"
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(sql) as copy:
                for start in range(0, frame.height, 50_000):
                    copy.write(frame.slice(start, 50_000).write_csv(include_header=False))
        return
    sql = f"INSERT INTO {table_name(model)} ({column_list(model, fields)}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, frame.height, 20_000):
            cursor.executemany(sql, frame.slice(start, 20_000).rows())


def next_ids(model, count: int) -> pl.Series:
    """PostgreSQL: `count` primary keys taken from the table's own sequence (never reused, even on rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, count])
        return pl.Series([r[0] for r in cursor.fetchall()], dtype=pl.Int64)


def ids_by(model, key: str, values: list[str]) -> dict[str, int]:
    """SQLite: key → primary key for rows just inserted."""
    qn = connection.ops.quote_name
    return dict(select_in(f"SELECT {qn(key)}, {qn(model._meta.pk.column)} FROM {table_name(model)} WHERE {{in}}",
                        qn(key), values))


def insert_with_ids(model, frame: pl.DataFrame, fields: dict[str, str], id_column: str) -> pl.DataFrame:
    """Insert frame's columns (fields: model field → column; the first is unique) and return frame with the new
    primary keys in `id_column`."""
    columns = list(fields.values())
    if is_postgres():
        frame = frame.with_columns(next_ids(model, frame.height).alias(id_column))
        bulk_insert(model, ["id", *fields], frame.select(id_column, *columns))
        return frame
    bulk_insert(model, list(fields), frame.select(columns))
    key_field, key = next(iter(fields.items()))
    ids = ids_by(model, model._meta.get_field(key_field).column, frame[key].to_list())
    return frame.with_columns(pl.col(key).replace_strict(ids, return_dtype=pl.Int64).alias(id_column))


def db_stamp(now: dt.datetime) -> str:
    return now.isoformat() if is_postgres() else connection.ops.adapt_datetimefield_value(now)


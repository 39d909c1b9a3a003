"""The demo county, loaded once per test database, kept as a copy of every table's rows, and put back after a
browser test's flush instead of loading the county again through the services (which costs seconds per test).

The copy is taken right after the session's `demo_load()`, so a restored database holds the very same rows, keys
included, as the one every other test starts from. PostgreSQL copies with COPY (text format, every type exact);
SQLite with SELECT and INSERT of the stored values as they are. The restore runs in one transaction with the audit
tables' DELETE guard lifted the way the flush lifts it (nrcms.accounts.audit_guard)."""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import connection, transaction

_snapshot: dict[str, object] | None = None


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def take() -> None:
    """Copy every table's rows (call once the demo county is loaded)."""
    global _snapshot
    copy: dict[str, object] = {}
    with connection.cursor() as cursor:
        for table in _tables():
            name = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {name} TO STDOUT") as out:
                    copy[table] = b"".join(bytes(block) for block in out)
            else:
                cursor.execute(f"SELECT * FROM {name}")
                columns = [c[0] for c in cursor.description]
                copy[table] = (columns, cursor.fetchall())
    _snapshot = copy


def available() -> bool:
    return _snapshot is not None


def restore() -> None:
    """Empty every table and put the copied rows back, in one transaction."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from nrcms.accounts import audit_guard

    assert _snapshot is not None, "没有演示数据快照：先调用 take()"
    vendor = connection.vendor
    tables = list(_snapshot)
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in audit_guard.lift_sql(vendor):
            cursor.execute(sql)
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=False):
            cursor.execute(sql)
        for table, rows in _snapshot.items():
            name = connection.ops.quote_name(table)
            if vendor == "postgresql":
                if rows:
                    with cursor.cursor.copy(f"COPY {name} FROM STDIN") as into:
                        into.write(rows)
            else:
                columns, values = rows
                if values:
                    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", values)
        for sql in audit_guard.restore_sql(vendor):
            cursor.execute(sql)
        if vendor == "postgresql":
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(sql)
    ContentType.objects.clear_cache()

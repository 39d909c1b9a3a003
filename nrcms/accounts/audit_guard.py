"""The database refuses to UPDATE or DELETE audit rows, whoever asks: a trigger on each audit table
(PostgreSQL: BEFORE UPDATE OR DELETE / BEFORE TRUNCATE raising an exception; SQLite: RAISE(ABORT)).

The one sanctioned removal path is `nrcms audit archive` (and the test suite's flush between browser tests):
inside its transaction it lifts the DELETE guard — on PostgreSQL by SET LOCAL nrcms.audit_archive = 'on',
a setting the trigger reads; on SQLite by dropping and re-creating the DELETE triggers in the same
transaction. UPDATE is never allowed. Honest limit: the guard stops the application and casual SQL, not a
table owner, who can set the same setting or drop the trigger; what catches that is the keyed chain and the
checkpoints outside the database (docs/guide/audit.md)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

TABLES = ("accounts_auditentry", "accounts_auditarchive")
PG_FUNCTION = "nrcms_audit_append_only"
PG_SETTING = "nrcms.audit_archive"
REFUSAL = "审计记录只能追加，不能修改或删除"

_PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND current_setting('{PG_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSAL}（表 %%，操作 %%）', TG_TABLE_NAME, TG_OP;
END $$"""


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        sql = [_PG_FUNCTION_SQL.replace("%%", "%")]
        for table in TABLES:
            sql += [
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
            ]
        return sql
    if vendor == "sqlite":
        return [_sqlite_trigger(table, op) for table in TABLES for op in ("UPDATE", "DELETE")]
    return []


def remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        sql = [f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
               for table in TABLES for name in ("append_only", "no_truncate")]
        return [*sql, f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}" for table in TABLES for op in ("UPDATE", "DELETE")]
    return []


def _sqlite_trigger(table: str, op: str) -> str:
    verb = "修改" if op == "UPDATE" else "删除"
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '审计记录只能追加，不能{verb}'); END")


def lift_sql(vendor: str) -> list[str]:
    """Statements that allow DELETE (never UPDATE) until restore_sql or the end of the transaction."""
    if vendor == "postgresql":
        return [f"SET LOCAL {PG_SETTING} = 'on'"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_delete" for table in TABLES]
    return []


def restore_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"SET LOCAL {PG_SETTING} = 'off'"]
    if vendor == "sqlite":
        return [_sqlite_trigger(table, "DELETE") for table in TABLES]
    return []


@contextmanager
def removal_allowed():
    """For the archive only: DELETE of audit rows is allowed inside this block, in this transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("只能在事务内解除审计记录删除保护")
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in lift_sql(connection.vendor):
            cursor.execute(sql)
        yield
        for sql in restore_sql(connection.vendor):
            cursor.execute(sql)

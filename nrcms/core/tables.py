"""Locking a whole table while a summary is rebuilt from the rows it sums."""

from __future__ import annotations

from django.db import connection


def lock_for_rebuild(model) -> None:
    """Inside the rebuild's transaction: on PostgreSQL lock the summary's table (EXCLUSIVE: reads go on, writes
    wait), so a writer running meanwhile waits and adds its increment to the rebuilt rows after; SQLite has one
    writer at a time already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN EXCLUSIVE MODE")

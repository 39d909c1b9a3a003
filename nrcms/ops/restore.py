"""`nrcms restore`: put a checked backup back into a database — the configured one, or a scratch one for
verification. Refuses a backup whose checksums do not match, and a database that already holds data unless
forced (then its tables are dropped first)."""

from __future__ import annotations

import sqlite3
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from nrcms.core.errors import ValidationFailed

from . import manifest, pg
from .backup import MEDIA_FILE, PG_FILE, SQLITE_FILE


@dataclass(frozen=True)
class Target:
    """Where to restore: a SQLite file, or a PostgreSQL database (the Django settings dict gives host, user…)."""

    vendor: str
    name: str  # file path or database name
    db: dict | None = None

    def url(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{Path(self.name).resolve()}"
        return pg.database_url(self.db, self.name)


def default_target() -> Target:
    db = settings.DATABASES["default"]
    vendor = "sqlite" if "sqlite" in db["ENGINE"] else "postgresql"
    return Target(vendor=vendor, name=str(db["NAME"]), db=dict(db))


def row_counts(target: Target) -> dict[str, int] | None:
    """Counts of the key tables, or None when the database has no tables of ours (never migrated)."""
    tables = manifest.key_tables()
    if target.vendor == "sqlite":
        if not Path(target.name).exists():
            return None
        conn = sqlite3.connect(target.name)
        try:
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return manifest.count_rows(conn.cursor(), {k: t for k, t in tables.items() if t in present}) or None
        finally:
            conn.close()
    with pg.connect(target.db, target.name) as conn:
        present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        return manifest.count_rows(conn.cursor(), {k: t for k, t in tables.items() if t in present}) or None


def has_data(target: Target) -> bool:
    return any((row_counts(target) or {}).values())


def restore_database(directory: Path, info: dict, target: Target, *, force: bool = False) -> None:
    """Load the checked backup in `directory` into target. The database kinds must match."""
    if info["database"] != target.vendor:
        raise ValidationFailed("invalid", f"该备份是 {info['database']} 数据库的备份，不能恢复到 {target.vendor} 数据库",
                               field="path")
    if has_data(target) and not force:
        raise ValidationFailed("not_empty", f"目标数据库“{target.name}”中已有数据，恢复会覆盖全部现有数据；"
                               "确认要覆盖请加 --force", field="force")
    if target.vendor == "sqlite":
        source = sqlite3.connect(directory / SQLITE_FILE)
        dest = sqlite3.connect(target.name)
        try:
            source.backup(dest)  # replaces every page of the destination, in one step
        finally:
            dest.close()
            source.close()
        return
    _wipe_schema(target)
    pg.run([pg.pg_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            *pg.libpq_args(target.db), "-d", target.name, str(directory / PG_FILE)], target.db, "pg_restore 恢复数据库")


def _wipe_schema(target: Target) -> None:
    with pg.connect(target.db, target.name) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def restore_media(directory: Path, media_root: Path | None = None) -> int:
    """Unpack media.tar into MEDIA_ROOT (files of the same name are replaced); returns the number of files."""
    root = Path(media_root or settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(directory / MEDIA_FILE) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(root, members=members, filter="data")
    return len(members)


def count_differences(info: dict, target: Target) -> list[str]:
    """Key tables whose restored row count differs from the manifest's."""
    actual = row_counts(target) or {}
    return [f"{label}：备份时 {count} 行，恢复后 {actual.get(label, 0)} 行"
            for label, count in info.get("row_counts", {}).items() if actual.get(label, 0) != count]

"""`nrcms backup`: the database (PostgreSQL: pg_dump custom format from one exported snapshot; SQLite: the
online backup API, never a copy of the live file) and the media files, with a manifest and checksums, as a
directory — or one .tar — under BACKUP_DIR. Each backup gets a BackupRecord row in the live database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.core.errors import ValidationFailed

from . import manifest, pg
from .models import BackupRecord

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MEDIA_FILE = "media.tar"
Step = Callable[[str], None]


@dataclass(frozen=True)
class BackupOut:
    path: Path
    sha256: str
    size: int
    manifest: dict
    record: BackupRecord


def vendor() -> str:
    return connection.vendor  # "postgresql" or "sqlite"


def backup_create(*, directory: Path | None = None, as_tar: bool = False, step: Step | None = None) -> BackupOut:
    step = step or (lambda _: None)
    root = Path(directory or settings.BACKUP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    created = timezone.now()
    stem, n = f"nrcms-{timezone.localtime(created):%Y%m%d-%H%M%S}-{vendor()}", 1
    name = stem
    while (root / name).exists() or (root / f"{name}.tar").exists():  # two backups in one second
        n += 1
        name = f"{stem}-{n}"
    target = root / name
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))  # renamed into place only when complete
    try:
        step("导出数据库")
        counts = _dump_database(work)
        step("打包附件文件")
        media_files = _pack_media(work / MEDIA_FILE)
        step("写入清单和校验值")
        info = {"format": manifest.FORMAT, "created": created.isoformat(), "database": vendor(),
                "app_version": manifest.app_version(), "git_commit": manifest.git_commit(),
                "migration_heads": manifest.migration_heads(), "row_counts": counts, "media_files": media_files}
        digest = manifest.write(work, info)
        info = manifest.check(work)
        if as_tar:
            target = root / f"{name}.tar"
            with tarfile.open(work.with_suffix(".tar.part"), "w") as tar:
                for path in sorted(work.iterdir()):
                    tar.add(path, arcname=f"{name}/{path.name}")
            os.replace(work.with_suffix(".tar.part"), target)
            digest = manifest.sha256_file(target)
            shutil.rmtree(work)
        else:
            os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        work.with_suffix(".tar.part").unlink(missing_ok=True)
        raise
    size = backup_size(target)
    step("登记备份")
    with transaction.atomic():
        record = BackupRecord.objects.create(path=str(target), database_vendor=vendor(), size_bytes=size,
                                             sha256=digest, created_at=created)
        audit_record(actor=None, action="ops.backup", obj=record,
                     after={"path": str(target), "sha256": digest, "size": size, "row_counts": counts})
    return BackupOut(path=target, sha256=digest, size=size, manifest=info, record=record)


def backup_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _dump_database(work: Path) -> dict[str, int]:
    tables = manifest.key_tables()
    if vendor() == "sqlite":
        if connection.in_atomic_block:  # SQLite's backup waits forever on its own connection's open transaction
            raise ValidationFailed("invalid", "SQLite 数据库不能在事务中备份，请在命令行运行 nrcms backup", field="database")
        connection.ensure_connection()
        out = sqlite3.connect(work / SQLITE_FILE)
        try:
            connection.connection.backup(out)  # the online backup API: a consistent copy while others write
            return manifest.count_rows(out.cursor(), tables)
        finally:
            out.close()
    if vendor() != "postgresql":
        raise ValidationFailed("unsupported", f"不支持备份 {vendor()} 数据库", field="database")
    db = connection.settings_dict
    # One snapshot for the counts and the dump: the manifest describes exactly what the dump holds.
    with pg.connect(db) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = manifest.count_rows(conn.cursor(), tables)
        pg.run([pg.pg_program("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(work / PG_FILE),
                *pg.libpq_args(db), "-d", db["NAME"]], db, "pg_dump 导出数据库")
        conn.execute("COMMIT")
    return counts


def _pack_media(out: Path) -> dict[str, str]:
    """media.tar of MEDIA_ROOT (empty when there is none); returns relative path → SHA-256 of each file."""
    root = Path(settings.MEDIA_ROOT)
    hashes = {}
    with tarfile.open(out, "w") as tar:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root).as_posix()
                hashes[rel] = manifest.sha256_file(path)
                tar.add(path, arcname=rel)
    return hashes


@contextmanager
def opened(path: Path) -> Iterator[tuple[Path, dict]]:
    """A backup's directory and its checked manifest; a .tar is unpacked into a temporary directory first."""
    path = Path(path)
    if not path.exists():
        raise ValidationFailed("not_found", f"备份“{path}”不存在", field="path")
    if path.is_dir():
        yield path, manifest.check(path)
        return
    with tempfile.TemporaryDirectory(prefix="nrcms-restore-") as tmp:
        try:
            with tarfile.open(path) as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise ValidationFailed("invalid", f"备份文件“{path.name}”无法解包（{exc}），拒绝使用", field="path") from exc
        inner = [p for p in Path(tmp).iterdir() if p.is_dir()]
        if len(inner) != 1:
            raise ValidationFailed("invalid", f"备份文件“{path.name}”中应恰有一个备份目录", field="path")
        yield inner[0], manifest.check(inner[0])


def latest_backup() -> Path:
    root = Path(settings.BACKUP_DIR)
    found = sorted(p for p in root.glob("nrcms-*") if p.is_dir() or p.suffix == ".tar") if root.is_dir() else []
    if not found:
        raise ValidationFailed("not_found", f"备份目录 {root} 中没有备份，请先运行 nrcms backup", field="path")
    return found[-1]

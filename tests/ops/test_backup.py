"""Backup, verification and restore, on whichever database the suite runs on (SQLite, then PostgreSQL in CI):
the round trip keeps every key table's rows and the media files, the scratch verification runs the books and
audit-chain checks, a corrupted backup is refused, and a database holding data is only overwritten with --force.

SQLite's online backup cannot read a database while its own connection holds a write transaction (every test
runs in one), so on SQLite the live database is a file copy of the test database and the real `nrcms` commands
run against it; on PostgreSQL pg_dump reads the committed test database from its own connection, in-process."""

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from nrcms.accounts.models import AuditEntry
from nrcms.ops import manifest, pg
from nrcms.ops.backup import backup_create
from nrcms.ops.models import BackupRecord
from nrcms.ops.restore import Target, row_counts
from nrcms.ops.verify import backup_verify

pytestmark = pytest.mark.django_db
ROSTER = "户号,姓名\n1,王德福\n"


def nrcms(*args, target: Target, var: Path, backups: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": target.url(), "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "NRCMS_VAR_DIR": str(var), "BACKUP_DIR": str(backups or var / "backups")}
    return subprocess.run([sys.executable, "-m", "nrcms.cli", *args], env=env, capture_output=True, text=True,
                          cwd=settings.BASE_DIR)


class Live:
    """The database being backed up, and its BackupRecords."""

    def __init__(self, tmp_path: Path, settings):
        self.var = tmp_path / "var"
        self.backups = tmp_path / "backups"
        settings.BACKUP_DIR, settings.MEDIA_ROOT = self.backups, self.var / "media"
        (self.var / "media" / "imports").mkdir(parents=True)
        (self.var / "media" / "imports" / "花名册.csv").write_text(ROSTER, encoding="utf-8")
        self.sqlite = connection.vendor == "sqlite"
        if self.sqlite:
            self.target = Target(vendor="sqlite", name=str(tmp_path / "live.sqlite3"))
            copy = sqlite3.connect(self.target.name)
            copy.executescript("\n".join(connection.connection.iterdump()))
            copy.close()

    def backup(self, *args: str) -> Path:
        if not self.sqlite:
            return backup_create(as_tar="--tar" in args).path
        done = nrcms("backup", *args, target=self.target, var=self.var, backups=self.backups)
        assert done.returncode == 0, done.stderr
        return max(self.backups.glob("nrcms-*"))

    def verify(self, path: Path) -> tuple[bool, str]:
        if not self.sqlite:
            out = backup_verify(path=path)
            return out.ok, out.message
        done = nrcms("backup", "verify", str(path), target=self.target, var=self.var, backups=self.backups)
        return done.returncode == 0, done.stdout + done.stderr

    def record(self, path: Path) -> tuple[bool | None, str, int]:
        """verify_ok, verify_message and the number of ops.backup_verify audit rows for the backup at path."""
        if not self.sqlite:
            r = BackupRecord.objects.get(path=str(path))
            return r.verify_ok, r.verify_message, AuditEntry.objects.filter(
                action="ops.backup_verify", object_id=str(r.pk)).count()
        db = sqlite3.connect(self.target.name)
        pk, ok, message = db.execute("SELECT id, verify_ok, verify_message FROM ops_backuprecord WHERE path = ?",
                                     [str(path)]).fetchone()
        audits = db.execute("SELECT COUNT(*) FROM accounts_auditentry WHERE action = 'ops.backup_verify' "
                            "AND object_id = ?", [str(pk)]).fetchone()[0]
        return (None if ok is None else bool(ok)), message, audits


@pytest.fixture
def live(tmp_path, settings, demo):
    return Live(tmp_path, settings)


@pytest.fixture
def empty_target(tmp_path):
    """A database of the suite's kind with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if connection.vendor == "sqlite":
        yield Target(vendor="sqlite", name=str(tmp_path / "restored.sqlite3"))
        return
    db = dict(connection.settings_dict)
    name = f"nrcms_restore_{secrets.token_hex(4)}"
    pg.create_database(db, name)
    yield Target(vendor="postgresql", name=name, db=db)
    pg.drop_database(db, name)


def test_backup_verify_restore_round_trip(live, empty_target, tmp_path):
    path = live.backup()
    info = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert info["database"] == connection.vendor and info["app_version"] and info["migration_heads"]["registry"]
    assert info["row_counts"]["registry.Person"] > 800 and info["row_counts"]["accounts.AuditEntry"] > 0
    assert set(info["files"]) == {"database.sqlite3" if live.sqlite else "database.dump", "media.tar"}
    assert info["media_files"] == {"imports/花名册.csv": manifest.sha256_file(live.var / "media/imports/花名册.csv")}
    sums = (path / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 3 and sums[-1].endswith("  manifest.json")
    assert live.record(path)[0] is None  # recorded, not yet verified

    ok, message = live.verify(path)
    assert ok, message
    assert "账簿核对（nrcms ledger check）：通过" in message and "审计链校验（nrcms audit verify）：通过" in message
    assert "关键表行数与清单一致" in message
    verify_ok, recorded, audits = live.record(path)
    assert verify_ok is True and "审计链校验" in recorded and audits == 1

    var = tmp_path / "restored-var"
    first = nrcms("restore", str(path), target=empty_target, var=var)
    assert first.returncode == 0, first.stderr
    restored = row_counts(empty_target)
    # the restore appends one audit row saying what was restored; everything else as backed up
    assert {**restored, "accounts.AuditEntry": restored["accounts.AuditEntry"] - 1} == info["row_counts"]
    assert (var / "media" / "imports" / "花名册.csv").read_text(encoding="utf-8") == ROSTER

    again = nrcms("restore", str(path), target=empty_target, var=var)
    assert again.returncode != 0 and "已有数据" in again.stderr and "--force" in again.stderr
    assert row_counts(empty_target) == restored
    forced = nrcms("restore", str(path), "--force", target=empty_target, var=var)
    assert forced.returncode == 0, forced.stderr
    assert row_counts(empty_target) == restored
    chain = nrcms("audit", "verify", target=empty_target, var=var)
    assert chain.returncode == 0, chain.stderr


def test_tar_backup_with_a_flipped_byte_is_refused_by_verify_and_restore(live, empty_target, tmp_path):
    path = live.backup("--tar")
    assert path.suffix == ".tar"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the database file
    path.write_bytes(bytes(data))

    ok, message = live.verify(path)
    assert not ok and "SHA-256 校验值与记录不符" in message
    verify_ok, recorded, _ = live.record(path)
    assert verify_ok is False and "拒绝使用该备份" in recorded
    refused = nrcms("restore", str(path), target=empty_target, var=tmp_path / "restored-var")
    assert refused.returncode != 0 and "校验值与记录不符" in refused.stderr
    assert not row_counts(empty_target)


def test_sqlite_backup_inside_a_transaction_is_refused_not_hung(settings, tmp_path, demo):
    settings.BACKUP_DIR = tmp_path
    if connection.vendor != "sqlite":
        assert backup_create().path.is_dir()  # PostgreSQL reads its own snapshot: a transaction is no obstacle
        return
    from nrcms.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="不能在事务中备份"):
        backup_create()

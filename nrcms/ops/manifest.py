"""What a backup says about itself: manifest.json (created, database kind, app version, git commit, migration
heads, row counts of key tables, SHA-256 of every file) and SHA256SUMS (`sha256sum -c` format, covering the
manifest too). A backup whose files do not match is refused before anything is restored."""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from nrcms.core.errors import ValidationFailed

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
FORMAT = 1
# Tables whose row counts are recorded and compared after a restore.
KEY_MODELS = ["accounts.User", "accounts.AuditEntry", "registry.Region", "registry.Household", "registry.Person",
              "registry.Enrollment", "funding.Contribution", "funding.JournalEntry", "funding.JournalLine",
              "claims.Episode", "claims.Settlement", "payments.FacilityStatement"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_tables() -> dict[str, str]:
    """model label → table name, for the key models this installation has."""
    out = {}
    for label in KEY_MODELS:
        try:
            out[label] = apps.get_model(label)._meta.db_table
        except LookupError:
            continue
    return out


def count_rows(cursor, tables: dict[str, str]) -> dict[str, int]:
    """Row counts through a DB-API cursor (the backup's own snapshot or copy, not Django's connection)."""
    counts = {}
    for label, table in tables.items():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[label] = cursor.fetchone()[0]
    return counts


def migration_heads() -> dict[str, list[str]]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    heads: dict[str, list[str]] = {}
    for app, name in sorted(loader.graph.leaf_nodes()):
        if (app, name) in loader.applied_migrations:
            heads.setdefault(app, []).append(name)
    return heads


def code_heads() -> dict[str, list[str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    heads: dict[str, list[str]] = {}
    for app, name in sorted(loader.graph.leaf_nodes()):
        heads.setdefault(app, []).append(name)
    return heads


def app_version() -> str:
    try:
        return version("nrcms")
    except PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def write(directory: Path, manifest: dict) -> str:
    """Write manifest.json (with each data file's SHA-256 and size) and SHA256SUMS; returns SHA256SUMS's hash,
    which stands for the whole backup."""
    files = sorted(p.name for p in directory.iterdir() if p.name not in (MANIFEST, SUMS))
    manifest = {**manifest, "files": {name: {"sha256": sha256_file(directory / name),
                                             "size": (directory / name).stat().st_size} for name in files}}
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [f"{sha256_file(directory / name)}  {name}" for name in [*files, MANIFEST]]
    (directory / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sha256_file(directory / SUMS)


def check(directory: Path) -> dict:
    """The manifest, after proving every file matches SHA256SUMS and the manifest; refuses a corrupted backup."""
    if not (directory / SUMS).is_file() or not (directory / MANIFEST).is_file():
        raise ValidationFailed("invalid", f"“{directory}”不是完整的备份：缺少 {MANIFEST} 或 {SUMS}", field="path")
    listed = {}
    for line in (directory / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    expected = {**{n: f["sha256"] for n, f in manifest.get("files", {}).items()}}
    for name in {*expected, *listed}:
        path = directory / name
        if not path.is_file():
            raise ValidationFailed("checksum", f"备份文件 {name} 缺失，备份不完整，拒绝使用", field="path")
        actual = sha256_file(path)
        if actual != listed.get(name) or (name in expected and actual != expected[name]):
            raise ValidationFailed("checksum", f"备份文件 {name} 的 SHA-256 校验值与记录不符（文件已损坏或被改动），"
                                   "拒绝使用该备份", field="path")
    return manifest

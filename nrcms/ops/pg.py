"""PostgreSQL client programs (pg_dump, pg_restore) and the connections the backup needs besides Django's own."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg

from nrcms.core.errors import ValidationFailed


def pg_program(name: str) -> str:
    """The program `name` (pg_dump, pg_restore): from PG_BIN_DIR if set, else Debian's newest
    /usr/lib/postgresql/N/bin (what .ci/run installs; newer pg_dump reads older servers), else PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]) / name)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(re.sub(r"\D", "", p) or 0))
    candidates += [Path(d) / name for d in reversed(versions)]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which(name)
    if not found:
        raise ValidationFailed("missing", f"找不到 PostgreSQL 程序 {name}：请安装 postgresql-client，"
                               "或用环境变量 PG_BIN_DIR 指明其目录", field="pg_bin_dir")
    return found


def libpq_args(db: dict) -> list[str]:
    """-h/-p/-U for a Django settings dict (the password goes in the environment, never on the command line)."""
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def libpq_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def connect(db: dict, name: str | None = None, *, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(dbname=name or db["NAME"], host=db.get("HOST") or None, port=db.get("PORT") or None,
                           user=db.get("USER") or None, password=db.get("PASSWORD") or None, autocommit=autocommit)


def database_url(db: dict, name: str) -> str:
    auth = quote(str(db.get("USER") or ""), safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = str(db.get("HOST") or "localhost") + (f":{db['PORT']}" if db.get("PORT") else "")
    return f"postgres://{auth}@{host}/{quote(name, safe='')}"


def run(args: list[str], db: dict, what: str) -> None:
    done = subprocess.run(args, env=libpq_env(db), capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ValidationFailed("failed", f"{what}失败：{' '.join(detail)}", field="database")


def create_database(db: dict, name: str) -> None:
    with connect(db, "postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(db: dict, name: str) -> None:
    with connect(db, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

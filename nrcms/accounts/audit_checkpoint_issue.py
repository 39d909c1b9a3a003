"""Issuing a checkpoint: verify the chain, sign its head, write it to AUDIT_CHECKPOINT_DIR (JSON and the
paper text), and optionally POST it to AUDIT_CHECKPOINT_URL. `nrcms audit checkpoint` runs it daily from
cron; the record itself and reading checkpoints back are in audit_checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from nrcms.core.errors import NrcmsError

from .audit_checkpoint import Checkpoint, checkpoint_dir, checkpoint_text
from .audit_hashing import key_id
from .audit_verification import audit_verify


@dataclass(frozen=True)
class Written:
    checkpoint: Checkpoint
    path: Path
    text_path: Path
    posted: bool
    post_error: str = ""


def checkpoint_create(*, directory=None, url: str | None = None, progress=None) -> Written:
    """Verify the chain (with the key and against the earlier checkpoints), then sign its head and write it.
    A broken chain is not signed: that would vouch for the tampering."""
    report = audit_verify(progress=progress, checkpoint_dir=directory)
    if not report.ok:
        raise NrcmsError("audit_chain_broken", f"审计链校验失败，不签发检查点：{report.problem}")
    now = timezone.now().astimezone(dt.UTC)
    cp = Checkpoint(count=report.checked, last_seq=report.last_seq, hash=report.last_hash,
                    at=now.isoformat(timespec="seconds"), key_id=key_id()).signed()
    folder = checkpoint_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"checkpoint-{now:%Y%m%dT%H%M%SZ}-{cp.last_seq}"
    path = _write_atomic(folder / f"{stem}.json", json.dumps(
        {"what": "nrcms audit checkpoint", **asdict(cp)}, ensure_ascii=False, indent=2) + "\n")
    text_path = _write_atomic(folder / f"{stem}.txt", checkpoint_text(cp))
    url = settings.AUDIT_CHECKPOINT_URL if url is None else url
    posted, error = False, ""
    if url:
        try:
            checkpoint_post(cp, url)
            posted = True
        except OSError as exc:  # URLError, HTTPError, timeouts: the file is written, the caller reports
            error = str(exc)
    return Written(cp, path, text_path, posted, error)


def checkpoint_post(cp: Checkpoint, url: str, timeout: float = 10) -> None:
    body = json.dumps({"what": "nrcms audit checkpoint", **asdict(cp)}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — configured URL
        if response.status >= 300:
            raise OSError(f"远程检查点存储返回 {response.status}")


def _write_atomic(path: Path, text: str) -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path

"""Checkpoints: the chain's head (rows online, last sequence number, last hash, time), signed with the audit
key and written outside the database — to AUDIT_CHECKPOINT_DIR, optionally POSTed to AUDIT_CHECKPOINT_URL,
and printed for the office's paper record. `nrcms audit checkpoint` writes one (daily from cron);
`nrcms audit verify` checks the chain against all of them, so a tail cut or a chain rewritten after a
checkpoint is found even by someone who also holds the database."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from nrcms.core.errors import NrcmsError

from .audit import key_id, signature

VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    count: int       # rows online when it was taken (after any archive)
    last_seq: int    # the head's sequence number: rows ever appended
    hash: str        # the head's HMAC
    at: str          # ISO 8601, UTC
    key_id: str      # fingerprint of the key that signed it
    signature: str = ""
    version: int = VERSION

    def payload(self) -> dict:
        data = asdict(self)
        data.pop("signature")
        return {"what": "nrcms audit checkpoint", **data}

    def signed(self) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "signature": signature(self.payload())})

    @property
    def local_time(self) -> str:
        return timezone.localtime(dt.datetime.fromisoformat(self.at)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Loaded:
    path: Path
    checkpoint: Checkpoint | None
    problem: str = ""


@dataclass(frozen=True)
class Written:
    checkpoint: Checkpoint
    path: Path
    text_path: Path
    posted: bool
    post_error: str = ""


def checkpoint_dir(directory=None) -> Path:
    return Path(directory or settings.AUDIT_CHECKPOINT_DIR)


def checkpoints_load(directory=None) -> list[Loaded]:
    """Every checkpoint file in the directory, oldest first; a file that does not parse or whose signature
    does not match is returned with its problem (a forged or altered checkpoint)."""
    folder = checkpoint_dir(directory)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("checkpoint-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data.pop("what", None)
            cp = Checkpoint(**data)
        except (ValueError, TypeError) as exc:
            out.append(Loaded(path, None, f"检查点文件 {path.name} 无法读取：{exc}"))
            continue
        if not hmac.compare_digest(cp.signature, signature(cp.payload())):
            out.append(Loaded(path, None, f"检查点文件 {path.name} 的签名不符（被改动、伪造或用了别的密钥）"))
            continue
        out.append(Loaded(path, cp))
    return out


def checkpoint_create(*, directory=None, url: str | None = None, progress=None) -> Written:
    """Verify the chain (with the key and against the earlier checkpoints), then sign its head and write it.
    A broken chain is not signed: that would vouch for the tampering."""
    from .audit import audit_verify

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


def grouped(hex_text: str, size: int = 4, per_line: int = 8) -> str:
    """'3f2a9c1b…' → '3f2a 9c1b … ' in lines of eight groups: easy to read aloud and compare on paper."""
    groups = [hex_text[i:i + size] for i in range(0, len(hex_text), size)]
    return "\n".join("    " + " ".join(groups[i:i + per_line]) for i in range(0, len(groups), per_line))


def checkpoint_text(cp: Checkpoint) -> str:
    """The paper record: print, sign and file it; compare the hash groups when verifying by hand."""
    return "\n".join([
        "新农合信息系统 · 审计链检查点",
        "",
        f"时间（北京时间）：{cp.local_time}",
        f"在线记录条数：{cp.count}",
        f"最后一条序号：{cp.last_seq}",
        "链尾哈希（HMAC-SHA256）：",
        grouped(cp.hash),
        "检查点签名：",
        grouped(cp.signature),
        f"密钥指纹：{cp.key_id}",
        "",
        "核对人：______________    日期：______________",
        "",
    ])


def _write_atomic(path: Path, text: str) -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path

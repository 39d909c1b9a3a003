"""Checkpoints: the chain's head (rows online, last sequence number, last hash, time), signed with the audit
key and kept outside the database — the record, its paper text, and reading a checkpoint folder back with
every file's signature checked. `nrcms audit checkpoint` issues one (audit_checkpoint_issue, daily from cron);
`nrcms audit verify` checks the chain against all of them (audit_verification), so a tail cut or a chain
rewritten after a checkpoint is found even by someone who also holds the database."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .audit_hashing import signature

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

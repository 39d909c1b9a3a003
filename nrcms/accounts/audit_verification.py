"""Verifying the audit trail: every row's HMAC under the key, every link, the archive markers, the chain
head, and the signed checkpoints kept outside the database. Each problem is reported with its kind:

    edited          a row's content no longer matches its hash (changed in place)
    rehashed        rows were changed and their hashes recomputed, but not with the key
    link            a row does not point at the row before it (a row inserted or replaced)
    deleted         rows are missing from the middle of the chain
    cut_tail        rows are missing at the end: behind the chain head or behind a checkpoint
    checkpoint      the chain no longer matches a checkpoint (rewritten since), or a checkpoint is forged
    marker          an archive marker is forged or out of order
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from django.db.models import TextChoices

from .audit_checkpoint import checkpoints_load
from .audit_hashing import GENESIS, HASHED_FIELDS, entry_digest, signature
from .models import AuditArchive, AuditChainHead, AuditEntry


class ProblemKind(TextChoices):
    EDITED = "edited", "记录内容被修改"
    REHASHED = "rehashed", "记录被修改并重算哈希（未用密钥）"
    LINK = "link", "前后衔接断开（插入或替换了记录）"
    DELETED = "deleted", "中间记录被删除"
    CUT_TAIL = "cut_tail", "链尾被截断"
    CHECKPOINT = "checkpoint", "与检查点不符（或检查点被伪造）"
    MARKER = "marker", "归档标记被伪造或次序不对"


@dataclass(frozen=True)
class Problem:
    kind: str
    seq: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str = ""
    kind: str = ""
    problems: tuple[Problem, ...] = ()
    last_seq: int = 0
    last_hash: str = GENESIS
    checkpoints: int = 0


def archive_payload(archive: AuditArchive) -> dict:
    return {"what": "nrcms audit archive", "first_seq": archive.first_seq, "last_seq": archive.last_seq,
            "last_hash": archive.last_hash, "before": archive.before.isoformat(),
            "file_sha256": archive.file_sha256}


@dataclass
class _Walk:
    problems: list[Problem] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)        # rows whose HMAC does not match their content
    broken: set[int] = field(default_factory=set)       # rows not pointing at the previous row's hash
    seen: dict[int, str] = field(default_factory=dict)  # hashes of the rows checkpoints name
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS


def audit_verify(progress=None, *, checkpoint_dir=None) -> ChainReport:
    """Check the chain with the key and against the signed checkpoints."""
    # Head and checkpoints first, then rows: rows appended while verifying only lengthen the chain.
    head = AuditChainHead.objects.filter(id=1).first()
    loaded = checkpoints_load(checkpoint_dir)
    walk = _Walk()
    start_seq, start_hash = _check_markers(walk)
    wanted = {c.checkpoint.last_seq for c in loaded if c.checkpoint}
    _walk_rows(walk, start_seq, start_hash, wanted, progress)
    _classify(walk)
    _check_head(walk, head)
    _check_checkpoints(walk, loaded, start_seq, start_hash)
    problems = sorted(walk.problems, key=lambda p: (p.seq is None, p.seq or 0))
    first = problems[0] if problems else None
    return ChainReport(
        ok=not problems, checked=walk.checked, bad_seq=first.seq if first else None,
        problem="；".join(p.message for p in problems[:5]) + ("……" if len(problems) > 5 else ""),
        kind=first.kind if first else "", problems=tuple(problems), last_seq=walk.last_seq,
        last_hash=walk.last_hash, checkpoints=sum(1 for c in loaded if c.checkpoint),
    )


def _check_markers(walk: _Walk) -> tuple[int, str]:
    """Where the online chain starts: after the latest archive run, from its last hash; else the genesis."""
    expected_first, start = 1, (1, GENESIS)
    for archive in AuditArchive.objects.order_by("last_seq"):
        span = f"#{archive.first_seq}–#{archive.last_seq}"
        if not hmac.compare_digest(archive.signature, signature(archive_payload(archive))):
            walk.problems.append(Problem("marker", archive.first_seq, f"归档标记 {span} 的签名不符（被改动或伪造）"))
        if archive.first_seq != expected_first:
            walk.problems.append(Problem("marker", archive.first_seq,
                                         f"归档标记 {span} 不接续上一次归档（应从第 {expected_first} 条开始）"))
        expected_first, start = archive.last_seq + 1, (archive.last_seq + 1, archive.last_hash)
    walk.last_seq, walk.last_hash = start[0] - 1, start[1]
    return start


def _walk_rows(walk: _Walk, start_seq: int, prev_hash: str, wanted: set[int], progress) -> None:
    expected = start_seq
    rows = AuditEntry.objects.filter(seq__gte=start_seq).order_by("seq").values(*HASHED_FIELDS, "prev_hash", "hash")
    for row in rows.iterator(chunk_size=5000):
        seq = row["seq"]
        if seq != expected:
            span = f"第 {expected} 条" if seq == expected + 1 else f"第 {expected}–{seq - 1} 条"
            walk.problems.append(Problem("deleted", expected, f"{span}记录缺失（从链中间被删除）"))
        elif row["prev_hash"] != prev_hash:
            walk.broken.add(seq)
        if entry_digest(row["prev_hash"], row) != row["hash"]:
            walk.bad.append(seq)
        if seq in wanted:
            walk.seen[seq] = row["hash"]
        prev_hash, expected = row["hash"], seq + 1
        walk.checked, walk.last_seq, walk.last_hash = walk.checked + 1, seq, row["hash"]
        if progress:
            progress(1)


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and runs[-1][1] == seq - 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def _classify(walk: _Walk) -> None:
    """An edit in place leaves the row's old hash, which the next row still points at and verifies with.
    A rewrite without the key changes the hashes too: a run of failing rows to the end of the chain, or one
    the next row no longer points at."""
    for first, last in _runs(walk.bad):
        nxt = last + 1
        rewritten = nxt in walk.broken or (last == walk.last_seq and first != last)
        if rewritten:
            span = f"第 {first} 条" if first == last else f"第 {first}–{last} 条"
            walk.problems.append(Problem(
                "rehashed", first, f"{span}记录被改动并重新计算了哈希，但所用的不是审计密钥（内容与签名不符）"))
            walk.broken.discard(nxt)
        else:
            for seq in range(first, last + 1):
                walk.problems.append(Problem("edited", seq, f"第 {seq} 条记录的内容已被改动（与其哈希不符）"))
    for seq in sorted(walk.broken):
        walk.problems.append(Problem(
            "link", seq, f"第 {seq} 条记录的前序哈希与上一条不符（其前有记录被插入、替换或用密钥重算）"))


def _check_head(walk: _Walk, head: AuditChainHead | None) -> None:
    if head is None or head.last_seq == 0:
        return
    if head.last_seq > walk.last_seq:
        walk.problems.append(Problem(
            "cut_tail", walk.last_seq + 1,
            f"链尾记录缺失：链尾指针记到第 {head.last_seq} 条，库中只到第 {walk.last_seq} 条"))
    elif head.last_seq == walk.last_seq and head.last_hash != walk.last_hash:
        walk.problems.append(Problem("link", head.last_seq, f"链尾指针的哈希与第 {head.last_seq} 条记录不符"))


def _check_checkpoints(walk: _Walk, loaded, start_seq: int, start_hash: str) -> None:
    beyond, mismatched = None, None
    for item in loaded:
        if item.problem:
            walk.problems.append(Problem("checkpoint", None, item.problem))
            continue
        cp = item.checkpoint
        if cp.last_seq == start_seq - 1 and cp.hash != start_hash:
            mismatched = mismatched or cp
        elif cp.last_seq < start_seq:
            continue  # archived; the archive file carries its own manifest
        elif cp.last_seq > walk.last_seq:
            beyond = cp if beyond is None or cp.last_seq > beyond.last_seq else beyond
        elif cp.last_seq in walk.seen and walk.seen[cp.last_seq] != cp.hash:
            mismatched = cp if mismatched is None or cp.last_seq < mismatched.last_seq else mismatched
    if beyond:
        walk.problems.append(Problem(
            "cut_tail", walk.last_seq + 1,
            f"链尾被截断：{beyond.local_time} 的检查点记到第 {beyond.last_seq} 条（哈希 {beyond.hash[:16]}…），"
            f"库中只到第 {walk.last_seq} 条"))
    if mismatched:
        walk.problems.append(Problem(
            "checkpoint", mismatched.last_seq,
            f"第 {mismatched.last_seq} 条记录与 {mismatched.local_time} 的检查点不符：此后链被改写过"
            f"（检查点哈希 {mismatched.hash[:16]}…）"))

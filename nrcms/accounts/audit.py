"""The audit trail: written explicitly by services, chained by SHA-256, verifiable end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from nrcms.core.jsonable import jsonable

from .models import AuditChainHead, AuditEntry, User

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor_username", "actor_role", "action", "object_type", "object_id", "object_repr",
    "region_code", "facility_code", "before", "after", "authority", "reason", "ip",
)


def _hashed_text(fields: dict) -> str:
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    payload["at"] = fields["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_digest(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256((prev_hash + _hashed_text(fields)).encode()).hexdigest()


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    authority: str = "",
    reason: str = "",
    region_code: str = "",
    facility_code: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """Append one row. Call inside the service's transaction so the record and the change land together."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    fields = {
        "at": timezone.now(),
        "actor_username": actor.username if actor else "",
        "actor_role": actor.role if actor else "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_repr": object_repr,
        "region_code": region_code,
        "facility_code": facility_code,
        "before": jsonable(before) if before is not None else None,
        "after": jsonable(after) if after is not None else None,
        "authority": authority,
        "reason": reason,
        "ip": ip,
    }
    # The chain head is a single row every writer locks until its transaction ends: append last, just before
    # the caller commits, so that only this and the commit run one at a time. No savepoint of its own: a
    # failure here fails the caller's whole unit of work anyway.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            entry = _append_pg(actor, fields)
            if entry is not None:
                return entry
            AuditChainHead.objects.get_or_create(id=1)  # the very first entry of a new database
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        fields["seq"] = head.last_seq + 1
        digest = entry_digest(head.last_hash, fields)
        entry = AuditEntry.objects.create(actor=actor, prev_hash=head.last_hash, hash=digest, **fields)
        head.last_seq, head.last_hash = entry.seq, digest
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def _digest_prefix(fields: dict) -> str:
    """The hashed text up to the sequence number: "seq" sorts last among HASHED_FIELDS, so the text is this
    prefix + the number + "}" and PostgreSQL can finish the digest once it knows the number."""
    text = _hashed_text({**fields, "seq": 0})
    assert text.endswith(',"seq":0}'), text[-40:]
    return text[: -len("0}")]


def _append_pg(actor, fields: dict) -> AuditEntry | None:
    """Append in one statement on PostgreSQL: lock the head, number and hash the entry (sha256 of the
    previous hash + the text, exactly as entry_digest), insert it and move the head. The head stays locked
    from this statement to the caller's commit and not a round trip longer. None if there is no head yet."""
    columns = [f for f in AuditEntry._meta.concrete_fields if f.name not in ("seq", "prev_hash", "hash")]
    values = {**fields, "actor": actor.pk if actor else None}
    params = [_digest_prefix(fields)] + [f.get_db_prep_save(values[f.name], connection) for f in columns]
    entry_table, head_table = AuditEntry._meta.db_table, AuditChainHead._meta.db_table
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    # Typed placeholders: in INSERT … SELECT an untyped parameter would be taken for text.
    casts = ", ".join(f"CAST(%s AS {'text' if f.db_type(connection).startswith('varchar') else f.db_type(connection)})"
                      for f in columns)
    sql = f"""
        WITH head AS (
            SELECT last_seq + 1 AS seq, last_hash AS prev FROM {head_table} WHERE id = 1 FOR UPDATE
        ), numbered AS (
            SELECT seq, prev, encode(sha256(convert_to(prev || %s || seq::text || '}}', 'UTF8')), 'hex') AS hash
            FROM head
        ), entry AS (
            INSERT INTO {entry_table} (seq, prev_hash, hash, {names})
            SELECT seq, prev, hash, {casts} FROM numbered
            RETURNING seq, prev_hash, hash
        )
        UPDATE {head_table} SET last_seq = entry.seq, last_hash = entry.hash FROM entry WHERE {head_table}.id = 1
        RETURNING entry.seq, entry.prev_hash, entry.hash"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    seq, prev_hash, digest = row
    entry = AuditEntry(seq=seq, actor=actor, prev_hash=prev_hash, hash=digest, **fields)
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def snapshot(obj, fields: list[str]) -> dict:
    """The named fields of a model instance, for before/after."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.pk if hasattr(value, "pk") else value
    return jsonable(out)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str = ""


def audit_verify(progress=None) -> ChainReport:
    """Recompute every hash in order. Any altered, removed or inserted row is reported by sequence."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    rows = AuditEntry.objects.order_by("seq").values(*HASHED_FIELDS, "prev_hash", "hash")
    for row in rows.iterator(chunk_size=5000):
        if row["seq"] != expected_seq:
            return ChainReport(False, checked, expected_seq, f"第 {expected_seq} 条记录缺失")
        if row["prev_hash"] != prev_hash:
            return ChainReport(False, checked, row["seq"], f"第 {row['seq']} 条记录的前序哈希与上一条不符")
        if entry_digest(prev_hash, row) != row["hash"]:
            return ChainReport(False, checked, row["seq"], f"第 {row['seq']} 条记录的内容已被改动")
        prev_hash, expected_seq, checked = row["hash"], expected_seq + 1, checked + 1
        if progress:
            progress(1)
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainReport(False, checked, checked + 1, f"链尾记录缺失：应有 {head.last_seq} 条，实有 {checked} 条")
    return ChainReport(True, checked)

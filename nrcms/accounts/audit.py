"""The audit trail: written explicitly by services, chained by HMAC-SHA256 under a key kept outside the
database (audit_hashing), verifiable end to end and against signed checkpoints (audit_verification)."""

from __future__ import annotations

import functools
import hashlib

from django.db import connection, transaction
from django.utils import timezone

from nrcms.core.jsonable import jsonable

from .audit_hashing import audit_key, entry_digest, hashed_text
from .models import AuditChainHead, AuditEntry, User


@functools.lru_cache(maxsize=4)
def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key XOR ipad, key XOR opad) as RFC 2104 defines them, so PostgreSQL can compute the HMAC with its
    built-in sha256(): H((K^opad) || H((K^ipad) || m)). No pgcrypto needed, and the same digest as hmac.new."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


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
    text = hashed_text({**fields, "seq": 0})
    assert text.endswith(',"seq":0}'), text[-40:]
    return text[: -len("0}")]


def _append_pg(actor, fields: dict) -> AuditEntry | None:
    """Append in one statement on PostgreSQL: lock the head, number and hash the entry (HMAC-SHA256 of the
    previous hash + the text, exactly as entry_digest, from the key's two pads passed as parameters), insert
    it and move the head. The head stays locked from this statement to the caller's commit and not a round
    trip longer. None if there is no head yet."""
    columns = [f for f in AuditEntry._meta.concrete_fields if f.name not in ("seq", "prev_hash", "hash")]
    values = {**fields, "actor": actor.pk if actor else None}
    inner, outer = _hmac_pads(audit_key())
    params = [outer, inner, _digest_prefix(fields)]
    params += [f.get_db_prep_save(values[f.name], connection) for f in columns]
    entry_table, head_table = AuditEntry._meta.db_table, AuditChainHead._meta.db_table
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    # Typed placeholders: in INSERT … SELECT an untyped parameter would be taken for text.
    casts = ", ".join(f"CAST(%s AS {'text' if f.db_type(connection).startswith('varchar') else f.db_type(connection)})"
                      for f in columns)
    sql = f"""
        WITH head AS (
            SELECT last_seq + 1 AS seq, last_hash AS prev FROM {head_table} WHERE id = 1 FOR UPDATE
        ), numbered AS (
            SELECT seq, prev, encode(sha256(CAST(%s AS bytea) || sha256(CAST(%s AS bytea)
                   || convert_to(prev || %s || seq::text || '}}', 'UTF8'))), 'hex') AS hash
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

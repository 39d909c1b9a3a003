"""The audit chain's hashing: the HMAC-SHA256 key kept outside the database (settings.AUDIT_HMAC_KEY), its
public fingerprint, a row's digest and the signatures of small records (checkpoints, archive markers and
manifests). Writing the trail (audit), verifying it (audit_verification), checkpoints and archives all hash
the same way from here."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from django.conf import settings

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor_username", "actor_role", "action", "object_type", "object_id", "object_repr",
    "region_code", "facility_code", "before", "after", "authority", "reason", "ip",
)


def hashed_text(fields: dict) -> str:
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    payload["at"] = fields["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def audit_key() -> bytes:
    """The chain's HMAC key. It never enters the database: without it a rewritten row cannot be re-hashed."""
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise RuntimeError("未配置审计链密钥 AUDIT_HMAC_KEY")
    return key.encode()


def key_id(key: bytes | None = None) -> str:
    """A short public fingerprint of the key, written into checkpoints so a key change is visible."""
    return hmac.new(key or audit_key(), b"nrcms audit key id", hashlib.sha256).hexdigest()[:12]


def keyed_digest(text: str, key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), text.encode(), hashlib.sha256).hexdigest()


def signature(payload: dict) -> str:
    """The key's HMAC over a small record's canonical JSON (checkpoints, archive markers and manifests)."""
    return keyed_digest(json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def entry_digest(prev_hash: str, fields: dict) -> str:
    """HMAC-SHA256(key, previous hash + the row's canonical JSON), in hex."""
    return keyed_digest(prev_hash + hashed_text(fields))

"""The arithmetic of two-step sign-in, with no database: TOTP codes (RFC 6238: 6 digits, 30-second steps,
SHA-1, as every authenticator app computes them, through pyotp), the enrolment QR code (segno, drawn here as
an SVG data: URI, so the page loads nothing from elsewhere and runs no script) and recovery codes."""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
# A code from the step before or after the current one is accepted too: phones' clocks drift, and a code typed
# just as it changes arrives a step late. Never more, so a seen code is useless within about a minute.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# 10 characters from 32 (no 0/O, 1/I/L confusions): 50 bits each, typed as xxxxx-xxxxx.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 10

_CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(length=32)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app shows during one 30-second step."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalize_code(text: str) -> str:
    """What the user typed, without spaces or dashes (apps show "123 456")."""
    return re.sub(r"[\s\-]", "", text or "")


def looks_like_totp(text: str) -> bool:
    return bool(_CODE.fullmatch(normalize_code(text)))


def matching_step(secret: str, code: str, *, after_step: int, now: float | None = None) -> int | None:
    """The step (within the drift window) whose code this is and that comes after after_step, or None.
    A code of after_step or earlier is refused: it was already used (replay)."""
    code = normalize_code(code)
    if not _CODE.fullmatch(code):
        return None
    here = current_step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if step > after_step and secrets.compare_digest(code_at(secret, step), code):
            return step
    return None


def spent_step(secret: str, code: str, *, now: float | None = None) -> bool:
    """True when the code is right for the window but was already used: to tell the user so."""
    return matching_step(secret, code, after_step=-1, now=now) is not None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account,
                                                                                    issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code: an SVG data: URI for an <img> (the CSP allows data: images only)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalize_recovery_code(text: str) -> str:
    return normalize_code(text).upper()


def recovery_code_hash(user_id: int, code: str) -> str:
    """Salted with the account, so one code's hash says nothing about another account's codes."""
    return hashlib.sha256(f"nrcms-recovery:{user_id}:{normalize_recovery_code(code)}".encode()).hexdigest()

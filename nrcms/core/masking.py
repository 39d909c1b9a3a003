"""Masking of personal data (个人信息保护法): ID numbers and phone numbers are shown masked on every page, list,
export, printout and API answer; the full number is shown only to a role that may reveal it, one person at a
time, for a recorded reason (nrcms/registry/reveal.py). Inputs (forms, lookups by full ID) stay full.

The rules, chosen so that a clerk can still tell two people apart and check a number read out to them:

- ID number (身份证号, 18 or old 15 characters): the 6-digit division code and the last 4 characters stay,
  everything between becomes "*" — 610125198001011234 → 610125********1234 (the birth date is hidden).
  Anything shorter than 10 characters keeps only its last 4 (fewer than 5: nothing).
- Phone number: only digits are masked, separators stay. With 11 digits or more (mobile 139 1234 5678, or a
  landline with its area code 029-84812345) the first 3 and the last 4 digits stay: 139****5678,
  029-****2345. With 7–10 digits only the last 4 stay (84812345 → ****2345); 5–6 digits keep the last 2;
  4 or fewer are masked entirely.
- Free text (audit details, reasons): every 18-character ID number and every 11-digit mobile number found in it
  is masked by the rules above.

Pure functions: no Django, so the API schemas, the template filters and the exports share one rule."""

from __future__ import annotations

import re

MASK = "*"
ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_id(number: str | None) -> str:
    """610125198001011234 → 610125********1234."""
    text = (number or "").strip()
    n = len(text)
    if n >= 10:
        return text[:6] + MASK * (n - 10) + text[-4:]
    if n >= 5:
        return MASK * (n - 4) + text[-4:]
    return MASK * n


def mask_phone(number: str | None) -> str:
    """13912345678 → 139****5678; 029-84812345 → 029-****2345; 84812345 → ****2345."""
    text = (number or "").strip()
    digits = sum(c.isdigit() or c == MASK for c in text)  # a masked digit still counts: masking twice is harmless
    head = 3 if digits >= 11 else 0
    tail = 4 if digits >= 7 else 2 if digits >= 5 else 0
    out, seen = [], 0
    for c in text:
        if c.isdigit() or c == MASK:
            seen += 1
            out.append(c if seen <= head or seen > digits - tail else MASK)
        else:
            out.append(c)
    return "".join(out)


def mask_text(text: str | None) -> str:
    """Free text with every ID number and mobile number in it masked."""
    if not text:
        return text or ""
    text = ID_IN_TEXT.sub(lambda m: mask_id(m.group()), text)
    return MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def mask_data(value):
    """A recorded value (audit before/after: dicts, lists, strings) with every string masked by mask_text."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value

"""Personal data on pages and printouts: `{{ p.id_number|masked_id }}`, `{{ p.phone|masked_phone }}` and
`{{ text|masked_text }}` (nrcms/core/masking.py holds the rules). A template builtin, like `|yuan`, so no
template needs a `{% load %}` to mask; a page shows a full number only where a reveal put it in the context."""

from __future__ import annotations

from django import template

from nrcms.core.masking import mask_id, mask_phone, mask_text

register = template.Library()


@register.filter
def masked_id(value) -> str:
    return mask_id(str(value)) if value else ""


@register.filter
def masked_phone(value) -> str:
    return mask_phone(str(value)) if value else ""


@register.filter
def masked_text(value) -> str:
    return mask_text(str(value)) if value else ""

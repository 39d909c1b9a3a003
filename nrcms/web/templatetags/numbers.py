"""Numbers on pages and printouts: `{{ x|yuan }}` for every amount of money, `{{ x|plain }}` for quantities,
prices per unit and rates.

A template builtin (config/settings/base.py TEMPLATES OPTIONS builtins), so every template, printouts included,
formats money the same way without a `{% load %}`. The column header or label says the unit: "金额（元）"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from nrcms.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount in yuan to the fen with thousands separators: 1234.5 → 1,234.50, -380 → -380.00; empty → "".
    Exact (Decimal all the way); a float raises TypeError, as money must never be a float."""
    if value is None or value == "":
        return ""
    try:
        return format_yuan(value)
    except ValueError:  # not a number (e.g. a dash already put in by the view): show it as it is
        return str(value)


@register.filter
def plain(value) -> str:
    """25.5000 → 25.5, 15.0000 → 15, 0.0001 → 0.0001 (never 1E-4)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):f}"
    return f"{number.normalize():f}"

"""Number display at the desk: amounts always to the fen, quantities and prices without trailing zeros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


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


@register.filter
def fen(value) -> str:
    """An amount in yuan to the fen: 2435 → 2435.00; empty → 0.00."""
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        return str(value)
    return f"{number.quantize(Decimal('0.01')):f}"

"""Turn values into JSON that means the same thing on every database: Decimal and dates as strings."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum


def jsonable(value):
    kind = type(value)  # exact types first: the common cases without the isinstance chain (subclasses below)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        return format(value, "f")
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        raise TypeError("浮点数不得进入审计记录或金额字段")
    return str(value)

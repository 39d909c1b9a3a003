"""Excel export, the format county offices pass around. Cells hold text and numbers, never formulas.

A column whose header ends in "（元）" holds money: its cells stay numbers (so they can be summed) and are shown
with thousands separators and two decimals (number format #,##0.00), as on the pages."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from .jsonable import jsonable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): = + - @, and a leading tab or
# carriage return, which some programs strip before looking at the next character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_HEADER_SUFFIX = "（元）"
MONEY_FORMAT = "#,##0.00"


def cell_value(value):
    """Numbers stay numbers, None and "" stay empty cells; any other value is written as text, and text that a
    spreadsheet would read as a formula is kept literal with a leading apostrophe."""
    if value is None or isinstance(value, Decimal | int):
        return value
    text = value if isinstance(value, str) else str(jsonable(value))
    if not text:
        return None  # no cell at all rather than an empty string, which counts as filled in Excel (COUNTA)
    if text.startswith(FORMULA_STARTS):
        return "'" + text  # never let user text become a formula
    return text


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    money_columns = [i for i, header in enumerate(headers, start=1) if str(header).endswith(MONEY_HEADER_SUFFIX)]
    for row in rows:
        ws.append([cell_value(v) for v in row])
        for column in money_columns:
            ws.cell(row=ws.max_row, column=column).number_format = MONEY_FORMAT
    for idx, _ in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = 18
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(title, headers, rows), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response

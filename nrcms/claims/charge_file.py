"""Itemised charges from a hospital's export (.xlsx or .csv) with Chinese column headers."""

from __future__ import annotations

from nrcms.core.errors import ValidationFailed
from nrcms.core.parsing import (
    ParseError,
    parse_amount,
    parse_date,
    parse_number,
    parse_quantity,
    parse_whole,
    where,
)
from nrcms.core.sheets import cell_text, find_header, is_blank, read_rows, refuse_problems

from .desk_charges import ChargeInput

COLUMNS = {"明细序号": "line_no", "院内编码": "facility_item_code", "项目名称": "item_name", "费用日期": "charged_on",
           "数量": "quantity", "单价": "unit_price", "金额": "amount"}

# Each reader takes a cell (text from a .csv, a typed value from a workbook) and refuses with a ParseError
# whose message the refusal places at its row and column.
READERS = {
    "line_no": lambda v: parse_whole(v, what="整数序号"),
    "facility_item_code": cell_text,
    "item_name": cell_text,
    "charged_on": parse_date,
    "quantity": parse_quantity,
    "unit_price": lambda v: parse_number(v, what="单价"),
    "amount": parse_amount,
}


def parse_charge_file(name: str, content: bytes) -> list[ChargeInput]:
    """The file's charge lines. Every unreadable cell is named by its row (as Excel numbers it) and column:
    "第 3 行“金额”列：“12,34.00”不是有效的金额……"."""
    rows = read_rows(name, content, what="费用明细文件")
    at, header = find_header(rows, COLUMNS)
    index = {column: header.index(column) for column in COLUMNS}
    lines, problems = [], []
    for n, row in enumerate(rows[at + 1:], start=at + 2):
        if is_blank(row):
            continue
        values, ok = {}, True
        for column, i in index.items():
            try:
                values[COLUMNS[column]] = READERS[COLUMNS[column]](row[i] if i < len(row) else None)
            except ParseError as exc:
                problems.append(where(n, column, exc))
                ok = False
        if ok:
            lines.append(ChargeInput(**values))
    refuse_problems(problems)
    if not lines:
        raise ValidationFailed("empty", "文件只有列名，没有费用明细行", field="file")
    return lines

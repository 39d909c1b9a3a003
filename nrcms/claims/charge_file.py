"""Itemised charges from a hospital's export (.xlsx or .csv) with Chinese column headers."""

from __future__ import annotations

import csv
import io

from nrcms.core.errors import ValidationFailed
from nrcms.core.parsing import (
    ParseError,
    normalize,
    parse_amount,
    parse_date,
    parse_number,
    parse_quantity,
    parse_whole,
    where,
)

from .desk import ChargeInput

COLUMNS = {"明细序号": "line_no", "院内编码": "facility_item_code", "项目名称": "item_name", "费用日期": "charged_on",
           "数量": "quantity", "单价": "unit_price", "金额": "amount"}
MAX_PROBLEMS = 20  # listed in the message; all of them go in details


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) first; then GB18030, which covers GBK and GB2312 — what Excel on Chinese
    Windows writes when it saves a .csv."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("invalid", "无法识别 .csv 文件的编码：请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 .xlsx",
                           field="file")


def _rows(name: str, content: bytes) -> list[list]:
    if name.lower().endswith(".csv"):
        try:
            return list(csv.reader(io.StringIO(_decode(content))))
        except csv.Error as exc:
            raise ValidationFailed("invalid", f".csv 文件格式不正确：{exc}", field="file") from exc
    if name.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            return sheet.to_python(skip_empty_area=False)  # rows keep Excel's numbers
        except Exception as exc:  # calamine raises its own errors (and others) for a damaged workbook
            raise ValidationFailed("invalid", "无法读取该 Excel 文件（文件已损坏或不是 .xlsx/.xls 格式）；"
                                   "请在 Excel 中重新另存后上传", field="file") from exc
    raise ValidationFailed("invalid", "费用明细文件须为 .xlsx 或 .csv", field="file")


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand whole numbers back as floats; only codes and counts go here
    return str(value).strip() if value is not None else ""


# Column → (field, reader). Each reader takes a cell (text from a .csv, a typed value from a workbook) and
# refuses with a ParseError whose message the refusal places at its row and column.
READERS = {
    "line_no": lambda v: parse_whole(v, what="整数序号"),
    "facility_item_code": _text,
    "item_name": _text,
    "charged_on": parse_date,
    "quantity": parse_quantity,
    "unit_price": lambda v: parse_number(v, what="单价"),
    "amount": parse_amount,
}
HEADER_SEARCH_ROWS = 10  # a title row or two above the column names is common in hospital exports


def _header(rows: list[list]) -> tuple[int, list[str]]:
    """(index of the column-name row, its names): the first of the top rows that has every column."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [normalize(_text(h)) for h in row]
        if all(h in names for h in COLUMNS):
            return i, names
    first = next((row for row in rows if any(_text(v) for v in row)), [])
    names = [normalize(_text(h)) for h in first]
    missing = [h for h in COLUMNS if h not in names]
    raise ValidationFailed("invalid", f"缺少列：{'、'.join(missing)}（列名行应含：{'、'.join(COLUMNS)}）", field="file")


def parse_charge_file(name: str, content: bytes) -> list[ChargeInput]:
    """The file's charge lines. Every unreadable cell is named by its row (as Excel numbers it) and column:
    "第 3 行“金额”列：“12,34.00”不是有效的金额……"."""
    rows = _rows(name, content)
    if not any(any(_text(v) for v in row) for row in rows):
        raise ValidationFailed("empty", "文件是空的", field="file")
    at, header = _header(rows)
    index = {column: header.index(column) for column in COLUMNS}
    lines, problems = [], []
    for n, row in enumerate(rows[at + 1:], start=at + 2):
        if not any(_text(v) for v in row):
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
    if problems:
        more = f"（另有 {len(problems) - MAX_PROBLEMS} 处）" if len(problems) > MAX_PROBLEMS else ""
        raise ValidationFailed("invalid", "；".join(problems[:MAX_PROBLEMS]) + more, field="file",
                               details=[{"message": p} for p in problems])
    if not lines:
        raise ValidationFailed("empty", "文件只有列名，没有费用明细行", field="file")
    return lines

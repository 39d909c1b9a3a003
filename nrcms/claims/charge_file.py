"""Itemised charges from a hospital's export (.xlsx or .csv) with Chinese column headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from nrcms.core.errors import ValidationFailed

from .desk import ChargeInput

COLUMNS = {"明细序号": "line_no", "院内编码": "facility_item_code", "项目名称": "item_name", "费用日期": "charged_on",
           "数量": "quantity", "单价": "unit_price", "金额": "amount"}


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
            return sheet.to_python(skip_empty_area=True)
        except Exception as exc:  # calamine raises its own errors (and others) for a damaged workbook
            raise ValidationFailed("invalid", "无法读取该 Excel 文件（文件已损坏或不是 .xlsx/.xls 格式）；"
                                   "请在 Excel 中重新另存后上传", field="file") from exc
    raise ValidationFailed("invalid", "费用明细文件须为 .xlsx 或 .csv", field="file")


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand whole numbers back as floats; only codes and counts go here
    return str(value).strip() if value is not None else ""


def _number(value) -> Decimal:
    number = Decimal(_text(value))
    if not number.is_finite():
        raise ValueError(value)
    return number


def parse_charge_file(name: str, content: bytes) -> list[ChargeInput]:
    rows = _rows(name, content)
    if not rows:
        raise ValidationFailed("empty", "文件是空的", field="file")
    header = [_text(h) for h in rows[0]]
    missing = [h for h in COLUMNS if h not in header]
    if missing:
        raise ValidationFailed("invalid", f"缺少列：{'、'.join(missing)}（第一行应为列名）", field="file")
    index = {COLUMNS[h]: header.index(h) for h in COLUMNS}
    lines, problems = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not any(_text(v) for v in row):
            continue
        get = {key: row[i] if i < len(row) else None for key, i in index.items()}
        try:
            day = get["charged_on"]
            charged_on = day if isinstance(day, dt.date) else dt.date.fromisoformat(_text(day)[:10])
            if isinstance(charged_on, dt.datetime):
                charged_on = charged_on.date()
            lines.append(ChargeInput(
                line_no=int(_text(get["line_no"])), facility_item_code=_text(get["facility_item_code"]),
                item_name=_text(get["item_name"]), charged_on=charged_on,
                quantity=_number(get["quantity"]), unit_price=_number(get["unit_price"]),
                amount=_number(get["amount"]),
            ))
        except (ValueError, InvalidOperation, TypeError, OverflowError):
            problems.append(f"第 {n} 行格式不正确（序号为整数，日期为 YYYY-MM-DD，数量、单价、金额为数字）")
    if problems:
        raise ValidationFailed("invalid", "；".join(problems[:20]), field="file")
    if not lines:
        raise ValidationFailed("empty", "文件只有列名，没有费用明细行", field="file")
    return lines

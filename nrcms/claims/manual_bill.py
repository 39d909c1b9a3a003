"""The receipts of a manual claim (手工报销票据) as lines: typed on the page's rows or read from a bill file
(.xlsx/.csv as Excel writes it). Amounts and shares go through core/parsing; every refusal names its row and
column. The rules on a line (amount to the fen, the catalogue, the category-B share) stay in manual.py."""

from __future__ import annotations

from nrcms.core.errors import ValidationFailed
from nrcms.core.parsing import ParseError, normalize, parse_amount, parse_ratio, where
from nrcms.core.sheets import cell_text, find_header, is_blank, read_rows, refuse_problems

from .manual import ReceiptLine

# Column labels as the page's table and a bill file name them.
COLUMNS = {"项目名称": "item_name", "目录分类": "catalogue_class", "先行自付比例": "first_self_pay_share",
           "金额": "amount", "目录编码": "catalogue_code"}
REQUIRED = ("项目名称", "金额")
CLASS_CODES = {"A": "A", "甲": "A", "甲类": "A", "B": "B", "乙": "B", "乙类": "B", "C": "C", "丙": "C", "丙类": "C"}
MAX_FILE_LINES = 200


def parse_class(value) -> str:
    text = normalize(cell_text(value)).upper()
    if text and text not in CLASS_CODES:
        raise ParseError(f"“{cell_text(value)}”不是目录分类（应为甲类、乙类或丙类，或留空并填写目录编码）")
    return CLASS_CODES.get(text, "")


def receipt_line(row: int, cells: dict[str, object], problems: list[str], *, prefix: str = "") -> ReceiptLine | None:
    """One line from its cells by column label; None (with the problems noted) if a cell cannot be read."""
    found = len(problems)
    values = {}
    readers = {"item_name": cell_text, "catalogue_code": cell_text, "catalogue_class": parse_class,
               "amount": parse_amount,
               "first_self_pay_share": lambda v: parse_ratio(v, what="先行自付比例") if cell_text(v) else None}
    for column, name in COLUMNS.items():
        try:
            values[name] = readers[name](cells.get(column))
        except ParseError as exc:
            problems.append(prefix + where(row, column, exc))
    return ReceiptLine(**values) if len(problems) == found else None


def parse_receipt_file(name: str, content: bytes) -> list[ReceiptLine]:
    """A bill file's lines: columns 项目名称 and 金额, optionally 目录分类 (甲/乙/丙), 先行自付比例 (0.2 or 20%)
    and 目录编码; rows numbered as in Excel in every refusal."""
    rows = read_rows(name, content, what="票据明细文件")
    at, header = find_header(rows, REQUIRED)
    index = {column: header.index(column) for column in COLUMNS if column in header}
    lines, problems = [], []
    for n, row in enumerate(rows[at + 1:], start=at + 2):
        if is_blank(row):
            continue
        line = receipt_line(n, {c: row[i] if i < len(row) else None for c, i in index.items()}, problems)
        if line is not None:
            lines.append(line)
    refuse_problems(problems)
    if not lines:
        raise ValidationFailed("empty", "文件只有列名，没有票据明细行", field="file")
    if len(lines) > MAX_FILE_LINES:
        raise ValidationFailed("too_many", f"票据明细最多 {MAX_FILE_LINES} 行；请按甲类、乙类、丙类合计录入", field="file")
    return lines

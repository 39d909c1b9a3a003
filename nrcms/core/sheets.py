"""Tables uploaded as .xlsx/.xls or .csv, read into rows of cells with Excel's row numbers, and the row of
column names found among the top rows. No Django; the values in the cells are read by core/parsing."""

from __future__ import annotations

import csv
import io

from .errors import ValidationFailed
from .parsing import normalize

HEADER_SEARCH_ROWS = 10  # a title row or two above the column names is common in hospital exports


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


def read_rows(name: str, content: bytes, *, what: str = "文件") -> list[list]:
    """Every row of the first sheet from A1 on, so that rows[i] is Excel's row i + 1."""
    if name.lower().endswith(".csv"):
        try:
            return list(csv.reader(io.StringIO(_decode(content))))
        except csv.Error as exc:
            raise ValidationFailed("invalid", f".csv 文件格式不正确：{exc}", field="file") from exc
    if name.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python(
                skip_empty_area=False)
        except Exception as exc:  # calamine raises its own errors (and others) for a damaged workbook
            raise ValidationFailed("invalid", "无法读取该 Excel 文件（文件已损坏或不是 .xlsx/.xls 格式）；"
                                   "请在 Excel 中重新另存后上传", field="file") from exc
    raise ValidationFailed("invalid", f"{what}须为 .xlsx 或 .csv", field="file")


def cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand whole numbers back as floats; only codes and counts go here
    return str(value).strip() if value is not None else ""


def is_blank(row: list) -> bool:
    return not any(cell_text(v) for v in row)


def find_header(rows: list[list], required) -> tuple[int, list[str]]:
    """(index of the column-name row, its names): the first of the top rows that has every required column.
    Refuses an empty file, and a file whose first row lacks columns, naming them."""
    if all(is_blank(row) for row in rows):
        raise ValidationFailed("empty", "文件是空的", field="file")
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [normalize(cell_text(h)) for h in row]
        if all(h in names for h in required):
            return i, names
    names = [normalize(cell_text(h)) for h in next(row for row in rows if not is_blank(row))]
    missing = [h for h in required if h not in names]
    raise ValidationFailed("invalid", f"缺少列：{'、'.join(missing)}（列名行应含：{'、'.join(required)}）", field="file")


def find_aliased_header(rows: list[list], columns: dict[str, tuple[str, tuple[str, ...], bool]],
                        refusal: str) -> tuple[int, dict[str, int]]:
    """(index of the column-name row, each found column's place by its key): the first of the top rows that
    names every required column by one of the names it may go by (`columns`: key → (label, accepted names,
    required)). Refuses an empty file, and a file without such a row with `refusal`."""
    if all(is_blank(row) for row in rows):
        raise ValidationFailed("empty", "文件是空的", field="file")
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [normalize(cell_text(h)) for h in row]
        found = {key: next((names.index(a) for a in aliases if a in names), None)
                 for key, (_, aliases, _) in columns.items()}
        if all(found[key] is not None for key, (_, _, required) in columns.items() if required):
            return i, {key: col for key, col in found.items() if col is not None}
    raise ValidationFailed("invalid", refusal, field="file")


def refuse_problems(problems: list[str], limit: int = 20) -> None:
    """All of a file's problems in one refusal: the first `limit` in the message, every one in details."""
    if problems:
        more = f"（另有 {len(problems) - limit} 处）" if len(problems) > limit else ""
        raise ValidationFailed("invalid", "；".join(problems[:limit]) + more, field="file",
                               details=[{"message": p} for p in problems])

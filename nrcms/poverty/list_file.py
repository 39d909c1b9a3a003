"""Reading the poverty office's list (扶贫办名单) as that office exports it: one row a person with the ID number,
household, village, poverty status (已脱贫 / 未脱贫 / 监测户) and its dates. Columns are found by their Chinese
names among the top rows, under the names the poverty office's system uses or their common variants. Every row
is checked here; a row that cannot be read comes back as a problem with its reason, never as an exception.
No database: what a row means for a person's categories is decided in importer.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nrcms.core.errors import ValidationFailed
from nrcms.core.idnumber import validate_id_number
from nrcms.core.masking import mask_id
from nrcms.core.parsing import ParseError, normalize, parse_date
from nrcms.core.sheets import cell_text, find_aliased_header, is_blank, read_rows

# key → (the column's name in our report, the names accepted in the file, required)
COLUMNS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "id_number": ("证件号码", ("证件号码", "身份证号", "身份证号码", "公民身份号码"), True),
    "name": ("姓名", ("姓名",), False),
    "household": ("户编号", ("户编号", "户号", "贫困户编号"), False),
    "village": ("行政村", ("行政村", "所在村", "村"), False),
    "status": ("贫困户状态", ("贫困户状态", "脱贫属性", "贫困状态", "状态"), True),
    "since": ("纳入日期", ("纳入日期", "识别日期", "建档日期", "纳入监测日期"), True),
    "exit": ("脱贫日期", ("脱贫日期", "脱贫时间", "标注脱贫日期"), False),
}
POOR, EXITED, MONITORED = "未脱贫", "已脱贫", "监测户"
STATUSES = {POOR: POOR, "贫困户": POOR, EXITED: EXITED, "脱贫户": EXITED, MONITORED: MONITORED,
            "监测对象": MONITORED, "防返贫监测户": MONITORED}
MAX_TEXT = 60


@dataclass(frozen=True)
class ListRow:
    row: int  # Excel's row number
    id_number: str
    name: str
    household: str
    village: str
    status: str  # POOR / EXITED / MONITORED
    since: dt.date
    exit: dt.date | None


def problem(row: int, cells: dict, reason: str) -> dict:
    """One row of the problem report: what the file said (the ID number masked) and why it was not applied."""
    return {"row": row, "id_number": mask_id(cells.get("id_number", "")), "name": cells.get("name", ""),
            "household": cells.get("household", ""), "village": cells.get("village", ""),
            "status": cells.get("status", ""), "since": cells.get("since", ""), "exit": cells.get("exit", ""),
            "reason": reason}


def _header(rows: list[list]) -> tuple[int, dict[str, int]]:
    required = [f"{label}（或{'/'.join(aliases[1:])}）" for label, aliases, req in COLUMNS.values() if req]
    return find_aliased_header(rows, COLUMNS, f"找不到名单的列名行：应含 {'、'.join(required)} 各一列")


def _text(row: list, col: int | None) -> str:
    return normalize(cell_text(row[col])) if col is not None and col < len(row) else ""


def _raw(row: list, col: int | None):
    return row[col] if col is not None and col < len(row) else None


def _date(value, label: str, *, as_of: dt.date, required: bool) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ParseError(f"“{label}”不能为空")
        return None
    day = parse_date(value, what=label)
    if day > as_of:
        raise ParseError(f"“{label}” {day} 晚于名单日期 {as_of}")
    return day


def _check(cells: dict, raw: dict, as_of: dt.date) -> ListRow | str:
    """The row read, or the reason it cannot be."""
    try:
        id_number = validate_id_number(cells["id_number"], today=as_of).id_number
    except ValidationFailed as exc:
        number = cells["id_number"]
        return exc.message.replace(number, mask_id(number)) if number else exc.message
    for key in ("name", "household", "village"):
        if len(cells.get(key, "")) > MAX_TEXT or not cells.get(key, "").isprintable():
            return f"“{COLUMNS[key][0]}”超过 {MAX_TEXT} 个字或含不可见字符"
    status = STATUSES.get(cells["status"])
    if status is None:
        return f"贫困户状态“{cells['status'][:20]}”应为：未脱贫、已脱贫、监测户 之一"
    try:
        since = _date(raw["since"], "纳入日期", as_of=as_of, required=True)
        exit_ = _date(raw["exit"], "脱贫日期", as_of=as_of, required=status == EXITED)
    except ParseError as exc:
        return str(exc)
    if status == POOR and exit_ is not None:
        return "状态为未脱贫，却填写了脱贫日期"
    if exit_ is not None and exit_ < since:
        return f"脱贫日期 {exit_} 早于纳入日期 {since}"
    return ListRow(0, id_number, cells.get("name", ""), cells.get("household", ""), cells.get("village", ""),
                   status, since, exit_)


def read_list(file_name: str, content: bytes, *, as_of: dt.date) -> tuple[list[ListRow], list[dict], int]:
    """(rows read, problem rows, number of data rows). A person listed twice is a problem in both rows: which
    of the two is right only the poverty office can say."""
    rows = read_rows(file_name, content, what="扶贫办名单")
    start, cols = _header(rows)
    good: list[ListRow] = []
    problems: list[dict] = []
    total = 0
    for i, row in enumerate(rows[start + 1:], start=start + 2):
        if is_blank(row):
            continue
        total += 1
        cells = {key: _text(row, cols.get(key)) for key in COLUMNS}
        raw = {key: _raw(row, cols.get(key)) for key in ("since", "exit")}
        cells["since"], cells["exit"] = cells["since"][:20], cells["exit"][:20]
        checked = _check(cells, raw, as_of)
        if isinstance(checked, str):
            problems.append(problem(i, cells, checked))
        else:
            good.append(ListRow(i, *[getattr(checked, f) for f in ListRow.__dataclass_fields__ if f != "row"]))
    if total == 0:
        raise ValidationFailed("empty", "名单中没有数据行", field="file")
    seen: dict[str, list[ListRow]] = {}
    for r in good:
        seen.setdefault(r.id_number, []).append(r)
    twice = {n for n, rs in seen.items() if len(rs) > 1}
    for r in good:
        if r.id_number in twice:
            others = "、".join(str(o.row) for o in seen[r.id_number] if o.row != r.row)
            problems.append(listed_problem(r, f"同一证件号码在名单中重复（又见第 {others} 行）"))
    return [r for r in good if r.id_number not in twice], problems, total


def listed_problem(r: ListRow, reason: str) -> dict:
    return problem(r.row, {"id_number": r.id_number, "name": r.name, "household": r.household, "village": r.village,
                           "status": r.status, "since": str(r.since), "exit": str(r.exit or "")}, reason)


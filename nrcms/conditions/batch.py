"""Batch chronic-disease certification (`nrcms conditions certify FILE --user U`): the sheet the county hospitals
send, one row a certificate — 身份证号, 病种代码, 认定医院编码, 认定日期, and optionally 有效期至 and 备注.

read → validate every row → write. Every row is put through `services.chronic_certify` (the page's own
service: the actor's jurisdiction, the scheme's chronic list on the day, a designated hospital of county level
or above, no overlapping validity; each certificate audited `chronic.certify`), all rows in one transaction.
If any row is refused, or for a dry run, that transaction is rolled back: nothing is written, and every
refusal comes back as a sentence naming the row, the column and the rule (`第 5 行“病种代码”列：……`).

A row whose person already holds a certificate for that disease valid on the row's 认定日期 is "已认定，跳过":
neither an error nor written, so the same file can be run again. 有效期至 left empty (or no such column) is the
认定日期 a year later, as the page's form offers it. 备注 goes on the audit record as its reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from nrcms.accounts.models import User
from nrcms.accounts.roles import CAP_LABELS, Cap
from nrcms.core.errors import Forbidden, NrcmsError, ValidationFailed
from nrcms.core.idnumber import validate_id_number
from nrcms.core.masking import mask_id, mask_text
from nrcms.core.parsing import ParseError, normalize, parse_date, where
from nrcms.core.sheets import HEADER_SEARCH_ROWS, cell_text, find_aliased_header, is_blank, read_rows

from .models import ChronicCertificate, ChronicStatus
from .services import chronic_certify, person_by_id_number

# key → (the column's name, the names accepted in the file, required)
COLUMNS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "id_number": ("身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码"), True),
    "disease_code": ("病种代码", ("病种代码", "病种编码", "慢性病病种编码"), True),
    "facility_code": ("认定医院编码", ("认定医院编码", "认定医疗机构编码", "医院编码", "机构编码"), True),
    "certified_on": ("认定日期", ("认定日期",), True),
    "valid_until": ("有效期至", ("有效期至", "有效期截止日期", "有效期止"), False),
    "note": ("备注", ("备注",), False),
}
# the service's field → the sheet's column, to name the column of a refusal
FIELD_COLUMNS = {"id_number": "身份证号", "disease_code": "病种代码", "facility_code": "认定医院编码",
                 "facility": "认定医院编码", "certified_on": "认定日期", "valid_until": "有效期至", "note": "备注"}
NOTE_MAX = 300
CODE_MAX = 20


@dataclass(frozen=True)
class CertifyRow:
    row: int  # Excel's row number
    id_number: str
    disease_code: str
    facility_code: str
    certified_on: dt.date
    valid_until: dt.date
    note: str


@dataclass
class BatchResult:
    rows_total: int = 0
    certified: list[tuple[int, ChronicCertificate]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # "第 n 行 …：已认定，跳过（…）"
    errors: list[str] = field(default_factory=list)    # each names the row, the column and the rule
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run and bool(self.certified)


def a_year_on(day: dt.date) -> dt.date:
    """The same day a year later (29 February: 28 February), as the page's form offers 有效期至."""
    return day.replace(year=day.year + 1) if not (day.month == 2 and day.day == 29) else \
        day.replace(year=day.year + 1, day=28)


def _header(rows: list[list]) -> tuple[int, dict[str, int]]:
    required = "、".join(label for label, _, req in COLUMNS.values() if req)
    return find_aliased_header(rows, COLUMNS, f"找不到列名行：前 {HEADER_SEARCH_ROWS} 行中应有一行含 {required} 各一列"
                               "（可另有 有效期至、备注）")


def _cell(row: list, col: int | None):
    return row[col] if col is not None and col < len(row) else None


def _read(i: int, row: list, cols: dict[str, int]) -> tuple[CertifyRow | None, list[str]]:
    """One row read and checked on its own (no database): the row, or its problems (all of them)."""
    problems: list[str] = []

    def text(key: str, limit: int) -> str:
        value = normalize(cell_text(_cell(row, cols.get(key))))
        label, _, required = COLUMNS[key]
        if required and not value:
            problems.append(where(i, label, "不能为空"))
        elif "\x00" in value:  # PostgreSQL refuses NUL in text: the row's problem, not a crash
            problems.append(where(i, label, "含有不可见的控制字符（NUL），请删除后重新导出"))
            value = ""
        elif len(value) > limit:
            problems.append(where(i, label, f"最多 {limit} 个字，现有 {len(value)} 个字"))
        return value

    number = text("id_number", 40).upper()
    if number:
        try:
            number = validate_id_number(number).id_number
        except ValidationFailed as exc:
            problems.append(where(i, "身份证号", exc.message.replace(number, mask_id(number))))
    disease = text("disease_code", CODE_MAX).upper()
    facility = text("facility_code", CODE_MAX)
    note = text("note", NOTE_MAX)
    days: dict[str, dt.date | None] = {}
    for key in ("certified_on", "valid_until"):
        label, _, required = COLUMNS[key]
        raw = _cell(row, cols.get(key))
        if not required and not normalize(cell_text(raw)):
            days[key] = None
            continue
        try:
            days[key] = parse_date(raw, what=label)
        except ParseError as exc:
            problems.append(where(i, label, exc))
            days[key] = None
    if problems:
        return None, problems
    certified_on = days["certified_on"]
    return CertifyRow(i, number, disease, facility, certified_on, days["valid_until"] or a_year_on(certified_on),
                      note), []


def read_sheet(file_name: str, content: bytes) -> tuple[list[CertifyRow], list[str], int]:
    """(rows read, problems, number of data rows). A person listed twice for one disease is a problem in the
    later row: which of the two is meant only the hospital can say."""
    rows = read_rows(file_name, content, what="慢性病认定表")
    start, cols = _header(rows)
    good: list[CertifyRow] = []
    problems: list[str] = []
    first: dict[tuple[str, str], int] = {}
    total = 0
    for i, row in enumerate(rows[start + 1:], start=start + 2):
        if is_blank(row):
            continue
        total += 1
        read, found = _read(i, row, cols)
        problems += found
        if read is None:
            continue
        key = (read.id_number, read.disease_code)
        if key in first:
            problems.append(where(i, "身份证号", f"与第 {first[key]} 行是同一人同一病种（{read.disease_code}），"
                                  "每人每病种只能有一行"))
            continue
        first[key] = i
        good.append(read)
    if total == 0:
        raise ValidationFailed("empty", "表中没有数据行", field="file")
    return good, problems, total


def _held(person, r: CertifyRow) -> ChronicCertificate | None:
    """The person's certificate for the row's disease valid on the row's 认定日期, if any."""
    return (ChronicCertificate.objects.filter(person=person, disease_code=r.disease_code,
                                              status=ChronicStatus.CERTIFIED, certified_on__lte=r.certified_on,
                                              valid_until__gte=r.certified_on).order_by("-certified_on").first())


def chronic_certify_batch(*, actor: User, file_name: str, content: bytes, dry_run: bool = False,
                          progress: Callable[[int, int], None] | None = None) -> BatchResult:
    """Certify every row of the sheet in one transaction, or nothing: see the module's docstring."""
    if not actor.can(Cap.CONDITIONS_MANAGE):
        raise Forbidden(f"账号 {actor.username}（{actor.get_role_display()}）没有“{CAP_LABELS[Cap.CONDITIONS_MANAGE]}”"
                        "的权限，不能登记慢性病认定")
    rows, problems, total = read_sheet(file_name, content)
    result = BatchResult(rows_total=total, errors=problems, dry_run=dry_run)
    with transaction.atomic():
        for done, r in enumerate(rows, start=1):
            _one(actor, r, result)
            if progress:
                progress(done, len(rows))
        if result.errors or dry_run:  # all rows or none: the certificates and their audit entries undone
            transaction.set_rollback(True)
    result.errors.sort(key=_row_of)
    return result


def _one(actor: User, r: CertifyRow, result: BatchResult) -> None:
    try:
        person = person_by_id_number(actor, r.id_number)
        held = _held(person, r)
        if held is not None:
            result.skipped.append(f"第 {r.row} 行 {person.name}（{mask_id(person.id_number)}）{held.disease_name}：已认定，"
                                  f"跳过（{held.certified_on} 至 {held.valid_until}）")
            return
        cert = chronic_certify(actor=actor, id_number=r.id_number, disease_code=r.disease_code,
                               facility_code=r.facility_code, certified_on=r.certified_on, valid_until=r.valid_until,
                               note=r.note)
    except NrcmsError as exc:
        column = FIELD_COLUMNS.get(exc.field or "")
        message = mask_text(exc.message)
        result.errors.append(where(r.row, column, message) if column else f"第 {r.row} 行：{message}")
    else:
        result.certified.append((r.row, cert))


def _row_of(message: str) -> int:
    try:
        return int(message.split(" ", 2)[1])
    except (IndexError, ValueError):
        return 0

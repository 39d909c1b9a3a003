"""The roster (参合花名册) file: its columns, the downloadable Chinese template, and reading .xlsx/.csv into a
table of strings. One row per person; rows sharing a 户号 form one household."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from nrcms.core.errors import ValidationFailed
from nrcms.core.idnumber import make_id_number

from .models import ExemptionReason, Region, RegionLevel, Relation


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool
    help: str


COLUMNS = (
    Column("户号", "household_key", True, "本文件内区分各户的编号，同户成员填同一户号（如 1、2、3）"),
    Column("村民小组代码", "region_code", True, "15 位村民小组代码或 12 位村代码，见“区划代码”工作表"),
    Column("详细地址", "address", False, "门牌号等，填在户主所在行即可"),
    Column("姓名", "name", True, "与身份证一致"),
    Column("身份证号", "id_number", True, "18 位，末位可为 X；请将本列设为文本格式"),
    Column("与户主关系", "relation", True, "户主、配偶、子女、儿媳/女婿、孙子女/外孙子女、父母、祖父母/外祖父母、兄弟姐妹、其他"),
    Column("联系电话", "phone", False, "11 位手机号或带区号的固定电话"),
    Column("未参合原因", "exemption_reason", False, "参合的成员留空；不参合的成员必须选择原因"),
    Column("未参合说明", "exemption_note", False, "原因为“其他”时必填"),
)
HEADERS = {c.header: c.key for c in COLUMNS}
READ_CHUNK = 50_000  # spreadsheet rows held as Python objects at once while reading
KEYS = [c.key for c in COLUMNS]
RELATION_WORDS = {
    **{label: value for value, label in Relation.choices}, **{v: v for v in Relation.values},
    "本人": "head", "妻": "spouse", "妻子": "spouse", "丈夫": "spouse", "夫": "spouse",
    "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child",
    "长女": "child", "次女": "child", "儿媳": "child_in_law", "女婿": "child_in_law", "孙子": "grandchild",
    "孙女": "grandchild", "外孙": "grandchild", "外孙女": "grandchild", "父亲": "parent", "母亲": "parent",
    "祖父": "grandparent", "祖母": "grandparent", "兄": "sibling", "弟": "sibling", "姐": "sibling",
    "妹": "sibling", "哥哥": "sibling", "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling",
}
REASON_WORDS = {**{label: value for value, label in ExemptionReason.choices},
                **{v: v for v in ExemptionReason.values}, "其他": "other", "职工医保": "employee_insurance",
                "军人": "military", "死亡": "deceased"}


def template_xlsx(township: Region | None = None) -> bytes:
    """The blank roster with one example household, a sheet of instructions and the township's codes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append([c.header for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    groups = list(Region.objects.filter(code__startswith=township.prefix, level__in=[RegionLevel.VILLAGE,
                                                                                    RegionLevel.GROUP])
                  .select_related("parent").order_by("code")) if township else []
    example = next((g.code for g in groups if g.level == RegionLevel.GROUP), "610125100201001")
    ws.append(["1", example, "一组 12 号", "张建国", make_id_number("610125", dt.date(1968, 2, 3), 1, "M"), "户主",
               "13912345678", "", ""])
    ws.append(["1", example, "", "李秀兰", make_id_number("610125", dt.date(1970, 8, 9), 2, "F"), "配偶", "", "", ""])
    ws.append(["1", example, "", "张小军", make_id_number("610125", dt.date(1995, 1, 2), 1, "M"), "子女", "",
               "现役军人", ""])
    for idx, c in enumerate(COLUMNS, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = 22 if c.key in ("id_number", "region_code") else 14
        for row in range(2, 2002):
            ws.cell(row=row, column=idx).number_format = "@"  # text: long codes must not become numbers
    relations = DataValidation(type="list", formula1='"' + ",".join(Relation.labels) + '"', allow_blank=True)
    reasons = DataValidation(type="list", formula1='"' + ",".join(ExemptionReason.labels) + '"', allow_blank=True)
    ws.add_data_validation(relations)
    ws.add_data_validation(reasons)
    relations.add("F2:F5000")
    reasons.add("H2:H5000")
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "必填", "说明"])
    for c in COLUMNS:
        notes.append([c.header, "是" if c.required else "否", c.help])
    notes.append([])
    notes.append(["规则", "", "以户为单位参合：同一户号的全部成员要么参合，要么填写未参合原因；每户有且只有一位户主。"])
    notes.append(["", "", "身份证号须通过校验；已在其他户登记的人员请先在系统中办理迁移，不能重复登记。"])
    notes.append(["", "", "同一文件重复导入不会产生重复数据：已导入且信息一致的户记为“未变化”。"])
    notes.column_dimensions["A"].width, notes.column_dimensions["C"].width = 14, 90
    codes = wb.create_sheet("区划代码")
    codes.append(["代码", "名称", "层级"])
    for g in groups:
        codes.append([g.code, g.full_name, g.get_level_display()])
    codes.column_dimensions["A"].width, codes.column_dimensions["B"].width = 20, 30
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a number cell; 18-digit IDs lose digits and fail the checksum
    return str(value).strip()


def read_roster(content: bytes, file_name: str) -> pl.DataFrame:
    """All columns as stripped strings, renamed to their keys, plus `row` (the spreadsheet's row number)."""
    lower = file_name.lower()
    if lower.endswith(".csv"):
        frame = _read_csv(content)
        frame = frame.with_columns(pl.all().fill_null("").str.strip_chars())
    elif lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        # Rows are taken in chunks so that only one chunk at a time exists as Python objects (a whole county's
        # roster as lists of cells would take several hundred MB); a sheet not starting at A1 is read whole.
        rows = iter(sheet.iter_rows() if sheet.start == (0, 0) else sheet.to_python(skip_empty_area=False))
        first = next(rows, None)
        if not first:
            raise ValidationFailed("empty", "文件是空的：第一个工作表没有表头", field="file")
        header = [_text(h) for h in first]
        width = len(header)
        parts = []
        for r in _chunks(rows, READ_CHUNK):
            # Most cells are already strings; only numbers and dates need _text (a per-cell call costs ~1 µs).
            chunk = [[v if type(v) is str else _text(v) for v in (c[:width] + [""] * (width - len(c)))] for c in r]
            parts.append(pl.DataFrame(chunk, schema=header, orient="row"))
        frame = pl.concat(parts) if parts else pl.DataFrame(schema=header)
        frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars())
    else:
        raise ValidationFailed("invalid", f"不支持的文件类型“{file_name}”：请上传 .xlsx 或 .csv 文件", field="file")
    missing = [c.header for c in COLUMNS if c.required and c.header not in frame.columns]
    if missing:
        raise ValidationFailed("missing_columns", f"文件缺少必填列：{'、'.join(missing)}。请使用系统提供的模板",
                               field="file")
    frame = frame.select([pl.col(h).cast(pl.String).alias(k) if h in frame.columns else pl.lit("").alias(k)
                          for h, k in HEADERS.items()])
    frame = frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    return frame.filter(pl.any_horizontal(pl.exclude("row") != ""))


def _read_csv(content: bytes) -> pl.DataFrame:
    """UTF-8 (with or without BOM) is parsed from the bytes as they are; otherwise GB18030, as a CSV saved by
    Excel on a Chinese Windows is."""
    if content[:3] == b"\xef\xbb\xbf":
        content = content[3:]
    try:
        return pl.read_csv(content, infer_schema=False)
    except pl.exceptions.ComputeError:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return pl.read_csv(content.decode("gb18030").encode("utf-8"), infer_schema=False)
        raise


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

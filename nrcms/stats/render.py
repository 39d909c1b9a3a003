"""A report as an Excel workbook (one sheet, a title, then each table under its caption, Chinese headers, money
as numbers formatted #,##0.00 like core.export) and as a PDF (WeasyPrint through core.pdf)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from nrcms.core.export import MONEY_FORMAT, MONEY_HEADER_SUFFIX, cell_value
from nrcms.core.pdf import render_pdf

from .reports import Report

PERCENT_SUFFIX = "（%）"


def report_xlsx(report: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = report.title[-31:]
    bold = Font(bold=True)
    ws.append([report.title])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.append([report.subtitle])
    for table in report.tables:
        ws.append([])
        ws.append([table.caption])
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.append(table.headers)
        for cell in ws[ws.max_row]:
            cell.font = bold
        money = [i for i, h in enumerate(table.headers, start=1) if h.endswith(MONEY_HEADER_SUFFIX)]
        percent = [i for i, h in enumerate(table.headers, start=1) if h.endswith(PERCENT_SUFFIX)]
        for row in table.rows:
            ws.append([cell_value(v) for v in row])
            for column in money + percent:
                ws.cell(row=ws.max_row, column=column).number_format = MONEY_FORMAT if column in money else "0.00"
    for column in "ABCDEFGHIJK":
        ws.column_dimensions[column].width = 20
    ws.column_dimensions["A"].width = 34
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def report_pdf(report: Report, *, office: str = "") -> bytes:
    return render_pdf("stats/report_pdf.html", {"report": report, "office": office})


def filename(report: Report, ext: str) -> str:
    return f"{report.title}_{report.subtitle.replace('　', '_').replace(' ', '')}.{ext}"

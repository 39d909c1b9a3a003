"""Large Excel exports: rows are written as they are read (openpyxl's write-only workbook) into an anonymous
temporary file, which is then streamed to the browser and removed when the response closes. Memory stays flat
however many rows there are; xlsx_response in export.py stays the simple choice for short lists."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .export import XLSX, cell_value


def xlsx_write_stream(file, title: str, headers: Sequence[str], rows: Iterable[Sequence],
                      widths: Sequence[int] | None = None, progress=None) -> int:
    """Write a one-sheet workbook to an open binary file; returns the number of data rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for idx, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=cell_value(value))
            if isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = wrap
            cells.append(cell)
        ws.append(cells)
        count += 1
        if progress:
            progress(1)
    wb.save(file)
    return count


def xlsx_stream_response(filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence],
                         widths: Sequence[int] | None = None) -> FileResponse:
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes (and so removes) it
    xlsx_write_stream(file, title, headers, rows, widths)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX)

"""PDF from a Django template with WeasyPrint. Fonts: Noto CJK (Debian fonts-noto-cjk) for Chinese, then
HanaMin (Debian fonts-hanazono) for the rare characters Noto CJK lacks: names written with CJK Extension B and
later (𠀀 U+20000 …) would otherwise print as empty boxes on certificates, receipts and vouchers."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string

# HanaMinB covers Extensions B–F (the supplementary plane), HanaMinA the BMP ones Noto lacks.
PDF_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "HanaMinB", "HanaMinA", sans-serif'
PDF_CSS = f"""
@page {{ size: A4; margin: 14mm; }}
body {{ font-family: {PDF_FONT_FAMILY}; font-size: 10.5pt; }}
"""


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[CSS(string=PDF_CSS)])


def pdf_response(filename: str, content: bytes, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response

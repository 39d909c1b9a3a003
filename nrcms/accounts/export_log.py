"""Exports of personal data are audited (个人信息保护法): every Excel or PDF that lists persons writes one audit
row `export` — who, when, what was exported, with which filters and how many rows. The numbers in the file are
masked (nrcms/core/masking.py); the record says a list of people left the system, and to whom."""

from __future__ import annotations

from django.db import transaction

from .audit import audit_record
from .models import AuditEntry, User

SKIPPED_PARAMS = ("export", "page", "csrfmiddlewaretoken")
FILTERS_MAX = 500


def export_filters(params) -> str:
    """The query string's filters as an auditor reads them: "q=张三；year=2026" (paging and the export flag left
    out), cut to FILTERS_MAX characters."""
    items = params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in (params or {}).items())
    parts = [f"{key}={value}" for key, values in items if key not in SKIPPED_PARAMS
             for value in values if value not in ("", None)]
    return "；".join(parts)[:FILTERS_MAX]


@transaction.atomic
def export_record(*, actor: User, what: str, file_name: str, rows: int, filters: str = "", region_code: str = "",
                  facility_code: str = "") -> AuditEntry:
    return audit_record(actor=actor, action="export", object_type="export", object_repr=file_name[:200],
                        after={"what": what, "filters": filters, "rows": rows},
                        region_code=region_code or (actor.region.code if actor.region_id else ""),
                        facility_code=facility_code or (actor.facility.code if actor.facility_id else ""))


def audited_pdf(*, actor: User, what: str, file_name: str, content: bytes, rows: int, filters: str = "",
                region_code: str = "", facility_code: str = ""):
    """A printout of persons (certificate, receipt, voucher, statement) answered as a PDF, its export audited."""
    from nrcms.core.pdf import pdf_response

    export_record(actor=actor, what=what, file_name=file_name, rows=rows, filters=filters, region_code=region_code,
                  facility_code=facility_code)
    return pdf_response(file_name, content)

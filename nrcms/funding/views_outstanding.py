"""The clerk's list of households not yet enrolled or not yet paid in her villages (page, Excel, print)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone

from nrcms.accounts.export_log import export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_list
from nrcms.core.errors import ValidationFailed
from nrcms.core.export import xlsx_response
from nrcms.registry.models import RegionLevel
from nrcms.web.views import need, paged

from .outstanding import STATUSES, outstanding_households, outstanding_rows, personal_amount

PRINT_LIMIT = 3000
HEADERS = ["户编号", "户主", "住址", "状态", "在册人数", "参合人数", "已缴金额（元）", "尚欠金额（元）"]


def _year(text: str) -> int:
    text = (text or "").strip()
    if not text:
        return timezone.localdate().year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ValidationFailed("invalid", f"年度“{text}”应为四位年份，例如 {timezone.localdate().year}", field="year")
    return int(text)


def outstanding_list(request):
    need(request, Cap.REGISTRY_VIEW)
    g = request.GET
    year = _year(g.get("year", ""))
    filters = {"region_code": g.get("region", "").strip(), "status": g.get("status", ""),
               "search": g.get("q", "").strip()}
    qs = outstanding_households(actor=request.user, scheme_year=year, **filters)
    if g.get("export") == "xlsx":
        rows = ((r.household.number, r.head, r.address, r.status_label, r.members, r.enrolled,
                 r.paid, r.owed if r.owed is not None else "") for r in outstanding_rows(qs.iterator(chunk_size=2000)))
        export_record(actor=request.user, what="未参合未缴费户（户主姓名、住址）", file_name=f"{year}年度未参合未缴费户.xlsx",
                      rows=qs.count(), filters=export_filters(g))
        return xlsx_response(f"{year}年度未参合未缴费户.xlsx", "未参合未缴费户", HEADERS, rows)
    query = urlencode({"q": filters["search"], "region": filters["region_code"], "status": filters["status"],
                       "year": year})
    context = {"year": year, "f": g, "query": query, "statuses": STATUSES.items(), "personal": personal_amount(year),
               "villages": region_list(actor=request.user, level=RegionLevel.VILLAGE),
               "can_collect": request.user.can(Cap.CONTRIBUTION_COLLECT), "now": timezone.localtime()}
    if g.get("print"):
        rows = outstanding_rows(qs[:PRINT_LIMIT])
        return render(request, "funding/outstanding_print.html", {**context, "rows": rows, "total": qs.count(),
                                                                   "limit": PRINT_LIMIT})
    page = paged(request, qs)
    page.object_list = outstanding_rows(page.object_list)
    return render(request, "funding/outstanding_list.html", {**context, "page": page})

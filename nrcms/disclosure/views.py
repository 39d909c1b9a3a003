"""/disclosure/: the county office and township clerks pick a month and a region of their jurisdiction, preview
the lists as they will be posted, download the posters (PDF, A4 or A3) and the Excel list, and publish the month.
/public/: the published lists for anyone, without login (views_public.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrcms.accounts.export_log import audited_pdf, export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.registry.models import Region, RegionLevel
from nrcms.web.params import amount_param, choice_param
from nrcms.web.views import need

from .posters import LIST_HEADERS, SIZES, disclosure_build, disclosure_pdf, disclosure_rows, file_name
from .selectors import LARGE_THRESHOLD, month_of, publication_of, publications
from .services import disclosure_publish, publish_region

PAGE_SIZE = 50
FORMATS = {"": "页面", "xlsx": "Excel", "pdf": "PDF"}


def last_month(today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def staff_region(user, code: str) -> Region:
    """The region asked for (the county, a township or a village) inside the user's jurisdiction; their own
    region when `code` is empty."""
    j = jurisdiction_of(user)
    if j.region_prefix is None:
        raise Forbidden("公示按行政区划查看，您的账号未绑定行政区划")
    code = (code or "").strip()
    if not code:
        region = user.region or Region.objects.filter(level=RegionLevel.COUNTY).first()
        if region is None:
            raise NrcmsError("invalid", "尚未载入行政区划")
        return region
    if len(code) > 15 or not code.isascii() or not code.isdigit():
        raise NrcmsError("invalid", f"行政区划“{code[:20]}”格式不正确，应为 12 位区划代码", field="region")
    region = Region.objects.filter(code=code).exclude(level=RegionLevel.GROUP).first()
    if region is None or not region.prefix.startswith(j.region_prefix):
        raise NotFound("行政区划", code)
    return region


def _threshold(request) -> Decimal:
    value = amount_param(request.GET, "threshold", "大额补偿标准")
    if value is None:
        return LARGE_THRESHOLD
    if not Decimal("1") <= value <= Decimal("10000000"):
        raise NrcmsError("invalid", f"大额补偿标准“{value}”应在 1 到 10,000,000 元之间", field="threshold")
    return value


def disclosure_home(request):
    need(request, Cap.DISCLOSURE_VIEW)
    month = (request.GET.get("month") or "").strip() or last_month()
    start, end = month_of(month)
    region = staff_region(request.user, request.GET.get("region", ""))
    threshold = _threshold(request)
    fmt = choice_param(request.GET, "format", "导出格式", FORMATS)
    size = choice_param(request.GET, "size", "纸张", SIZES) or "a4"
    d = disclosure_build(region=region, start=start, end=end, threshold=threshold,
                         villages_without_rows=region.level == RegionLevel.VILLAGE)
    filters = export_filters(request.GET)
    if fmt == "xlsx":
        name = file_name(d, "xlsx")
        export_record(actor=request.user, what="新农合补偿公示名单", file_name=name,
                      rows=sum(len(s.rows) for s in d.sections), filters=filters, region_code=region.code)
        return xlsx_response(name, f"{d.month}公示", LIST_HEADERS, disclosure_rows(d))
    if fmt == "pdf":
        return audited_pdf(actor=request.user, what=f"新农合补偿公示（{SIZES[size]}）", file_name=file_name(d, "pdf", size),
                           content=disclosure_pdf(d, size=size), rows=d.rows, filters=filters, region_code=region.code)
    flat = [r for s in d.sections for r in s.rows]
    page = Paginator(flat, PAGE_SIZE).get_page(request.GET.get("page"))
    j = jurisdiction_of(request.user)
    regions = Region.objects.filter(code__startswith=j.region_prefix,
                                    level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE))
    publishable = request.user.can(Cap.DISCLOSURE_PUBLISH) and region.level != RegionLevel.VILLAGE
    return render(request, "disclosure/home.html", {
        "d": d, "page": page, "month": f"{start:%Y-%m}", "region": region, "regions": regions.order_by("code"),
        "threshold": threshold, "publication": publication_of(start, region), "publishable": publishable,
        "ended": end < timezone.localdate(), "publications": publications(j.region_prefix)[:24],
        "total_cost": sum((r.total_cost for r in flat), Decimal("0.00")),
        "reimbursed": sum((r.reimbursed for r in flat), Decimal("0.00"))})


@require_POST
def disclosure_publish_view(request):
    need(request, Cap.DISCLOSURE_PUBLISH)
    start, end = month_of(request.POST.get("month"))
    region = publish_region(request.user, (request.POST.get("region") or "").strip()[:20])
    pub = disclosure_publish(actor=request.user, start=start, end=end, region=region)
    messages.success(request, f"已发布{region.name} {start.year} 年 {start.month} 月公示（{pub.patients} 人次），"
                              "公众可在 /public/ 查看")
    return redirect(f"{reverse('disclosure_home')}?month={start:%Y-%m}&region={region.code}")

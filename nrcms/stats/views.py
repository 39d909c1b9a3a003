"""Pages under /stats/ for roles with Cap.REPORTS_VIEW, scoped to the user's jurisdiction: the indicators, the
three-level ledgers and the three reports (page, Excel, PDF)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import NotFound, NrcmsError
from nrcms.core.export import XLSX
from nrcms.core.pdf import pdf_response
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.registry.models import Category, Region
from nrcms.web.views import need

from .facility_shares import facility_rows
from .indicators import by_kind, indicators
from .ledgers import COLUMNS, ledger_total, ledgers
from .render import filename, report_pdf, report_xlsx
from .reports import MONTHLY, REPORTS, report_build
from .scope import scope_from


def _filters(request) -> dict:
    j = jurisdiction_of(request.user)
    regions = Region.objects.filter(code__startswith=j.region_prefix or "-", level__in=("county", "township", "village"))
    return {"regions": regions.order_by("code"), "levels": FacilityLevel.choices, "categories": Category.choices,
            "facilities": Facility.objects.order_by("code"), "q": request.GET, "months": range(1, 13),
            "quarters": range(1, 5)}


def _groups(items) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    return list(groups.items())


def stats_home(request):
    need(request, Cap.REPORTS_VIEW)
    scope = scope_from(request.GET, actor=request.user)
    return render(request, "stats/index.html", {
        "scope": scope, "groups": _groups(indicators(scope)), "kinds": by_kind(scope),
        "facilities_shares": facility_rows(scope), "reports": REPORTS, **_filters(request)})


def stats_ledgers(request):
    need(request, Cap.REPORTS_VIEW)
    scope = scope_from(request.GET, actor=request.user)
    led = ledgers(scope)
    villages = [(t, led.villages.get(t["code"], []), ledger_total(led.villages.get(t["code"], [])))
                for t in led.townships]
    return render(request, "stats/ledgers.html", {
        "scope": scope, "led": led, "columns": COLUMNS, "township_total": ledger_total(led.townships),
        "villages": villages, **_filters(request)})


def stats_report(request, name: str):
    need(request, Cap.REPORTS_VIEW)
    if name not in REPORTS:
        raise NotFound("报表", name)
    data = request.GET.copy()
    for key in ("start", "end", "quarter", *(() if name in MONTHLY else ("month",))):
        data.pop(key, None)  # a monthly report is of one month, the year's summary of the whole year
    if name in MONTHLY and not data.get("month"):
        data["month"] = str(timezone.localdate().month)  # this month unless asked
    fmt = request.GET.get("format", "")
    if fmt not in ("", "xlsx", "pdf"):
        raise NrcmsError("invalid", f"导出格式“{fmt[:20]}”应为 xlsx 或 pdf", field="format")
    scope = scope_from(data, actor=request.user)
    report = report_build(name, scope)
    if fmt == "xlsx":
        response = HttpResponse(report_xlsx(report), content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename(report, 'xlsx'))}"
        return response
    if fmt == "pdf":
        return pdf_response(filename(report, "pdf"), report_pdf(report, office=_office()))
    query = data.urlencode()
    return render(request, "stats/report.html", {"report": report, "name": name, "scope": scope, "query": query,
                                                 "monthly": name in MONTHLY, "county_only": name == "fund-monthly", "year_only": name not in MONTHLY,
                                                 **_filters(request)})


def _office() -> str:
    county = Region.objects.filter(level="county").first()
    return f"{county.name}新型农村合作医疗管理办公室" if county else ""


def stats_dashboard(request):
    """局长驾驶舱: the panels of stats.dashboard as charts (drawn by web/static/stats/dashboard.js from the
    json_script block: data, not code, so the CSP's script-src 'self' admits it) and tables beside them."""
    from .dashboard import dashboard_for

    need(request, Cap.REPORTS_VIEW)
    data = dashboard_for(request.user, request.GET)
    chart = {
        "months": [{"month": m["month"], "income": str(m["income"]), "spending": str(m["spending"]),
                    "balance": str(m["balance"])} for m in data["fund_by_month"] or []],
        "days": [{"day": d["day"].isoformat(), "count": d["count"], "fund_total": str(d["fund_total"])}
                 for d in data["settlements_by_day"]],
        "townships": [{"name": t["name"], "rate": str(t["rate"]) if t["rate"] is not None else None}
                      for t in data["enrollment_by_township"]],
        "facilities": [{"name": f["name"], "total_cost": str(f["total_cost"]), "fund_total": str(f["fund_total"])}
                       for f in data["top_facilities"]],
        "utilisation": ({"used": str(data["utilisation"]["utilisation"] or 0),
                         "elapsed": str(data["utilisation"]["elapsed_share"])} if data["utilisation"] else None),
    }
    today = timezone.localdate()
    return render(request, "stats/dashboard.html", {
        "d": data, "chart": chart, "years": range(today.year, today.year - 6, -1),
        "can_plan": request.user.can(Cap.SCHEME_MANAGE)})


def stats_plan(request):
    """基金年度支出计划: the county office sets the planned share, the alert margin and the drug-share ceiling."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from nrcms.web.params import amount_param, text_param, year_param

    from .dashboard import expected_income, plan_settings
    from .plan import fund_plan_set

    need(request, Cap.REPORTS_VIEW)
    today = timezone.localdate()
    year = year_param(request.POST if request.method == "POST" else request.GET, default=today.year)
    error = None
    if request.method == "POST":
        need(request, Cap.SCHEME_MANAGE)
        data = request.POST
        try:
            fund_plan_set(actor=request.user, scheme_year=year,
                          planned_share=amount_param(data, "planned_share", "计划支出占预计收入比例"),
                          ahead_margin=amount_param(data, "ahead_margin", "超进度预警幅度"),
                          drug_share_limit=amount_param(data, "drug_share_limit", "药占比上限"),
                          authority=text_param(data, "authority", "依据", max_length=200))
        except NrcmsError as exc:
            error = exc
        else:
            messages.success(request, f"{year} 年度基金支出计划已保存")
            return redirect(f"{request.path}?year={year}")
    return render(request, "stats/plan.html", {
        "year": year, "plan": plan_settings(year), "income": expected_income(year), "error": error,
        "form": request.POST if error else None, "years": range(today.year + 1, today.year - 6, -1),
        "can_plan": request.user.can(Cap.SCHEME_MANAGE)}, status=400 if error else 200)


def stats_headline(request):
    """The dashboard's headline for the home page (fetched by htmx after the page): this year's alerts and the
    plan's utilisation, county-wide."""
    from nrcms.core.errors import Forbidden

    from .dashboard import headline

    need(request, Cap.REPORTS_VIEW)
    if not jurisdiction_of(request.user).is_county:
        raise Forbidden("基金按全县统筹，驾驶舱摘要只有县级账号可以查看")
    return render(request, "stats/_headline.html", {"headline": headline(timezone.localdate())})

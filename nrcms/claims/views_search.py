"""Looking into settlements (结算查询): the county-wide search with totals and Excel, one settlement's detail
(charges as settled, the engine's explanation, the voucher, the reversal history) and the desk's daily list.
Every read goes through claims/selectors.py, which scopes it to the reader's jurisdiction."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.utils import timezone

from nrcms.accounts.export_log import export_filters, export_record
from nrcms.core.masking import mask_id
from nrcms.core.pdf import pdf_response
from nrcms.core.xlsx_stream import xlsx_stream_response
from nrcms.web.params import date_param
from nrcms.web.views import paged

from . import selectors as sel
from .models import CLASS_SHORT, SettlementKind, SettlementStatus
from .voucher import voucher_pdf

EXPORT_HEADERS = ["结算单号", "类别", "状态", "结算时间", "医疗机构", "就诊流水号", "就诊类别", "患者", "身份证号",
                  "入院（就诊）日期", "出院日期", "医疗总费用（元）", "政策范围内费用（元）", "基金支付（元）",
                  "其中家庭账户（元）", "个人自付（元）", "冲正原因", "经办人"]
EXPORT_WIDTHS = [18, 6, 8, 18, 20, 16, 6, 10, 20, 12, 12, 14, 14, 14, 14, 14, 24, 10]


def _export_rows(qs):
    for s in qs.iterator(chunk_size=1000):
        e = s.episode
        yield (s.number, s.get_kind_display(), s.status_label,
               timezone.localtime(s.settled_at).strftime("%Y-%m-%d %H:%M"), e.facility.name, e.serial,
               e.get_kind_display(), e.person.name, mask_id(e.person.id_number), e.admission_date.isoformat(),
               e.discharge_date.isoformat() if e.discharge_date else "", s.total_cost, s.eligible_cost,
               s.fund_total, s.family_account, s.self_pay, s.reason,
               s.settled_by.display_name or s.settled_by.username)


def _export(request, filename: str, title: str, qs):
    export_record(actor=request.user, what=f"{title}（患者姓名、身份证号已脱敏）", file_name=filename, rows=qs.count(),
                  filters=export_filters(request.GET))
    return xlsx_stream_response(filename, title, EXPORT_HEADERS, _export_rows(qs), EXPORT_WIDTHS)


def settlement_search(request):
    sel.settlement_readable(request.user)
    filters = sel.settlement_filters(request.GET)
    qs = sel.settlement_search(actor=request.user, filters=filters)
    if request.GET.get("export") == "xlsx":
        return _export(request, f"结算查询-{timezone.localdate():%Y%m%d}.xlsx", "结算查询", qs)
    return render(request, "claims/settlement_search.html", {
        "f": filters, "page": paged(request, qs), "totals": sel.settlement_totals(qs),
        "kinds": SettlementKind.choices, "statuses": SettlementStatus.choices,
        "is_desk": request.user.facility_id is not None,
    })


def settlement_detail(request, number: str):
    settlement = sel.settlement_get(actor=request.user, number=number)
    charges = sel.settled_charges(settlement)
    for line in charges:
        line["class_label"] = CLASS_SHORT.get(line.get("catalogue_class", ""), line.get("catalogue_class", ""))
        share = Decimal(str(line.get("first_self_pay_share") or 0))
        line["share_percent"] = f"{(share * 100).normalize():f}%" if share else ""
    return render(request, "claims/settlement_detail.html", {
        "s": settlement, "e": settlement.episode, "charges": charges,
        "lines": (settlement.result or {}).get("lines", []), "history": sel.settlement_history(settlement),
        "is_desk": request.user.facility_id is not None,
    })


def settlement_voucher(request, number: str):
    settlement = sel.settlement_get(actor=request.user, number=number)
    return pdf_response(f"补偿凭据-{settlement.number}.pdf", voucher_pdf(settlement))


def desk_daily(request):
    today = timezone.localdate()
    day = date_param(request.GET, "date", "日期", default=today)
    qs = sel.desk_day(actor=request.user, day=day)
    if request.GET.get("export") == "xlsx":
        return _export(request, f"当日结算-{request.user.facility.code}-{day:%Y%m%d}.xlsx", f"当日结算{day:%Y%m%d}", qs)
    return render(request, "claims/desk_daily.html", {
        "day": day, "today": today, "rows": list(qs), "totals": sel.settlement_totals(qs),
        "printed_at": timezone.localtime(),
    })

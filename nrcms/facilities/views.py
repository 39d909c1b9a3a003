"""Pages for designated facilities, the catalogue, diagnoses and code mappings."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date

from nrcms.accounts import selectors
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NotFound, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.web.views import need, paged

from .catalogue import catalogue_search, charges_resolve, diagnosis_search, mapping_set
from .forms import CodeCheckForm, MappingForm, WithdrawForm
from .mappings import mapping_approve, mapping_reject
from .models import CatalogueClass, ChargeMapping, IcdEdition, ItemKind, MappingStatus
from .services import facilities_with_status, facility_status_withdraw, facility_users


def facility_detail(request, code: str):
    """A facility and its dated status history. The status is not changed here (issue 12): the county office
    asks on the facility's supervision page and the director approves; the director may withdraw a scheduled
    change before it takes effect."""
    need(request, Cap.FACILITY_VIEW)
    facility = selectors.facility_get(actor=request.user, code=code)
    withdraw_form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        need(request, Cap.FACILITY_DESIGNATION_APPROVE)
    if request.method == "POST" and withdraw_form.is_valid():
        change = facility.designation_history.filter(pk=withdraw_form.cleaned_data["change"]).first()
        try:
            if change is None:
                raise NotFound("定点状态变更", withdraw_form.cleaned_data["change"])
            facility_status_withdraw(actor=request.user, change=change, reason=withdraw_form.cleaned_data["reason"])
        except NrcmsError as exc:
            withdraw_form.add_error(exc.field if exc.field in withdraw_form.fields else None, exc.message)
        else:
            messages.success(request, f"已撤回排定的 {change.effective_date} {change.get_status_display()}")
            return redirect("facility_detail", code=facility.code)
    facilities_with_status([facility])
    users = facility_users(actor=request.user, facility=facility)
    return render(request, "facilities/facility_detail.html", {
        "facility": facility, "history": facility.designation_history.select_related(
            "recorded_by", "withdrawn_by", "request"),
        "withdraw_form": withdraw_form, "can_manage": request.user.can(Cap.FACILITY_MANAGE),
        "can_withdraw": request.user.can(Cap.FACILITY_DESIGNATION_APPROVE),
        "can_supervise": request.user.can(Cap.FACILITY_SUPERVISE),
        "pending_request": facility.designation_requests.filter(status="pending").first(),
        "mapping_count": facility.charge_mappings.filter(valid_to__isnull=True).count(),
        "today": timezone.localdate(), "users": users,
    })


def _may_map(request, facility) -> bool:
    user = request.user
    return user.can(Cap.FACILITY_MANAGE) or (user.can(Cap.DESK_SETTLE) and user.facility_id == facility.pk)


def mapping_list(request, code: str):
    need(request, Cap.FACILITY_VIEW)
    facility = selectors.facility_get(actor=request.user, code=code)
    search = request.GET.get("q", "").strip()
    qs = ChargeMapping.objects.filter(facility=facility).order_by("facility_item_code", "-valid_from")
    if request.GET.get("all") != "1":
        qs = qs.filter(valid_to__isnull=True).exclude(status=MappingStatus.REJECTED)
    if request.GET.get("status") in MappingStatus.values:
        qs = qs.filter(status=request.GET["status"])
    if search:
        qs = qs.filter(Q(facility_item_code__startswith=search) | Q(facility_item_name__contains=search)
                       | Q(catalogue_code__startswith=search))
    if request.GET.get("export") == "xlsx":
        rows = ((m.facility_item_code, m.facility_item_name, m.catalogue_code, m.valid_from, m.valid_to,
                 m.get_status_display()) for m in qs)
        return xlsx_response(f"{facility.name}-项目对照.xlsx", "项目对照",
                             ["院内编码", "院内名称", "目录编码", "生效日期", "失效日期", "审批状态"], rows)
    today = timezone.localdate()
    form = MappingForm(initial={"valid_from": today})
    check = CodeCheckForm(initial={"on": today})
    report = None
    if request.method == "POST" and request.POST.get("action") == "map":
        form = MappingForm(request.POST)
        if not _may_map(request, facility):
            need(request, Cap.FACILITY_MANAGE)
        if form.is_valid():
            try:
                _, created = mapping_set(actor=request.user, facility=facility, **form.cleaned_data)
            except NrcmsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if not created:
                    messages.success(request, "对照未变化")
                elif request.user.can(Cap.FACILITY_MANAGE):
                    messages.success(request, "已保存对照")
                else:
                    messages.success(request, "已提交对照申请，县合管办批准后生效；批准前结算仍按原对照（或视为未对照）")
                return redirect("mapping_list", code=facility.code)
    elif request.method == "POST" and request.POST.get("action") in ("approve", "reject"):
        return _mapping_decide(request, facility)
    elif request.method == "POST" and request.POST.get("action") == "check":
        check = CodeCheckForm(request.POST)
        if check.is_valid():
            codes = [c for c in re.split(r"[\s,，]+", check.cleaned_data["codes"]) if c]
            report = charges_resolve(facility=facility, facility_item_codes=codes, on=check.cleaned_data["on"])
    return render(request, "facilities/mapping_list.html", {
        "facility": facility, "page": paged(request, qs), "q": search, "form": form, "check": check,
        "report": report, "can_map": _may_map(request, facility),
        "can_decide": request.user.can(Cap.FACILITY_MANAGE), "statuses": MappingStatus.choices,
    })


def _mapping_decide(request, facility):
    """The county office approves or rejects one proposal (the row's inline form)."""
    need(request, Cap.FACILITY_MANAGE)
    mapping = ChargeMapping.objects.filter(facility=facility, pk=request.POST.get("mapping") or 0).first()
    if mapping is None:
        messages.error(request, "未找到该对照申请")
        return redirect("mapping_list", code=facility.code)
    try:
        if request.POST["action"] == "approve":
            mapping_approve(actor=request.user, mapping=mapping, authority=request.POST.get("authority", ""))
            messages.success(request, f"已批准对照 {mapping}，自 {mapping.valid_from} 起用于结算")
        else:
            mapping_reject(actor=request.user, mapping=mapping, reason=request.POST.get("reason", ""))
            messages.success(request, f"已驳回对照申请 {mapping}")
    except NrcmsError as exc:
        messages.error(request, exc.message)
    return redirect("mapping_list", code=facility.code)


def _date_param(text: str, label: str) -> tuple[dt.date | None, str]:
    """A date from a query parameter: (date, "") or (None, a Chinese message) for one that is not a date."""
    text = (text or "").strip()
    if not text:
        return None, ""
    try:
        value = parse_date(text)
    except ValueError:  # well formed but impossible, such as 2099-13-45
        value = None
    if value is None:
        return None, f"{label}“{text}”不是有效日期，应写成 YYYY-MM-DD，例如 2026-05-01"
    return value, ""


def catalogue_list(request):
    need(request, Cap.FACILITY_VIEW)
    g = request.GET
    on, on_error = _date_param(g.get("on", ""), "在用日期")
    qs = catalogue_search(search=g.get("q", "").strip(), catalogue_class=g.get("class", ""),
                          kind=g.get("kind", ""), on=on)
    if on_error:  # the page again, unfiltered by date, saying what is wrong with the date
        return render(request, "facilities/catalogue_list.html", {
            "page": paged(request, qs), "f": g, "classes": CatalogueClass.choices, "kinds": ItemKind.choices,
            "on_error": on_error}, status=400)
    if g.get("export") == "xlsx":
        rows = ((i.code, i.name, i.get_kind_display(), i.get_catalogue_class_display(), i.first_self_pay_share,
                 i.price_limit, i.unit, i.valid_from, i.valid_to, i.authority) for i in qs)
        return xlsx_response("补偿目录.xlsx", "补偿目录", ["目录编码", "名称", "类别", "分类", "先行自付比例",
                             "最高限价（元）", "单位", "生效日期", "失效日期", "依据"], rows)
    return render(request, "facilities/catalogue_list.html", {
        "page": paged(request, qs), "f": g, "classes": CatalogueClass.choices, "kinds": ItemKind.choices,
    })


def diagnosis_list(request):
    need(request, Cap.FACILITY_VIEW)
    g = request.GET
    qs = diagnosis_search(search=g.get("q", "").strip(), edition=g.get("edition", ""),
                          chronic=True if g.get("chronic") == "1" else None)
    return render(request, "facilities/diagnosis_list.html", {
        "page": paged(request, qs), "f": g, "editions": IcdEdition.choices,
    })



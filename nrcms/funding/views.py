"""Pages for contributions, collection progress, standards, subsidy claims and the ledger."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.roles import Cap
from nrcms.core.errors import NotFound, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.core.pdf import pdf_response
from nrcms.registry.models import Household, Person
from nrcms.web.views import need, paged

from . import ledger, selectors, services
from .checks import books_check
from .forms import PaymentForm, StandardForm, SubsidyReceiveForm
from .models import ContributionStandard, JournalEntry, PayerKind
from .receipt import receipt_pdf


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


def _can_collect(user) -> bool:
    return user.can(Cap.CONTRIBUTION_COLLECT) or user.can(Cap.ASSISTANCE_MANAGE)


def contribution_list(request):
    if not _can_collect(request.user):
        need(request, Cap.CONTRIBUTION_COLLECT)
    year = _year(request)
    qs = selectors.contribution_list(actor=request.user, scheme_year=year, search=request.GET.get("q", "").strip(),
                                     payer_kind=request.GET.get("payer_kind", ""))
    if request.GET.get("export") == "xlsx":
        rows = ((c.receipt_number, c.household.number, c.household.region.full_name, c.get_payer_kind_display(),
                 c.payer_name, c.paid_on, c.total, c.get_status_display(), c.recorded_by.username) for c in qs)
        return xlsx_response(f"{year}年度缴费.xlsx", "缴费", ["收据号", "户编号", "住址", "缴费方", "缴款人", "缴费日期",
                                                         "金额", "状态", "收款人"], rows)
    form = PaymentForm(request.POST or None, initial={"scheme_year": year, "paid_on": timezone.localdate(),
                                                      "household_number": request.GET.get("household", ""),
                                                      "idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            household = Household.objects.filter(number=d["household_number"].strip()).first()
            if household is None:
                raise NotFound("家庭户", d["household_number"])
            persons = None
            if d["person_ids"].strip():
                ids = [x.strip().upper() for x in d["person_ids"].replace("，", ",").split(",") if x.strip()]
                persons = list(Person.objects.filter(household=household, id_number__in=ids))
                if len(persons) != len(ids):
                    raise NrcmsError("invalid", "有身份证号不属于该户", field="person_ids")
            c = services.contribution_record(
                actor=request.user, household=household, scheme_year=d["scheme_year"], payer_kind=d["payer_kind"],
                payer_name=d["payer_name"], paid_on=d["paid_on"], persons=persons,
                amount_per_person=d["amount_per_person"], idempotency_key=d["idempotency_key"] or None)
        except NrcmsError as exc:
            field = {"household": "household_number", "persons": "person_ids"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已收款 {c.total} 元，收据号 {c.receipt_number}")
            return redirect(f"{request.path}?year={c.scheme_year}&q={c.receipt_number}")
    return render(request, "funding/contribution_list.html", {
        "page": paged(request, qs), "year": year, "form": form, "payer_kinds": PayerKind.choices,
        "can_record": _can_collect(request.user)})


def contribution_reverse(request, pk: int):
    if not _can_collect(request.user):
        need(request, Cap.CONTRIBUTION_COLLECT)
    c = selectors.contribution_list(actor=request.user).filter(pk=pk).first()
    if c is None:
        raise NotFound("收据", pk)
    if request.method == "POST":
        try:
            reversal = services.contribution_reverse(actor=request.user, contribution=c,
                                                     reason=request.POST.get("reason", ""))
            messages.success(request, f"已冲销，冲销收据 {reversal.receipt_number}")
        except NrcmsError as exc:
            messages.error(request, exc.message)
    return redirect(f"/funding/contributions/?year={c.scheme_year}")


def contribution_receipt(request, pk: int):
    if not _can_collect(request.user):
        need(request, Cap.CONTRIBUTION_COLLECT)
    c = selectors.contribution_list(actor=request.user).filter(pk=pk).first()
    if c is None:
        raise NotFound("收据", pk)
    return pdf_response(f"收据-{c.receipt_number}.pdf", receipt_pdf(c))


def collection_progress(request):
    need(request, Cap.REGISTRY_VIEW)
    year = _year(request)
    data = selectors.collection_progress(actor=request.user, scheme_year=year)
    if request.GET.get("export") == "xlsx":
        rows = [(r.get("township", ""), r["name"], r["code"], r["population"], r["enrolled"], r["enrollment_rate"],
                 r["paid"], r["payment_rate"], r["amount"]) for r in data["villages"]]
        return xlsx_response(f"{year}年度筹资进度.xlsx", "筹资进度", ["乡镇", "村", "区划代码", "农业人口", "参合人数",
                             "参合率%", "缴清人数", "缴费率%", "已收金额"], rows)
    template = "funding/_progress_table.html" if request.headers.get("HX-Request") else "funding/collection_progress.html"
    return render(request, template, {"data": data, "year": year, "now": timezone.localtime()})


def contribution_standard_list(request):
    need(request, Cap.FUND_VIEW)
    form = StandardForm(request.POST or None)
    if request.method == "POST":
        need(request, Cap.SCHEME_MANAGE)
        if form.is_valid():
            try:
                services.contribution_standard_set(actor=request.user, **form.cleaned_data)
            except NrcmsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "已保存筹资标准")
                return redirect("contribution_standard_list")
    return render(request, "funding/standard_list.html", {
        "standards": ContributionStandard.objects.all(), "form": form,
        "can_edit": request.user.can(Cap.SCHEME_MANAGE)})


def subsidy_claim(request):
    need(request, Cap.FUND_VIEW)
    year = _year(request)
    try:
        claim = selectors.subsidy_claim(scheme_year=year)
    except NrcmsError as exc:
        claim, error = None, exc.message
    else:
        error = None
    if claim and request.GET.get("export") == "xlsx":
        rows = [(r["township"], r["code"], r["enrolled"], r["central"], r["provincial"], r["county"]) for r in claim["rows"]]
        rows.append(("合计", "", claim["enrolled"], claim["totals"]["central"], claim["totals"]["provincial"],
                     claim["totals"]["county"]))
        return xlsx_response(f"{year}年度财政补助申报.xlsx", "补助申报", ["乡镇", "区划代码", "参合人数", "中央", "省级", "县级"], rows)
    form = SubsidyReceiveForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST":
        try:
            if request.POST.get("action") == "receivable":
                posted = services.subsidy_receivable_post(actor=request.user, scheme_year=year)
                messages.success(request, f"已记应收 {len(posted)} 笔" if posted else "应收已是最新，未重复记账")
                return redirect(f"{request.path}?year={year}")
            if form.is_valid():
                services.subsidy_receive(actor=request.user, **form.cleaned_data)
                messages.success(request, "已登记财政补助到账")
                return redirect(f"{request.path}?year={year}")
        except NrcmsError as exc:
            messages.error(request, exc.message)
    receivable = {level: ledger.balance(code) for level, code in ledger.SUBSIDY_RECEIVABLE.items()}
    return render(request, "funding/subsidy_claim.html", {"claim": claim, "error": error, "year": year, "form": form,
                  "receivable": receivable, "can_post": request.user.can(Cap.FUND_DISBURSE)})


def ledger_view(request):
    need(request, Cap.FUND_VIEW)
    report = books_check(_year(request)) if request.GET.get("check") else None
    entries = JournalEntry.objects.prefetch_related("lines__account").order_by("-date", "-id")
    return render(request, "funding/ledger.html", {
        "rows": ledger.trial_balance(), "page": paged(request, entries), "report": report, "year": _year(request)})

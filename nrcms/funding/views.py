"""Pages for contributions, collection progress, standards, subsidy claims and the ledger."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.export_log import audited_pdf, export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NotFound, NrcmsError, ValidationFailed
from nrcms.core.export import xlsx_response
from nrcms.core.money import ZERO, format_yuan
from nrcms.registry.models import EnrollmentStatus, Household, Person
from nrcms.web.params import parse_int, year_param
from nrcms.web.views import need, paged

from . import ledger, selectors, services
from .checks import books_check
from .forms import PaymentForm, StandardForm, SubsidyReceiveForm
from .models import ContributionStandard, JournalEntry, PayerKind
from .receipt import receipt_pdf

FAMILY_PREFIX = "3102-"


def _year(request) -> int:
    return year_param(request.GET, default=timezone.localdate().year)


def _can_collect(user) -> bool:
    return user.can(Cap.CONTRIBUTION_COLLECT) or user.can(Cap.ASSISTANCE_MANAGE)


def _household_in_reach(user, number: str) -> Household | None:
    """The household with this number if it lies in the user's jurisdiction (None otherwise)."""
    from nrcms.accounts.selectors import jurisdiction_of

    number = (number or "").strip()
    j = jurisdiction_of(user)
    if not number or j.region_prefix is None:
        return None
    return Household.objects.select_related("region").filter(
        number=number, region__code__startswith=j.region_prefix).first()


def _members(household: Household | None, year: int) -> list[dict]:
    """The household's members for the payment form: enrolled or not, and what each still owes this year."""
    if household is None:
        return []
    try:
        personal = selectors.standard_for(year).personal_amount
    except NrcmsError:
        personal = None
    persons = list(household.members.order_by("pk"))
    enrolled = set(household.enrollments.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED)
                   .values_list("person_id", flat=True))
    paid = selectors.paid_by_person(year, [p.pk for p in persons])
    rows = []
    for p in persons:
        done = paid.get(p.pk, ZERO)
        owed = personal - done if personal is not None and p.pk in enrolled else None
        rows.append({"person": p, "enrolled": p.pk in enrolled, "paid": done, "owed": owed})
    return rows


def contribution_list(request):
    if not _can_collect(request.user):
        need(request, Cap.CONTRIBUTION_COLLECT)
    year = _year(request)
    civil_only = not request.user.can(Cap.CONTRIBUTION_COLLECT)  # 民政 pays only for 五保/特困/低保
    qs = selectors.contribution_list(actor=request.user, scheme_year=year, search=request.GET.get("q", "").strip(),
                                     payer_kind=request.GET.get("payer_kind", ""))
    qs = qs.select_related("reverses")
    if request.GET.get("pending") == "cadre":
        qs = qs.filter(payer_kind=PayerKind.CADRE_ADVANCE, cadre_repaid_on__isnull=True, reverses__isnull=True,
                       status="valid")
    if request.GET.get("export") == "xlsx":
        rows = ((c.receipt_number, c.household.number, c.household.region.full_name, c.get_payer_kind_display(),
                 c.payer_name, c.paid_on, c.total, c.get_status_display(), c.recorded_by.username) for c in qs)
        export_record(actor=request.user, what="缴费记录（缴款人姓名、住址）", file_name=f"{year}年度缴费.xlsx",
                      rows=qs.count(), filters=export_filters(request.GET))
        return xlsx_response(f"{year}年度缴费.xlsx", "缴费", ["收据号", "户编号", "住址", "缴费方", "缴款人", "缴费日期",
                                                         "金额（元）", "状态", "收款人"], rows)
    data = request.POST.copy() if request.method == "POST" else None
    # members ticked in the household's list, by record id: the page never carries a full ID number
    ticked = data.getlist("person") if data is not None else []
    form = PaymentForm(data, initial={"scheme_year": year, "paid_on": timezone.localdate(),
                                      "household_number": request.GET.get("household", ""),
                                      "payer_kind": PayerKind.CIVIL_AFFAIRS if civil_only else PayerKind.SELF,
                                      "idempotency_key": uuid.uuid4().hex})
    if civil_only:
        form.fields["payer_kind"].choices = [(PayerKind.CIVIL_AFFAIRS.value, PayerKind.CIVIL_AFFAIRS.label)]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            household = _household_in_reach(request.user, d["household_number"])
            if household is None:
                raise NotFound("家庭户", d["household_number"])
            persons = None
            if ticked:
                ids = {parse_int(x, field="person_ids", label="勾选的人员") for x in ticked}
                persons = list(Person.objects.filter(household=household, pk__in=ids))
                if len(persons) != len(ids):
                    raise NrcmsError("invalid", "勾选的人员不属于该户", field="person_ids")
            elif d["person_ids"].strip():
                ids = [x.strip().upper() for x in d["person_ids"].replace("，", ",").split(",") if x.strip()]
                persons = list(Person.objects.filter(household=household, id_number__in=ids))
                if len(persons) != len(set(ids)):
                    raise NrcmsError("invalid", "有身份证号不属于该户", field="person_ids")
            c = services.contribution_record(
                actor=request.user, household=household, scheme_year=d["scheme_year"], payer_kind=d["payer_kind"],
                payer_name=d["payer_name"], paid_on=d["paid_on"], persons=persons,
                amount_per_person=d["amount_per_person"], idempotency_key=d["idempotency_key"] or None)
        except NrcmsError as exc:
            field = {"household": "household_number", "persons": "person_ids"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已收款 {format_yuan(c.total)} 元，收据号 {c.receipt_number}")
            return redirect(f"{request.path}?year={c.scheme_year}&q={c.receipt_number}")
    number = request.POST.get("household_number") if request.method == "POST" else request.GET.get("household", "")
    household = _household_in_reach(request.user, number)
    return render(request, "funding/contribution_list.html", {
        "page": paged(request, qs), "year": year, "form": form, "payer_kinds": PayerKind.choices,
        "can_record": _can_collect(request.user), "household": household, "lookup": (number or "").strip(),
        "q": request.GET.get("q", ""), "payer_kind": request.GET.get("payer_kind", ""),
        "pending": request.GET.get("pending", ""), "members": _members(household, year),
        "ticked": set(data.getlist("person")) if data is not None else set()})


def _receipt(request, pk: int):
    """A receipt the user may collect for and see (their jurisdiction), or 404."""
    if not _can_collect(request.user):
        need(request, Cap.CONTRIBUTION_COLLECT)
    c = selectors.contribution_list(actor=request.user).filter(pk=pk).first()
    if c is None:
        raise NotFound("收据", pk)
    return c


def contribution_cadre_repaid(request, pk: int):
    """干部垫付归还：the household has paid the cadre back; the ledger does not move (the fund was paid already)."""
    c = _receipt(request, pk)
    if request.method == "POST":
        try:
            raw = request.POST.get("repaid_on", "")
            try:
                repaid_on = dt.date.fromisoformat(raw)
            except ValueError as exc:
                raise ValidationFailed("invalid", f"归还日期“{raw}”不是有效日期", field="repaid_on") from exc
            services.cadre_advance_repay(actor=request.user, contribution=c, repaid_on=repaid_on)
            messages.success(request, f"已登记收据 {c.receipt_number} 的干部垫付于 {repaid_on} 归还")
        except NrcmsError as exc:
            messages.error(request, exc.message)
    return redirect(f"/funding/contributions/?year={c.scheme_year}&q={c.receipt_number}")


def contribution_reverse(request, pk: int):
    c = _receipt(request, pk)
    if request.method == "POST":
        try:
            reversal = services.contribution_reverse(actor=request.user, contribution=c,
                                                     reason=request.POST.get("reason", ""))
            messages.success(request, f"已冲销，冲销收据 {reversal.receipt_number}")
        except NrcmsError as exc:
            messages.error(request, exc.message)
    return redirect(f"/funding/contributions/?year={c.scheme_year}")


def contribution_receipt(request, pk: int):
    c = _receipt(request, pk)
    return audited_pdf(actor=request.user, what=f"缴费收据 {c.receipt_number}（缴费人员，身份证号已脱敏）",
                       file_name=f"收据-{c.receipt_number}.pdf", content=receipt_pdf(c), rows=c.lines.count())


def collection_progress(request):
    # counts and amounts only, no person: finance watches the campaign too
    if not (request.user.can(Cap.REGISTRY_VIEW) or request.user.can(Cap.FUND_VIEW)):
        need(request, Cap.REGISTRY_VIEW)
    year = _year(request)
    data = selectors.collection_progress(actor=request.user, scheme_year=year)
    if request.GET.get("export") == "xlsx":
        rows = [(r.get("township", ""), r["name"], r["code"], r["population"], r["enrolled"], r["enrollment_rate"],
                 r["paid"], r["payment_rate"], r["amount"]) for r in data["villages"]]
        return xlsx_response(f"{year}年度筹资进度.xlsx", "筹资进度", ["乡镇", "村", "区划代码", "农业人口", "参合人数",
                             "参合率%", "缴清人数", "缴费率%", "已收金额（元）"], rows)
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
        return xlsx_response(f"{year}年度财政补助申报.xlsx", "补助申报", ["乡镇", "区划代码", "参合人数", "中央补助（元）",
                             "省级补助（元）", "县级补助（元）"], rows)
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


def _trial_rows(rows: list[dict], account: str) -> list[dict]:
    """The trial balance with the thousands of per-household family accounts (3102-户编号) folded into one
    line, unless the user asked for some accounts by code or household number."""
    if account:
        return [r for r in rows if account in r["code"]]
    family = [r for r in rows if r["code"].startswith(FAMILY_PREFIX)]
    out = [r for r in rows if not r["code"].startswith(FAMILY_PREFIX)]
    if family:
        folded = {"code": "3102", "name": f"家庭账户（{len(family)} 户合计）", "kind": family[0]["kind"], "folded": True,
                  **{k: sum((r[k] for r in family), ZERO) for k in ("debit", "credit", "balance")}}
        out.append(folded)
        out.sort(key=lambda r: r["code"])
    return out


def ledger_view(request):
    need(request, Cap.FUND_VIEW)
    account = request.GET.get("account", "").strip()
    report = books_check(_year(request)) if request.GET.get("check") else None
    entries = JournalEntry.objects.prefetch_related("lines__account").order_by("-date", "-id")
    if account:
        entries = entries.filter(lines__account__code__contains=account).distinct()
    rows = ledger.trial_balance()
    totals = {k: sum((r[k] for r in rows), ZERO) for k in ("debit", "credit")}
    return render(request, "funding/ledger.html", {
        "rows": _trial_rows(rows, account), "totals": totals, "account": account, "page": paged(request, entries),
        "report": report, "year": _year(request)})

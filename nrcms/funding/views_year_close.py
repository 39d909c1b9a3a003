"""年终结账 page: the finance office previews what each household's family account carries into the next year,
confirms, and the close runs (one service call); the page lists the years already closed."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError
from nrcms.core.money import format_yuan
from nrcms.web.views import need

from .models import YearClose
from .year_close import CARRY_FORWARD, year_close, year_close_preview

NEGATIVE_SHOWN = 20


class YearCloseForm(forms.Form):
    year = forms.IntegerField(label="结账年度", min_value=2000, max_value=2100)
    closing_date = forms.DateField(
        label="结账日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="留空为该年 12 月 31 日（年度结束后才能结账）；年度未结束时须明确填写已经过去的日期")
    authority = forms.CharField(label="依据", max_length=200, required=False, help_text="如通知文号，记入审计")


class ConfirmForm(YearCloseForm):
    expect_total = forms.DecimalField(max_digits=14, decimal_places=2, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)


def year_close_page(request):
    need(request, Cap.FUND_VIEW)
    can_close = request.user.can(Cap.FUND_YEAR_CLOSE)
    preview = confirm = None
    form = YearCloseForm(initial={"year": timezone.localdate().year - 1})
    if request.method == "POST":
        need(request, Cap.FUND_YEAR_CLOSE)
        if request.POST.get("action") == "confirm":
            form = ConfirmForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    close = year_close(year=data["year"], actor=request.user, closing_date=data["closing_date"],
                                       authority=data["authority"], expect_total=data["expect_total"],
                                       idempotency_key=data["idempotency_key"])
                except NrcmsError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"{close.scheme_year} 年度家庭账户已结账：结转 {close.households} 户，"
                                              f"合计 {format_yuan(close.total)} 元")
                    return redirect("year_close")
        else:
            form = YearCloseForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    preview = year_close_preview(year=data["year"], closing_date=data["closing_date"])
                except NrcmsError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    confirm = ConfirmForm(initial={**data, "expect_total": preview.total,
                                                   "idempotency_key": uuid.uuid4().hex})
    negatives = [b for b in preview.balances if b.balance < 0][:NEGATIVE_SHOWN] if preview else []
    return render(request, "funding/year_close.html", {
        "form": form, "preview": preview, "confirm": confirm, "negatives": negatives, "can_close": can_close,
        "closes": YearClose.objects.select_related("closed_by"), "carry_forward": CARRY_FORWARD})

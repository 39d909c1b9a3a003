"""Pages: refunds to patients (返还) — the reviewer records one against a settlement, finance pays it once the
facility's statement recovered it, and prints the notice slip — and the window's advances claimed from the
insurer and civil affairs (垫付申报), with their repayment."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render

from nrcms.accounts.export_log import audited_pdf, export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.claims.models import Settlement
from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.core.masking import mask_id
from nrcms.core.pdf import render_pdf
from nrcms.core.xlsx_stream import xlsx_stream_response
from nrcms.web.params import choice_param, text_param
from nrcms.web.views import paged

from . import advances, refunds
from .forms import AdvanceClaimForm, AdvanceRepayForm, RefundForm, RefundPayForm
from .models import AdvanceClaimStatus, AdvanceLayer, RefundStatus
from .refund_slip import refund_slip_pdf


def _need(request, can) -> None:
    if not can(request.user):
        raise Forbidden()


def _form_error(form, exc: NrcmsError, request) -> None:
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


# --- refunds ------------------------------------------------------------------------------------------

REFUND_HEADERS = ["返还单号", "登记时间", "医疗机构", "结算单号", "患者姓名", "身份证号", "原因类别", "返还原因",
                  "返还金额（元）", "状态", "追回所在月结算单", "支付凭证号"]


def _refund_rows(qs):
    for r in qs.iterator(chunk_size=500):
        person = r.settlement.episode.person
        yield [r.number, r.recorded_at, r.facility.name, r.settlement.number, person.name, mask_id(person.id_number),
               r.get_reason_kind_display(), r.reason, r.amount, r.get_status_display(),
               r.statement.number if r.statement_id else "", r.payment_reference]


def refund_list(request):
    _need(request, refunds.can_read)
    user = request.user
    can_record = user.can(Cap.CLAIMS_REVIEW)
    form = RefundForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and can_record and form.is_valid():
        data = form.cleaned_data
        try:
            settlement = Settlement.objects.filter(number=data["settlement_number"].strip()).first()
            if settlement is None:
                raise NotFound("结算单", data["settlement_number"])
            refund, created = refunds.refund_create(
                actor=user, settlement=settlement, amount=data["amount"], reason=data["reason"],
                authority=data["authority"], reason_kind=data["reason_kind"],
                idempotency_key=data["idempotency_key"] or None)
        except NrcmsError as exc:
            if exc.code == "not_found":
                exc.field = "settlement_number"
            _form_error(form, exc, request)
        else:
            messages.success(request, f"已登记返还 {refund.number}，将在 {refund.facility.name} 的月结算单中追回"
                             if created else f"返还 {refund.number} 已登记过，未重复登记")
            return redirect("refund_detail", pk=refund.pk)
    q = text_param(request.GET, "q", "查询内容", max_length=40)
    status = choice_param(request.GET, "status", "状态", RefundStatus.choices)
    qs = refunds.refund_list(actor=user, status=status, q=q)
    if request.GET.get("export") == "xlsx":
        export_record(actor=user, what="患者返还清单", file_name="患者返还清单.xlsx", rows=qs.count(),
                      filters=export_filters(request.GET))
        return xlsx_stream_response("患者返还清单.xlsx", "患者返还", REFUND_HEADERS, _refund_rows(qs))
    return render(request, "payments/refund_list.html", {
        "page": paged(request, qs), "form": form, "can_record": can_record, "q": q, "status": status,
        "statuses": RefundStatus.choices})


def refund_detail(request, pk: int):
    _need(request, refunds.can_read)
    user = request.user
    refund = refunds.refund_get(actor=user, pk=pk)
    form = RefundPayForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            refund, created = refunds.refund_pay(actor=user, refund=refund, reference=form.cleaned_data["reference"],
                                                 idempotency_key=form.cleaned_data["idempotency_key"] or None)
        except NrcmsError as exc:
            _form_error(form, exc, request)
        else:
            messages.success(request, f"已支付返还 {refund.amount} 元给患者" if created else "该笔返还已支付，未重复支付")
            return redirect("refund_detail", pk=pk)
    return render(request, "payments/refund_detail.html", {
        "r": refund, "form": form, "can_pay": user.can(Cap.FUND_DISBURSE) and refund.status == RefundStatus.RECOVERED,
        "masked_id": mask_id(refund.settlement.episode.person.id_number)})


def refund_slip(request, pk: int):
    _need(request, refunds.can_read)
    refund = refunds.refund_get(actor=request.user, pk=pk)
    return audited_pdf(actor=request.user, what=f"返还通知单 {refund.number}", file_name=f"返还通知单-{refund.number}.pdf",
                       content=refund_slip_pdf(refund), rows=1, facility_code=refund.facility.code)


# --- advances -----------------------------------------------------------------------------------------

ADVANCE_HEADERS = ["序号", "结算单号（手工报销单号）", "结算（支付）时间", "垫付的医疗机构", "患者姓名", "身份证号", "类别", "金额（元）"]


def _advance_rows(claim):
    for n, line in enumerate(advances.claim_lines(claim).iterator(chunk_size=500), start=1):
        yield [n, line.number, line.at, line.payee, line.person.name, mask_id(line.person.id_number),
               line.kind_label, line.amount]


def advance_list(request):
    _need(request, advances.can_read)
    user = request.user
    can_claim = user.can(Cap.FUND_DISBURSE)
    form = AdvanceClaimForm(request.POST or None)
    if request.method == "POST" and can_claim and form.is_valid():
        try:
            claim, created = advances.advance_claim_create(actor=user, **form.cleaned_data)
        except NrcmsError as exc:
            _form_error(form, exc, request)
        else:
            messages.success(request, f"已生成垫付申报单 {claim.number}" if created else f"{claim.number} 已生成过，未重复生成")
            return redirect("advance_detail", pk=claim.pk)
    layer = choice_param(request.GET, "layer", "垫付类别", AdvanceLayer.choices)
    status = choice_param(request.GET, "status", "状态", AdvanceClaimStatus.choices)
    return render(request, "payments/advance_list.html", {
        "page": paged(request, advances.claim_list(actor=user, layer=layer, status=status)), "form": form,
        "can_claim": can_claim, "layer": layer, "status": status, "layers": AdvanceLayer.choices,
        "statuses": AdvanceClaimStatus.choices, "receivables": advances.receivable_check()})


def advance_detail(request, pk: int):
    _need(request, advances.can_read)
    user = request.user
    claim = advances.claim_get(actor=user, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    form = AdvanceRepayForm(request.POST if action == "repay" else None,
                            initial={"idempotency_key": uuid.uuid4().hex, "amount": claim.outstanding})
    try:
        if action == "send":
            advances.advance_claim_send(actor=user, claim=claim)
            messages.success(request, f"已报送 {claim.number}")
            return redirect("advance_detail", pk=pk)
        if action == "repay" and form.is_valid():
            data = form.cleaned_data
            _, created = advances.advance_claim_repay(
                actor=user, claim=claim, amount=data["amount"], reference=data["reference"],
                received_on=data["received_on"], idempotency_key=data["idempotency_key"] or None)
            messages.success(request, f"已登记回款 {data['amount']} 元" if created else "该笔回款已登记，未重复登记")
            return redirect("advance_detail", pk=pk)
    except NrcmsError as exc:
        if action == "repay":
            _form_error(form, exc, request)
        else:
            messages.error(request, exc.message)
        claim = advances.claim_get(actor=user, pk=pk)
    return render(request, "payments/advance_detail.html", {
        "c": claim, "form": form, "page": paged(request, advances.claim_lines(claim)),
        "repayments": claim.repayments.select_related("recorded_by"),
        "can_act": user.can(Cap.FUND_DISBURSE)})


def advance_export(request, pk: int):
    _need(request, advances.can_read)
    claim = advances.claim_get(actor=request.user, pk=pk)
    name = f"垫付申报明细-{claim.number}.xlsx"
    export_record(actor=request.user, what=f"垫付申报明细 {claim.number}", file_name=name, rows=claim.line_count)
    return xlsx_response(name, claim.get_layer_display(), ADVANCE_HEADERS, _advance_rows(claim))


def advance_pdf(request, pk: int):
    _need(request, advances.can_read)
    claim = advances.claim_get(actor=request.user, pk=pk)
    content = render_pdf("payments/advance_print.html", {
        "c": claim, "payer": advances.ADVANCE_PAYERS[claim.layer], "rows": list(_advance_rows(claim))})
    return audited_pdf(actor=request.user, what=f"垫付申报单 {claim.number}", file_name=f"垫付申报单-{claim.number}.pdf",
                       content=content, rows=claim.line_count)

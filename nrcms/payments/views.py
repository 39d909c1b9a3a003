"""Pages: the monthly statements (the desk sees its own; the county reviewer reviews, deducts and approves;
finance disburses) and the daily reconciliation."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.audit_labels import action_label
from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.models import AuditEntry
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.core.money import format_yuan
from nrcms.supervision.selectors import READERS as SUPERVISION_READERS
from nrcms.web.views import paged

from . import selectors
from .forms import (
    DeductionForm,
    DisburseForm,
    GenerateForm,
    ReconciliationForm,
    ResubmitForm,
    ReturnForm,
    WithdrawForm,
)
from .models import ReconciliationResult, StatementStatus, ViolationKind
from .printout import statement_context, statement_pdf
from .reconciliation import (
    COUNTS,
    TOTALS,
    ReconciliationInput,
    differences_to_fen,
    reconciliation_submit,
    totals_to_fen,
)
from .review import statement_deduction_withdraw, statement_resubmit, statement_return
from .services import (
    month_parse,
    statement_approve,
    statement_deduct,
    statement_disburse,
    statement_generate,
    statement_review_start,
)

HISTORY_FIELDS = {"month": "月份", "lines": "笔数", "total_cost": "医疗总费用", "fund_total": "基金支付",
                  "status": "状态", "kind": "违规性质", "base_amount": "违规金额", "multiplier": "倍数",
                  "amount": "金额", "settlement": "涉及结算单", "deduction_total": "扣款合计",
                  "approved_amount": "审定应拨付", "reference": "凭证号", "recovery_total": "返还追回",
                  "brought_forward": "上月结转扣款", "carried_forward": "结转下月扣款",
                  "family_doctor_fee_total": "家庭医生签约服务费"}
LABELS = {**dict(StatementStatus.choices), **dict(ViolationKind.choices)}
MONEY_FIELDS = {"total_cost", "fund_total", "base_amount", "amount", "deduction_total", "approved_amount",
                "recovery_total", "brought_forward", "carried_forward", "family_doctor_fee_total"}


def _history_value(key: str, value) -> str:
    if key in MONEY_FIELDS:
        try:
            return f"{format_yuan(value)} 元"
        except (TypeError, ValueError):
            return str(value)
    return str(LABELS.get(value, value))


def _history_text(after: dict) -> str:
    return "；".join(f"{HISTORY_FIELDS[k]} {_history_value(k, v)}" for k, v in after.items()
                    if k in HISTORY_FIELDS and v is not None)


def _need_reader(request) -> None:
    if not selectors.can_read(request.user):
        raise Forbidden()


def _month_or_none(text: str):
    try:
        return month_parse(text) if text else None
    except NrcmsError:
        return None


def statement_list(request):
    _need_reader(request)
    user = request.user
    can_generate = user.can(Cap.DESK_SETTLE) or user.can(Cap.CLAIMS_REVIEW)
    form = GenerateForm(request.POST or None)
    if request.method == "POST" and can_generate and form.is_valid():
        try:
            facility = selectors.statement_facility(actor=user, facility_code=form.cleaned_data["facility_code"])
            statement, created = statement_generate(actor=user, facility=facility, month=form.cleaned_data["month"])
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已生成月结算单 {statement.number}" if created
                             else f"{statement.number} 已生成过，未重复生成")
            return redirect("statement_detail", pk=statement.pk)
    month_text = request.GET.get("month", "").strip()
    status = request.GET.get("status", "")
    facility_code = request.GET.get("facility", "").strip()
    qs = selectors.statement_list(actor=user, month=_month_or_none(month_text), facility_code=facility_code,
                                  status=status)
    return render(request, "payments/statement_list.html", {
        "page": paged(request, qs), "form": form, "can_generate": can_generate, "month": month_text,
        "status": status, "facility": facility_code, "statuses": StatementStatus.choices,
        "is_desk": user.can(Cap.DESK_SETTLE)})


def _statement_action(request, statement, action: str, forms: dict):
    """Run the posted action through its one service; a redirect when done, None to show the page again."""
    user, pk = request.user, statement.pk
    form = forms.get(action)
    if action == "review":
        statement_review_start(actor=user, statement=statement)
        messages.success(request, "已开始审核")
    elif action == "deduct" and form.is_valid():
        d = statement_deduct(actor=user, statement=statement, **form.cleaned_data)
        messages.success(request, f"已登记违规扣款 {format_yuan(d.amount)} 元（{format_yuan(d.base_amount)} × {d.multiplier}）")
    elif action == "withdraw" and form.is_valid():
        d = statement_deduction_withdraw(actor=user, statement=statement, deduction_id=form.cleaned_data["deduction"],
                                         reason=form.cleaned_data["reason"])
        messages.success(request, f"已撤销违规扣款 {format_yuan(d.amount)} 元，扣款合计已重算")
    elif action == "return" and form.is_valid():
        statement_return(actor=user, statement=statement, reason=form.cleaned_data["reason"])
        messages.success(request, f"已退回 {statement.facility.name}，医院可见退回原因")
    elif action == "resubmit" and form.is_valid():
        statement_resubmit(actor=user, statement=statement, note=form.cleaned_data["note"])
        messages.success(request, "已重新报送，等待县合管办审核")
    elif action == "approve":
        if request.POST.get("confirm") != "1":  # the confirm step: show what approving fixes, ask again
            return None
        statement = statement_approve(actor=user, statement=statement)
        messages.success(request, f"已审定，应拨付 {format_yuan(statement.approved_amount)} 元")
    elif action == "disburse" and form.is_valid():
        statement, created = statement_disburse(
            actor=user, statement=statement, reference=form.cleaned_data["reference"],
            idempotency_key=form.cleaned_data["idempotency_key"] or None)
        messages.success(request, f"已拨付 {format_yuan(statement.disbursed_amount)} 元" if created else "该月结算单已拨付，未重复拨付")
    else:
        return None
    return redirect("statement_detail", pk=pk)


def statement_detail(request, pk: int):
    _need_reader(request)
    user = request.user
    statement = selectors.statement_get(actor=user, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None

    def bound(name):
        return request.POST if action == name else None

    forms = {"deduct": DeductionForm(bound("deduct")), "withdraw": WithdrawForm(bound("withdraw")),
             "return": ReturnForm(bound("return")), "resubmit": ResubmitForm(bound("resubmit")),
             "disburse": DisburseForm(bound("disburse"), initial={"idempotency_key": uuid.uuid4().hex})}
    if action:
        try:
            done = _statement_action(request, statement, action, forms)
            if done is not None:
                return done
        except NrcmsError as exc:
            form = forms.get(action)
            if form is not None and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
            statement = selectors.statement_get(actor=user, pk=pk)
    context = statement_context(statement)
    history = [{"at": h.at, "action": action_label(h.action), "who": h.actor.display_name if h.actor
                else (h.actor_username or "系统（命令行）"), "text": _history_text(h.after or {}), "reason": h.reason}
               for h in AuditEntry.objects.filter(object_type="payments.facilitystatement",
                                                  object_id=str(statement.pk)).select_related("actor").order_by("seq")]
    context.update({
        "page": paged(request, context["lines"]), "deduction_form": forms["deduct"], "disburse_form": forms["disburse"],
        "return_form": forms["return"], "resubmit_form": forms["resubmit"], "withdraw_form": forms["withdraw"],
        "all_deductions": statement.deductions.select_related("settlement", "created_by", "withdrawn_by",
                                                              "review_decision__hit"),
        # the audit-rule hits behind deductions and refunds (issue 12), linked for those who may read them
        "refund_rows": statement.refunds.select_related("settlement", "review_decision__hit").order_by("id"),
        "can_see_hits": any(user.can(c) for c in SUPERVISION_READERS),
        "confirm_approve": action == "approve" and statement.status == StatementStatus.IN_REVIEW,
        "can_review": user.can(Cap.CLAIMS_REVIEW), "can_disburse": user.can(Cap.FUND_DISBURSE), "history": history,
        "is_own_desk": user.can(Cap.DESK_SETTLE) and user.facility_id == statement.facility_id,
    })
    return render(request, "payments/statement_detail.html", context)


def statement_print(request, pk: int):
    _need_reader(request)
    return render(request, "payments/statement_print.html",
                  statement_context(selectors.statement_get(actor=request.user, pk=pk)))


def statement_pdf_view(request, pk: int):
    _need_reader(request)
    statement = selectors.statement_get(actor=request.user, pk=pk)
    return audited_pdf(actor=request.user, what=f"月结算单 {statement.number}（患者姓名）",
                       file_name=f"月结算单-{statement.number}.pdf", content=statement_pdf(statement),
                       rows=statement.lines.count())


def reconciliation_list(request):
    _need_reader(request)
    user = request.user
    is_desk = user.can(Cap.DESK_SETTLE) and user.facility_id is not None
    # a desk reconciles the day that has closed: yesterday, written ISO so the date input shows it
    form = ReconciliationForm(request.POST or None, initial={"date": timezone.localdate() - dt.timedelta(days=1)})
    if request.method == "POST" and is_desk and form.is_valid():
        try:
            row = reconciliation_submit(actor=user, data=ReconciliationInput(**form.cleaned_data))
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if row.result == ReconciliationResult.MATCHED:
                messages.success(request, f"{row.date:%Y-%m-%d} 对账一致")
            else:
                messages.error(request, f"{row.date:%Y-%m-%d} 对账不一致：{len(row.differences)} 处差异")
            return redirect("reconciliation_detail", pk=row.pk)
    qs = selectors.reconciliation_list(actor=user, facility_code=request.GET.get("facility", "").strip(),
                                       result=request.GET.get("result", ""))
    return render(request, "payments/reconciliation_list.html", {
        "page": paged(request, qs), "form": form, "is_desk": is_desk, "results": ReconciliationResult.choices,
        "result": request.GET.get("result", ""), "facility": request.GET.get("facility", "")})


def reconciliation_detail(request, pk: int):
    _need_reader(request)
    row = selectors.reconciliation_get(actor=request.user, pk=pk)
    theirs, ours = totals_to_fen(row.facility_totals), totals_to_fen(row.system_totals)
    rows = [(label if key in COUNTS else f"{label}（元）", theirs.get(key), ours.get(key), key not in COUNTS)
            for key, label in TOTALS.items()]
    return render(request, "payments/reconciliation_detail.html",
                  {"r": row, "rows": rows, "differences": [{**d, "money": d.get("item") not in COUNTS}
                                                                 for d in differences_to_fen(row.differences)]})

"""The county reviewer's pages for manual reimbursement (手工报销): list, record, claim (trial, notice,
settle, reject, reverse), the printable notice list (公示), the voucher."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError, ValidationFailed
from nrcms.core.masking import mask_id
from nrcms.core.money import format_yuan
from nrcms.facilities.models import Diagnosis, Facility
from nrcms.web.views import need, paged

from .forms import ManualClaimForm
from .manual import (
    CLASSES,
    NOTICE_DAYS,
    ManualClaimInput,
    ReceiptLine,
    manual_claim_get,
    manual_claim_notice,
    manual_claim_record,
    manual_claim_reject,
    manual_claim_reverse,
    manual_claim_settle,
    manual_claim_trial,
    manual_claims,
    payable_from,
)
from .manual_bill import COLUMNS, MAX_FILE_LINES, parse_receipt_file, receipt_line
from .manual_voucher import manual_voucher_pdf
from .models import ManualClaimStatus

RECEIPT_ROWS = 8
LINE_FIELDS = ("item_name", "catalogue_class", "first_self_pay_share", "amount", "catalogue_code")


def mask_name(name: str) -> str:
    """Public lists show the surname only: 王德福 → 王＊＊."""
    return name[:1] + "＊" * max(len(name) - 1, 1)


def manual_list(request):
    need(request, Cap.CLAIMS_REVIEW)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    return render(request, "claims/manual_list.html", {
        "page": paged(request, manual_claims(actor=request.user, q=q, status=status)), "q": q, "status": status,
        "statuses": ManualClaimStatus.choices})


def _rows(post) -> tuple[list[dict], list[ReceiptLine], list[str]]:
    """The page's receipt rows (as many as the page drew) and the lines read from them."""
    try:
        count = min(max(int(post.get("line_count") or RECEIPT_ROWS), RECEIPT_ROWS), MAX_FILE_LINES)
    except ValueError:
        count = RECEIPT_ROWS
    rows, lines, errors = [], [], []
    for i in range(count):
        row = {name: (post.get(f"line-{i}-{name}") or "").strip() for name in LINE_FIELDS}
        rows.append(row)
        if not row["amount"] and not row["item_name"]:
            continue
        line = receipt_line(i + 1, {label: row[name] for label, name in COLUMNS.items()}, errors, prefix="票据")
        if line is not None:
            lines.append(line)
    return rows, lines, errors


def _bill_rows(lines: list[ReceiptLine]) -> list[dict]:
    """Lines read from a bill file as the page's rows, for the reviewer to check before recording."""
    rows = [{"item_name": line.item_name, "catalogue_class": line.catalogue_class,
             "first_self_pay_share": "" if line.first_self_pay_share is None else str(line.first_self_pay_share),
             "amount": str(line.amount), "catalogue_code": line.catalogue_code} for line in lines]
    return rows + [dict.fromkeys(LINE_FIELDS, "") for _ in range(RECEIPT_ROWS - len(rows))]


def manual_new(request):
    need(request, Cap.CLAIMS_REVIEW)
    facilities = Facility.objects.filter(in_county=False).order_by("level", "code")
    bill = request.method == "POST" and request.POST.get("action") == "bill"
    form = ManualClaimForm(None if bill else request.POST or None, facilities=facilities,
                           initial=request.POST.dict() if bill else {"papers_received_on": timezone.localdate()})
    rows = [dict.fromkeys(LINE_FIELDS, "") for _ in range(RECEIPT_ROWS)]
    errors: list[str] = []
    if bill:  # 读入票据文件: fill the rows from the file; nothing is recorded until 录入
        rows = _rows(request.POST)[0]
        upload = request.FILES.get("bill")
        try:
            if upload is None:
                raise ValidationFailed("required", "请选择票据明细文件（.xlsx 或 .csv）", field="file")
            lines = parse_receipt_file(upload.name, upload.read())
        except NrcmsError as exc:
            errors = [d["message"] for d in exc.details] or [exc.message]
        else:
            rows = _bill_rows(lines)
            messages.info(request, f"已从 {upload.name} 读入 {len(lines)} 行票据明细，请核对后点“录入”")
    elif request.method == "POST":
        rows, lines, errors = _rows(request.POST)
        if form.is_valid() and not errors:
            try:
                claim, created = manual_claim_record(
                    actor=request.user, data=ManualClaimInput(lines=tuple(lines), **form.cleaned_data),
                    idempotency_key=request.POST.get("idempotency_key") or None)
            except NrcmsError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    errors.append(exc.message)
            else:
                messages.success(request, f"已录入手工报销单 {claim.number}；请核对试算后公示" if created
                                 else f"报销单 {claim.number} 已录入过，未重复录入")
                return redirect("manual_detail", number=claim.number)
    return render(request, "claims/manual_new.html", {
        "form": form, "rows": rows, "errors": errors, "classes": CLASSES.items(),
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "diagnoses": Diagnosis.objects.filter(edition="clinical").order_by("code")})


def manual_detail(request, number: str):
    need(request, Cap.CLAIMS_REVIEW)
    claim = manual_claim_get(actor=request.user, number=number)
    action = request.POST.get("action") if request.method == "POST" else None
    if action:
        try:
            if action == "notice":
                claim = manual_claim_notice(actor=request.user, claim=claim)
                messages.success(request, f"已公示：{claim.notice_from} 起，{payable_from(claim)} 起可支付")
            elif action == "settle":
                claim, created = manual_claim_settle(actor=request.user, claim=claim)
                messages.success(request, f"支付完成：补偿 {format_yuan(claim.fund_total)} 元" if created else "该报销已支付，未重复支付")
            elif action == "reject":
                manual_claim_reject(actor=request.user, claim=claim, reason=request.POST.get("reason", ""))
                messages.success(request, "已不予报销")
            elif action == "reverse":
                manual_claim_reverse(actor=request.user, claim=claim, reason=request.POST.get("reason", ""))
                messages.success(request, "已冲正")
            return redirect("manual_detail", number=number)
        except NrcmsError as exc:
            messages.error(request, exc.message)
    trial, trial_error = None, None
    if claim.status in (ManualClaimStatus.RECORDED, ManualClaimStatus.NOTICED):
        try:
            trial = manual_claim_trial(actor=request.user, claim=claim)
        except NrcmsError as exc:
            trial_error = exc.message
    return render(request, "claims/manual_detail.html", {
        "claim": claim, "episode": claim.episode, "charges": claim.episode.charges.order_by("line_no"),
        "result": trial, "error": trial_error, "payable_from": payable_from(claim), "today": timezone.localdate(),
        "total": sum((c.amount for c in claim.episode.charges.all()), Decimal("0"))})


def manual_notice(request):
    """公示名单: printable, names and ID numbers masked (personal-information law)."""
    need(request, Cap.CLAIMS_REVIEW)
    rows = []
    for claim in manual_claims(actor=request.user, status=ManualClaimStatus.NOTICED).order_by("notice_from", "number"):
        e = claim.episode
        rows.append({"claim": claim, "name": mask_name(e.person.name), "id": mask_id(e.person.id_number),
                     "village": e.household.region.full_name, "facility": e.facility.name,
                     "total": sum((c.amount for c in e.charges.all()), Decimal("0")),
                     "last_day": payable_from(claim) - dt.timedelta(days=1)})
    return render(request, "claims/manual_notice.html", {
        "rows": rows, "days": NOTICE_DAYS, "sum": sum((r["claim"].notice_amount for r in rows), Decimal("0")),
                                                         "printed_at": timezone.localtime()})


def manual_voucher(request, number: str):
    need(request, Cap.CLAIMS_REVIEW)
    claim = manual_claim_get(actor=request.user, number=number)
    try:
        return audited_pdf(actor=request.user, what=f"手工报销补偿凭据 {claim.number}（患者，身份证号已脱敏）",
                           file_name=f"补偿凭据-{claim.number}.pdf", content=manual_voucher_pdf(claim), rows=1)
    except NrcmsError as exc:
        messages.error(request, exc.message)
        return redirect("manual_detail", number=number)

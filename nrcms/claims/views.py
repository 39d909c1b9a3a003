"""The hospital desk's pages: look up, admit, charge, discharge, trial, settle, print, reverse."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.rate_limit import RateLimited
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NotFound, NrcmsError
from nrcms.core.money import format_yuan
from nrcms.facilities.models import Diagnosis
from nrcms.funding.ledger import family_account_balance
from nrcms.registry import reads
from nrcms.web.params import int_param
from nrcms.web.views import need, paged

from .charge_file import parse_charge_file
from .desk import episode_cancel, episode_discharge, episode_referral_attach
from .desk_admission import AdmissionInput, admission_register
from .desk_charges import ChargeInput, charge_withdraw, charges_upload
from .desk_lookup import certificate_members, lookup_client_key, member_lookup, member_lookup_at_desk
from .forms import AdmissionForm, ChargeFileForm, ChargeLineForm, DischargeForm, LookupForm, ReverseForm
from .models import ChargeLine, Episode, EpisodeKind, EpisodeStatus, Settlement
from .refusals import refusal_text
from .settlement import settlement_reverse, settlement_settle, settlement_trial_checked
from .voucher import voucher_pdf


def _episode(request, pk: int) -> Episode:
    need(request, Cap.DESK_SETTLE)
    episode = (Episode.objects.select_related("person", "household", "facility", "referral")
               .filter(pk=pk, facility_id=request.user.facility_id).first())
    if episode is None:
        raise NotFound("就诊记录", pk)
    return episode


def desk_home(request):
    need(request, Cap.DESK_SETTLE)
    form = LookupForm(request.GET or None)
    card, lookup_error, prompt, choices, status_code = None, None, None, [], 200
    if request.GET.get("certificate_number") or request.GET.get("id_number"):
        try:
            card = member_lookup_at_desk(actor=request.user, key=lookup_client_key(request), on=timezone.localdate(),
                                         certificate_number=request.GET.get("certificate_number", ""),
                                         id_number=request.GET.get("id_number", ""),
                                         person_id=int_param(request.GET, "member", "家庭成员"), via=reads.VIA_DESK,
                                         ip=client_ip(request))
        except RateLimited as exc:
            lookup_error, status_code = exc.message, exc.status
        except NrcmsError as exc:
            if exc.code == "choose_member":  # a question, not an error: which family member is the patient?
                prompt, choices = exc.message, exc.details
            else:
                lookup_error, choices = exc.message, exc.details
        else:
            if request.GET.get("certificate_number") and card.certificate is not None:
                choices = certificate_members(card.certificate)  # keep the family in view, the chosen one marked
                choices = choices if len(choices) > 1 else []
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()
    qs = Episode.objects.filter(facility_id=request.user.facility_id).select_related("person")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(serial__startswith=search) | Q(person__name__contains=search)
                       | Q(person__id_number=search))
    if request.headers.get("HX-Request") and request.GET.get("part") == "card":
        return render(request, "claims/_member_card.html", {"card": card, "lookup_error": lookup_error,
                                                            "prompt": prompt, "choices": choices}, status=status_code)
    page = paged(request, qs)
    if search:
        reads.id_search_record_if_id(actor=request.user, search=search, count=page.paginator.count,
                                     via=reads.VIA_DESK_LIST, ip=client_ip(request))
    return render(request, "claims/desk_home.html", {
        "form": form, "card": card, "lookup_error": lookup_error, "prompt": prompt, "choices": choices,
        "page": page, "status": status, "q": search, "statuses": EpisodeStatus.choices, "kind": kind,
        "kinds": EpisodeKind.choices,
    }, status=status_code)


def _outpatient_form(form: AdmissionForm) -> AdmissionForm:
    """门诊就诊登记: the same registration with the visit date as its date; no referral, no discharge."""
    form.fields["serial"].label = "门诊流水号"
    form.fields["admission_date"].label = "就诊日期"
    form.fields.pop("referral_number")
    return form


def _chosen_member(request):
    """The patient chosen on the desk's member card by certificate and record id (`certificate_number` and
    `member`, in the query or the form), or None when the desk types the ID number itself."""
    data = request.POST if request.method == "POST" else request.GET
    member = int_param(data, "member", "家庭成员")
    if member is None or not data.get("certificate_number"):
        return None
    return member_lookup(actor=request.user, on=timezone.localdate(), certificate_number=data["certificate_number"],
                         person_id=member)


def desk_admit(request):
    need(request, Cap.DESK_SETTLE)
    kind = request.POST.get("kind") or request.GET.get("kind") or EpisodeKind.INPATIENT
    outpatient = kind == EpisodeKind.OUTPATIENT
    chosen = _chosen_member(request)
    form = AdmissionForm(request.POST or None, initial={
        "admission_date": timezone.localdate(), "id_number": request.GET.get("id_number", ""), "kind": kind})
    form.fields.pop("kind")  # two plain paths (住院 / 门诊) with their own buttons, never a select to miss
    if chosen is not None:  # chosen from a certificate's members: the desk never sees the full ID number
        form.fields.pop("id_number")
    if outpatient:
        form = _outpatient_form(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data | ({"id_number": chosen.person.id_number} if chosen is not None else {})
        try:
            episode, created = admission_register(actor=request.user, data=AdmissionInput(kind=kind, **data))
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已登记{episode.get_kind_display()} {episode.serial}" if created
                             else f"流水号 {episode.serial} 已登记过，未重复登记")
            return redirect("desk_episode", pk=episode.pk)
    return render(request, "claims/desk_admit.html", {
        "form": form, "outpatient": outpatient, "kind": kind, "chosen": chosen, "diagnoses": Diagnosis.objects.filter(edition="clinical").order_by("code")})


def desk_episode(request, pk: int):
    episode = _episode(request, pk)
    charges = episode.charges.order_by("line_no")  # the current lines; withdrawn ones are shown, not counted
    all_lines = list(ChargeLine.with_withdrawn.filter(episode=episode).select_related("withdrawn_by")
                     .order_by("line_no"))
    totals = charges.aggregate(total=Sum("amount"))
    last_no = max((c.line_no for c in all_lines), default=0)
    upload_errors = []
    line_form = ChargeLineForm(initial={"charged_on": episode.admission_date, "line_no": last_no + 1})
    file_form = ChargeFileForm()
    discharge_form = DischargeForm(initial={"discharge_date": episode.discharge_date or timezone.localdate()})
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action in ("line", "file"):
            if action == "line":
                line_form = ChargeLineForm(request.POST)
                lines = [ChargeInput(**line_form.cleaned_data)] if line_form.is_valid() else None
            else:
                file_form = ChargeFileForm(request.POST, request.FILES)
                lines = None
                if file_form.is_valid():
                    upload = file_form.cleaned_data["file"]
                    lines = parse_charge_file(upload.name, upload.read())
            if lines:
                result = charges_upload(actor=request.user, episode=episode, lines=lines)
                if result.ok:
                    messages.success(request, f"新增 {result.added} 行，未变化 {result.unchanged} 行")
                    return redirect("desk_episode", pk=episode.pk)
                upload_errors = result.errors
        elif action == "discharge":
            discharge_form = DischargeForm(request.POST)
            if discharge_form.is_valid():
                episode_discharge(actor=request.user, episode=episode, **discharge_form.cleaned_data)
                messages.success(request, "已登记出院")
                return redirect("desk_episode", pk=episode.pk)
        elif action == "withdraw":
            line_no = request.POST.get("line_no", "")
            if not line_no.isdigit():
                raise NotFound("费用明细", line_no)
            line = charge_withdraw(actor=request.user, episode=episode, line_no=int(line_no),
                                   reason=request.POST.get("reason", ""))
            messages.success(request, f"已撤销明细 {line.line_no}（{line.item_name} {format_yuan(line.amount)} 元）；"
                             "更正后的明细请用新的明细序号上传")
            return redirect("desk_episode", pk=episode.pk)
        elif action == "referral":
            episode_referral_attach(actor=request.user, episode=episode,
                                    referral_number=request.POST.get("referral_number", ""))
            messages.success(request, "已补录转诊单号")
            return redirect("desk_episode", pk=episode.pk)
        elif action == "cancel":
            episode_cancel(actor=request.user, episode=episode, reason=request.POST.get("reason", ""))
            messages.success(request, f"已撤销{episode.get_kind_display()}登记 {episode.serial}")
            return redirect("desk_episode", pk=episode.pk)
        elif action == "settle":
            settlement, created = settlement_settle(actor=request.user, episode=episode,
                                                    idempotency_key=request.POST.get("idempotency_key") or None)
            messages.success(request, f"结算完成：结算单 {settlement.number}，补偿 {format_yuan(settlement.fund_total)} 元" if created
                             else f"该就诊已结算（{settlement.number}），未重复结算")
            return redirect("desk_episode", pk=episode.pk)
    except NrcmsError as exc:
        messages.error(request, exc.message)
    return render(request, "claims/desk_episode.html", {
        "episode": episode, "charges": charges, "lines": all_lines, "total": totals["total"], "line_form": line_form,
        "withdrawn_count": sum(1 for c in all_lines if c.withdrawn),
        "editable": episode.status not in (EpisodeStatus.SETTLED, EpisodeStatus.CANCELLED),
        "file_form": file_form, "discharge_form": discharge_form, "upload_errors": upload_errors,
        "settlements": episode.settlements.select_related("settled_by", "reverses"), "reverse_form": ReverseForm(),
        "idempotency_key": uuid.uuid4().hex,
        "family_account_balance": family_account_balance(episode.household) if episode.kind == EpisodeKind.OUTPATIENT
        else None,
    })


def desk_trial(request, pk: int):
    episode = _episode(request, pk)
    try:
        (result, warnings), error = settlement_trial_checked(actor=request.user, episode=episode), None
    except NrcmsError as exc:
        result, warnings, error = None, [], exc.message
    if result is not None and result.refused:
        error = refusal_text(episode, result)
    return render(request, "claims/_trial.html", {"result": result, "error": error, "warnings": warnings})


def desk_reverse(request, pk: int):
    need(request, Cap.DESK_SETTLE)
    settlement = Settlement.objects.filter(pk=pk, episode__facility_id=request.user.facility_id).first()
    if settlement is None:
        raise NotFound("结算单", pk)
    form = ReverseForm(request.POST)
    if request.method == "POST" and form.is_valid() and request.POST.get("confirm") != "1":
        # the confirm step: a reversal undoes the payment and posts a negative line, so ask once more
        return render(request, "claims/desk_reverse_confirm.html", {"s": settlement, "reason": form.cleaned_data["reason"]})
    if request.method == "POST" and form.is_valid():
        try:
            reversal = settlement_reverse(actor=request.user, settlement=settlement, reason=form.cleaned_data["reason"])
            messages.success(request, f"已冲正，冲正单 {reversal.number}；可更正费用后重新结算")
        except NrcmsError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "冲正必须填写原因")
    return redirect("desk_episode", pk=settlement.episode_id)


def desk_voucher(request, pk: int):
    need(request, Cap.DESK_SETTLE)
    settlement = (Settlement.objects.select_related("episode", "episode__person", "episode__household",
                                                    "episode__facility", "settled_by")
                  .filter(pk=pk, episode__facility_id=request.user.facility_id).first())
    if settlement is None:
        raise NotFound("结算单", pk)
    return audited_pdf(actor=request.user, what=f"补偿凭据 {settlement.number}（患者，身份证号已脱敏）",
                       file_name=f"补偿凭据-{settlement.number}.pdf", content=voucher_pdf(settlement), rows=1)

"""转诊备案 pages: the list (search, pagination), the record form, and the printable referral slip (转诊单)
with its cancel (作废) action. Township clerks see their township's residents, the county office everyone."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.facilities.models import Diagnosis, Facility
from nrcms.registry.selectors_people import valid_certificate
from nrcms.web.views import need, paged

from .models import Episode, ManualClaim
from .referral import (
    FILE_DAYS,
    MAX_VALID_DAYS,
    VALID_DAYS,
    referral_can_view,
    referral_cancel,
    referral_get,
    referral_list,
    referral_person,
    referral_record,
)

STATUSES = (("active", "有效（未作废）"), ("cancelled", "已作废"))
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReferralForm(forms.Form):
    id_number = forms.CharField(label="患者身份证号", max_length=18)
    from_facility = forms.ModelChoiceField(label="转出机构", required=False, to_field_name="code",
                                           queryset=Facility.objects.none(), empty_label="（无，直接由乡镇/县合管办批准）")
    to_facility = forms.ModelChoiceField(label="转入机构", required=False, to_field_name="code",
                                         queryset=Facility.objects.none(), empty_label="（县外机构未登记时填下一项）")
    to_name = forms.CharField(label="转入机构名称", max_length=100, required=False,
                              help_text="转入机构未在系统中登记的（县外医院），填写其全称")
    diagnosis_code = forms.CharField(label="诊断编码（ICD-10）", max_length=20,
                                     widget=forms.TextInput(attrs={"list": "diagnoses"}))
    reason = forms.CharField(label="转诊原因", max_length=200, required=False)
    approved_on = forms.DateField(label="批准日期", widget=DATE)
    valid_until = forms.DateField(label="有效期至", required=False, widget=DATE,
                                  help_text=f"不填默认批准日起 {VALID_DAYS} 天，最长 {MAX_VALID_DAYS} 天")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_facility"].queryset = Facility.objects.filter(in_county=True).order_by("level", "code")
        self.fields["to_facility"].queryset = Facility.objects.exclude(level="village").order_by("in_county", "code")
        for name in ("from_facility", "to_facility"):
            self.fields[name].label_from_instance = (
                lambda f: f"{f.name}（{f.get_level_display()}，{'县内' if f.in_county else '县外'}）")


def _view(request) -> None:
    if not referral_can_view(request.user):
        raise Forbidden()


def referral_list_view(request):
    _view(request)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    return render(request, "claims/referral_list.html", {
        "page": paged(request, referral_list(actor=request.user, q=q, status=status)), "q": q, "status": status,
        "statuses": STATUSES, "can_record": request.user.can(Cap.REFERRAL_RECORD), "today": timezone.localdate()})


def referral_new(request):
    need(request, Cap.REFERRAL_RECORD)
    form = ReferralForm(request.POST or None, initial={"approved_on": timezone.localdate(),
                                                        "id_number": request.GET.get("id_number", "")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            person = referral_person(actor=request.user, id_number=data.pop("id_number"))
            referral = referral_record(actor=request.user, person=person, **data)
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已备案转诊单 {referral.number}，请打印交患者")
            return redirect("referral_detail", number=referral.number)
    return render(request, "claims/referral_new.html", {
        "form": form, "diagnoses": Diagnosis.objects.filter(edition="clinical").order_by("code"),
        "valid_days": VALID_DAYS, "file_days": FILE_DAYS})


def referral_detail(request, number: str):
    """The slip (转诊单), printable; the cancel form is screen-only."""
    _view(request)
    referral = referral_get(actor=request.user, number=number)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            referral_cancel(actor=request.user, referral=referral, reason=request.POST.get("reason", ""))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"转诊单 {referral.number} 已作废")
        return redirect("referral_detail", number=referral.number)
    person = referral.person
    diagnosis = Diagnosis.objects.filter(code=referral.diagnosis_code).order_by("edition").first()
    return render(request, "claims/referral_slip.html", {
        "r": referral, "person": person, "certificate": valid_certificate(person.household),
        "diagnosis": diagnosis, "can_cancel": request.user.can(Cap.REFERRAL_RECORD) and not referral.cancelled,
        "used": list(Episode.objects.filter(referral=referral).select_related("facility").order_by("admission_date")),
        "claims": list(ManualClaim.objects.filter(referral=referral).order_by("number")),
        "file_days": FILE_DAYS, "printed_at": timezone.localtime()})

"""The manual reimbursement voucher (手工报销补偿凭据): the desk voucher's fields, plus the referral, the
papers' date and the notice period, paid to the patient by the county centre."""

from __future__ import annotations

from django.utils import timezone

from nrcms.core.errors import ValidationFailed
from nrcms.core.idnumber import mask_id_number
from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import CertificateStatus

from .manual import payable_from
from .models import ManualClaim, ManualClaimStatus, PersonYear
from .voucher import _office, categories_label, tier_rates


def manual_voucher_context(claim: ManualClaim) -> dict:
    episode = claim.episode
    person, household = episode.person, episode.household
    head = household.members.filter(relation="head", status="active").first()
    return {
        "c": claim, "episode": episode, "person": person, "household": household, "head": head,
        "certificate": household.certificates.filter(status=CertificateStatus.VALID).first(),
        "office": _office(episode), "facility": episode.facility, "address": household.full_address,
        "masked_id": mask_id_number(person.id_number), "head_id": mask_id_number(head.id_number) if head else "",
        "rate": tier_rates(claim.result), "categories": categories_label(episode),
        "fund_capital": chinese_capital(claim.fund_total), "self_pay_capital": chinese_capital(claim.self_pay),
        "year": PersonYear.objects.filter(person=person, scheme_year=episode.scheme_year).first(),
        "payable_from": payable_from(claim), "lines": (claim.result or {}).get("lines", []),
        "charges": episode.charges.order_by("line_no"), "printed_at": timezone.localtime(),
        "is_reversed": claim.status == ManualClaimStatus.REVERSED,
    }


def manual_voucher_pdf(claim: ManualClaim) -> bytes:
    if claim.paid_at is None:
        raise ValidationFailed("not_paid", f"报销单 {claim.number} {claim.get_status_display()}，支付后才能打印补偿凭据",
                               field="claim")
    return render_pdf("claims/manual_voucher.html", manual_voucher_context(claim))

"""The manual reimbursement voucher (手工报销补偿凭据): the desk voucher's fields, plus the referral, the
papers' date and the notice period, paid to the patient by the county centre."""

from __future__ import annotations

from django.utils import timezone

from nrcms.core.errors import ValidationFailed
from nrcms.core.masking import mask_id
from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf

from .manual import payable_from
from .models import ManualClaim, ManualClaimStatus
from .voucher import _office, applied_categories_label, particulars, printed_totals, tier_rates


def manual_voucher_context(claim: ManualClaim) -> dict:
    """The slip as it stood when the claim was paid: the categories and year-to-date totals of that payment's
    computation, the certificate, head and address stored with it (today's for claims paid before they were)."""
    episode = claim.episode
    person, household = episode.person, episode.household
    holder = particulars(claim, household)
    return {
        "c": claim, "episode": episode, "person": person, "household": household, "holder": holder,
        "office": _office(episode), "facility": episode.facility, "address": holder["address"],
        "masked_id": mask_id(person.id_number),
        "rate": tier_rates(claim.result), "categories": applied_categories_label(claim.inputs, episode),
        "fund_capital": chinese_capital(claim.fund_total), "self_pay_capital": chinese_capital(claim.self_pay),
        "year": _year_after(claim), "payable_from": payable_from(claim), "lines": (claim.result or {}).get("lines", []),
        "charges": episode.charges.order_by("line_no"), "printed_at": timezone.localtime(),
        "is_reversed": claim.status == ManualClaimStatus.REVERSED,
    }


def _year_after(claim: ManualClaim) -> dict:
    """本年度累计 right after this payment (the payment's own ytd_after), whatever was settled since."""
    return printed_totals((claim.result or {}).get("ytd_after", {}))


def manual_voucher_pdf(claim: ManualClaim) -> bytes:
    if claim.paid_at is None:
        raise ValidationFailed("not_paid", f"报销单 {claim.number} {claim.get_status_display()}，支付后才能打印补偿凭据",
                               field="claim")
    return render_pdf("claims/manual_voucher.html", manual_voucher_context(claim))

"""The reimbursement voucher (补偿凭据): every field domain.md §13 lists, amounts in figures and capitals."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from nrcms.core.idnumber import mask_id_number
from nrcms.core.money import chinese_capital, round_amount
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Category, CertificateStatus, Region

from .models import PersonYear, Settlement, SettlementKind


def _office(episode) -> str:
    county = Region.objects.filter(level="county").first()
    return f"{county.name if county else ''}新型农村合作医疗管理办公室"


def _address(household) -> str:
    region = household.region
    if household.address and region.name in household.address:
        return (region.parent.full_name if region.parent else "") + household.address
    return region.full_name + household.address


def voucher_context(settlement: Settlement) -> dict:
    episode = settlement.episode
    person, household = episode.person, episode.household
    head = household.members.filter(relation="head", status="active").first()
    certificate = household.certificates.filter(status=CertificateStatus.VALID).first()
    on = episode.discharge_date or episode.admission_date
    categories = [Category(c).label for c in person.categories.filter(valid_from__lte=on)
                  .values_list("category", flat=True)]
    year = PersonYear.objects.filter(person=person, scheme_year=episode.scheme_year).first()
    paid_in_year = round_amount(Settlement.objects.filter(episode__person=person, episode__scheme_year=episode.scheme_year)
                    .aggregate(total=Sum("fund_total"))["total"] or Decimal("0"))
    tiers = settlement.result.get("tiers", [])
    rate = "、".join(f"{Decimal(t['rate']) * 100:.0f}%" for t in tiers) or "—"
    return {
        "s": settlement, "episode": episode, "person": person, "household": household, "head": head,
        "certificate": certificate, "office": _office(episode), "facility": episode.facility,
        "categories": "、".join(categories) or "一般", "rate": rate, "printed_at": timezone.localtime(),
        "masked_id": mask_id_number(person.id_number), "head_id": mask_id_number(head.id_number) if head else "",
        "fund_capital": chinese_capital(settlement.fund_total), "self_pay_capital": chinese_capital(settlement.self_pay),
        "year": year, "paid_in_year": paid_in_year, "is_reversal": settlement.kind == SettlementKind.REVERSAL,
        "lines": settlement.result.get("lines", []), "address": _address(household),
        "family_balance": settlement.result.get("ytd_after", {}).get("family_account_balance", ""),
    }


def voucher_pdf(settlement: Settlement) -> bytes:
    return render_pdf("claims/voucher.html", voucher_context(settlement))

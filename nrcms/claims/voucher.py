"""The reimbursement voucher (补偿凭据): every field domain.md §13 lists, amounts in figures and capitals."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.db.models import Sum
from django.utils import timezone

from nrcms.core.idnumber import mask_id_number
from nrcms.core.money import chinese_capital, round_amount
from nrcms.core.pdf import render_pdf
from nrcms.facilities.models import DesignationStatus
from nrcms.facilities.services import facility_status_on
from nrcms.policy import Refusal, load_scheme_file
from nrcms.registry.models import Category, CertificateStatus, Region

from .models import PersonYear, Settlement, SettlementKind

FAMILY_ACCOUNT_MODES = ("family_account", "family_account_then_pooling")
SHIPPED_SCHEMES = Path(__file__).resolve().parent.parent / "policy" / "schemes"


@lru_cache(maxsize=1)
def _shipped_schemes() -> tuple:
    files = []
    for path in sorted(SHIPPED_SCHEMES.glob("*.yaml")):
        try:
            files.append(load_scheme_file(path))
        except Exception:  # noqa: BLE001 — a broken shipped file only costs the name on a voucher
            continue
    return tuple(files)


def _scheme_files() -> list:
    from .settlement import county_scheme

    try:
        current = [county_scheme()]
    except Exception:  # noqa: BLE001 — the county file missing: fall back to the shipped ones
        current = []
    return current + list(_shipped_schemes())


def scheme_version_of(scheme_id: str, version: str):
    """(scheme file, the version a settlement used) — the file's name for the voucher, the version's
    parameters for what it shows; (None, None) when no file at hand has that id."""
    for scheme_file in _scheme_files():
        if scheme_file.id == scheme_id:
            return scheme_file, next((v for v in scheme_file.versions if v.version == version), None)
    return None, None


def refusal_text(episode, result) -> str:
    """不予补偿：… once, with the facility's designation status spelt out when that is the reason (a suspended
    or revoked facility is 暂停定点 / 取消定点, not merely “非定点”)."""
    on = episode.discharge_date or episode.admission_date
    status = facility_status_on(episode.facility, on)
    reasons = []
    for code in result.refused:
        if code == Refusal.NON_DESIGNATED and status != DesignationStatus.DESIGNATED:
            label = "暂停定点" if status == DesignationStatus.SUSPENDED else "取消定点"
            reasons.append(f"{episode.facility.name}自 {on} 起处于{label}状态，按方案不予补偿")
        else:
            reasons.append(Refusal(code).message)
    return "不予补偿：" + "；".join(reasons)


def tier_rates(result: dict | None) -> str:
    """The tiers' rates as the slip prints them (75%、80%), read from the stored result as Decimal."""
    tiers = (result or {}).get("tiers", [])
    return "、".join(f"{Decimal(str(t['rate'])) * 100:.0f}%" for t in tiers) or "—"


def categories_label(episode) -> str:
    """The patient's identity categories on the day of care (五保、低保 …), or 一般."""
    on = episode.discharge_date or episode.admission_date
    categories = [Category(c).label for c in episode.person.categories.filter(valid_from__lte=on)
                  .values_list("category", flat=True)]
    return "、".join(categories) or "一般"


def _office(episode) -> str:
    county = Region.objects.filter(level="county").first()
    return f"{county.name if county else ''}新型农村合作医疗管理办公室"


def voucher_context(settlement: Settlement) -> dict:
    episode = settlement.episode
    person, household = episode.person, episode.household
    head = household.members.filter(relation="head", status="active").first()
    certificate = household.certificates.filter(status=CertificateStatus.VALID).first()
    year = PersonYear.objects.filter(person=person, scheme_year=episode.scheme_year).first()
    paid_in_year = round_amount(Settlement.objects.filter(episode__person=person, episode__scheme_year=episode.scheme_year)
                    .aggregate(total=Sum("fund_total"))["total"] or Decimal("0"))
    scheme_file, scheme = scheme_version_of(settlement.scheme_id, settlement.scheme_version)
    outpatient = scheme.params.outpatient if scheme is not None else None
    if outpatient is not None or scheme is not None:
        has_family_account = bool(outpatient and outpatient.mode in FAMILY_ACCOUNT_MODES)
    else:  # the version is no longer at hand: show the family account only if it paid
        has_family_account = bool(settlement.family_account)
    family_balance = settlement.result.get("ytd_after", {}).get("family_account_balance")
    return {
        "s": settlement, "episode": episode, "person": person, "household": household, "head": head,
        "certificate": certificate, "office": _office(episode), "facility": episode.facility,
        "categories": categories_label(episode), "rate": tier_rates(settlement.result),
        "printed_at": timezone.localtime(),
        "masked_id": mask_id_number(person.id_number), "head_id": mask_id_number(head.id_number) if head else "",
        "fund_capital": chinese_capital(settlement.fund_total), "self_pay_capital": chinese_capital(settlement.self_pay),
        "year": year, "paid_in_year": paid_in_year, "is_reversal": settlement.kind == SettlementKind.REVERSAL,
        "lines": settlement.result.get("lines", []), "address": household.full_address,
        "has_family_account": has_family_account,
        "family_balance": Decimal(str(family_balance)) if family_balance not in (None, "") else None,
        "scheme_name": scheme_file.name if scheme_file is not None else settlement.scheme_id,
    }


def voucher_pdf(settlement: Settlement) -> bytes:
    return render_pdf("claims/voucher.html", voucher_context(settlement))

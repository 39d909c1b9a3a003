"""The reimbursement voucher (补偿凭据): every field domain.md §13 lists, amounts in figures and capitals."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.db.models import Sum
from django.utils import timezone

from nrcms.core.masking import mask_id
from nrcms.core.money import chinese_capital, round_amount
from nrcms.core.pdf import render_pdf
from nrcms.policy import load_scheme_file
from nrcms.registry.models import Category, Region

from .issued import holder_particulars
from .models import Settlement, SettlementKind

FAMILY_ACCOUNT_MODES = ("family_account", "family_account_then_pooling")
YEAR_FIELDS = ("admissions", "inpatient_cost", "basic_paid", "outpatient_pooling_paid", "chronic_paid",
               "catastrophic_paid", "assistance_paid", "safety_net_paid")
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
    from nrcms.schemes.selectors import approved_files

    from .settlement import county_scheme

    try:
        current = [county_scheme()]
    except Exception:  # noqa: BLE001 — the county file missing: fall back to the shipped ones
        current = []
    return approved_files() + current + list(_shipped_schemes())


def scheme_version_of(scheme_id: str, version: str):
    """(scheme file, the version a settlement used) — the file's name for the voucher, the version's
    parameters for what it shows; (None, None) when no file at hand has that id."""
    for scheme_file in _scheme_files():
        if scheme_file.id == scheme_id:
            return scheme_file, next((v for v in scheme_file.versions if v.version == version), None)
    return None, None


def tier_rates(result: dict | None) -> str:
    """The tiers' rates as the slip prints them (75%、80%), read from the stored result as Decimal."""
    tiers = (result or {}).get("tiers", [])
    return "、".join(f"{Decimal(str(t['rate'])) * 100:.0f}%" for t in tiers) or "—"


def categories_label(episode) -> str:
    """The patient's identity categories held on the day of care (五保、低保 …), or 一般: a category that
    began after that day or ended before it is not the patient's for that care."""
    on = episode.discharge_date or episode.admission_date
    codes = episode.person.categories.held_on(on).order_by("category").values_list("category", flat=True)
    return label_of(codes)


def label_of(codes) -> str:
    return "、".join(Category(c).label if c in Category.values else c for c in codes) or "一般"


def applied_categories_label(inputs: dict | None, episode) -> str:
    """The categories a settlement was computed with (stored in its inputs), so a reprint says what the
    settlement applied; rows without them fall back to the categories held on the day of care."""
    if inputs and "categories" in inputs:
        return label_of(inputs["categories"])
    return categories_label(episode)


def _office(episode) -> str:
    county = Region.objects.filter(level="county").first()
    return f"{county.name if county else ''}新型农村合作医疗管理办公室"


def particulars(row, household) -> dict:
    """Certificate, head and address as stored when the row was issued; today's for rows issued before
    they were stored."""
    stored = row.issued or {}
    if all(key in stored for key in ("certificate", "head", "head_id", "address")):
        return stored
    return holder_particulars(household)


def year_to_date(settlement: Settlement) -> dict:
    """本年度累计 as it stood right after this row: a settlement's own ytd_after; a reversal's stored totals
    (its result is the original's). Old reversals without them show the totals before the reversed
    settlement (what the reversal gave back to), the nearest the stored inputs allow."""
    issued = settlement.issued or {}
    if "year_to_date" in issued:
        totals = issued["year_to_date"]
    elif settlement.kind == SettlementKind.REVERSAL:
        totals = settlement.inputs.get("year_to_date", {})
    else:
        totals = settlement.result.get("ytd_after", {})
    return printed_totals(totals)


def printed_totals(totals: dict) -> dict:
    """Stored year-to-date totals (text or numbers) as the voucher prints them: admissions whole, money to the fen."""
    return {name: (int(Decimal(str(value))) if name == "admissions" else round_amount(Decimal(str(value))))
            for name, value in totals.items() if name in YEAR_FIELDS}


def paid_in_year(settlement: Settlement) -> Decimal:
    """各项补偿合计 for the year up to and including this row (later settlements and reversals excluded):
    rows of one person are written one at a time under the person's year lock, so their ids are in order."""
    episode = settlement.episode
    total = (Settlement.objects.filter(episode__person_id=episode.person_id, episode__scheme_year=episode.scheme_year,
                                       pk__lte=settlement.pk).aggregate(total=Sum("fund_total"))["total"])
    return round_amount(total or Decimal("0"))


def voucher_context(settlement: Settlement) -> dict:
    episode = settlement.episode
    person, household = episode.person, episode.household
    holder = particulars(settlement, household)
    scheme_file, scheme = scheme_version_of(settlement.scheme_id, settlement.scheme_version)
    outpatient = scheme.params.outpatient if scheme is not None else None
    if outpatient is not None or scheme is not None:
        has_family_account = bool(outpatient and outpatient.mode in FAMILY_ACCOUNT_MODES)
    else:  # the version is no longer at hand: show the family account only if it paid
        has_family_account = bool(settlement.family_account)
    family_balance = settlement.result.get("ytd_after", {}).get("family_account_balance")
    return {
        "s": settlement, "episode": episode, "person": person, "household": household, "holder": holder,
        "office": _office(episode), "facility": episode.facility,
        "categories": applied_categories_label(settlement.inputs, episode), "rate": tier_rates(settlement.result),
        "printed_at": timezone.localtime(), "masked_id": mask_id(person.id_number),
        "fund_capital": chinese_capital(settlement.fund_total), "self_pay_capital": chinese_capital(settlement.self_pay),
        "year": year_to_date(settlement), "paid_in_year": paid_in_year(settlement),
        "is_reversal": settlement.kind == SettlementKind.REVERSAL,
        "lines": settlement.result.get("lines", []), "address": holder["address"],
        "has_family_account": has_family_account,
        "family_balance": Decimal(str(family_balance)) if family_balance not in (None, "") else None,
        "scheme_name": scheme_file.name if scheme_file is not None else settlement.scheme_id,
    }


def voucher_pdf(settlement: Settlement) -> bytes:
    return render_pdf("claims/voucher.html", voucher_context(settlement))

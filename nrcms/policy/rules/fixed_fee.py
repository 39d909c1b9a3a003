"""Fixed-fee single diseases (单病种定额/限价包干): for a listed diagnosis at a listed level, inside the county
and at a designated facility, the patient pays a fixed amount, the fund pays a fixed amount to the facility,
and the facility bears the difference from the actual cost (户县: 35 such diseases).

Documented choices: the fund's part counts against the annual cap and, when the cap is reached, what it
cannot pay falls to the patient; and when a stay costs less than the package price, the patient pays at
most the actual cost and the fund at most the rest, so no one pays more than the bill."""

from __future__ import annotations

from decimal import Decimal

from ..parameters import FixedFeePackage
from ..types import Episode, ExplanationLine
from .cap import room_left


def diagnosis_matches(code: str, prefixes: tuple[str, ...]) -> bool:
    code = (code or "").upper()
    return bool(code) and any(code.startswith(p.upper()) for p in prefixes)


def package_for(packages: tuple[FixedFeePackage, ...], episode: Episode) -> FixedFeePackage | None:
    if not packages or not episode.in_county or not episode.designated or episode.continuation:
        return None
    for package in packages:
        if episode.facility_level in package.levels and diagnosis_matches(episode.diagnosis_code, package.diagnoses):
            return package
    return None


def package_settlement(package: FixedFeePackage, total: Decimal, cap: Decimal, paid_so_far: Decimal
                       ) -> tuple[Decimal, Decimal, Decimal, ExplanationLine]:
    """(fund pays, patient pays, facility bears, line)."""
    patient = min(package.patient_amount, total)
    due = min(package.fund_amount, total - patient)  # the fund's part, never more than the bill leaves
    room = room_left(cap, paid_so_far)
    fund = min(due, room)
    patient += due - fund  # what the cap stops the fund paying is the patient's, not the facility's
    facility = total - fund - patient
    text = "单病种定额（{}）：定额患者自付 {} 元、基金支付 {} 元"
    args = [package.name, package.patient_amount, package.fund_amount]
    if fund < due:
        text += "；年度封顶剩余 {} 元，其余由患者负担"
        args.append(room)
    text += "；本次基金支付 {} 元，患者支付 {} 元，实际费用 {} 元与定额之差 {} 元由医疗机构承担"
    args += [fund, patient, total, facility]
    return fund, patient, facility, ExplanationLine("fixed_fee", text, fund, tuple(args))

"""Assembling a Settlement: the fund's total, the patient's share, the ratio and the closing line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from nrcms.core.money import ZERO

from .errors import Refusal
from .scheme import Scheme
from .types import Episode, ExplanationLine, LayerPayment, Settlement, TierPart, YearToDate

RATIO = Decimal("0.0001")


def effective_ratio(fund: Decimal, total: Decimal) -> Decimal:
    # A ratio, not money, so it is not rounded by round_amount: four places, half up, for reports.
    return (fund / total).quantize(RATIO, rounding=ROUND_HALF_UP) if total else ZERO


def build(episode: Episode, scheme: Scheme, ytd_after: YearToDate, lines: list[ExplanationLine], *,
          total: Decimal, excluded: dict[str, Decimal], eligible: Decimal, layers: list[LayerPayment],
          deductible: Decimal = ZERO, tiers: tuple[TierPart, ...] = (), before_cap: Decimal = ZERO,
          basic: Decimal = ZERO, family: Decimal = ZERO, fixed: Decimal = ZERO, subsidy: Decimal = ZERO,
          catastrophic: Decimal = ZERO, assistance: Decimal = ZERO, safety: Decimal = ZERO,
          facility_borne: Decimal = ZERO, refused: tuple[Refusal, ...] = (), package: str = "") -> Settlement:
    fund = basic + family + fixed + subsidy + catastrophic + assistance + safety
    self_pay = total - fund - facility_borne
    # The reimbursement ratio is the pooled funds' share of the total cost. The family account is the
    # household's own contribution set aside, not pooled money: it is shown on its own line and left out.
    ratio = effective_ratio(fund - family, total)
    if family:
        lines.append(ExplanationLine(
            "summary", "统筹基金支付 {} 元；家庭账户支付 {} 元（参合家庭自己的钱，不计入补偿比）；个人自付 {} 元；"
            "实际补偿比（统筹基金支付 ÷ 医疗总费用）{:.2%}", fund - family, (fund - family, family, self_pay, ratio)))
    elif facility_borne:
        lines.append(ExplanationLine("summary", "基金支付合计 {} 元；个人自付 {} 元；医疗机构承担 {} 元；实际补偿比 {:.2%}",
                                     fund, (fund, self_pay, facility_borne, ratio)))
    else:
        lines.append(ExplanationLine("summary", "基金支付合计 {} 元；个人自付 {} 元；实际补偿比 {:.2%}", fund,
                                     (fund, self_pay, ratio)))
    return Settlement(
        scheme_id=scheme.id, scheme_version=scheme.version, scheme_effective=scheme.effective, kind=episode.kind,
        total_cost=total, excluded=excluded, eligible_cost=eligible, deductible=deductible, tiers=tiers,
        basic_before_cap=before_cap, basic=basic, family_account=family, fixed_fee=fixed, subsidy=subsidy,
        catastrophic=catastrophic, assistance=assistance, safety_net=safety, fund_total=fund, self_pay=self_pay,
        facility_borne=facility_borne, effective_ratio=ratio, refused=refused, lines=tuple(lines),
        ytd_after=ytd_after, package=package, layer_payments=tuple(layers),
    )


def scheme_line(scheme: Scheme) -> ExplanationLine:
    return ExplanationLine("scheme", "补偿方案：{0.label}；依据：{0.notice}", None, (scheme,))


def refused(episode: Episode, scheme: Scheme, ytd: YearToDate, reasons: list[Refusal]) -> Settlement:
    """Nothing paid, nothing added to the year; the slip says why."""
    total = episode.total_cost
    lines = [scheme_line(scheme), ExplanationLine("total", "医疗总费用 {} 元", total, (total,))]
    lines += [ExplanationLine("refused", "不予补偿：{}", ZERO, (reason.message,)) for reason in reasons]
    return build(episode, scheme, ytd, lines, total=total, excluded={}, eligible=ZERO, layers=[],
                 refused=tuple(reasons))

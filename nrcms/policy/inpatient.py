"""Settling an admission, step by step: refusals → eligible cost → fixed-fee package, or deductible and
tiers (a continuation of an interim-settled stay runs the tiers over the whole stay) → scheme rounding →
annual cap → fixed subsidies → catastrophic insurance → medical assistance → safety net → overall ceiling.

Two running totals say what is still the patient's: `left_policy` (of the in-policy cost) and `left_total`
(of the whole bill). Each layer computes on the one its scheme names and can never pay more than it; every
payment goes first against the in-policy part."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from .errors import Refusal
from .parameters import Inpatient
from .result import build, refused, scheme_line
from .rules.assistance import assistance_category, assistance_pay
from .rules.cap import apply_cap, cap_for, room_left
from .rules.catastrophic import catastrophic_pay
from .rules.ceiling import ceiling_trim
from .rules.deductible import deductible_for
from .rules.eligible_cost import eligible_cost
from .rules.fixed_fee import package_for, package_settlement
from .rules.interim import continuation_payment, interim_refusal
from .rules.rounding import pay
from .rules.safety_net import safety_net_applies, safety_net_pay
from .rules.subsidies import pay_subsidies, subsidies_for
from .rules.tiers import tier_payment
from .scheme import Scheme
from .types import Episode, ExplanationLine, LayerPayment, Settlement, TierPart, YearToDate

ROUNDING_LABELS = {"jiao": "角", "yuan": "元"}


def situation(rule: Inpatient, episode: Episode) -> tuple[list[Refusal], Decimal, str]:
    """Refusals, the rate change in points, and a label, for designation, county and referral."""
    reasons, change, labels = [], ZERO, []
    if not episode.designated:
        labels.append("非定点医疗机构")
        if rule.non_designated.refuse:
            reasons.append(Refusal.NON_DESIGNATED)
        change += rule.non_designated.rate_change
    if not episode.in_county:
        if episode.referred:
            adjustment, refusal = rule.out_of_county_referred, Refusal.REFERRED_OUT_OF_COUNTY
        else:
            adjustment, refusal = rule.out_of_county_unreferred, Refusal.UNREFERRED_OUT_OF_COUNTY
        labels.append("县外已转诊" if episode.referred else "县外未转诊")
        if adjustment.refuse:
            reasons.append(refusal)
        change += adjustment.rate_change
    elif not episode.referred and rule.in_county_unreferred:
        adjustment = rule.in_county_unreferred.get(episode.facility_level)
        if adjustment is not None:
            labels.append("未经转诊")
            if adjustment.refuse:
                reasons.append(Refusal.UNREFERRED_IN_COUNTY)
            change += adjustment.rate_change
    return reasons, change, "、".join(labels)


def _bound(amount: Decimal | None) -> str:
    """A band's bound as the notice writes it: 1000, not 1,000.00."""
    if amount is None:
        return ""
    return format(amount.normalize(), "f") if amount == amount.to_integral_value() else format(amount, "f")


def tier_lines(parts: tuple[TierPart, ...], convention: str, eligible: Decimal, change: Decimal, label: str
               ) -> list[ExplanationLine]:
    note = f"（{label}，比例调整 {(change * 100).normalize():+f} 个百分点）" if change else ""
    lines = []
    for part in parts:
        if convention == "bracket":
            template = "全额按档：政策范围内费用 {} 元落在 {}–{} 元档，起付线以上 {} 元 × {:%} = {} 元"
            args = (eligible, _bound(part.lower), _bound(part.upper), part.base, part.rate, part.paid)
            if part.upper is None:
                template = "全额按档：政策范围内费用 {} 元落在 {} 元以上档，起付线以上 {} 元 × {:%} = {} 元"
                args = (eligible, _bound(part.lower), part.base, part.rate, part.paid)
            elif not part.lower:  # the first band reads as the notice writes it: "1000 元以下", not "0–1000 元"
                template = "全额按档：政策范围内费用 {} 元落在 {} 元以下档，起付线以上 {} 元 × {:%} = {} 元"
                args = (eligible, _bound(part.upper), part.base, part.rate, part.paid)
        elif part.upper is None:
            template, args = "分段累加：{} 元以上段 {} 元 × {:%} = {} 元", (part.lower, part.base, part.rate, part.paid)
        else:
            template = "分段累加：{}–{} 元段 {} 元 × {:%} = {} 元"
            args = (part.lower, part.upper, part.base, part.rate, part.paid)
        lines.append(ExplanationLine("tier", template + note, part.paid, args))
    return lines


def settle_admission(episode: Episode, scheme: Scheme, ytd: YearToDate, categories: frozenset[str]) -> Settlement:
    p = scheme.params
    rule = p.inpatient
    reasons, change, label = situation(rule, episode)
    interim = interim_refusal(rule.interim, episode)
    if interim is not None:
        reasons.append(interim)
    if reasons:
        return refused(episode, scheme, ytd, reasons)

    total = episode.total_cost
    lines = [scheme_line(scheme), ExplanationLine("total", "医疗总费用 {} 元", total, (total,))]
    eligible, excluded, eligible_lines = eligible_cost(episode.charges, p.catalogue.eligible_classes)
    lines += eligible_lines
    first_part = not episode.continuation
    admissions = ytd.admissions + 1 if first_part else ytd.admissions
    cap = cap_for(rule, episode)
    package = package_for(rule.fixed_fee_packages, episode)
    deductible = before_cap = basic = fixed = facility = ZERO
    parts: tuple[TierPart, ...] = ()
    if package is not None:
        fixed, _, facility, line = package_settlement(package, total, cap, ytd.basic_paid)
        eligible = min(package.patient_amount + package.fund_amount, total)
        lines += [line, ExplanationLine("eligible", "按单病种定额结算，定额总价 {} 元即政策范围内费用", eligible, (eligible,))]
        layers = [LayerPayment("fixed_fee", eligible, fixed)]
        cap_paid = fixed
    else:
        stay_deductible, line = deductible_for(rule.deductible, episode, admissions)
        tiers = rule.tiers.for_episode(episode.facility_level, episode.in_county)
        if first_part:
            deductible = stay_deductible
            lines.append(line)
            raw, parts = tier_payment(eligible, deductible, tiers, p.tier_convention, change)
            lines += tier_lines(parts, p.tier_convention, eligible, change, label)
            if eligible <= deductible:  # say why the basic scheme pays nothing, not just "0"
                lines.append(ExplanationLine(
                    "below_deductible", "政策范围内费用 {} 元未超过起付线 {} 元，基本医疗补偿为 0 元", ZERO,
                    (eligible, deductible)))
        else:
            raw, parts, line = continuation_payment(eligible, episode.stay_eligible_before, stay_deductible, tiers,
                                                    p.tier_convention, change)
            lines.append(line)
        before_cap = pay(raw, p.rounding, eligible - deductible)
        if p.rounding != "fen":
            lines.append(ExplanationLine("rounding", "按方案舍入到{}：{} 元", before_cap,
                                         (ROUNDING_LABELS[p.rounding], before_cap)))
        basic, line = apply_cap(before_cap, cap, ytd.basic_paid)
        lines.append(line)
        layers = [LayerPayment("basic", eligible, basic)]
        cap_paid = basic
    left_policy = eligible - basic - fixed
    left_total = total - basic - fixed - facility

    subsidy = in_cap = ZERO
    chosen = subsidies_for(rule.subsidies, episode) if rule.subsidies else ()
    if chosen:
        subsidy, in_cap, more = pay_subsidies(chosen, left_policy, room_left(cap, ytd.basic_paid + cap_paid))
        lines += more
        layers.append(LayerPayment("subsidy", left_policy, subsidy))
        cap_paid += in_cap
        left_policy -= subsidy
        left_total -= subsidy

    catastrophic = assistance = safety = cat_base = assist_base = ZERO
    if p.catastrophic is not None:
        cat_base = left_policy if p.catastrophic.base == "in_policy_self_pay" else left_total
    if cat_base > ZERO:
        catastrophic, line = catastrophic_pay(p.catastrophic, cat_base, ytd, p.rounding)
        lines.append(line)
        layers.append(LayerPayment("catastrophic", cat_base, catastrophic))
        left_policy -= min(catastrophic, left_policy)
        left_total -= catastrophic
    if p.assistance is not None and assistance_category(p.assistance, categories) is not None:
        assist_base = left_policy if p.assistance.base == "in_policy_self_pay" else left_total
        assistance, line = assistance_pay(p.assistance, categories, assist_base, ytd, p.rounding)
        lines.append(line)
        layers.append(LayerPayment("assistance", assist_base, assistance))
        left_policy -= min(assistance, left_policy)
        left_total -= assistance
    if p.safety_net is not None and safety_net_applies(p.safety_net, categories):
        in_policy = p.safety_net.base == "in_policy_cost"
        burden = left_policy if in_policy else left_total
        safety, line = safety_net_pay(p.safety_net, eligible if in_policy else total, burden)
        lines.append(line)
        layers.append(LayerPayment("safety_net", burden, safety))

    paid = [basic + fixed, subsidy, catastrophic, assistance, safety]
    trimmed, line = ceiling_trim(p.ceiling, eligible if p.ceiling.base == "in_policy_cost" else total, paid)
    if line is not None:
        lines.append(line)
        first, subsidy, catastrophic, assistance, safety = trimmed
        basic, fixed = (ZERO, first) if package is not None else (first, ZERO)
        cap_paid = first + min(in_cap, subsidy)
        layers = [LayerPayment(x.layer, x.base, amount) for x, amount in zip(layers, _by_layer(layers, trimmed), strict=True)]

    after = YearToDate(
        admissions=admissions, inpatient_cost=ytd.inpatient_cost + total, basic_paid=ytd.basic_paid + cap_paid,
        outpatient_pooling_paid=ytd.outpatient_pooling_paid, outpatient_paid_today=ytd.outpatient_paid_today,
        chronic_paid=ytd.chronic_paid, catastrophic_base=ytd.catastrophic_base + cat_base,
        catastrophic_paid=ytd.catastrophic_paid + catastrophic, assistance_base=ytd.assistance_base + assist_base,
        assistance_paid=ytd.assistance_paid + assistance, safety_net_paid=ytd.safety_net_paid + safety,
        family_account_balance=ytd.family_account_balance, year=ytd.year,
    )
    return build(episode, scheme, after, lines, total=total, excluded=excluded, eligible=eligible, layers=layers,
                 deductible=deductible, tiers=parts, before_cap=before_cap, basic=basic, fixed=fixed,
                 subsidy=subsidy, catastrophic=catastrophic, assistance=assistance, safety=safety,
                 facility_borne=facility, package=package.code if package is not None else "")


def _by_layer(layers: list[LayerPayment], trimmed: list[Decimal]) -> list[Decimal]:
    order = {"basic": 0, "fixed_fee": 0, "subsidy": 1, "catastrophic": 2, "assistance": 3, "safety_net": 4}
    return [trimmed[order[x.layer]] for x in layers]

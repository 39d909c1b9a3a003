"""Settling an outpatient visit: the family account (家庭账户), outpatient pooling (门诊统筹), or the family
account first and pooling for the rest, as the scheme's `outpatient.mode` says; a visit for a listed chronic
disease is paid by the chronic-disease rule instead of ordinary pooling, and the family account (if the
scheme has one) pays what that leaves."""

from __future__ import annotations

from nrcms.core.money import ZERO

from .errors import Refusal
from .result import build, refused, scheme_line
from .rules.chronic import chronic_pay, is_chronic, listed, uncertified_line
from .rules.eligible_cost import eligible_cost
from .rules.family_account import family_account_pay
from .rules.outpatient_pooling import pooling_pay
from .scheme import Scheme
from .types import Episode, ExplanationLine, LayerPayment, Settlement, YearToDate


def settle_visit(episode: Episode, scheme: Scheme, ytd: YearToDate) -> Settlement:
    p = scheme.params
    rule = p.outpatient
    if rule is None:
        return refused(episode, scheme, ytd, [Refusal.NO_OUTPATIENT_BENEFIT])
    if rule.in_county_only and (not episode.in_county or not episode.designated):
        return refused(episode, scheme, ytd, [Refusal.OUTPATIENT_OUT_OF_COUNTY])
    total = episode.total_cost
    lines = [scheme_line(scheme), ExplanationLine("total", "门诊总费用 {} 元", total, (total,))]
    eligible, excluded, eligible_lines = eligible_cost(episode.charges, p.catalogue.eligible_classes)
    lines += eligible_lines
    left_policy, left_total = eligible, total
    family = pooled = chronic = ZERO
    layers = []
    uses_account = rule.mode != "pooling"
    chronic_visit = is_chronic(rule.chronic, episode)
    if not chronic_visit and listed(rule.chronic, episode):
        lines.append(uncertified_line())

    def account():
        nonlocal family, left_policy, left_total
        base = left_policy if rule.family_account_pays == "in_policy_cost" else left_total
        family, line = family_account_pay(base, ytd.family_account_balance)
        lines.append(line)
        layers.append(LayerPayment("family_account", base, family))
        left_policy -= min(family, left_policy)
        left_total -= family

    if chronic_visit:
        chronic, line = chronic_pay(rule.chronic, left_policy, ytd, p.rounding)
        lines.append(line)
        layers.append(LayerPayment("chronic", left_policy, chronic))
        left_policy -= chronic
        left_total -= chronic
        if uses_account:
            account()
    else:
        if uses_account:
            account()
        if rule.mode != "family_account" and left_policy > ZERO:
            pooled, line = pooling_pay(rule.pooling, episode.facility_level, left_policy, ytd, p.rounding)
            lines.append(line)
            layers.append(LayerPayment("outpatient_pooling", left_policy, pooled))

    after = YearToDate(
        admissions=ytd.admissions, inpatient_cost=ytd.inpatient_cost, basic_paid=ytd.basic_paid,
        outpatient_pooling_paid=ytd.outpatient_pooling_paid + pooled,
        outpatient_paid_today=ytd.outpatient_paid_today + pooled, chronic_paid=ytd.chronic_paid + chronic,
        catastrophic_base=ytd.catastrophic_base, catastrophic_paid=ytd.catastrophic_paid,
        assistance_base=ytd.assistance_base, assistance_paid=ytd.assistance_paid,
        safety_net_paid=ytd.safety_net_paid, family_account_balance=ytd.family_account_balance - family, year=ytd.year,
    )
    return build(episode, scheme, after, lines, total=total, excluded=excluded, eligible=eligible, layers=layers,
                 basic=pooled + chronic, family=family)

"""The deductible (起付线) of an admission: by facility level, in or out of the county, designation, referral,
and the admission's ordinal in the year (a second admission often pays a lower one)."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import round_amount

from ..parameters import LEVEL_LABELS, Deductible
from ..types import Episode, ExplanationLine


def deductible_for(rule: Deductible, episode: Episode, ordinal: int) -> tuple[Decimal, ExplanationLine]:
    """The deductible of this admission and the line that explains it; `ordinal` counts this admission."""
    if not episode.designated and rule.non_designated is not None:
        base, where = rule.non_designated, "非定点医疗机构"
    elif not episode.in_county and not episode.referred and rule.out_of_county_unreferred is not None:
        base, where = rule.out_of_county_unreferred, "县外未转诊"
    elif not episode.in_county and rule.out_of_county is not None:
        base, where = rule.out_of_county, "县外医疗机构"
    else:
        base = rule.by_level.get(episode.facility_level, rule.default)
        where = LEVEL_LABELS.get(episode.facility_level, episode.facility_level)
    if ordinal > 1:
        later = rule.subsequent_by_level.get(episode.facility_level)
        amount = later if later is not None else round_amount(base * rule.subsequent_factor)
        if amount != base:
            return amount, ExplanationLine("deductible", "起付线：{}，本年度第 {} 次住院 {} 元（首次 {} 元）", amount,
                                           (where, ordinal, amount, base))
    return base, ExplanationLine("deductible", "起付线：{} {} 元", base, (where, base))

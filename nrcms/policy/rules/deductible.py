"""The deductible (起付线) of an admission: by facility level, in or out of the county, designation, and
the admission's ordinal in the year. An interim settlement's continuation pays no second deductible."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..scheme import Deductible
from ..types import Episode, Line

LEVEL_LABELS = {"village": "村卫生室", "township": "乡镇卫生院", "county": "县级医院", "prefecture": "市级医院",
                "province": "省级医院"}


def deductible_for(rule: Deductible, episode: Episode, ordinal: int) -> tuple[Decimal, Line]:
    if episode.continuation:
        return ZERO, Line("deductible", "中途结算后的续结，不再扣起付线", ZERO)
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
        if episode.facility_level in rule.subsequent_by_level:
            amount = rule.subsequent_by_level[episode.facility_level]
        else:
            amount = round_amount(base * rule.subsequent_factor)
        if amount != base:
            return amount, Line("deductible", f"起付线：{where}，本年度第 {ordinal} 次住院 {amount} 元（首次 {base} 元）",
                                amount)
    return base, Line("deductible", f"起付线：{where} {base} 元", base)

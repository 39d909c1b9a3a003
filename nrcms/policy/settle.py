"""settle(episode, scheme, year_to_date) -> Settlement: the whole computation, line by line.

Order for an admission: refusals → eligible cost → fixed-fee package (if the diagnosis has one) or
deductible → tiers → rounding → annual cap → fixed subsidies → catastrophic insurance → medical assistance →
safety net → overall ceiling. For a visit: family account and/or outpatient pooling (or chronic disease).
Every step appends an explanation line with its numbers; the year-to-date totals after the episode are
part of the result, so a sequence of episodes is settled by feeding each result's ytd_after to the next."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from nrcms.core.money import ZERO, round_amount

from .errors import Refusal
from .rules.cap import apply_cap, cap_for
from .rules.deductible import deductible_for
from .rules.eligible_cost import eligible_cost
from .rules.fixed_fee import package_for, subsidies_for
from .rules.layers import assistance_pay, catastrophic_pay, ceiling_limit, safety_net_pay
from .rules.outpatient import family_account_pay, pooling_pay
from .rules.tiers import tier_payment
from .scheme import Scheme, SchemeFile
from .types import INPATIENT, Episode, Line, Person, Settlement, YearToDate

NO_PERSON = Person()
NO_YTD = YearToDate()


def scheme_for(scheme_file: SchemeFile, episode: Episode) -> Scheme | None:
    """Documented rule: the version in force on the discharge date settles the episode (a county office
    settles on discharge), unless that version says its schemes go by admission date."""
    chosen = scheme_file.select(episode.date)
    if chosen is not None and chosen.params.version_date == "admission":
        chosen = scheme_file.select(episode.admission_date)
    return chosen


def settle(episode: Episode, scheme: Scheme | SchemeFile, year_to_date: YearToDate = NO_YTD, *,
           person: Person = NO_PERSON) -> Settlement:
    if isinstance(scheme, SchemeFile):
        chosen = scheme_for(scheme, episode)
        if chosen is None:
            return _refused(episode, scheme.versions[0], year_to_date, Refusal.NO_SCHEME)
        scheme = chosen
    if not episode.charges:
        return _refused(episode, scheme, year_to_date, Refusal.NO_CHARGES)
    if episode.kind == INPATIENT:
        return _inpatient(episode, scheme, year_to_date, person)
    return _outpatient(episode, scheme, year_to_date)


def _ratio(fund: Decimal, total: Decimal) -> Decimal:
    return (fund / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if total else ZERO


def _result(episode, scheme, ytd_after, *, total, excluded, eligible, lines, deductible=ZERO, tiers=(),
            before_cap=ZERO, basic=ZERO, family=ZERO, fixed=ZERO, subsidy=ZERO, catastrophic=ZERO,
            assistance=ZERO, safety=ZERO, facility_borne=ZERO, refused=(), package="") -> Settlement:
    fund = basic + family + fixed + subsidy + catastrophic + assistance + safety
    self_pay = total - fund - facility_borne
    lines.append(Line("summary", f"基金支付合计 {fund} 元；个人自付 {self_pay} 元"
                      + (f"；医疗机构承担 {facility_borne} 元" if facility_borne else "")
                      + f"；实际补偿比 {(_ratio(fund, total) * 100).quantize(Decimal('0.01'))}%", fund))
    return Settlement(
        scheme_id=scheme.id, scheme_version=scheme.version, scheme_effective=scheme.effective, kind=episode.kind,
        total_cost=total, excluded=excluded, eligible_cost=eligible, deductible=deductible, tiers=tiers,
        basic_before_cap=before_cap, basic=basic, family_account=family, fixed_fee=fixed, subsidy=subsidy,
        catastrophic=catastrophic, assistance=assistance, safety_net=safety, fund_total=fund, self_pay=self_pay,
        facility_borne=facility_borne, effective_ratio=_ratio(fund, total), refused=tuple(refused),
        lines=tuple(lines), ytd_after=ytd_after, package=package,
    )


def _refused(episode, scheme, ytd, reason: Refusal) -> Settlement:
    total = episode.total_cost
    lines = [Line("total", f"医疗总费用 {total} 元", total), Line("refused", f"不予补偿：{reason.message}", ZERO)]
    return _result(episode, scheme, ytd, total=total, excluded={}, eligible=ZERO, lines=lines, refused=(reason,))


def _inpatient(episode: Episode, scheme: Scheme, ytd: YearToDate, person: Person) -> Settlement:
    p, rule = scheme.params, scheme.params.inpatient
    total = episode.total_cost
    rate_change = ZERO
    adjust_text = ""
    if not episode.designated:
        if rule.non_designated.refuse:
            return _refused(episode, scheme, ytd, Refusal.NON_DESIGNATED)
        rate_change += rule.non_designated.rate_change
        adjust_text = "非定点医疗机构"
    if not episode.in_county:
        adj = rule.out_of_county_referred if episode.referred else rule.out_of_county_unreferred
        if adj.refuse:
            return _refused(episode, scheme, ytd, Refusal.UNREFERRED_OUT_OF_COUNTY)
        rate_change += adj.rate_change
        adjust_text = "县外已转诊" if episode.referred else "县外未转诊"
    lines = [Line("total", f"医疗总费用 {total} 元（方案：{scheme.label}）", total)]
    eligible, excluded, eligible_lines = eligible_cost(episode.charges)
    lines += eligible_lines
    admissions = ytd.admissions + (0 if episode.continuation else 1)
    cap = cap_for(rule, episode)

    package = package_for(rule.fixed_fee_packages, episode)
    if package is not None:
        fund, room = apply_cap(package.fund_amount, cap, ytd.basic_paid)
        patient = package.patient_amount + (package.fund_amount - fund)
        facility_borne = total - fund - patient
        lines.append(Line("fixed_fee", f"单病种定额（{package.name}）：患者定额自付 {package.patient_amount} 元，"
                          f"基金定额支付 {package.fund_amount} 元" + (f"，受年度封顶剩余 {room} 元限制支付 {fund} 元"
                                                                  if fund < package.fund_amount else "")
                          + f"；实际费用与定额之差 {facility_borne} 元由医疗机构承担", fund))
        after = ytd.plus(inpatient_cost=total, basic_paid=fund)
        after = after.plus(admissions=admissions - ytd.admissions)
        return _result(episode, scheme, after, total=total, excluded=excluded, eligible=eligible, lines=lines,
                       fixed=fund, facility_borne=facility_borne, package=package.code)

    deductible, line = deductible_for(rule.deductible, episode, admissions)
    lines.append(line)
    tiers = rule.tiers.for_level(episode.facility_level)
    raw, parts = tier_payment(eligible, deductible, tiers, p.tier_convention, rate_change)
    convention = "全额按档" if p.tier_convention == "bracket" else "分段累加"
    for part in parts:
        band = f"{part.lower}–{part.upper} 元段" if part.upper is not None else f"{part.lower} 元以上段"
        if p.tier_convention == "bracket":
            band = f"费用 {eligible} 元落在{band}，起付线以上全额"
        lines.append(Line("tier", f"{convention}：{band} {part.base} 元 × "
                          f"{(part.rate * 100).normalize():f}% = {round_amount(part.paid)} 元"
                          + (f"（{adjust_text}比例调整 {(rate_change * 100).normalize():+f} 个百分点）" if rate_change else ""),
                          round_amount(part.paid)))
    before_cap = min(round_amount(raw, p.rounding), max(eligible - deductible, ZERO))
    if p.rounding != "fen":
        lines.append(Line("rounding", f"按方案舍入到{'角' if p.rounding == 'jiao' else '元'}：{before_cap} 元", before_cap))
    basic, room = apply_cap(before_cap, cap, ytd.basic_paid)
    lines.append(Line("cap", f"年度封顶线 {cap} 元，本年已补偿 {ytd.basic_paid} 元，剩余 {room} 元；基本医疗补偿 {basic} 元",
                      basic))

    subsidy = subsidy_in_cap = ZERO
    for s in subsidies_for(rule.subsidies, episode):
        amount = min(s.amount, max(total - basic - subsidy, ZERO))
        if s.counts_toward_cap:
            amount = min(amount, max(cap - ytd.basic_paid - basic - subsidy_in_cap, ZERO))
            subsidy_in_cap += amount
        subsidy += amount
        lines.append(Line("subsidy", f"{s.name} {amount} 元", amount))

    in_policy_left = max(eligible - basic, ZERO)
    catastrophic = assistance = safety = ZERO
    cat_base = in_policy_left
    if p.catastrophic is not None and cat_base > 0:
        catastrophic, line = catastrophic_pay(p.catastrophic, cat_base, ytd, p.rounding)
        lines.append(line)
    assist_base = max(in_policy_left - catastrophic, ZERO)
    if p.assistance is not None and assist_base > 0:
        assistance, line = assistance_pay(p.assistance, person, assist_base, ytd, p.rounding)
        if line is not None:
            lines.append(line)
    if p.safety_net is not None:
        net = p.safety_net
        paid = basic + subsidy + catastrophic + assistance
        base_amount = eligible if net.base == "in_policy_cost" else total
        burden = (max(eligible - basic - catastrophic - assistance, ZERO) if net.base == "in_policy_cost"
                  else total - paid)
        safety, line = safety_net_pay(net, person, base_amount, burden, p.rounding)
        if line is not None:
            lines.append(line)

    limit = ceiling_limit(p.ceiling, eligible, total)
    layers = [basic, subsidy, catastrophic, assistance, safety]
    excess = sum(layers, ZERO) - limit
    if excess > 0:
        for index in range(len(layers) - 1, -1, -1):  # trim the last-paying layers first
            cut = min(layers[index], excess)
            layers[index] -= cut
            excess -= cut
        basic, subsidy, catastrophic, assistance, safety = layers
        lines.append(Line("ceiling", f"各项补偿合计不超过{'政策范围内费用' if p.ceiling.base == 'in_policy_cost' else '总费用'}的 "
                          f"{(p.ceiling.ratio * 100).normalize():f}%（{limit} 元），已相应核减", limit))

    after = ytd.plus(
        admissions=admissions - ytd.admissions, inpatient_cost=total,
        basic_paid=basic + min(subsidy_in_cap, subsidy),
        catastrophic_base=cat_base if p.catastrophic is not None else ZERO, catastrophic_paid=catastrophic,
        assistance_base=assist_base if assistance or (p.assistance and assist_base) else ZERO,
        assistance_paid=assistance, safety_net_paid=safety,
    )
    return _result(episode, scheme, after, total=total, excluded=excluded, eligible=eligible, lines=lines,
                   deductible=deductible, tiers=parts, before_cap=before_cap, basic=basic, subsidy=subsidy,
                   catastrophic=catastrophic, assistance=assistance, safety=safety)


def _outpatient(episode: Episode, scheme: Scheme, ytd: YearToDate) -> Settlement:
    p, rule = scheme.params, scheme.params.outpatient
    total = episode.total_cost
    lines = [Line("total", f"门诊总费用 {total} 元（方案：{scheme.label}）", total)]
    if rule is None:
        lines.append(Line("outpatient", "本方案未设门诊补偿", ZERO))
        return _result(episode, scheme, ytd, total=total, excluded={}, eligible=ZERO, lines=lines)
    if rule.in_county_only and (not episode.in_county or not episode.designated):
        return _refused(episode, scheme, ytd, Refusal.OUTPATIENT_OUT_OF_COUNTY)
    eligible, excluded, eligible_lines = eligible_cost(episode.charges)
    lines += eligible_lines
    family = pooled = chronic = ZERO
    rest = eligible
    if rule.mode in ("family_account", "family_account_then_pooling"):
        family, line = family_account_pay(rest, ytd.family_account_balance)
        lines.append(line)
        rest -= family
    if rule.mode in ("pooling", "family_account_then_pooling") and rest > 0:
        pooled, chronic, pool_lines = pooling_pay(rule, episode, rest, ytd, p.rounding)
        lines += pool_lines
    after = ytd.plus(outpatient_pooling_paid=pooled, outpatient_paid_today=pooled, chronic_paid=chronic,
                     family_account_balance=-family)
    return _result(episode, scheme, after, total=total, excluded=excluded, eligible=eligible, lines=lines,
                   basic=pooled + chronic, family=family)

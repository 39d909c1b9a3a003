"""A scheme in plain Chinese: its parameters as sentences, worked examples settled live by the engine, and the
differences between two versions side by side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from nrcms.core.money import format_yuan
from nrcms.policy import ChargeItem, Episode, PersonCategories, Scheme, SchemeFile, settle
from nrcms.policy.parameters import CATEGORY_LABELS, LEVEL_LABELS, Parameters, Tier
from nrcms.policy.scheme import canonical

MODES = {"family_account": "家庭账户", "pooling": "门诊统筹", "family_account_then_pooling": "先家庭账户、后门诊统筹"}
ROUNDING = {"fen": "分", "jiao": "角", "yuan": "元"}
BASES = {"in_policy_self_pay": "基本医保补偿后剩余的政策范围内个人负担", "self_pay": "基本医保补偿后剩余的全部个人负担",
         "in_policy_cost": "政策范围内费用", "total_cost": "医疗总费用"}


def yuan(amount: Decimal) -> str:
    text = format(amount.normalize(), "f") if amount == amount.to_integral_value() else format(amount, "f")
    return f"{text} 元"


def pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def bands(tiers: tuple[Tier, ...], convention: str) -> str:
    """"1000 元以下 20%，1000–5000 元 30%，5000 元以上 40%" — as a county notice writes the table."""
    out, lower = [], None
    for tier in tiers:
        if tier.upto is None:
            out.append(f"{yuan(lower)}以上 {pct(tier.rate)}" if lower is not None else f"全部 {pct(tier.rate)}")
        elif lower is None:
            out.append(f"{yuan(tier.upto)}以下 {pct(tier.rate)}")
        else:
            out.append(f"{yuan(lower)[:-2]}–{yuan(tier.upto)} {pct(tier.rate)}")
        lower = tier.upto
    how = "全额按档：整笔起付线以上费用按所落档次的比例" if convention == "bracket" else "分段累加：各段费用按本段比例"
    return "，".join(out) + f"（{how}）"


def describe(p: Parameters) -> list[tuple[str, list[str]]]:
    i = p.inpatient
    d = i.deductible
    inpatient = [f"起付线：一般 {yuan(d.default)}" + "".join(f"，{LEVEL_LABELS[k]} {yuan(v)}" for k, v in d.by_level.items())]
    if d.subsequent_factor != 1 or d.subsequent_by_level:
        inpatient.append(f"本年度第二次及以后住院，起付线按首次的 {pct(d.subsequent_factor)}")
    for name, value in (("非定点医疗机构起付线", d.non_designated), ("县外医疗机构起付线", d.out_of_county),
                        ("县外未转诊起付线", d.out_of_county_unreferred)):
        if value is not None:
            inpatient.append(f"{name} {yuan(value)}")
    inpatient.append(f"补偿比例（起付线以上的政策范围内费用）：{bands(i.tiers.default, p.tier_convention)}")
    for level, tiers in i.tiers.by_level.items():
        inpatient.append(f"　{LEVEL_LABELS[level]}：{bands(tiers, p.tier_convention)}")
    for level, tiers in i.tiers.out_of_county.items():
        inpatient.append(f"　县外{LEVEL_LABELS[level]}：{bands(tiers, p.tier_convention)}")
    inpatient.append(f"年度封顶线（基本医疗补偿每人每年最多）：{yuan(i.annual_cap)}")
    for name, adj in (("非定点医疗机构", i.non_designated), ("县外已转诊", i.out_of_county_referred),
                      ("县外未转诊", i.out_of_county_unreferred)):
        if adj.refuse:
            inpatient.append(f"{name}：不予补偿")
        elif adj.rate_change:
            inpatient.append(f"{name}：补偿比例调整 {(adj.rate_change * 100).normalize():+f} 个百分点")
    for pkg in i.fixed_fee_packages:
        inpatient.append(f"单病种定额“{pkg.name}”（{'、'.join(pkg.diagnoses)}）：个人 {yuan(pkg.patient_amount)}，"
                         f"基金 {yuan(pkg.fund_amount)}")
    for sub in i.subsidies:
        inpatient.append(f"定额补助“{sub.name}”（{'、'.join(sub.diagnoses)}）：{yuan(sub.amount)}")
    if i.interim:
        inpatient.append(f"住院满 {i.interim.min_days} 天可中途结算")
    sections = [("住院", inpatient)]
    if p.outpatient:
        o = p.outpatient
        rows = [f"方式：{MODES[o.mode]}" + ("，仅限县内定点医疗机构" if o.in_county_only else "")]
        if o.mode != "pooling":
            rows.append("家庭账户：参合家庭自己缴费的一部分，记在户名下、用于门诊；它不是统筹基金，不计入实际补偿比"
                        "（实际补偿比 = 统筹基金支付 ÷ 医疗总费用）")
        if o.pooling:
            for level, rule in o.pooling.by_level.items():
                caps = [f"每次最多 {yuan(rule.per_visit_cap)}" if rule.per_visit_cap is not None else "",
                        f"每人每天最多 {yuan(rule.per_day_cap)}" if rule.per_day_cap is not None else ""]
                rows.append(f"门诊统筹 {LEVEL_LABELS[level]}：{pct(rule.rate)}" + "".join(f"，{c}" for c in caps if c))
            if o.pooling.annual_cap is not None:
                rows.append(f"门诊统筹年度封顶 {yuan(o.pooling.annual_cap)}")
        if o.chronic:
            rows.append(f"门诊慢性病（{'、'.join(o.chronic.diagnoses)}）：{pct(o.chronic.rate)}，年度封顶 "
                        f"{yuan(o.chronic.annual_cap)}；" + (
                            "须经定点医疗机构（县级及以上）慢性病认定，未认定的按普通门诊补偿"
                            if o.chronic.certification_required else "不要求慢性病认定，诊断属所列病种即按慢性病补偿"))
        sections.append(("门诊", rows))
    layers = []
    if p.catastrophic:
        c = p.catastrophic
        layers.append(f"大病保险：以{BASES[c.base]}为基数，年度起付 {yuan(c.deductible)}，"
                      f"{bands(c.tiers, 'cumulative')}，年度封顶 {yuan(c.annual_cap)}")
    if p.assistance:
        for code, a in p.assistance.categories.items():
            layers.append(f"医疗救助（{CATEGORY_LABELS[code]}）：年度起付 {yuan(a.threshold)}，{pct(a.rate)}，"
                          f"年度封顶 {yuan(a.annual_cap)}")
    if p.safety_net:
        s = p.safety_net
        names = "、".join(CATEGORY_LABELS[c] for c in s.categories)
        layers.append(f"兜底保障（{names}）：{BASES[s.base]}的报销合计达到 {pct(s.guaranteed_ratio)}")
    if p.ceiling.ratio < 1:
        layers.append(f"各层合计不超过{BASES[p.ceiling.base]}的 {pct(p.ceiling.ratio)}")
    if layers:
        sections.append(("分层保障", layers))
    sections.append(("其他", [f"补偿额舍入到{ROUNDING[p.rounding]}",
                              f"纳入补偿的目录类别：{'、'.join({'A': '甲类', 'B': '乙类'}[c] for c in p.catalogue.eligible_classes)}"]))
    return sections


@dataclass(frozen=True)
class Example:
    title: str
    result: object


def _stay(scheme: Scheme, level: str, amount: Decimal, days: int = 7, diagnosis: str = "") -> Episode:
    discharge = scheme.effective + dt.timedelta(days=60)
    return Episode(kind="inpatient", facility_level=level, admission_date=discharge - dt.timedelta(days=days),
                   discharge_date=discharge, diagnosis_code=diagnosis,
                   charges=(ChargeItem(code="example", name="住院费用", amount=amount.quantize(Decimal("0.01"))),))


def examples(scheme: Scheme) -> list[Example]:
    """Four stays settled live: a small one, one below the deductible, a big one that meets the cap, and a
    registered-poor patient's (every layer the scheme has)."""
    d = scheme.params.inpatient.deductible
    township = d.by_level.get("township", d.default)
    cap = scheme.params.inpatient.annual_cap
    big = cap * 4 + Decimal("20000")
    below = max(township - (township / 4).quantize(Decimal("1")), Decimal("1"))
    cases = [
        ("县级医院住院 3,000 元", _stay(scheme, "county", Decimal("3000")), ()),
        (f"乡镇卫生院住院 {format_yuan(below)} 元（不超过起付线）", _stay(scheme, "township", below, days=3), ()),
        (f"省级医院住院 {format_yuan(big)} 元（达到年度封顶线）", _stay(scheme, "province", big, days=40), ()),
        ("建档立卡贫困户县级医院住院 20,000 元", _stay(scheme, "county", Decimal("20000"), days=12), ("registered_poor",)),
    ]
    return [Example(title, settle(episode, scheme, person=PersonCategories(frozenset(cats))))
            for title, episode, cats in cases]


KEY_LABELS = {
    "inpatient": "住院", "deductible": "起付线", "default": "一般", "by_level": "按机构级别", "tiers": "补偿比例",
    "annual_cap": "年度封顶线", "rate": "比例", "upto": "段上限", "non_designated": "非定点医疗机构",
    "out_of_county": "县外", "out_of_county_unreferred": "县外未转诊", "out_of_county_referred": "县外已转诊",
    "subsequent_factor": "再次住院起付线比例", "subsequent_by_level": "再次住院起付线（按级别）",
    "rate_change": "比例调整", "refuse": "不予补偿", "fixed_fee_packages": "单病种定额", "subsidies": "定额补助",
    "interim": "中途结算", "min_days": "最少天数", "outpatient": "门诊", "mode": "方式", "pooling": "门诊统筹",
    "per_visit_cap": "每次封顶", "per_day_cap": "每天封顶", "chronic": "门诊慢性病", "diagnoses": "诊断",
    "catastrophic": "大病保险", "assistance": "医疗救助", "categories": "人员类别", "threshold": "年度起付",
    "safety_net": "兜底保障", "guaranteed_ratio": "保障比例", "ceiling": "总体上限", "ratio": "比例", "base": "基数",
    "rounding": "舍入", "tier_convention": "分段方式", "catalogue": "目录", "eligible_classes": "纳入类别",
    "in_county_only": "仅限县内", "family_account_pays": "家庭账户支付范围", "patient_amount": "个人定额",
    "fund_amount": "基金定额", "amount": "金额", "name": "名称", "code": "代码", "levels": "级别",
    "counts_toward_cap": "计入封顶", "annual_cap_non_designated": "非定点年度封顶",
    "in_county_unreferred": "县内未转诊", "certification_required": "须经慢性病认定",
}


def _label(part: str) -> str:
    if part.isdigit():
        return f"第 {int(part) + 1} 项"
    return KEY_LABELS.get(part) or LEVEL_LABELS.get(part) or CATEGORY_LABELS.get(part) or part


def flatten(value, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, (*path, str(key))))
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = {}
        for n, item in enumerate(value):
            out.update(flatten(item, (*path, str(n))))
        return out
    if isinstance(value, list):
        return {path: "、".join(map(str, value))}
    return {path: "—" if value is None else str(value).lower() if isinstance(value, bool) else str(value)}


@dataclass(frozen=True)
class DiffRow:
    path: str
    label: str
    a: str
    b: str

    @property
    def changed(self) -> bool:
        return self.a != self.b


def current_scheme(scheme_file: SchemeFile, on: dt.date) -> Scheme:
    return scheme_file.select(on) or scheme_file.versions[0]


def diff(a: Scheme, b: Scheme) -> list[DiffRow]:
    left, right = flatten(canonical(a.params)), flatten(canonical(b.params))
    rows = []
    for path in sorted(set(left) | set(right)):
        rows.append(DiffRow(".".join(path), " › ".join(_label(p) for p in path), left.get(path, "（无）"),
                            right.get(path, "（无）")))
    return rows

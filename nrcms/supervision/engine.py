"""The audit engine: pure functions over plain data. One episode (with its charge lines), the person (sex,
birth, death, the years enrolled) and the person's other episodes around it → the hits, each with its evidence
(which settlements, which lines, which figures). The desk (one episode) and the monthly batch (thousands,
loaded set-based in `facts.py`) run the same functions, so a rule means the same thing at both. No Django."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .ruleset import Rule

INPATIENT, OUTPATIENT = "inpatient", "outpatient"


@dataclass(frozen=True)
class LineFact:
    line_no: int
    code: str
    name: str
    charged_on: dt.date
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EpisodeFact:
    id: int
    kind: str
    facility_id: int
    facility_level: str
    admission: dt.date
    discharge: dt.date | None
    diagnosis: str = ""
    total_cost: Decimal = Decimal("0")
    serial: str = ""
    settlement_number: str = ""
    lines: tuple[LineFact, ...] = ()

    @property
    def end(self) -> dt.date:
        return self.discharge or self.admission

    @property
    def stay_days(self) -> int:
        """Days as the desk counts them: discharge − admission, at least 1."""
        return max((self.end - self.admission).days, 1)

    @property
    def group(self) -> str:
        """The diagnosis group: the ICD-10 category (first three characters)."""
        return (self.diagnosis or "")[:3].upper()

    def ref(self) -> dict:
        return {"serial": self.serial, "settlement": self.settlement_number, "kind": self.kind,
                "admission": self.admission.isoformat(), "discharge": self.discharge.isoformat() if self.discharge
                else None, "diagnosis": self.diagnosis, "total_cost": str(self.total_cost)}


@dataclass(frozen=True)
class PersonFact:
    id: int
    sex: str
    birth_date: dt.date
    death_date: dt.date | None = None
    enrolled_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Case:
    episode: EpisodeFact
    person: PersonFact
    others: tuple[EpisodeFact, ...] = ()  # the person's other (not cancelled) episodes around this one
    norms: Mapping[tuple[int, str], Decimal] = field(default_factory=dict)  # (facility, group) → median cost/day


@dataclass(frozen=True)
class Hit:
    rule: Rule
    key: str  # what makes this hit distinct for the episode (the other episode, the lines): deduplication
    message: str
    evidence: dict

    @property
    def blocks(self) -> bool:
        return self.rule.blocks


def _age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _starts(code: str, prefixes) -> bool:
    code = (code or "").upper()
    return any(code.startswith(p.upper()) for p in prefixes)


def _hit(rule: Rule, key: str, detail: str, evidence: dict) -> Hit:
    return Hit(rule=rule, key=key, message=f"【{rule.code} {rule.name}】{rule.text}：{detail}", evidence=evidence)


# --- rules: each takes (rule, case) and returns the hits -------------------------------------------------

def readmission(rule: Rule, case: Case) -> list[Hit]:
    ep, p = case.episode, rule.params
    if ep.kind != INPATIENT or not ep.group or _starts(ep.diagnosis, p.planned_diagnoses):
        return []
    hits = []
    for other in case.others:
        if other.kind != INPATIENT or other.discharge is None or other.id == ep.id or other.group != ep.group:
            continue
        gap = (ep.admission - other.discharge).days
        if p.min_days <= gap <= p.days and other.admission < ep.admission:
            hits.append(_hit(rule, f"ep{other.id}", f"上次住院 {other.serial} 于 {other.discharge} 出院，"
                             f"相隔 {gap} 天再次因 {ep.group} 类诊断入院",
                             {"episodes": [other.ref(), ep.ref()], "figures": {"gap_days": gap, "group": ep.group}}))
    return hits


def short_stay(rule: Rule, case: Case) -> list[Hit]:
    ep = case.episode
    if ep.kind != INPATIENT or ep.discharge is None:
        return []
    days = (ep.discharge - ep.admission).days
    if days > rule.params.max_days:
        return []
    return [_hit(rule, "", f"{ep.admission} 入院、{ep.discharge} 出院，住院 {days} 天",
                 {"episodes": [ep.ref()], "figures": {"days": days, "max_days": rule.params.max_days}})]


def _inside(day: dt.date, stay: EpisodeFact) -> bool:
    """A visit strictly between admission and discharge day (the two transfer days are not counted)."""
    return stay.discharge is not None and stay.admission < day < stay.discharge or (
        stay.discharge is None and stay.admission < day)


def outpatient_during_stay(rule: Rule, case: Case) -> list[Hit]:
    ep, hits = case.episode, []
    if ep.kind == OUTPATIENT:
        pairs = [(ep, s) for s in case.others if s.kind == INPATIENT and _inside(ep.admission, s)]
    else:
        pairs = [(v, ep) for v in case.others if v.kind == OUTPATIENT and _inside(v.admission, ep)]
    for visit, stay in pairs:
        other = stay if visit is ep else visit
        hits.append(_hit(rule, f"ep{other.id}", f"门诊 {visit.serial}（{visit.admission}）在住院 {stay.serial}"
                         f"（{stay.admission} 至 {stay.discharge or '在院'}）期间",
                         {"episodes": [stay.ref(), visit.ref()], "figures": {"visit_date": visit.admission.isoformat()}}))
    return hits


def overlapping_stays(rule: Rule, case: Case) -> list[Hit]:
    ep, hits = case.episode, []
    if ep.kind != INPATIENT:
        return []
    for other in case.others:
        if other.kind != INPATIENT or other.id == ep.id:
            continue
        same_day = other.admission == ep.admission
        a_end = ep.discharge or dt.date.max
        b_end = other.discharge or dt.date.max
        if same_day or (ep.admission < b_end and other.admission < a_end):
            hits.append(_hit(rule, f"ep{other.id}", f"与住院 {other.serial}（{other.admission} 至 "
                             f"{other.discharge or '在院'}）时间重叠",
                             {"episodes": [other.ref(), ep.ref()], "figures": {}}))
    return hits


def _line_ref(line: LineFact) -> dict:
    return {"line_no": line.line_no, "code": line.code, "name": line.name, "charged_on": line.charged_on.isoformat(),
            "quantity": str(line.quantity), "amount": str(line.amount)}


def item_limit(rule: Rule, case: Case) -> list[Hit]:
    ep, person, hits = case.episode, case.person, []
    limits = {item.code: item for item in rule.params.items}
    for line in ep.lines:
        item = limits.get(line.code)
        if item is None:
            continue
        why = []
        age = _age_on(person.birth_date, line.charged_on)
        if item.sex and person.sex != item.sex:
            why.append(f"限{'男' if item.sex == 'M' else '女'}性使用")
        if item.min_age is not None and age < item.min_age:
            why.append(f"限 {item.min_age} 岁以上，患者 {age} 岁")
        if item.max_age is not None and age > item.max_age:
            why.append(f"限 {item.max_age} 岁以下，患者 {age} 岁")
        if item.levels and ep.facility_level not in item.levels:
            why.append("本级别医疗机构不得收取")
        if item.diagnoses and not _starts(ep.diagnosis, item.diagnoses):
            why.append(f"适应症为 {'、'.join(item.diagnoses)}，本次诊断 {ep.diagnosis or '未填'}")
        if why:
            hits.append(_hit(rule, f"L{line.line_no}", f"第 {line.line_no} 行 {line.name}（{line.code}）"
                             + "；".join(why),
                             {"episodes": [ep.ref()], "lines": [_line_ref(line)],
                              "figures": {"age": age, "sex": person.sex, "amount": str(line.amount)}}))
    return hits


def repeated_item(rule: Rule, case: Case) -> list[Hit]:
    codes = set(rule.params.codes)
    by_day: dict[tuple[str, dt.date], list[LineFact]] = {}
    for line in case.episode.lines:
        if not codes or line.code in codes:
            by_day.setdefault((line.code, line.charged_on), []).append(line)
    hits = []
    for (code, day), lines in sorted(by_day.items()):
        if len(lines) > 1:
            amount = sum((ln.amount for ln in lines[1:]), Decimal("0"))
            hits.append(_hit(rule, f"{code}@{day.isoformat()}", f"{lines[0].name}（{code}）{day} 收费 {len(lines)} 次",
                             {"episodes": [case.episode.ref()], "lines": [_line_ref(ln) for ln in lines],
                              "figures": {"times": len(lines), "repeated_amount": str(amount)}}))
    return hits


def item_frequency(rule: Rule, case: Case) -> list[Hit]:
    hits = []
    for item in rule.params.items:
        lines = [ln for ln in case.episode.lines if ln.code == item.code]
        if not lines:
            continue
        if item.max_per_day is not None:
            per_day: dict[dt.date, Decimal] = {}
            for ln in lines:
                per_day[ln.charged_on] = per_day.get(ln.charged_on, Decimal("0")) + ln.quantity
            for day, qty in sorted(per_day.items()):
                if qty > item.max_per_day:
                    hits.append(_hit(rule, f"{item.code}@{day.isoformat()}",
                                     f"{item.name or item.code} {day} 共 {qty.normalize():f} 次，每日限 "
                                     f"{item.max_per_day.normalize():f} 次",
                                     {"episodes": [case.episode.ref()],
                                      "lines": [_line_ref(ln) for ln in lines if ln.charged_on == day],
                                      "figures": {"quantity": str(qty), "limit": str(item.max_per_day)}}))
        if item.max_per_episode is not None:
            total = sum((ln.quantity for ln in lines), Decimal("0"))
            if total > item.max_per_episode:
                hits.append(_hit(rule, f"{item.code}@all", f"{item.name or item.code} 本次共 {total.normalize():f} 次，"
                                 f"每次就诊限 {item.max_per_episode.normalize():f} 次",
                                 {"episodes": [case.episode.ref()], "lines": [_line_ref(ln) for ln in lines],
                                  "figures": {"quantity": str(total), "limit": str(item.max_per_episode)}}))
    return hits


def after_death(rule: Rule, case: Case) -> list[Hit]:
    ep, death = case.episode, case.person.death_date
    if death is None:
        return []
    late = [ln for ln in ep.lines if ln.charged_on > death]
    if ep.admission <= death and not late:
        return []
    return [_hit(rule, "", f"患者 {death} 登记死亡，就诊 {ep.admission}"
                 + (f"，{len(late)} 行费用在死亡之后" if late else ""),
                 {"episodes": [ep.ref()], "lines": [_line_ref(ln) for ln in late[:20]],
                  "figures": {"death_date": death.isoformat(), "late_amount": str(sum((ln.amount for ln in late),
                                                                                     Decimal("0")))}})]


def not_enrolled(rule: Rule, case: Case) -> list[Hit]:
    ep, years = case.episode, case.person.enrolled_years
    days = {ep.admission} | {ln.charged_on for ln in ep.lines}
    if ep.discharge is not None:
        days.add(ep.discharge)
    missing = sorted({d.year for d in days} - set(years))
    if not missing:
        return []
    amount = sum((ln.amount for ln in ep.lines if ln.charged_on.year in missing), Decimal("0"))
    return [_hit(rule, "", f"患者未参加 {'、'.join(map(str, missing))} 年度新农合",
                 {"episodes": [ep.ref()], "figures": {"years_not_enrolled": missing, "amount": str(amount),
                                                      "years_enrolled": sorted(years)}})]


def cost_per_day(ep: EpisodeFact) -> Decimal:
    return (ep.total_cost / ep.stay_days).quantize(Decimal("0.01"))


def cost_outlier(rule: Rule, case: Case) -> list[Hit]:
    ep = case.episode
    if ep.kind != INPATIENT or not ep.group:
        return []
    norm = case.norms.get((ep.facility_id, ep.group))
    if not norm:
        return []
    per_day = cost_per_day(ep)
    if per_day <= norm * rule.params.factor:
        return []
    return [_hit(rule, "", f"日均费用 {per_day} 元，为本机构 {ep.group} 组中位数 {norm} 元的 "
                 f"{(per_day / norm).quantize(Decimal('0.1'))} 倍（阈值 {rule.params.factor} 倍）",
                 {"episodes": [ep.ref()], "figures": {"cost_per_day": str(per_day), "norm": str(norm),
                                                      "factor": str(rule.params.factor), "group": ep.group}})]


def split_settlement(rule: Rule, case: Case) -> list[Hit]:
    """Chains of small settlements at one facility, each starting within gap_days of the last one's end."""
    ep, p = case.episode, rule.params
    if ep.total_cost > p.max_amount:
        return []
    same = sorted([o for o in case.others if o.facility_id == ep.facility_id and o.id != ep.id
                   and o.total_cost <= p.max_amount and o.settlement_number] + [ep],
                  key=lambda e: (e.admission, e.id))
    index = same.index(ep)
    chain = [ep]
    for step in (-1, 1):
        i = index
        while 0 <= i + step < len(same):
            a, b = (same[i + step], same[i]) if step < 0 else (same[i], same[i + step])
            if (b.admission - a.end).days > p.gap_days:
                break
            chain.append(same[i + step])
            i += step
    if len(chain) < p.min_count:
        return []
    chain.sort(key=lambda e: (e.admission, e.id))
    total = sum((e.total_cost for e in chain), Decimal("0"))
    return [_hit(rule, "", f"{chain[0].admission} 至 {chain[-1].end} 在本机构连续结算 {len(chain)} 次，"
                 f"每次不超过 {p.max_amount} 元，合计 {total} 元",
                 {"episodes": [e.ref() for e in chain], "figures": {"count": len(chain), "total": str(total)}})]


CHECKS: dict[str, Callable[[Rule, Case], list[Hit]]] = {
    "readmission": readmission, "short_stay": short_stay, "outpatient_during_stay": outpatient_during_stay,
    "overlapping_stays": overlapping_stays, "item_limit": item_limit, "repeated_item": repeated_item,
    "item_frequency": item_frequency, "after_death": after_death, "not_enrolled": not_enrolled,
    "cost_outlier": cost_outlier, "split_settlement": split_settlement,
}


def evaluate(case: Case, rules, stage: str) -> list[Hit]:
    """Every rule in force that applies to the episode's facility level at this stage, in the file's order."""
    hits = []
    for rule in rules:
        if rule.applies_to(case.episode.facility_level, stage):
            hits.extend(CHECKS[rule.kind](rule, case))
    return hits


def median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return mid.quantize(Decimal("0.01"))

"""Audit rules (智能审核规则) from YAML: one file per effective date in `rules/`, validated by pydantic v2 like
the scheme files (nrcms/policy/scheme.py). A file is never edited once in force: a change is a new file with a
later date. Each rule carries a version (SHA-256 of its canonical content) that every hit records, so a hit
can always be traced to the exact wording and thresholds that raised it. Pure Python: no Django here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

RULES_DIR = Path(__file__).parent / "rules"

Kind = Literal["readmission", "short_stay", "outpatient_during_stay", "overlapping_stays", "item_limit",
               "repeated_item", "item_frequency", "after_death", "not_enrolled", "cost_outlier", "split_settlement"]
Stage = Literal["trial", "settle", "batch"]
Level = Literal["village", "township", "county", "prefecture", "province"]

KIND_LABELS = {
    "readmission": "短期再入院", "short_stay": "住院天数过短", "outpatient_during_stay": "住院期间门诊",
    "overlapping_stays": "住院时间重叠", "item_limit": "限定使用项目", "repeated_item": "重复收费",
    "item_frequency": "超频次收费", "after_death": "死亡后就诊", "not_enrolled": "未参合期间就诊",
    "cost_outlier": "日均费用异常", "split_settlement": "分解结算",
}
SEVERITY_LABELS = {"warn": "提示", "block": "拒绝"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadmissionParams(_Strict):
    days: Annotated[int, Field(ge=1, le=90)]
    min_days: Annotated[int, Field(ge=0, le=90)] = 0
    planned_diagnoses: tuple[str, ...] = ()  # ICD-10 prefixes of planned treatment (化疗 Z51 …), never a hit


class ShortStayParams(_Strict):
    max_days: Annotated[int, Field(ge=0, le=30)] = 1


class NoParams(_Strict):
    """A rule whose kind takes no parameters (an empty mapping is the only valid `params`)."""


class LimitedItem(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=30)]
    name: str = ""
    sex: Literal["M", "F"] | None = None
    min_age: Annotated[int, Field(ge=0, le=150)] | None = None
    max_age: Annotated[int, Field(ge=0, le=150)] | None = None
    levels: tuple[Level, ...] = ()
    diagnoses: tuple[str, ...] = ()  # ICD-10 prefixes the item is indicated for


class ItemLimitParams(_Strict):
    items: Annotated[tuple[LimitedItem, ...], Field(min_length=1)]


class RepeatedItemParams(_Strict):
    codes: tuple[str, ...] = ()  # empty: every item


class FrequencyItem(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=30)]
    name: str = ""
    max_per_day: Decimal | None = None
    max_per_episode: Decimal | None = None


class ItemFrequencyParams(_Strict):
    items: Annotated[tuple[FrequencyItem, ...], Field(min_length=1)]


class CostOutlierParams(_Strict):
    factor: Annotated[Decimal, Field(gt=1)]
    min_cases: Annotated[int, Field(ge=2)] = 5
    months_back: Annotated[int, Field(ge=1, le=36)] = 12


class SplitParams(_Strict):
    gap_days: Annotated[int, Field(ge=0, le=7)] = 1
    min_count: Annotated[int, Field(ge=2, le=20)] = 3
    max_amount: Annotated[Decimal, Field(gt=0)]


PARAMS: dict[str, type[_Strict]] = {
    "readmission": ReadmissionParams, "short_stay": ShortStayParams, "outpatient_during_stay": NoParams,
    "overlapping_stays": NoParams, "item_limit": ItemLimitParams, "repeated_item": RepeatedItemParams,
    "item_frequency": ItemFrequencyParams, "after_death": NoParams, "not_enrolled": NoParams,
    "cost_outlier": CostOutlierParams, "split_settlement": SplitParams,
}


class RuleIn(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")]
    name: Annotated[str, Field(min_length=1, max_length=40)]
    text: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Kind
    params: dict = {}
    facility_levels: tuple[Level, ...] = ()
    severity: Literal["warn", "block"]
    stages: tuple[Stage, ...] = ("trial", "settle", "batch")
    effective_from: dt.date | None = None


class ReviewIn(_Strict):
    second_reviewer_above: Annotated[Decimal, Field(ge=0)]
    default_sampling_rate: Annotated[Decimal, Field(ge=0, le=1)]


class RulesFileIn(_Strict):
    effective_from: dt.date
    notice: Annotated[str, Field(min_length=1)]
    review: ReviewIn
    rules: Annotated[tuple[RuleIn, ...], Field(min_length=1)]


class RulesError(ValueError):
    """A rules file that does not validate: the file and the place in it, in Chinese."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    text: str
    kind: str
    params: _Strict
    facility_levels: tuple[str, ...]
    severity: str
    stages: tuple[str, ...]
    effective_from: dt.date
    version: str  # SHA-256 of the rule's canonical content, first 16 hex digits

    @property
    def blocks(self) -> bool:
        return self.severity == "block"

    def applies_to(self, level: str, stage: str) -> bool:
        return stage in self.stages and (not self.facility_levels or level in self.facility_levels)


@dataclass(frozen=True)
class RuleSet:
    effective_from: dt.date
    notice: str
    rules: tuple[Rule, ...]
    second_reviewer_above: Decimal
    default_sampling_rate: Decimal
    source: str

    def in_force(self, on: dt.date) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.effective_from <= on)

    def rule(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code), None)


def _canonical(raw: dict) -> str:
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)


def rules_from_mapping(raw, *, source: str = "<mapping>") -> RuleSet:
    if not isinstance(raw, dict):
        raise RulesError(f"{source}：文件内容应是一个映射（effective_from、notice、review、rules）")
    try:
        head = RulesFileIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RulesError(f"{source}：{where} {first['msg']}") from exc
    rules, seen = [], set()
    for index, (rule_in, rule_raw) in enumerate(zip(head.rules, raw["rules"], strict=True)):
        if rule_in.code in seen:
            raise RulesError(f"{source}：rules[{index}].code 规则编码 {rule_in.code} 重复")
        seen.add(rule_in.code)
        try:
            params = PARAMS[rule_in.kind].model_validate(rule_in.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RulesError(f"{source}：rules[{index}]（{rule_in.code}）.params.{where} {first['msg']}") from exc
        effective = rule_in.effective_from or head.effective_from
        version = hashlib.sha256(_canonical({**rule_raw, "effective_from": effective}).encode()).hexdigest()[:16]
        rules.append(Rule(code=rule_in.code, name=rule_in.name, text=rule_in.text, kind=rule_in.kind, params=params,
                          facility_levels=rule_in.facility_levels, severity=rule_in.severity, stages=rule_in.stages,
                          effective_from=effective, version=version))
    return RuleSet(effective_from=head.effective_from, notice=head.notice, rules=tuple(rules),
                   second_reviewer_above=head.review.second_reviewer_above,
                   default_sampling_rate=head.review.default_sampling_rate, source=source)


def load_rules_file(path: str | Path) -> RuleSet:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(f"{path}：文件不存在") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}：YAML 格式错误：{exc}") from exc
    return rules_from_mapping(raw, source=path.name)


@lru_cache(maxsize=4)
def _all_files(directory: str) -> tuple[RuleSet, ...]:
    sets = sorted((load_rules_file(p) for p in Path(directory).glob("*.yaml")), key=lambda s: s.effective_from)
    return tuple(sets)


def ruleset_on(on: dt.date, directory: Path = RULES_DIR) -> RuleSet | None:
    """The rules file in force on a date: the latest one whose effective date is not after it."""
    chosen = None
    for ruleset in _all_files(str(directory)):
        if ruleset.effective_from <= on:
            chosen = ruleset
    return chosen


def ruleset_latest(directory: Path = RULES_DIR) -> RuleSet:
    sets = _all_files(str(directory))
    if not sets:
        raise RulesError(f"{directory}：没有审核规则文件")
    return sets[-1]

"""Benefit schemes (补偿方案) from YAML: dated versions, each citing the notice that set it.

A file holds one county scheme as a list of versions. Each version names the date it takes effect and
overrides the previous version's parameters (nested mappings merge, lists replace); past versions are
never edited, a change is a new dated version. Every merged version is validated in full, and selecting
one gives an immutable `Scheme` whose `version` is the SHA-256 of its canonical parameters — the number a
settlement records so any old result can be reproduced."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import SchemeError

SCHEMES_DIR = Path(__file__).parent / "schemes"


def _no_float(value):
    if isinstance(value, float):
        raise ValueError("金额和比例须写成带引号的文本（如 \"0.20\"、\"300\"），不接受浮点数")
    if isinstance(value, bool):
        raise ValueError("应为数字文本")
    return value


Amount = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, max_digits=14, decimal_places=2)]
Rate = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, le=1)]
Change = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=-1, le=1)]
Level = Literal["village", "township", "county", "prefecture", "province"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(Strict):
    upto: Amount | None = None  # upper bound of the band in eligible cost; None = no bound
    rate: Rate


def _check_tiers(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    if not tiers:
        raise ValueError("分段不能为空")
    bounds = [t.upto for t in tiers]
    if any(b is None for b in bounds[:-1]):
        raise ValueError("只有最后一段可以不设上限")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(finite) or len(set(finite)) != len(finite):
        raise ValueError("分段上限必须递增")
    return tiers


TierList = Annotated[tuple[Tier, ...], BeforeValidator(lambda v: v), Field(min_length=1)]


class TierTable(Strict):
    default: TierList
    by_level: dict[Level, TierList] = {}

    @model_validator(mode="after")
    def ordered(self):
        _check_tiers(self.default)
        for tiers in self.by_level.values():
            _check_tiers(tiers)
        return self

    def for_level(self, level: str) -> tuple[Tier, ...]:
        return self.by_level.get(level, self.default)


class Deductible(Strict):
    default: Amount
    by_level: dict[Level, Amount] = {}
    non_designated: Amount | None = None
    out_of_county: Amount | None = None
    out_of_county_unreferred: Amount | None = None  # a higher deductible for care without referral
    subsequent_factor: Rate = Decimal("1")  # second and later admissions in the year pay this share of it
    subsequent_by_level: dict[Level, Amount] = {}


class Adjustment(Strict):
    refuse: bool = False
    rate_change: Change = Decimal("0")  # added to every tier rate, in rate units ("-0.10" = 10 points less)


class FixedFeePackage(Strict):
    code: str
    name: str
    diagnoses: tuple[str, ...] = Field(min_length=1)  # ICD-10 prefixes
    levels: tuple[Level, ...] = Field(min_length=1)
    patient_amount: Amount
    fund_amount: Amount


class FixedSubsidy(Strict):
    code: str
    name: str
    diagnoses: tuple[str, ...] = Field(min_length=1)
    amount: Amount
    counts_toward_cap: bool = False


class Inpatient(Strict):
    deductible: Deductible
    tiers: TierTable
    annual_cap: Amount
    annual_cap_non_designated: Amount | None = None
    out_of_county_referred: Adjustment = Adjustment()
    out_of_county_unreferred: Adjustment = Adjustment()
    non_designated: Adjustment = Adjustment()
    fixed_fee_packages: tuple[FixedFeePackage, ...] = ()
    subsidies: tuple[FixedSubsidy, ...] = ()


class PoolingLevel(Strict):
    rate: Rate
    per_visit_cap: Amount | None = None
    per_day_cap: Amount | None = None  # all visits of one person on one day, at this level


class OutpatientPooling(Strict):
    by_level: dict[Level, PoolingLevel]
    annual_cap: Amount | None = None


class Chronic(Strict):
    diagnoses: tuple[str, ...] = Field(min_length=1)
    rate: Rate
    annual_cap: Amount


class Outpatient(Strict):
    mode: Literal["family_account", "pooling", "family_account_then_pooling"]
    pooling: OutpatientPooling | None = None
    chronic: Chronic | None = None
    in_county_only: bool = True

    @model_validator(mode="after")
    def pooling_needed(self):
        if self.mode != "family_account" and self.pooling is None:
            raise ValueError(f"门诊模式 {self.mode} 需要设置 pooling（门诊统筹）参数")
        return self


class Catastrophic(Strict):
    """大病保险: on the in-policy cost the basic scheme left to the patient, above a yearly deductible."""

    deductible: Amount
    tiers: TierList
    annual_cap: Amount

    @model_validator(mode="after")
    def ordered(self):
        _check_tiers(self.tiers)
        return self


class AssistanceCategory(Strict):
    threshold: Amount = Decimal("0")  # yearly, on the base
    rate: Rate
    annual_cap: Amount


class Assistance(Strict):
    """医疗救助 by identity category; a person holding several takes the first listed here."""

    categories: dict[str, AssistanceCategory]


class SafetyNet(Strict):
    """兜底: tops the listed categories up until their self-pay is at most (1 − ratio) of the base."""

    categories: tuple[str, ...] = Field(min_length=1)
    guaranteed_ratio: Rate
    base: Literal["in_policy_cost", "total_cost"] = "in_policy_cost"


class Ceiling(Strict):
    """An overall ceiling on what all layers together pay for one episode, as a share of the base."""

    ratio: Rate = Decimal("1")
    base: Literal["in_policy_cost", "total_cost"] = "in_policy_cost"


class Parameters(Strict):
    rounding: Literal["fen", "jiao", "yuan"] = "fen"
    version_date: Literal["discharge", "admission"] = "discharge"
    tier_convention: Literal["cumulative", "bracket"] = "cumulative"
    inpatient: Inpatient
    outpatient: Outpatient | None = None
    catastrophic: Catastrophic | None = None
    assistance: Assistance | None = None
    safety_net: SafetyNet | None = None
    ceiling: Ceiling = Ceiling()


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective: dt.date
    notice: str = Field(min_length=1)
    assumptions: list[str] = []
    parameters: dict


class SchemeFileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    county: str
    division_code: str = ""
    sources: list[str] = []
    versions: list[VersionIn] = Field(min_length=1)


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    county: str
    effective: dt.date
    notice: str
    assumptions: tuple[str, ...]
    params: Parameters
    version: str

    @cached_property
    def label(self) -> str:
        return f"{self.name}（{self.effective} 起，版本 {self.version[:12]}）"


@dataclass(frozen=True)
class SchemeFile:
    id: str
    name: str
    county: str
    path: str
    versions: tuple[Scheme, ...]

    def select(self, on: dt.date) -> Scheme | None:
        """The version in force on a date, or None before the first one."""
        chosen = None
        for version in self.versions:
            if version.effective <= on:
                chosen = version
        return chosen


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _canonical(value):
    if isinstance(value, BaseModel):
        return _canonical(value.model_dump())
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def content_hash(scheme_id: str, effective: dt.date, params: Parameters) -> str:
    text = json.dumps({"id": scheme_id, "effective": effective.isoformat(), "parameters": _canonical(params)},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的参数名（拼写错误？）",
    "literal_error": "取值不在允许的范围内",
    "decimal_parsing": "不是有效的数字",
    "greater_than_equal": "不能为负数",
    "less_than_equal": "超出上限（比例应在 0 到 1 之间）",
    "date_from_datetime_parsing": "不是有效的日期（YYYY-MM-DD）",
    "date_parsing": "不是有效的日期（YYYY-MM-DD）",
    "too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确（小写字母、数字和连字符）",
    "decimal_max_places": "金额最多两位小数（精确到分）",
}


def _errors(exc: ValidationError, prefix: str) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        path = prefix
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = _MESSAGES.get(err["type"])
        if err["type"] == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        out.append((path, f"{message or err['msg']}（读到：{err.get('input')!r}）"
                    if err["type"] not in ("missing",) else message))
    return out


def load_scheme_file(path: str | Path) -> SchemeFile:
    """Load and validate a scheme file; any problem raises SchemeError naming the file and the path."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemeError(str(path), "", "文件不存在") from exc
    except yaml.YAMLError as exc:
        raise SchemeError(str(path), "", f"YAML 格式错误：{exc}") from exc
    if not isinstance(raw, dict):
        raise SchemeError(str(path), "", "文件内容应是一个映射（id、name、versions …）")
    try:
        head = SchemeFileIn.model_validate(raw)
    except ValidationError as exc:
        path_text, message = _errors(exc, "")[0]
        raise SchemeError(str(path), path_text, message, all_errors=_errors(exc, "")) from exc
    versions, merged, last_date = [], {}, None
    for index, v in enumerate(head.versions):
        if last_date is not None and v.effective <= last_date:
            raise SchemeError(str(path), f"versions[{index}].effective", f"生效日期 {v.effective} 应晚于上一版本 {last_date}")
        last_date = v.effective
        merged = _merge(merged, v.parameters)
        try:
            params = Parameters.model_validate(merged)
        except ValidationError as exc:
            errors = _errors(exc, f"versions[{index}].parameters")
            raise SchemeError(str(path), errors[0][0], errors[0][1], all_errors=errors) from exc
        versions.append(Scheme(id=head.id, name=head.name, county=head.county, effective=v.effective,
                               notice=v.notice, assumptions=tuple(v.assumptions), params=params,
                               version=content_hash(head.id, v.effective, params)))
    return SchemeFile(id=head.id, name=head.name, county=head.county, path=str(path), versions=tuple(versions))


def shipped_schemes() -> dict[str, SchemeFile]:
    """The example schemes that ship with nrcms, by id."""
    files = [load_scheme_file(p) for p in sorted(SCHEMES_DIR.glob("*.yaml"))]
    return {f.id: f for f in files}

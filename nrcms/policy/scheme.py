"""Benefit schemes (补偿方案) from YAML: dated versions, each citing the notice that set it.

A file holds one county scheme as a list of versions. Each version names the date it takes effect and the
notice behind it, and overrides the previous version's parameters (nested mappings merge, lists replace);
past versions are never edited, a change is a new dated version. Every merged version is validated in full,
and selecting one gives an immutable `Scheme` whose `version` is the SHA-256 of its canonical parameters —
the number a settlement records so any old result can be reproduced.

Which date selects the version is the file's `version_date`: `discharge` (default — a county office
settles an admission on discharge, so the scheme in force that day applies) or `admission`."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as checked

from .errors import SchemeError
from .parameters import Parameters, SupervisionThresholds

SCHEMES_DIR = Path(__file__).parent / "schemes"


@checked(frozen=True, config=ConfigDict(extra="forbid"))
class VersionIn:
    effective: dt.date
    notice: Annotated[str, Field(min_length=1)]
    parameters: dict
    assumptions: tuple[str, ...] = ()
    # 监管指标阈值 (optional; merged over the earlier versions like the parameters, never hashed)
    supervision_thresholds: dict | None = None


@checked(frozen=True, config=ConfigDict(extra="forbid"))
class SchemeFileIn:
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: str
    county: str
    versions: Annotated[tuple[VersionIn, ...], Field(min_length=1)]
    division_code: str = ""
    version_date: Literal["discharge", "admission"] = "discharge"
    sources: tuple[str, ...] = ()


_HEAD = TypeAdapter(SchemeFileIn)
_PARAMETERS = TypeAdapter(Parameters)
_THRESHOLDS = TypeAdapter(SupervisionThresholds)


@dataclasses.dataclass(frozen=True)
class Scheme:
    """One version of a county's scheme: what `settle` computes with."""

    id: str
    name: str
    county: str
    effective: dt.date
    notice: str
    assumptions: tuple[str, ...]
    params: Parameters
    version: str  # SHA-256 of the canonical parameters
    supervision: SupervisionThresholds = dataclasses.field(default_factory=SupervisionThresholds)
    supervision_from_scheme: bool = False  # False: the scheme names no thresholds, the defaults apply

    def __hash__(self) -> int:
        return hash(self.version)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.effective} 起，版本 {self.version[:12]}）"


@dataclasses.dataclass(frozen=True)
class SchemeFile:
    id: str
    name: str
    county: str
    path: str
    version_date: str
    versions: tuple[Scheme, ...]

    def select(self, on: dt.date) -> Scheme | None:
        """The version in force on a date, or None before the first one."""
        chosen = None
        for version in self.versions:
            if version.effective > on:
                break
            chosen = version
        return chosen

    def for_episode(self, episode) -> Scheme | None:
        """The version that settles an episode: by discharge date (a visit: its date) or admission date."""
        return self.select(episode.admission_date if self.version_date == "admission" else episode.date)


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def canonical(value):
    """Plain JSON-able data with one spelling per value: "0.2" and "0.20" hash alike, key order does not
    matter, and a default written out hashes like a default left out."""
    if dataclasses.is_dataclass(value):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict | MappingProxyType):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def content_hash(scheme_id: str, effective: dt.date, params: Parameters) -> str:
    text = json.dumps({"id": scheme_id, "effective": effective.isoformat(), "parameters": canonical(params)},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_MESSAGES = {
    "missing": "缺少必填项",
    "missing_argument": "缺少必填项",
    "extra_forbidden": "不认识的参数名（拼写错误？）",
    "unexpected_keyword_argument": "不认识的参数名（拼写错误？）",
    "literal_error": "取值不在允许的范围内",
    "decimal_parsing": "不是有效的数字",
    "decimal_type": "应为数字文本（如 \"300\"）",
    "greater_than_equal": "不能小于下限（金额不能为负数）",
    "less_than_equal": "超出上限（比例应在 0 到 1 之间）",
    "date_from_datetime_parsing": "不是有效的日期（YYYY-MM-DD）",
    "date_parsing": "不是有效的日期（YYYY-MM-DD）",
    "date_type": "不是有效的日期（YYYY-MM-DD）",
    "too_short": "不能为空",
    "string_pattern_mismatch": "格式不正确（小写字母、数字和连字符）",
    "string_type": "应为文本",
    "decimal_max_places": "金额最多两位小数（精确到分）",
    "decimal_max_digits": "数字位数过多",
    "int_type": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为映射（键: 值）",
    "dataclass_type": "应为映射（键: 值）",
    "dataclass_args_type": "应为映射（键: 值）",
    "tuple_type": "应为列表",
}


def _where(loc: tuple, prefix: str) -> str:
    path = prefix
    for part in loc:
        if part == "[key]":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _errors(exc: ValidationError, prefix: str) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        kind = err["type"]
        if kind == "literal_error" and err.get("ctx", {}).get("expected"):
            message = f"取值不在允许的范围内，应为 {err['ctx']['expected']} 之一"
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = _MESSAGES.get(kind, err["msg"])
        if kind not in ("missing", "missing_argument") and "input" in err and not isinstance(err["input"], dict):
            message += f"（读到：{err['input']!r}）"
        out.append((_where(err["loc"], prefix), message))
    return out


def _fail(source: str, exc: ValidationError, prefix: str) -> SchemeError:
    errors = _errors(exc, prefix)
    return SchemeError(source, errors[0][0], errors[0][1], all_errors=errors)


def load_scheme_file(path: str | Path) -> SchemeFile:
    """Load and validate a scheme file; any problem raises SchemeError naming the file and the path."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchemeError(str(path), "", "文件不存在") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SchemeError(str(path), "", f"YAML 格式错误：{exc}") from exc
    return scheme_file_from_mapping(raw, source=str(path))


def parse_scheme_text(text: str, *, source: str = "<text>") -> SchemeFile:
    """A scheme file's text (an upload, a version kept in the database); SchemeError names `source`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemeError(source, "", f"YAML 格式错误：{exc}") from exc
    return scheme_file_from_mapping(raw, source=source)


def scheme_file_from_mapping(raw, *, source: str = "<mapping>") -> SchemeFile:
    """The same from data already parsed (a scheme kept in a database, a test); `source` names it in errors."""
    if not isinstance(raw, dict):
        raise SchemeError(source, "", "文件内容应是一个映射（id、name、county、versions …）")
    try:
        head = _HEAD.validate_python(raw)
    except ValidationError as exc:
        raise _fail(source, exc, "") from exc
    versions, merged, merged_thresholds, last_date = [], {}, None, None
    for index, v in enumerate(head.versions):
        if last_date is not None and v.effective <= last_date:
            raise SchemeError(source, f"versions[{index}].effective", f"生效日期 {v.effective} 应晚于上一版本的 {last_date}")
        last_date = v.effective
        merged = _merge(merged, v.parameters)
        try:
            params = _PARAMETERS.validate_python(merged)
        except ValidationError as exc:
            raise _fail(source, exc, f"versions[{index}].parameters") from exc
        if v.supervision_thresholds is not None:
            merged_thresholds = _merge(merged_thresholds or {}, v.supervision_thresholds)
        try:
            thresholds = _THRESHOLDS.validate_python(merged_thresholds or {})
        except ValidationError as exc:
            raise _fail(source, exc, f"versions[{index}].supervision_thresholds") from exc
        versions.append(Scheme(id=head.id, name=head.name, county=head.county, effective=v.effective,
                               notice=v.notice, assumptions=v.assumptions, params=params,
                               version=content_hash(head.id, v.effective, params), supervision=thresholds,
                               supervision_from_scheme=merged_thresholds is not None))
    return SchemeFile(id=head.id, name=head.name, county=head.county, path=source,
                      version_date=head.version_date, versions=tuple(versions))


def shipped_schemes() -> dict[str, SchemeFile]:
    """The example schemes that ship with nrcms, by id."""
    files = [load_scheme_file(p) for p in sorted(SCHEMES_DIR.glob("*.yaml"))]
    return {f.id: f for f in files}

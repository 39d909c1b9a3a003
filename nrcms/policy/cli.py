"""`nrcms calc` and `nrcms scheme check`: the engine from the command line, no database needed.

Exit status: 0 when the settlement (or the check) is done — a refused claim is a done settlement; 2 when an
input file is missing or wrong, with a Chinese message naming the file and the field."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import yaml

from nrcms.core.money import parse_decimal

from .errors import SchemeError
from .parameters import LEVEL_LABELS
from .scheme import SchemeFile, load_scheme_file
from .settle import scheme_for, settle
from .types import CATALOGUE_CLASSES, LEVELS, ChargeItem, Episode, PersonCategories, Settlement, YearToDate


class InputError(Exception):
    pass


EPISODE_FIELDS = {"kind", "facility_level", "admission_date", "discharge_date", "in_county", "designated",
                  "referred", "diagnosis_code", "interim", "continuation", "stay_eligible_before", "categories",
                  "charges", "chronic_certified"}
CHARGE_FIELDS = {"code", "name", "amount", "class", "first_self_pay_share", "quantity", "price_limit"}


def _number(value, where: str, *, positive: bool = False) -> Decimal:
    try:
        number = parse_decimal(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}：{exc}") from exc
    if number < 0 or (positive and number == 0):
        raise InputError(f"{where}：应大于 0" if positive else f"{where}：不能为负数")
    return number


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"{where}：“{value}”不是有效的日期（YYYY-MM-DD）") from exc


def _flag(data: dict, key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{where}.{key}：应为 true 或 false，读到 {value!r}")
    return value


def _unknown(data: dict, known: set[str], where: str) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise InputError(f"{where}：不认识的字段 {', '.join(map(str, extra))}（拼写错误？）")


def read_mapping(path: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}：文件不存在") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}：YAML/JSON 格式错误：{exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}：内容应是一个映射（字段: 值）")
    return data


def _charge(c, where: str) -> ChargeItem:
    if not isinstance(c, dict):
        raise InputError(f"{where}：每行费用应是一个映射（amount、class …）")
    _unknown(c, CHARGE_FIELDS, where)
    if "amount" not in c:
        raise InputError(f"{where}.amount：缺少金额")
    klass = c.get("class", "A")
    if klass not in CATALOGUE_CLASSES:
        raise InputError(f"{where}.class：应为 A、B、C 或 null（目录外），读到 {klass!r}")
    limit = c.get("price_limit")
    return ChargeItem(
        code=str(c.get("code", "")), name=str(c.get("name", "")), catalogue_class=klass,
        amount=_number(c["amount"], f"{where}.amount", positive=True),
        first_self_pay_share=_number(c.get("first_self_pay_share", "0"), f"{where}.first_self_pay_share"),
        quantity=_number(c.get("quantity", "1"), f"{where}.quantity", positive=True),
        price_limit=None if limit is None else _number(limit, f"{where}.price_limit"),
    )


def episode_from_dict(data: dict, where: str = "episode") -> tuple[Episode, PersonCategories]:
    """Build the engine's input from a plain mapping (a YAML/JSON file or an API body)."""
    _unknown(data, EPISODE_FIELDS, where)
    kind = data.get("kind", "inpatient")
    if kind not in ("inpatient", "outpatient"):
        raise InputError(f"{where}.kind：应为 inpatient（住院）或 outpatient（门诊），读到 {kind!r}")
    level = data.get("facility_level", "county")
    if level not in LEVELS:
        raise InputError(f"{where}.facility_level：应为 {'/'.join(LEVELS)}，读到 {level!r}")
    if "admission_date" not in data:
        raise InputError(f"{where}.admission_date：缺少入院（就诊）日期")
    admission = _date(data["admission_date"], f"{where}.admission_date")
    discharge = _date(data["discharge_date"], f"{where}.discharge_date") if data.get("discharge_date") else None
    if discharge and discharge < admission:
        raise InputError(f"{where}.discharge_date：出院日期 {discharge} 早于入院日期 {admission}")
    charges = data.get("charges") or []
    if not isinstance(charges, list):
        raise InputError(f"{where}.charges：应为费用明细列表")
    categories = data.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise InputError(f"{where}.categories：应为人员类别列表，如 [dibao, registered_poor]")
    episode = Episode(
        kind=kind, facility_level=level, admission_date=admission, discharge_date=discharge,
        charges=tuple(_charge(c, f"{where}.charges[{n}]") for n, c in enumerate(charges)),
        in_county=_flag(data, "in_county", True, where), designated=_flag(data, "designated", True, where),
        referred=_flag(data, "referred", False, where), diagnosis_code=str(data.get("diagnosis_code") or ""),
        interim=_flag(data, "interim", False, where), continuation=_flag(data, "continuation", False, where),
        stay_eligible_before=_number(data.get("stay_eligible_before", "0"), f"{where}.stay_eligible_before"),
        chronic_certified=_flag(data, "chronic_certified", True, where),
    )
    return episode, PersonCategories(frozenset(categories))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(result: Settlement) -> str:
    """The explanation as a two-column table: each step's sentence and the amount it yields."""
    rows = [(line.text, "" if line.amount is None else format(line.amount, "f")) for line in result.lines]
    # lines without an amount (the scheme's name and notice) may run long; they don't set the column
    width = max([_width(text) for text, amount in rows if amount] or [40])
    rule = "─" * (width + 16)
    out = [f"补偿方案 {result.scheme_id} · 版本 {result.scheme_version[:12]} · {result.scheme_effective} 起", rule]
    out += [text if not amount else text + " " * max(width - _width(text) + 2, 2) + amount.rjust(14)
            for text, amount in rows]
    out.append(rule)
    paid = [f"{layer.label} {layer.paid}" for layer in result.layer_payments if layer.paid]
    out.append(f"基金支付 {result.fund_total}（{'、'.join(paid) or '无'}）　个人自付 {result.self_pay}"
               + (f"　医疗机构承担 {result.facility_borne}" if result.facility_borne else "")
               + f"　实际补偿比 {result.effective_ratio:.2%}")
    if result.refused:
        out.append("不予补偿：" + "；".join(result.refusal_messages))
    return "\n".join(out)


def calc_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nrcms calc", description="按补偿方案计算一次就诊的补偿（不需要数据库）")
    parser.add_argument("--scheme", required=True, help="补偿方案 YAML 文件")
    parser.add_argument("--episode", required=True, help="就诊 YAML/JSON 文件（费用明细、机构级别、日期、人员类别…）")
    parser.add_argument("--ytd", help="本年度累计 YAML/JSON 文件（已住院次数、已补偿金额、家庭账户余额…）")
    parser.add_argument("--json", action="store_true", help="输出 JSON（金额为字符串）")
    args = parser.parse_args(argv)
    try:
        scheme_file = load_scheme_file(args.scheme)
        episode, person = episode_from_dict(read_mapping(args.episode), args.episode)
        ytd = YearToDate()
        if args.ytd:
            data = read_mapping(args.ytd)
            if "year" not in data:
                raise InputError(f"{args.ytd}：累计数据须写明所属年度，如 year: {episode.admission_date.year}"
                                 "（不同年度的累计不能混用）")
            try:
                ytd = YearToDate.from_dict(data)
            except (TypeError, ValueError) as exc:
                raise InputError(f"{args.ytd}：{exc}") from exc
    except SchemeError as exc:
        print(f"补偿方案有误：{exc.file}：{exc.path or '（文件）'}：{exc.message}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"输入有误：{exc}", file=sys.stderr)
        return 2
    result = settle(episode, scheme_file, ytd, person=person)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_table(result))
    return 0


OUTPATIENT_MODES = {"family_account": "家庭账户", "pooling": "门诊统筹",
                    "family_account_then_pooling": "先家庭账户后门诊统筹"}


def summarise(scheme_file: SchemeFile) -> str:
    date_rule = "出院日期" if scheme_file.version_date == "discharge" else "入院日期"
    out = [f"{scheme_file.name}（{scheme_file.id}，{scheme_file.county}）：{len(scheme_file.versions)} 个版本，"
           f"按{date_rule}选版本"]
    for v in scheme_file.versions:
        p, i = v.params, v.params.inpatient
        levels = "、".join(f"{LEVEL_LABELS[k]} {a}" for k, a in i.deductible.by_level.items()) or "各级相同"
        rounding = {"fen": "分", "jiao": "角", "yuan": "元"}[p.rounding]
        out.append(f"· {v.effective} 起  版本 {v.version[:12]}  依据：{v.notice}")
        out.append(f"  住院：起付线 {i.deductible.default}（{levels}），"
                   f"{'全额按档' if p.tier_convention == 'bracket' else '分段累加'} {len(i.tiers.default)} 段，"
                   f"封顶 {i.annual_cap}，舍入到{rounding}；目录 {'、'.join(p.catalogue.eligible_classes)} 类")
        if i.fixed_fee_packages or i.subsidies:
            out.append(f"  单病种定额 {len(i.fixed_fee_packages)} 种；定额补助 {len(i.subsidies)} 项")
        if i.interim:
            out.append(f"  住院满 {i.interim.min_days} 天可中途结算")
        if p.outpatient:
            out.append(f"  门诊：{OUTPATIENT_MODES.get(p.outpatient.mode, p.outpatient.mode)}" + ("，含门诊慢性病" if p.outpatient.chronic else ""))
        layers = [name for name, on in (("大病保险", p.catastrophic), ("医疗救助", p.assistance), ("兜底", p.safety_net))
                  if on]
        if layers:
            out.append("  分层：" + "、".join(layers))
        out += [f"  假定：{a}" for a in v.assumptions]
    return "\n".join(out)


def scheme_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nrcms scheme", description="补偿方案文件")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="校验并概述补偿方案文件")
    check.add_argument("file")
    args = parser.parse_args(argv)
    try:
        scheme_file = load_scheme_file(args.file)
    except SchemeError as exc:
        print(f"补偿方案有误：{exc.file}", file=sys.stderr)
        for path, message in exc.all_errors:
            print(f"  {path or '（文件）'}：{message}", file=sys.stderr)
        return 2
    print(summarise(scheme_file))
    print("校验通过")
    return 0


__all__ = ["calc_main", "episode_from_dict", "render_table", "scheme_for", "scheme_main"]

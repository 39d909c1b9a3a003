"""`nrcms calc` and `nrcms scheme check`: the engine from the command line, no database needed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .errors import SchemeError
from .scheme import SchemeFile, load_scheme_file
from .settle import scheme_for, settle
from .types import ChargeItem, Episode, Person, Settlement, YearToDate


class InputError(Exception):
    pass


def _dec(value, where: str) -> Decimal:
    if isinstance(value, float):
        raise InputError(f"{where}：金额须写成带引号的文本（如 \"12.50\"），不接受浮点数 {value}")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise InputError(f"{where}：“{value}”不是有效的数字") from exc


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"{where}：“{value}”不是有效的日期（YYYY-MM-DD）") from exc


def _read(path: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}：文件不存在") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path}：YAML/JSON 格式错误：{exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}：内容应是一个映射")
    return data


def episode_from_dict(data: dict, where: str = "episode") -> tuple[Episode, Person]:
    """Build the engine's input from a plain mapping (YAML/JSON file or API body)."""
    try:
        charges = tuple(
            ChargeItem(
                code=str(c.get("code", n)), name=str(c.get("name", "")),
                amount=_dec(c["amount"], f"{where}.charges[{n}].amount"),
                catalogue_class=c.get("class", "A"),
                first_self_pay_share=_dec(c.get("first_self_pay_share", "0"), f"{where}.charges[{n}].first_self_pay_share"),
                quantity=_dec(c.get("quantity", "1"), f"{where}.charges[{n}].quantity"),
                price_limit=_dec(c["price_limit"], f"{where}.charges[{n}].price_limit") if c.get("price_limit") else None,
            )
            for n, c in enumerate(data.get("charges") or [])
        )
        for n, c in enumerate(charges):
            if c.catalogue_class not in ("A", "B", "C", None):
                raise InputError(f"{where}.charges[{n}].class：应为 A、B、C 或 null（目录外）")
            if c.amount <= 0:
                raise InputError(f"{where}.charges[{n}].amount：金额应大于 0")
        kind = data.get("kind", "inpatient")
        if kind not in ("inpatient", "outpatient"):
            raise InputError(f"{where}.kind：应为 inpatient 或 outpatient")
        admission = _date(data["admission_date"], f"{where}.admission_date")
        discharge = _date(data["discharge_date"], f"{where}.discharge_date") if data.get("discharge_date") else None
        if discharge and discharge < admission:
            raise InputError(f"{where}.discharge_date：出院日期早于入院日期")
        episode = Episode(
            kind=kind, facility_level=data.get("facility_level", "county"), admission_date=admission,
            discharge_date=discharge, charges=charges, in_county=bool(data.get("in_county", True)),
            designated=bool(data.get("designated", True)), referred=bool(data.get("referred", False)),
            diagnosis_code=str(data.get("diagnosis_code", "")), continuation=bool(data.get("continuation", False)),
        )
    except KeyError as exc:
        raise InputError(f"{where}：缺少必填项 {exc.args[0]}") from exc
    if episode.facility_level not in ("village", "township", "county", "prefecture", "province"):
        raise InputError(f"{where}.facility_level：应为 village/township/county/prefecture/province")
    return episode, Person(categories=frozenset(data.get("categories") or []))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(result: Settlement) -> str:
    rows = [(line.text, "" if line.amount is None else format(line.amount, "f")) for line in result.lines]
    width = max(_width(text) for text, _ in rows)
    out = [f"补偿方案 {result.scheme_id} · 版本 {result.scheme_version[:12]} · 生效 {result.scheme_effective}"]
    out.append("─" * (width + 16))
    for text, amount in rows:
        out.append(text + " " * (width - _width(text) + 2) + amount.rjust(14))
    out.append("─" * (width + 16))
    out.append(f"基金支付 {result.fund_total}　个人自付 {result.self_pay}　实际补偿比 {result.effective_ratio * 100:.2f}%")
    if result.refused:
        out.append("不予补偿：" + "、".join(result.refused))
    return "\n".join(out)


def calc_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nrcms calc", description="按补偿方案计算一次就诊的补偿（不需要数据库）")
    parser.add_argument("--scheme", required=True, help="补偿方案 YAML 文件")
    parser.add_argument("--episode", required=True, help="就诊 YAML/JSON 文件（费用明细、机构级别、日期…）")
    parser.add_argument("--ytd", help="本年度累计 YAML/JSON 文件（已住院次数、已补偿金额…）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    args = parser.parse_args(argv)
    try:
        scheme_file = load_scheme_file(args.scheme)
        episode, person = episode_from_dict(_read(args.episode), Path(args.episode).name)
        ytd = YearToDate.from_dict(_read(args.ytd)) if args.ytd else YearToDate()
    except SchemeError as exc:
        print(f"补偿方案有误：{exc}", file=sys.stderr)
        return 2
    except (InputError, ValueError, TypeError) as exc:
        print(f"输入有误：{exc}", file=sys.stderr)
        return 2
    result = settle(episode, scheme_file, ytd, person=person)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_table(result))
    return 0


def summarise(scheme_file: SchemeFile) -> str:
    out = [f"{scheme_file.name}（{scheme_file.id}，{scheme_file.county}）：{len(scheme_file.versions)} 个版本"]
    for v in scheme_file.versions:
        p = v.params
        i = p.inpatient
        out.append(f"· {v.effective} 起  版本 {v.version[:12]}  依据：{v.notice}")
        levels = "、".join(f"{k} {a}" for k, a in i.deductible.by_level.items()) or "各级相同"
        out.append(f"  住院：起付线 {i.deductible.default}（{levels}），"
                   f"{'全额按档' if p.tier_convention == 'bracket' else '分段累加'} {len(i.tiers.default)} 段，"
                   f"封顶 {i.annual_cap}，舍入到{ {'fen': '分', 'jiao': '角', 'yuan': '元'}[p.rounding] }，"
                   f"按{'出院' if p.version_date == 'discharge' else '入院'}日期选版本")
        if i.fixed_fee_packages:
            out.append(f"  单病种定额 {len(i.fixed_fee_packages)} 种；定额补助 {len(i.subsidies)} 项")
        if p.outpatient:
            out.append(f"  门诊：{p.outpatient.mode}")
        layers = [name for name, on in (("大病保险", p.catastrophic), ("医疗救助", p.assistance), ("兜底", p.safety_net)) if on]
        if layers:
            out.append("  分层：" + "、".join(layers))
        for a in v.assumptions:
            out.append(f"  假定：{a}")
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
            print(f"  {path or '(文件)'}：{message}", file=sys.stderr)
        return 2
    print(summarise(scheme_file))
    print("校验通过")
    return 0


__all__ = ["calc_main", "episode_from_dict", "scheme_for", "scheme_main"]

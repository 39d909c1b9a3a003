"""The simulation's outputs as rows: the same table on the page, in the Excel export and on the terminal.
Amounts in yuan (Decimal from integer fen, exact), ratios as Decimal, counts as int."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import from_fen

from .simulate import KIND_LABELS, LAYER_LABELS, LEVEL_LABELS, NRCMS_LAYERS, OTHER_LAYERS, SchemeOutcome

HEADERS_TAIL = "（元、比例或人数）"


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(int(fen))


def comparison_rows(outcomes: list[SchemeOutcome]) -> list[list]:
    """[section, item, value per scheme…]."""
    def line(section, item, values):
        return [section, item, *values]

    rows = [line("总体", "就诊笔数", [o.episodes for o in outcomes]),
            line("总体", "医疗总费用（元）", [yuan(o.total_cost) for o in outcomes]),
            line("总体", "政策范围内费用（元）", [yuan(o.eligible) for o in outcomes]),
            line("总体", "各项补偿合计（元）", [yuan(o.fund_total) for o in outcomes]),
            line("总体", "其中新农合基金支付（元）", [yuan(o.nrcms_fund) for o in outcomes]),
            line("总体", "个人自付（元）", [yuan(o.self_pay) for o in outcomes]),
            line("总体", "医疗机构承担（元）", [yuan(o.facility_borne) for o in outcomes]),
            line("总体", "实际补偿比", [o.effective_ratio for o in outcomes]),
            line("总体", "政策范围内补偿比", [o.in_policy_ratio for o in outcomes]),
            line("总体", "受益人数", [o.beneficiaries for o in outcomes]),
            line("总体", "不予补偿笔数", [o.refused for o in outcomes])]
    if outcomes[0].income is not None:
        rows += [line("基金", "当年筹资（元）", [yuan(o.income) for o in outcomes]),
                 line("基金", "当年结余（元）", [yuan(o.balance) for o in outcomes]),
                 line("基金", "结余率", [o.surplus_rate for o in outcomes])]
    for name in (*NRCMS_LAYERS, *OTHER_LAYERS):
        rows.append(line("按补偿层次", f"{LAYER_LABELS[name]}（元）", [yuan(o.layers[name]) for o in outcomes]))
    for kind, label in KIND_LABELS.items():
        rows.append(line("按就诊类别", f"{label}补偿（元）", [yuan(o.by_kind.get(kind, {}).get("fund_total", 0)) for o in outcomes]))
    for level, label in LEVEL_LABELS.items():
        rows.append(line("按机构级别", f"{label}补偿（元）", [yuan(o.by_level.get(level, {}).get("fund_total", 0)) for o in outcomes]))
    rows += [line("建档立卡贫困户住院", "人数", [o.poor["persons"] for o in outcomes]),
             line("建档立卡贫困户住院", "政策范围内补偿比（目标 90%）", [o.poor["in_policy_ratio"] for o in outcomes]),
             line("建档立卡贫困户住院", "实际补偿比", [o.poor["effective_ratio"] for o in outcomes]),
             line("建档立卡贫困户住院", "是否达到 90% 目标", ["达到" if o.poor["meets_target"] else "未达到" for o in outcomes])]
    for o in outcomes[1:]:
        g = o.gains
        rows.append(line(f"得失（{o.label} 对比 {outcomes[0].label}）", "受益增加人数 / 负担增加人数",
                         [f"{g['gainers']} / {g['losers']}" if x is o else "" for x in outcomes]))
        for group, title in (("by_category", "按人员类别"), ("by_band", "按年医疗费用段")):
            for r in g[group]:
                rows.append(line(f"得失·{title}（{o.label}）", f"{r['label']}：人数 {r['persons']}，减负 {r['gainers']}，"
                                 f"增负 {r['losers']}；个人自付变化（元）",
                                 [yuan(r["change"]) if x is o else "" for x in outcomes]))
    return rows


def projection_rows(rows: list[dict]) -> list[list]:
    return [[f"第 {r['year']} 年", yuan(r["income"]), yuan(r["spending"]), yuan(r["surplus"]), yuan(r["balance"]),
             "基金赤字" if r["dry"] else ""] for r in rows]


PROJECTION_HEADERS = ["年度", "筹资（元）", "基金支出（元）", "当年结余（元）", "累计结余（元）", "状态"]


def text_table(headers: list[str], rows: list[list]) -> str:
    def show(v):
        if v is None:
            return ""
        if isinstance(v, Decimal) and v.as_tuple().exponent == -4:
            return f"{v:.2%}"
        if isinstance(v, Decimal):
            return f"{v:,.2f}"
        return str(v)
    return "\n".join(["\t".join(headers), *("\t".join(show(v) for v in row) for row in rows)])


def workbook_rows(outcomes: list[SchemeOutcome], projection: list[dict]) -> list[list]:
    """The Excel sheet's rows under the headers 分组, 项目, one column per scheme: the comparison, then the
    projection (if any) after an empty row."""
    rows = comparison_rows(outcomes)
    if projection:
        rows += [[], ["预测", *PROJECTION_HEADERS], *(["预测", *r] for r in projection_rows(projection))]
    return rows


def display(value) -> str:
    """One cell as the page shows it: a ratio (four places) as a percentage, an amount in yuan to the fen."""
    from nrcms.core.money import format_yuan

    if value is None:
        return ""
    if isinstance(value, Decimal) and value.as_tuple().exponent == -4:
        return f"{value * 100:.2f}%"
    if isinstance(value, Decimal):
        return format_yuan(value)
    return str(value)

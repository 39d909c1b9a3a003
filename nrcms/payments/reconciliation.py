"""对账: the facility's finance office sends its totals for a day (and, if it has them, the settlement
numbers with their fund amounts); the system compares them with its own and lists every difference.
A day that disagrees cannot be closed by the facility's finance office (domain.md §13), so the answer names
each difference: which total, both figures and the gap; which settlement only one side has or where the
amounts differ."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.claims.models import Settlement, SettlementKind
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.core.jsonable import jsonable
from nrcms.core.money import ZERO, round_amount

from .models import DailyReconciliation, ReconciliationResult

TOTALS = {"settlement_count": "结算笔数", "reversal_count": "冲正笔数", "total_cost": "医疗总费用",
          "fund_total": "基金支付合计", "self_pay": "个人自付"}
COUNTS = ("settlement_count", "reversal_count")


@dataclass(frozen=True)
class ReconciliationInput:
    date: dt.date
    settlement_count: int
    reversal_count: int
    total_cost: Decimal
    fund_total: Decimal
    self_pay: Decimal
    lines: list[dict] = field(default_factory=list)  # [{"number": ..., "fund_total": ...}], optional


def day_settlements(*, facility, date: dt.date):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date, dt.time.min, tzinfo=tz)
    return (Settlement.objects.filter(episode__facility=facility, settled_at__gte=start,
                                      settled_at__lt=start + dt.timedelta(days=1)).order_by("settled_at", "id"))


def day_totals(*, facility, date: dt.date) -> tuple[dict, dict[str, Decimal]]:
    """The system's totals for the day (reversals count negative in the amounts) and number → fund total."""
    totals = {"settlement_count": 0, "reversal_count": 0, "total_cost": ZERO, "fund_total": ZERO, "self_pay": ZERO}
    lines = {}
    for s in day_settlements(facility=facility, date=date):
        totals["reversal_count" if s.kind == SettlementKind.REVERSAL else "settlement_count"] += 1
        for name in ("total_cost", "fund_total", "self_pay"):
            totals[name] += getattr(s, name)
        lines[s.number] = s.fund_total
    return totals, lines


def _differences(ours: dict, theirs: dict, our_lines: dict, their_lines: dict | None) -> list[dict]:
    out = []
    for name, label in TOTALS.items():
        if ours[name] != theirs[name]:
            out.append({"item": name, "label": label, "facility": theirs[name], "system": ours[name],
                        "difference": theirs[name] - ours[name]})
    if their_lines is None:
        return out
    for number in sorted(set(their_lines) - set(our_lines)):
        out.append({"item": "line", "label": "机构有、系统无", "number": number, "facility": their_lines[number],
                    "system": None, "difference": their_lines[number]})
    for number in sorted(set(our_lines) - set(their_lines)):
        out.append({"item": "line", "label": "系统有、机构无", "number": number, "facility": None,
                    "system": our_lines[number], "difference": -our_lines[number]})
    for number in sorted(set(our_lines) & set(their_lines)):
        if our_lines[number] != their_lines[number]:
            out.append({"item": "line", "label": "基金支付金额不同", "number": number,
                        "facility": their_lines[number], "system": our_lines[number],
                        "difference": their_lines[number] - our_lines[number]})
    return out


def _money(value, name: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("金额不得使用浮点数")
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationFailed("invalid", f"{TOTALS.get(name, name)}“{value}”不是金额", field=name) from exc
    if not amount.is_finite() or amount != round_amount(amount):
        raise ValidationFailed("invalid", f"{TOTALS.get(name, name)}“{value}”应精确到分", field=name)
    return round_amount(amount)  # "2435.0" is kept and shown as 2435.00


def _fen(value):
    """An amount as text to the fen ("2435.0" → "2435.00"); None and anything not a number as it is."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return format(round_amount(Decimal(str(value))), "f")
    except ArithmeticError:
        return value


def totals_to_fen(totals: dict) -> dict:
    """Stored totals for display: counts as they are, amounts (and the per-settlement lines) to the fen.
    Rows stored before amounts were normalised may hold "2435.0"."""
    out = dict(totals)
    for name in TOTALS:
        if name not in COUNTS and name in out:
            out[name] = _fen(out[name])
    if isinstance(out.get("lines"), dict):
        out["lines"] = {number: _fen(amount) for number, amount in out["lines"].items()}
    return out


def differences_to_fen(differences: list[dict]) -> list[dict]:
    return [d if d.get("item") in COUNTS else
            {**d, **{key: _fen(d.get(key)) for key in ("facility", "system", "difference")}}
            for d in differences]


@transaction.atomic
def reconciliation_submit(*, actor: User, data: ReconciliationInput) -> DailyReconciliation:
    """The facility desk submits its day; the answer says matched or lists the differences."""
    if not actor.can(Cap.DESK_SETTLE) or actor.facility_id is None:
        raise Forbidden("只有定点医疗机构合疗科可以提交对账")
    if data.date > timezone.localdate():
        raise ValidationFailed("invalid", "对账日期不能晚于今天", field="date")
    facility = actor.facility
    theirs = {"settlement_count": int(data.settlement_count), "reversal_count": int(data.reversal_count)}
    for name in ("total_cost", "fund_total", "self_pay"):
        theirs[name] = _money(getattr(data, name), name)
    if theirs["settlement_count"] < 0 or theirs["reversal_count"] < 0:
        raise ValidationFailed("invalid", "笔数不能为负数", field="settlement_count")
    their_lines = None
    if data.lines:
        their_lines = {}
        for n, line in enumerate(data.lines, start=1):
            number = str(line.get("number", "")).strip()
            if not number:
                raise ValidationFailed("required", f"第 {n} 行缺少结算单号", field="lines")
            if number in their_lines:
                raise ValidationFailed("duplicate", f"结算单号 {number} 重复", field="lines")
            their_lines[number] = _money(line.get("fund_total", ""), "fund_total")
    ours, our_lines = day_totals(facility=facility, date=data.date)
    differences = _differences(ours, theirs, our_lines, their_lines)
    row = DailyReconciliation.objects.create(
        facility=facility, date=data.date, submitted_by=actor,
        result=ReconciliationResult.MISMATCHED if differences else ReconciliationResult.MATCHED,
        facility_totals=jsonable({**theirs, "lines": their_lines}), system_totals=jsonable(ours),
        differences=jsonable(differences))
    audit_record(actor=actor, action="reconciliation.submit", obj=row, facility_code=facility.code,
                 region_code=facility.region.code if facility.region_id else "",
                 after={"date": data.date, "result": row.result, "differences": len(differences)})
    return row

"""The desk's itemised charges: a batch of bill lines uploaded all or nothing (idempotent on the facility's
own line numbers), each line mapped to the scheme's catalogue on its day; a line withdrawn (撤销明细) stays
on file and no longer counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.core.money import round_amount
from nrcms.facilities.catalogue import charges_resolve
from nrcms.stats import facts

from .desk_rules import (
    MAX_LINE_AMOUNT,
    MAX_LINE_NO,
    MAX_LINES_PER_BATCH,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    MIN_QUANTITY,
    check_length,
    desk_facility,
    open_episode,
    reason_required,
    today,
)
from .models import ChargeLine, Episode, EpisodeKind, EpisodeStatus


@dataclass(frozen=True)
class ChargeInput:
    line_no: int
    facility_item_code: str
    item_name: str
    charged_on: dt.date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass
class UploadResult:
    added: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # {"line_no", "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors


def _dec(value, line_no: int, name: str, label: str, errors: list) -> Decimal | None:
    if isinstance(value, float):
        errors.append({"line_no": line_no, "field": name, "message": f"第 {line_no} 行{label}不能是浮点数，请用文本"})
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        number = None
    if number is None or not number.is_finite():
        errors.append({"line_no": line_no, "field": name, "message": f"第 {line_no} 行{label}（{name}）“{value}”不是数字"})
        return None
    return number


def _places(value: Decimal) -> int:
    return max(-value.normalize().as_tuple().exponent, 0)


def _check_line(episode: Episode, line: ChargeInput, errors: list) -> tuple | None:
    n = line.line_no
    before = len(errors)
    if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= MAX_LINE_NO:
        errors.append({"line_no": n if isinstance(n, int) and 0 < n <= MAX_LINE_NO else None, "field": "line_no",
                       "message": f"明细序号（line_no）“{n}”应为 1 到 {MAX_LINE_NO} 之间的整数"})
        return None
    if not (line.facility_item_code or "").strip():
        errors.append({"line_no": n, "field": "facility_item_code", "message": f"第 {n} 行院内编码不能为空"})
    check_length("facility_item_code", line.facility_item_code or "", n, errors)
    check_length("item_name", line.item_name or "", n, errors)
    qty = _dec(line.quantity, n, "quantity", "数量", errors)
    price = _dec(line.unit_price, n, "unit_price", "单价", errors)
    amount = _dec(line.amount, n, "amount", "金额", errors)
    if None in (qty, price, amount):
        return None
    if qty <= 0:
        errors.append({"line_no": n, "field": "quantity", "message": f"第 {n} 行数量应大于 0"})
    elif qty < MIN_QUANTITY or _places(qty) > 4 or qty > MAX_QUANTITY:
        errors.append({"line_no": n, "field": "quantity",
                       "message": f"第 {n} 行数量（quantity）{qty} 应在 {MIN_QUANTITY} 到 {MAX_QUANTITY} 之间，最多 4 位小数"})
        return None
    if price < 0:
        errors.append({"line_no": n, "field": "unit_price", "message": f"第 {n} 行单价不能为负数"})
    elif _places(price) > 4 or price > MAX_UNIT_PRICE:
        errors.append({"line_no": n, "field": "unit_price",
                       "message": f"第 {n} 行单价（unit_price）{price} 最多 4 位小数，且不超过 {MAX_UNIT_PRICE}"})
        return None
    if amount <= 0:
        errors.append({"line_no": n, "field": "amount", "message": f"第 {n} 行金额应大于 0（退费请冲正后重传）"})
    elif amount > MAX_LINE_AMOUNT:
        errors.append({"line_no": n, "field": "amount", "message": f"第 {n} 行金额 {amount} 超过单行上限 {MAX_LINE_AMOUNT}，疑为录入错误"})
    elif amount != round_amount(amount) or abs(round_amount(qty * price) - amount) > Decimal("0.01"):
        errors.append({"line_no": n, "field": "amount",
                       "message": f"第 {n} 行金额 {amount} 与 数量×单价（{qty}×{price}）不符"})
    # An outpatient visit is one day: its charges carry the visit date.
    end = episode.admission_date if episode.kind == EpisodeKind.OUTPATIENT else (episode.discharge_date or today())
    if not episode.admission_date <= line.charged_on <= end:
        errors.append({"line_no": n, "field": "charged_on",
                       "message": f"第 {n} 行费用日期 {line.charged_on} 不在就诊期间（{episode.admission_date} 至 {end}）"})
    return None if len(errors) > before else (qty, price, amount)


@transaction.atomic
def charges_upload(*, actor: User, episode: Episode, lines: list[ChargeInput]) -> UploadResult:
    """Upload a batch of bill lines. The batch is all or nothing: one bad line refuses the batch with every
    line's problem listed. A line number already uploaded with the same content is "unchanged"."""
    facility = desk_facility(actor)
    if episode.facility_id != facility.pk:
        raise NotFound("就诊记录", episode.serial)
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.status in (EpisodeStatus.SETTLED, EpisodeStatus.CANCELLED):
        raise ValidationFailed("episode_closed", f"就诊 {episode.serial} {episode.get_status_display()}，不能再上传费用；"
                               "如需更正请先冲正结算", field="episode")
    if not lines:
        raise ValidationFailed("required", "没有费用明细", field="lines")
    if len(lines) > MAX_LINES_PER_BATCH:
        raise ValidationFailed("too_many", f"每批最多 {MAX_LINES_PER_BATCH} 行，请分批上传", field="lines")
    result = UploadResult()
    seen, checked = set(), {}
    for line in lines:
        if line.line_no in seen:
            result.errors.append({"line_no": line.line_no, "field": "line_no", "message": f"明细序号 {line.line_no} 在本批中重复"})
            continue
        seen.add(line.line_no)
        values = _check_line(episode, line, result.errors)
        if values is not None:
            checked[line.line_no] = (line, values)
    items: dict[int, object] = {}
    for day in sorted({line.charged_on for line, _ in checked.values()}):
        todays = [line for line, _ in checked.values() if line.charged_on == day]
        resolution = charges_resolve(facility=facility, facility_item_codes=[ln.facility_item_code for ln in todays],
                                     on=day)
        for line in todays:
            code = line.facility_item_code
            if code in resolution.resolved:
                items[line.line_no] = resolution.resolved[code]
            else:
                why = "未对照" if code in resolution.unmapped else "对照的目录项目在该日未生效"
                result.errors.append({"line_no": line.line_no, "field": "facility_item_code",
                                      "message": f"第 {line.line_no} 行院内编码 {code} {why}，不能结算（系统不猜测对照）"})
    existing = {c.line_no: c for c in ChargeLine.with_withdrawn.filter(episode=episode, line_no__in=list(checked))}
    new_rows = []
    for line_no, (line, (qty, price, amount)) in checked.items():
        item = items.get(line_no)
        if item is None:
            continue
        old = existing.get(line_no)
        if old is not None and old.withdrawn:
            result.errors.append({"line_no": line_no, "field": "line_no",
                                  "message": f"明细序号 {line_no} 已撤销（{old.withdrawn_reason}），序号不能再用；"
                                  "更正后的明细请用新的明细序号上传"})
            continue
        if old is not None:
            same = (old.facility_item_code, old.charged_on, old.quantity, old.unit_price, old.amount) == (
                line.facility_item_code, line.charged_on, qty, price, amount)
            if same:
                result.unchanged += 1
            else:
                result.errors.append({"line_no": line_no, "field": "line_no",
                                      "message": f"明细序号 {line_no} 已上传过不同的内容，不能覆盖；如需更正请撤销该明细，"
                                      "再用新的明细序号上传"})
            continue
        new_rows.append(ChargeLine(
            episode=episode, line_no=line_no, facility_item_code=line.facility_item_code, item_name=line.item_name,
            charged_on=line.charged_on, quantity=qty, unit_price=price, amount=amount, catalogue_code=item.code,
            catalogue_class=item.catalogue_class, first_self_pay_share=item.first_self_pay_share,
            price_limit=item.price_limit,
        ))
    if result.errors:
        result.errors.sort(key=lambda e: (e["line_no"] if isinstance(e["line_no"], int) else 0))
        result.added = 0
        transaction.set_rollback(True)
        return result
    ChargeLine.objects.bulk_create(new_rows)
    if new_rows:
        facts.refresh_episode(episode.pk)  # the drug cost its reversed settlement rows (if any) count
    result.added = len(new_rows)
    if new_rows:
        audit_record(actor=actor, action="episode.charges", obj=episode, facility_code=facility.code,
                     after={"added": result.added, "unchanged": result.unchanged,
                            "lines": [r.line_no for r in new_rows][:50],
                            "amount": sum((r.amount for r in new_rows), Decimal("0"))})
    return result


@transaction.atomic
def charge_withdraw(*, actor: User, episode: Episode, line_no: int, reason: str) -> ChargeLine:
    """撤销明细: the line stays on file, marked withdrawn (who, when, why), and no longer counts — not in the
    totals, the engine's input or the voucher. The corrected line is uploaded under a new line number."""
    reason = reason_required(reason, "撤销明细")
    facility, episode = open_episode(actor, episode, "撤销明细")
    line = ChargeLine.with_withdrawn.select_for_update().filter(episode=episode, line_no=line_no).first()
    if line is None:
        raise NotFound("费用明细", f"{episode.serial} 第 {line_no} 行")
    if line.withdrawn:
        raise ValidationFailed("already_withdrawn", f"明细序号 {line_no} 已于 {timezone.localtime(line.withdrawn_at):%Y-%m-%d %H:%M} "
                               "撤销，不能重复撤销", field="line_no")
    line.withdrawn_at, line.withdrawn_by, line.withdrawn_reason = timezone.now(), actor, reason
    line.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    facts.refresh_episode(episode.pk)  # the drug cost its reversed settlement rows count
    audit_record(actor=actor, action="episode.charge_withdraw", obj=episode, reason=reason,
                 facility_code=facility.code, region_code=episode.household.region.code,
                 before={"line_no": line.line_no, "facility_item_code": line.facility_item_code,
                         "item_name": line.item_name, "amount": line.amount},
                 after={"line_no": line.line_no, "withdrawn": True})
    return line

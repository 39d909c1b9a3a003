"""Money: Decimal yuan to the fen, one rounding function, Chinese capitals for receipts and vouchers.

Pure Python (no Django), shared by the benefit engine, the ledger and every printed document.

Rounding is ROUND_HALF_UP (四舍五入): a tie goes away from zero, as Chinese finance offices and the
hospital systems they reconcile with round, and a negative amount (a reversal) rounds to exactly the
negation of the positive one, so a reversal always cancels its settlement to the fen. Banker's rounding
(ROUND_HALF_EVEN) would be kinder to large sums but would disagree with every hand-worked slip. A scheme may
round a reimbursement to the 角 or 元 instead of the fen; all rounding goes through `round_amount`.

Floats never become money: every parser here raises TypeError on a float, because 0.1 + 0.2 is not 0.3."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

FEN = Decimal("0.01")
JIAO = Decimal("0.1")
YUAN = Decimal("1")
ZERO = Decimal("0.00")


class Rounding(StrEnum):
    FEN = "fen"  # 分
    JIAO = "jiao"  # 角
    YUAN = "yuan"  # 元


_QUANTUM = {"fen": FEN, "jiao": JIAO, "yuan": YUAN}


def round_amount(value: Decimal, rule: Rounding | str = Rounding.FEN) -> Decimal:
    """The one rounding function: half up to the fen, 角 or 元, always returned with two decimals."""
    if value.__class__ is not Decimal:
        if isinstance(value, float):
            raise TypeError("金额不得使用浮点数")
        value = Decimal(value)
    if rule == "fen":  # the common case first: the engine rounds a dozen amounts per settlement
        return value.quantize(FEN, ROUND_HALF_UP)
    quantum = _QUANTUM.get(rule)
    if quantum is None:
        raise ValueError(f"舍入规则“{rule}”应为 fen、jiao 或 yuan")
    return value.quantize(quantum, ROUND_HALF_UP).quantize(FEN)


def parse_decimal(value) -> Decimal:
    """A number from str/int/Decimal (a rate, a quantity, an amount). Refuses floats and booleans
    (TypeError) and text that is not a finite number (ValueError)."""
    if isinstance(value, float):
        raise TypeError("金额和比例不得使用浮点数，请写成带引号的文本（如 \"0.20\"、\"12.50\"）或整数")
    if isinstance(value, bool):
        raise TypeError("应为数字，不能是布尔值")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"“{value}”不是有效的数字") from exc
    else:
        raise TypeError(f"应为数字文本或整数，读到 {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"“{value}”不是有效的数字")
    return number


def money(value) -> Decimal:
    """Parse an amount from str/int/Decimal to the fen; refuses floats and anything finer than a fen."""
    amount = parse_decimal(value)
    if amount != amount.quantize(FEN):
        raise ValueError(f"金额“{value}”精确到分以下，无法记账")
    return amount.quantize(FEN)


def to_fen(amount: Decimal) -> int:
    """Decimal yuan → integer fen, for vectorised code. The amount must already be whole fen."""
    if isinstance(amount, float):
        raise TypeError("金额不得使用浮点数")
    fen = Decimal(amount) * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"金额 {amount} 不是整分")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("分必须是整数")
    return (Decimal(fen) / 100).quantize(FEN)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def _section(n: int) -> str:
    """0 < n < 10000 → e.g. 1005 → 壹仟零伍."""
    out, zero = [], False
    for power in range(3, -1, -1):
        digit = n // 10**power % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _UNITS[power])
    return "".join(out)


def chinese_capital(amount: Decimal) -> str:
    """人民币大写 as on Chinese receipts: 1234.56 → 壹仟贰佰叁拾肆元伍角陆分; 4000 → 肆仟元整."""
    if isinstance(amount, float):
        raise TypeError("金额不得使用浮点数")
    amount = round_amount(Decimal(amount))
    if amount < 0:
        return "负" + chinese_capital(-amount)
    fen_total = int((amount * 100).to_integral_value(rounding=ROUND_DOWN))
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "零元整"
    parts = []
    if yuan:
        sections, n = [], yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        text, need_zero = "", False
        for index in range(len(sections) - 1, -1, -1):
            value = sections[index]
            if value == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or value < 1000):
                text += "零"
            text += _section(value) + _SECTIONS[index]
            need_zero = False
        parts.append(text + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif yuan and fen:
        parts.append("零")
    if fen:
        parts.append(_DIGITS[fen] + "分")
    elif not jiao:
        parts.append("整")  # 到元为止写“整”；到角为止可不写（人民银行票据填写规定）
    return "".join(parts)


def format_yuan(amount) -> str:
    """An amount as people read it on a page or a printout: thousands separators and two decimals, a minus sign
    for a negative amount (a reversal): 1234.5 → 1,234.50; -380 → -380.00. Exact: the Decimal is rounded by
    `round_amount` and formatted digit by digit, never through a float."""
    if isinstance(amount, float):
        raise TypeError("金额不得使用浮点数")
    value = round_amount(parse_decimal(amount))
    if value == 0:
        value = ZERO  # never "-0.00"
    return f"{value:,.2f}"

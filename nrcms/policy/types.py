"""What goes into a settlement and what comes out: frozen dataclasses, Decimal money, no Django.

In: an `Episode` (an admission or an outpatient visit with its itemised `ChargeItem`s), the person's
`PersonCategories` and their `YearToDate` totals. Out: a `Settlement` with every layer's `LayerPayment`,
the `ExplanationLine`s a patient reads, and `ytd_after` to feed the next episode."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import NamedTuple

from nrcms.core.money import ZERO, format_yuan, parse_decimal

from .errors import Refusal

INPATIENT, OUTPATIENT = "inpatient", "outpatient"
LEVELS = ("village", "township", "county", "prefecture", "province")
CATALOGUE_CLASSES = ("A", "B", "C", None)  # 甲, 乙, 丙, outside the catalogue


@dataclass(frozen=True, slots=True)
class ChargeItem:
    """One bill line. catalogue_class: "A" 甲, "B" 乙, "C" 丙, or None for an item outside the catalogue.
    `amount` is the line's total; `price_limit` is per unit, so the ceiling is price_limit × quantity."""

    code: str
    amount: Decimal
    catalogue_class: str | None = "A"
    first_self_pay_share: Decimal = ZERO  # 乙类先行自付比例, e.g. 0.20
    quantity: Decimal = Decimal("1")
    price_limit: Decimal | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Episode:
    """One admission or outpatient visit.

    For an interim settlement (中途结算) of a long stay, `interim` is set and `discharge_date` is the date the
    part is settled up to; the next part is a `continuation` of the same stay, with `stay_eligible_before`
    the in-policy cost already settled in the earlier parts (so the deductible is paid once and the tiers
    run over the whole stay)."""

    kind: str  # inpatient | outpatient
    facility_level: str  # village | township | county | prefecture | province
    admission_date: dt.date
    charges: tuple[ChargeItem, ...]
    discharge_date: dt.date | None = None
    in_county: bool = True
    designated: bool = True
    referred: bool = False
    diagnosis_code: str = ""
    interim: bool = False
    continuation: bool = False
    stay_eligible_before: Decimal = ZERO
    # Whether the person holds a chronic-disease certificate (慢性病认定) for this diagnosis on the visit's day,
    # issued by a designated facility: the caller reads its register. It matters only when the scheme's
    # chronic rule says `certification_required`; True by default so an engine file without it is unchanged.
    chronic_certified: bool = True

    @property
    def date(self) -> dt.date:
        return self.discharge_date or self.admission_date

    @property
    def days(self) -> int:
        return (self.date - self.admission_date).days

    @property
    def total_cost(self) -> Decimal:
        total = ZERO
        for c in self.charges:
            total += c.amount
        return total


@dataclass(frozen=True, slots=True)
class PersonCategories:
    """The person's identity categories on the episode's date: wubao, tekun, dibao, registered_poor, …"""

    categories: frozenset[str] = frozenset()


Person = PersonCategories  # the name the claims app imports


@dataclass(frozen=True, slots=True)
class YearToDate:
    """A person's totals in the scheme year before this episode (and the household's family account).
    The caller starts each scheme year from zeros; the engine never guesses which year an episode is in."""

    admissions: int = 0
    inpatient_cost: Decimal = ZERO
    basic_paid: Decimal = ZERO  # inpatient basic fund incl. fixed-fee packages: counts against the annual cap
    outpatient_pooling_paid: Decimal = ZERO
    outpatient_paid_today: Decimal = ZERO  # pooling already paid this person on the visit's day
    chronic_paid: Decimal = ZERO
    catastrophic_base: Decimal = ZERO  # the base accumulated toward the catastrophic insurance's deductible
    catastrophic_paid: Decimal = ZERO
    assistance_base: Decimal = ZERO  # the base accumulated toward medical assistance's yearly threshold
    assistance_paid: Decimal = ZERO
    safety_net_paid: Decimal = ZERO
    family_account_balance: Decimal = ZERO  # the household's balance, rolls over from year to year
    # The scheme year these totals belong to (the admission's year). None only for callers that start from
    # zeros; a file of totals must carry it, and `settle` refuses totals of another year than the episode's.
    year: int | None = None

    def to_dict(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> YearToDate:
        """From a plain mapping (a YAML/JSON file); unknown names and floats are refused."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"累计数据中有不认识的字段：{', '.join(sorted(unknown))}")
        values = {}
        for key, value in data.items():
            if key == "year":
                if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2200:
                    raise ValueError(f"累计数据字段 year：应为年度（如 2026），读到 {value!r}")
                values[key] = value
                continue
            try:
                number = parse_decimal(value)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"累计数据字段 {key}：{exc}") from exc
            if key == "admissions":
                if number != number.to_integral_value() or number < 0:
                    raise ValueError(f"累计数据字段 admissions：住院次数应为非负整数，读到 {value}")
                values[key] = int(number)
            else:
                values[key] = number
        return cls(**values)

    def plus(self, **amounts) -> YearToDate:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, amount in amounts.items():
            values[key] += amount
        return YearToDate(**values)


class ExplanationLine(NamedTuple):
    """One explanation line: a step code, a Chinese sentence with its numbers, and the amount it yields.

    The sentence is kept as a template and its values and formatted only when read: a simulation settling a
    million claims never pays for text it does not print. `{:%}` shows a Decimal rate as a percentage.
    A NamedTuple rather than a frozen dataclass (equally immutable), because a settlement makes a dozen of
    them and a frozen dataclass costs seven times as much to build (bench/bench_settle.py)."""

    step: str
    template: str
    amount: Decimal | None = None
    args: tuple = ()

    @property
    def text(self) -> str:
        return self.template.format(*shown_args(self.template, self.args)) if self.args else self.template

    def to_dict(self) -> dict:
        return {"step": self.step, "text": self.text, "amount": plain(self.amount)}


Line = ExplanationLine  # the name the claims app imports

_FIELDS = string.Formatter()


def shown_args(template: str, args: tuple) -> tuple:
    """The values as a reader sees them: an amount (a Decimal kept to the fen) with thousands separators,
    40,676.50; a rate ({:%}), a band's bound (1000) or a count as it is."""
    specs = [spec for _, name, spec, _ in _FIELDS.parse(template) if name is not None]
    return tuple(format_yuan(arg) if i < len(specs) and not specs[i] and isinstance(arg, Decimal)
                 and arg.as_tuple().exponent == -2 else arg for i, arg in enumerate(args))


class TierPart(NamedTuple):
    """One band of the tier computation: the part of the cost in [lower, upper) at `rate`."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    paid: Decimal  # base × rate, to the fen

    def to_dict(self) -> dict:
        return {name: plain(value) for name, value in zip(self._fields, self, strict=True)}


LAYER_LABELS = {
    "basic": "基本医疗补偿", "fixed_fee": "单病种定额", "subsidy": "定额补助", "catastrophic": "大病保险",
    "assistance": "医疗救助", "safety_net": "兜底保障", "family_account": "家庭账户", "outpatient_pooling": "门诊统筹",
    "chronic": "门诊慢性病",
}


class LayerPayment(NamedTuple):
    """What one layer paid and on which base (what was left to the patient when the layer's turn came)."""

    layer: str  # a key of LAYER_LABELS
    base: Decimal
    paid: Decimal

    @property
    def label(self) -> str:
        return LAYER_LABELS[self.layer]

    def to_dict(self) -> dict:
        return {"layer": self.layer, "label": self.label, "base": plain(self.base), "paid": plain(self.paid)}


@dataclass(frozen=True, slots=True)
class Settlement:
    """The result. Invariant: fund_total + self_pay + facility_borne == total_cost, to the fen.

    `basic` is the inpatient basic reimbursement, or for a visit outpatient pooling plus chronic-disease
    payment (the claims app stores it in one column); `layer_payments` keeps them apart."""

    scheme_id: str
    scheme_version: str  # content hash of the parameters used
    scheme_effective: dt.date
    kind: str
    total_cost: Decimal
    excluded: dict[str, Decimal]  # category_c, out_of_catalogue, category_b, over_price_limit, first_self_pay
    eligible_cost: Decimal  # in-policy cost (for a fixed-fee package: the package price)
    deductible: Decimal
    tiers: tuple[TierPart, ...]
    basic_before_cap: Decimal
    basic: Decimal
    family_account: Decimal
    fixed_fee: Decimal
    subsidy: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    fund_total: Decimal
    self_pay: Decimal
    facility_borne: Decimal
    effective_ratio: Decimal  # pooled funds ÷ total_cost (fund_total less the family account), 4 places
    refused: tuple[str, ...]  # Refusal codes; empty when the claim is payable
    lines: tuple[ExplanationLine, ...]
    ytd_after: YearToDate
    package: str = ""
    layer_payments: tuple[LayerPayment, ...] = field(default=())

    @property
    def layers(self) -> dict[str, Decimal]:
        return {"basic": self.basic, "family_account": self.family_account, "fixed_fee": self.fixed_fee,
                "subsidy": self.subsidy, "catastrophic": self.catastrophic, "assistance": self.assistance,
                "safety_net": self.safety_net}

    @property
    def refusal_messages(self) -> tuple[str, ...]:
        return tuple(Refusal(code).message for code in self.refused)

    def to_dict(self) -> dict:
        """JSON-ready: Decimals and dates as strings, lines and layers as lists of mappings."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("tiers", "lines", "layer_payments"):
                value = [item.to_dict() for item in value]
            elif f.name == "ytd_after":
                value = value.to_dict()
            elif f.name == "excluded":
                value = {k: plain(v) for k, v in value.items()}
            elif f.name == "refused":
                value = [str(code) for code in value]
            else:
                value = plain(value)
            out[f.name] = value
        out["refusal_messages"] = list(self.refusal_messages)
        return out


def plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

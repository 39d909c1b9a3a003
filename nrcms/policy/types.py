"""What goes into a settlement and what comes out: frozen dataclasses, Decimal money, no Django."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from nrcms.core.money import ZERO

INPATIENT, OUTPATIENT = "inpatient", "outpatient"
LEVELS = ("village", "township", "county", "prefecture", "province")


@dataclass(frozen=True, slots=True)
class ChargeItem:
    """One bill line. catalogue_class: "A" 甲, "B" 乙, "C" 丙, or None for an item outside the catalogue."""

    code: str
    amount: Decimal
    catalogue_class: str | None = "A"
    first_self_pay_share: Decimal = ZERO
    quantity: Decimal = Decimal("1")
    price_limit: Decimal | None = None  # per unit
    name: str = ""


@dataclass(frozen=True, slots=True)
class Episode:
    kind: str  # inpatient | outpatient
    facility_level: str  # village | township | county | prefecture | province
    admission_date: dt.date
    charges: tuple[ChargeItem, ...]
    discharge_date: dt.date | None = None
    in_county: bool = True
    designated: bool = True
    referred: bool = False
    diagnosis_code: str = ""
    interim: bool = False  # 中途结算: a long stay settled in parts; continuations pay no new deductible
    continuation: bool = False

    @property
    def date(self) -> dt.date:
        return self.discharge_date or self.admission_date

    @property
    def total_cost(self) -> Decimal:
        total = ZERO
        for c in self.charges:
            total += c.amount
        return total


@dataclass(frozen=True, slots=True)
class Person:
    categories: frozenset[str] = frozenset()  # wubao, tekun, dibao, registered_poor, disabled, …


@dataclass(frozen=True, slots=True)
class YearToDate:
    """A person's totals in the scheme year before this episode (and the household's family account)."""

    admissions: int = 0
    inpatient_cost: Decimal = ZERO
    basic_paid: Decimal = ZERO  # inpatient basic fund, counts against the annual cap
    outpatient_pooling_paid: Decimal = ZERO
    outpatient_paid_today: Decimal = ZERO  # pooling already paid this person on the visit's day
    chronic_paid: Decimal = ZERO
    catastrophic_base: Decimal = ZERO  # in-policy self-pay accumulated toward the catastrophic deductible
    catastrophic_paid: Decimal = ZERO
    assistance_base: Decimal = ZERO
    assistance_paid: Decimal = ZERO
    safety_net_paid: Decimal = ZERO
    family_account_balance: Decimal = ZERO  # the household's balance, rolls over

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> YearToDate:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"累计数据中有未知字段：{', '.join(sorted(unknown))}")
        values = {}
        for key, value in data.items():
            if isinstance(value, float):
                raise TypeError(f"累计数据字段 {key} 不得使用浮点数")
            values[key] = int(value) if key == "admissions" else Decimal(str(value))
        return cls(**values)

    def plus(self, **amounts) -> YearToDate:
        return replace(self, **{k: getattr(self, k) + v for k, v in amounts.items()})


@dataclass(frozen=True, slots=True)
class Line:
    """One explanation line: a step code, a Chinese sentence with its numbers, and the amount it yields."""

    step: str
    text: str
    amount: Decimal | None = None

    def to_dict(self) -> dict:
        return {"step": self.step, "text": self.text, "amount": _plain(self.amount)}


@dataclass(frozen=True, slots=True)
class TierPart:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    paid: Decimal

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Settlement:
    scheme_id: str
    scheme_version: str  # content hash of the parameters used
    scheme_effective: dt.date
    kind: str
    total_cost: Decimal
    excluded: dict[str, Decimal]  # reason → amount: category_c, out_of_catalogue, over_price_limit, first_self_pay
    eligible_cost: Decimal
    deductible: Decimal
    tiers: tuple[TierPart, ...]
    basic_before_cap: Decimal
    basic: Decimal  # inpatient basic fund or outpatient pooling
    family_account: Decimal
    fixed_fee: Decimal
    subsidy: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    fund_total: Decimal
    self_pay: Decimal
    facility_borne: Decimal
    effective_ratio: Decimal  # fund_total ÷ total_cost, 4 places
    refused: tuple[str, ...]  # refusal codes; empty when paid
    lines: tuple[Line, ...]
    ytd_after: YearToDate
    package: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def layers(self) -> dict[str, Decimal]:
        return {"basic": self.basic, "family_account": self.family_account, "fixed_fee": self.fixed_fee,
                "subsidy": self.subsidy, "catastrophic": self.catastrophic, "assistance": self.assistance,
                "safety_net": self.safety_net}

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "tiers":
                value = [t.to_dict() for t in value]
            elif f.name == "lines":
                value = [line.to_dict() for line in value]
            elif f.name == "ytd_after":
                value = value.to_dict()
            elif f.name == "excluded":
                value = {k: _plain(v) for k, v in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            else:
                value = _plain(value)
            out[f.name] = value
        return out


def _plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

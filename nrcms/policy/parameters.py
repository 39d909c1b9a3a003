"""The parameters of one scheme version, as frozen dataclasses validated by pydantic when a file is loaded.

Validation runs once, when the dataclass is built; after that an instance is a plain frozen dataclass
(tuples for lists, read-only mappings for the by-level tables), so the settlement hot path reads ordinary
attributes and nothing can change a scheme after its content hash was taken.

Money and rates are Decimal written as text ("300", "0.20") or integers; a YAML float (0.2) is refused,
because a float cannot hold 0.2 exactly and the county's number must be the number the engine uses."""

from __future__ import annotations

import re
from dataclasses import field
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.dataclasses import dataclass

from nrcms.core.money import round_amount


def _no_float(value):
    if isinstance(value, float):
        raise ValueError("金额和比例须写成带引号的文本（如 \"0.20\"、\"300\"），不接受浮点数")
    if isinstance(value, bool):
        raise ValueError("应为数字文本，不能是 true/false")
    return value


def _to_fen(value: Decimal) -> Decimal:
    return round_amount(value)  # only pads: Field(decimal_places=2) already refused anything finer


Amount = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, max_digits=14, decimal_places=2),
                   AfterValidator(_to_fen)]
Rate = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, le=1)]
Change = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=-1, le=1)]
Level = Literal["village", "township", "county", "prefecture", "province"]
# The person categories the registry knows (nrcms.registry.models.Category; a test keeps the two equal). A scheme
# naming another code — a typo like `registered-poor` — would quietly pay nobody that layer, so it is refused.
CATEGORY_LABELS = {"wubao": "五保户", "tekun": "特困供养", "dibao": "低保", "registered_poor": "建档立卡贫困户",
                   "disabled": "残疾人", "martyr_family": "优抚对象", "monitored": "监测户"}
ICD10_PREFIX = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"


def _known_categories(codes):
    unknown = [c for c in codes if c not in CATEGORY_LABELS]
    if unknown:
        raise ValueError(f"不认识的人员类别代码“{'、'.join(unknown)}”：应为 {'、'.join(CATEGORY_LABELS)} 之一"
                         "（写错的类别不会报错，却会让该类人员悄悄享受不到这一层补偿）")
    return codes


def _icd10(codes):
    bad = [c for c in codes if not re.match(ICD10_PREFIX, c)]
    if bad:
        raise ValueError(f"诊断编码“{'、'.join(bad)}”不是 ICD-10 编码或前缀（如 I10、O80、K35.9）")
    return codes


DiagnosisCodes = Annotated[tuple[str, ...], Field(min_length=1), AfterValidator(_icd10)]  # ICD-10 prefixes
CategoryCodes = Annotated[tuple[str, ...], Field(min_length=1), AfterValidator(_known_categories)]
LEVEL_LABELS = {"village": "村卫生室", "township": "乡镇卫生院", "county": "县级医院", "prefecture": "市级医院",
                "province": "省级医院"}
EMPTY = MappingProxyType({})
STRICT = ConfigDict(extra="forbid")


def _frozen(mapping: dict) -> MappingProxyType:
    return MappingProxyType(dict(mapping))


def _none() -> MappingProxyType:
    return EMPTY


@dataclass(frozen=True, slots=True, config=STRICT)
class Tier:
    rate: Rate
    upto: Amount | None = None  # upper bound of the band in eligible cost; None = no bound (last band)


def _check_tiers(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    bounds = [t.upto for t in tiers]
    if any(b is None for b in bounds[:-1]):
        raise ValueError("只有最后一段可以不设上限（upto）")
    if bounds[-1] is not None:
        raise ValueError("最后一段不能设上限：费用再高也要有比例")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(finite) or len(set(finite)) != len(finite):
        raise ValueError("分段上限（upto）必须逐段递增")
    return tiers


TierList = Annotated[tuple[Tier, ...], Field(min_length=1), AfterValidator(_check_tiers)]
# Tables keyed by facility level, read-only once loaded.
LevelTiers = Annotated[dict[Level, TierList], AfterValidator(_frozen)]
LevelAmounts = Annotated[dict[Level, Amount], AfterValidator(_frozen)]


@dataclass(frozen=True, slots=True, config=STRICT)
class TierTable:
    """Rates by facility level; `out_of_county` tables take precedence for care outside the county."""

    default: TierList
    by_level: LevelTiers = field(default_factory=_none)
    out_of_county: LevelTiers = field(default_factory=_none)

    def for_episode(self, level: str, in_county: bool) -> tuple[Tier, ...]:
        if not in_county and level in self.out_of_county:
            return self.out_of_county[level]
        return self.by_level.get(level, self.default)

    def all(self):
        yield self.default
        yield from self.by_level.values()
        yield from self.out_of_county.values()


@dataclass(frozen=True, slots=True, config=STRICT)
class Deductible:
    default: Amount
    by_level: LevelAmounts = field(default_factory=_none)
    non_designated: Amount | None = None
    out_of_county: Amount | None = None
    out_of_county_unreferred: Amount | None = None  # a higher deductible for care without referral
    subsequent_factor: Rate = Decimal("1")  # second and later admissions in the year pay this share of it
    subsequent_by_level: LevelAmounts = field(default_factory=_none)


@dataclass(frozen=True, slots=True, config=STRICT)
class Adjustment:
    """How a situation (non-designated, out of county with/without referral, unreferred) changes the rates."""

    refuse: bool = False
    rate_change: Change = Decimal("0")  # added to every tier rate ("-0.10" = 10 points less), kept in 0–100 %


NO_ADJUSTMENT = Adjustment()


@dataclass(frozen=True, slots=True, config=STRICT)
class FixedFeePackage:
    code: str
    name: str
    diagnoses: DiagnosisCodes  # ICD-10 prefixes
    levels: Annotated[tuple[Level, ...], Field(min_length=1)]
    patient_amount: Amount
    fund_amount: Amount


@dataclass(frozen=True, slots=True, config=STRICT)
class FixedSubsidy:
    code: str
    name: str
    diagnoses: DiagnosisCodes
    amount: Amount
    counts_toward_cap: bool = False


@dataclass(frozen=True, slots=True, config=STRICT)
class Interim:
    """中途结算: a stay may be settled in parts once it has lasted `min_days`."""

    min_days: Annotated[int, Field(ge=1, strict=True)]


@dataclass(frozen=True, slots=True, config=STRICT)
class Inpatient:
    deductible: Deductible
    tiers: TierTable
    annual_cap: Amount
    annual_cap_non_designated: Amount | None = None
    non_designated: Adjustment = NO_ADJUSTMENT
    out_of_county_referred: Adjustment = NO_ADJUSTMENT
    out_of_county_unreferred: Adjustment = NO_ADJUSTMENT
    in_county_unreferred: Annotated[dict[Level, Adjustment], AfterValidator(_frozen)] = field(default_factory=_none)  # e.g. county hospital, no referral
    fixed_fee_packages: tuple[FixedFeePackage, ...] = ()
    subsidies: tuple[FixedSubsidy, ...] = ()
    interim: Interim | None = None

    @model_validator(mode="after")
    def _unique_codes(self):
        for kind, items in (("单病种", self.fixed_fee_packages), ("定额补助", self.subsidies)):
            codes = [i.code for i in items]
            if len(set(codes)) != len(codes):
                raise ValueError(f"{kind}代码（code）不能重复")
        return self


@dataclass(frozen=True, slots=True, config=STRICT)
class PoolingLevel:
    rate: Rate
    per_visit_cap: Amount | None = None
    per_day_cap: Amount | None = None  # all visits of one person on one day, at this level


@dataclass(frozen=True, slots=True, config=STRICT)
class OutpatientPooling:
    by_level: Annotated[dict[Level, PoolingLevel], AfterValidator(_frozen)]
    annual_cap: Amount | None = None  # per person per year, all levels together


@dataclass(frozen=True, slots=True, config=STRICT)
class Chronic:
    """门诊慢性病: visits for a listed diagnosis are paid at their own rate within their own annual cap.
    With `certification_required` only a person certified for the diagnosis (慢性病认定 by a designated
    facility, the county's register) gets that rate; anyone else's visit is an ordinary outpatient visit."""

    diagnoses: DiagnosisCodes
    rate: Rate
    annual_cap: Amount
    certification_required: bool = False


CostBase = Literal["in_policy_cost", "total_cost"]


@dataclass(frozen=True, slots=True, config=STRICT)
class Outpatient:
    mode: Literal["family_account", "pooling", "family_account_then_pooling"]
    pooling: OutpatientPooling | None = None
    chronic: Chronic | None = None
    in_county_only: bool = True
    family_account_pays: CostBase = "in_policy_cost"

    @model_validator(mode="after")
    def _pooling_needed(self):
        if self.mode != "family_account" and self.pooling is None:
            raise ValueError(f"门诊模式 {self.mode} 需要设置 pooling（门诊统筹）参数")
        return self


# What a layer after the basic scheme is computed on: what is left to the patient of the in-policy cost, or
# of the whole bill (out-of-policy items included). A scheme parameter, because counties differ.
LayerBase = Literal["in_policy_self_pay", "self_pay"]


@dataclass(frozen=True, slots=True, config=STRICT)
class Catastrophic:
    """大病保险: on what the basic scheme left to the patient, above a yearly deductible, tiered, capped."""

    deductible: Amount
    tiers: TierList
    annual_cap: Amount
    base: LayerBase = "in_policy_self_pay"


@dataclass(frozen=True, slots=True, config=STRICT)
class AssistanceCategory:
    rate: Rate
    annual_cap: Amount
    threshold: Amount = Decimal("0.00")  # yearly, on the accumulated base


@dataclass(frozen=True, slots=True, config=STRICT)
class Assistance:
    """医疗救助 by identity category; a person holding several takes the first listed here."""

    categories: Annotated[dict[str, AssistanceCategory], Field(min_length=1), AfterValidator(_known_categories),
                          AfterValidator(_frozen)]
    base: LayerBase = "in_policy_self_pay"


@dataclass(frozen=True, slots=True, config=STRICT)
class SafetyNet:
    """兜底: tops the listed categories up until their self-pay is at most (1 − ratio) of the base."""

    categories: CategoryCodes
    guaranteed_ratio: Rate
    base: CostBase = "in_policy_cost"


@dataclass(frozen=True, slots=True, config=STRICT)
class Ceiling:
    """All layers together pay at most `ratio` of the base for one episode."""

    ratio: Rate = Decimal("1")
    base: CostBase = "in_policy_cost"


@dataclass(frozen=True, slots=True, config=STRICT)
class Catalogue:
    """Which catalogue classes count (户县 widened 甲类 to 甲类 and 乙类 in 2005)."""

    eligible_classes: tuple[Literal["A", "B"], ...] = ("A", "B")


@dataclass(frozen=True, slots=True, config=STRICT)
class Parameters:
    inpatient: Inpatient
    rounding: Literal["fen", "jiao", "yuan"] = "fen"
    tier_convention: Literal["cumulative", "bracket"] = "cumulative"
    catalogue: Catalogue = Catalogue()
    outpatient: Outpatient | None = None
    catastrophic: Catastrophic | None = None
    assistance: Assistance | None = None
    safety_net: SafetyNet | None = None
    ceiling: Ceiling = Ceiling()

    @model_validator(mode="after")
    def _bracket_rates_rise(self):
        # Under 全额按档 a falling rate would make the fund pay less for a dearer stay; refuse such a table.
        if self.tier_convention == "bracket":
            for tiers in self.inpatient.tiers.all():
                rates = [t.rate for t in tiers]
                if rates != sorted(rates):
                    raise ValueError("全额按档（bracket）时各档比例不能随费用升高而降低，否则费用越高补偿越少")
        return self



LevelRates = Annotated[dict[Level, Rate], AfterValidator(_frozen)]
# Defaults when a scheme says nothing (docs/guide/facility-supervision.md): drug cost at most 45 % of a
# facility's discharged patients' cost (平罗 2004, seed 001); cost outside the policy at most 2 % at county
# level and below, 3 % at prefecture level and above (文山州 2018, seed 003); cost per admission growing at
# most 10 % on the same month a year before (an assumption: no seed names a figure).
DEFAULT_DRUG_SHARE = MappingProxyType(dict.fromkeys(("village", "township", "county", "prefecture", "province"),
                                                    Decimal("0.45")))
DEFAULT_OUT_OF_POLICY_SHARE = MappingProxyType({"village": Decimal("0.02"), "township": Decimal("0.02"),
                                                "county": Decimal("0.02"), "prefecture": Decimal("0.03"),
                                                "province": Decimal("0.03")})


def _default_drug_share() -> MappingProxyType:
    return DEFAULT_DRUG_SHARE


def _default_out_of_policy_share() -> MappingProxyType:
    return DEFAULT_OUT_OF_POLICY_SHARE


@dataclass(frozen=True, slots=True, config=STRICT)
class SupervisionThresholds:
    """监管指标阈值 for the facility scorecards: shares as rates (0.45 = 45 %), by facility level. Not part of
    the settlement parameters (they change no reimbursement, so no scheme version hash)."""

    drug_share: LevelRates = field(default_factory=_default_drug_share)
    out_of_policy_share: LevelRates = field(default_factory=_default_out_of_policy_share)
    cost_growth: Change = Decimal("0.10")

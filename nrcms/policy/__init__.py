"""The benefit engine (补偿计算). Pure Python: it never imports Django.

    from nrcms.policy import load_scheme_file, settle, Episode, ChargeItem, PersonCategories, YearToDate

    scheme_file = load_scheme_file("nrcms/policy/schemes/pingluo-2004.yaml")   # SchemeError if invalid
    scheme = scheme_file.for_episode(episode)        # the version in force (or pass scheme_file to settle)
    result = settle(episode, scheme, year_to_date, person=PersonCategories(frozenset({"dibao"})))
    result.fund_total, result.self_pay, result.layer_payments, result.lines, result.ytd_after, result.to_dict()

Inputs are frozen dataclasses (`Episode` with `ChargeItem`s, `PersonCategories`, `YearToDate`); the result
is a frozen `Settlement` whose `ytd_after` feeds the person's next episode. A refused claim is a Settlement
with `refused` codes (`Refusal`) and zero payment, never an exception; a broken scheme file raises
`SchemeError` naming the file, the path inside it and the problem. `scheme.params` holds the version's
parameters (`nrcms.policy.parameters`) for callers that need them, e.g. `scheme.params.outpatient.mode`."""

from .errors import Refusal, SchemeError
from .scheme import Scheme, SchemeFile, load_scheme_file, scheme_file_from_mapping, shipped_schemes
from .settle import scheme_for, settle
from .types import (
    ChargeItem,
    Episode,
    ExplanationLine,
    LayerPayment,
    Line,
    Person,
    PersonCategories,
    Settlement,
    TierPart,
    YearToDate,
)

__all__ = ["ChargeItem", "Episode", "ExplanationLine", "LayerPayment", "Line", "Person", "PersonCategories",
           "Refusal", "Scheme", "SchemeError", "SchemeFile", "Settlement", "TierPart", "YearToDate",
           "load_scheme_file", "scheme_file_from_mapping", "scheme_for", "settle", "shipped_schemes"]

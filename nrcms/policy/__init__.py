"""The benefit engine (补偿计算). Pure Python: it never imports Django.

    from nrcms.policy import load_scheme_file, settle, Episode, ChargeItem, Person, YearToDate

    scheme_file = load_scheme_file("nrcms/policy/schemes/pingluo-2004.yaml")
    result = settle(episode, scheme_file, year_to_date, person=person)   # → Settlement
    result.fund_total, result.self_pay, result.lines, result.ytd_after, result.to_dict()

`settle` also accepts one selected `Scheme` (`scheme_file.select(date)`). A refused claim is a Settlement
with `refused` codes and zero payment, never an exception; a broken scheme file raises `SchemeError`."""

from .errors import Refusal, SchemeError
from .scheme import Scheme, SchemeFile, load_scheme_file, shipped_schemes
from .settle import scheme_for, settle
from .types import ChargeItem, Episode, Line, Person, Settlement, YearToDate

__all__ = ["ChargeItem", "Episode", "Line", "Person", "Refusal", "Scheme", "SchemeError", "SchemeFile",
           "Settlement", "YearToDate", "load_scheme_file", "scheme_for", "settle", "shipped_schemes"]

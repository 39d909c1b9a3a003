"""Small builders for policy tests: a scheme from a few parameters, an admission or a visit in one line."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from nrcms.policy import ChargeItem, Episode, PersonCategories, Scheme, scheme_file_from_mapping

D = Decimal
BASE = {
    "rounding": "fen",
    "tier_convention": "cumulative",
    "inpatient": {"deductible": {"default": "300"}, "tiers": {"default": [{"rate": "0.50"}]}, "annual_cap": "10000"},
}


def merged(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def scheme(parameters: dict | None = None, **top) -> Scheme:
    """One version (effective 2020-01-01) of a test scheme: BASE with `parameters` merged in."""
    data = {"id": "test", "name": "测试方案", "county": "测试县", **top,
            "versions": [{"effective": "2020-01-01", "notice": "测试", "parameters": merged(BASE, parameters or {})}]}
    return scheme_file_from_mapping(data, source="test").versions[0]


def item(amount, klass="A", **kw) -> ChargeItem:
    return ChargeItem(code=kw.pop("code", "x"), amount=D(amount), catalogue_class=klass, **kw)


def admission(*amounts, level="county", on=dt.date(2020, 5, 20), days=10, **kw) -> Episode:
    charges = tuple(a if isinstance(a, ChargeItem) else item(a) for a in amounts)
    return Episode(kind="inpatient", facility_level=level, admission_date=on - dt.timedelta(days=days),
                   discharge_date=on, charges=charges, **kw)


def visit(*amounts, level="township", on=dt.date(2020, 5, 20), **kw) -> Episode:
    charges = tuple(a if isinstance(a, ChargeItem) else item(a) for a in amounts)
    return Episode(kind="outpatient", facility_level=level, admission_date=on, charges=charges, **kw)


def person(*categories: str) -> PersonCategories:
    return PersonCategories(frozenset(categories))

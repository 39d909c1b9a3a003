"""The laws every scheme must keep, checked over generated episodes (hypothesis)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from nrcms.policy import ChargeItem, Episode, Person, YearToDate, settle, shipped_schemes

SCHEMES = shipped_schemes()
LEVELS = ["township", "county", "prefecture", "province"]
CATEGORIES = ["wubao", "tekun", "dibao", "registered_poor", "disabled"]
YEAR = {"pingluo-2004": 2004, "pingluo-2005-proposal": 2005, "huxian-2005": 2005, "demo-layered-2020": 2020}

fen = st.integers(min_value=1, max_value=30_000_000).map(lambda n: Decimal(n) / 100)
charge = st.builds(
    lambda amount, klass, share, limit: ChargeItem(
        code="x", amount=amount, catalogue_class=klass,
        first_self_pay_share=share if klass == "B" else Decimal("0"),
        price_limit=limit),
    fen, st.sampled_from(["A", "A", "B", "C", None]), st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.2")]),
    st.one_of(st.none(), fen),
)


@st.composite
def episodes(draw, kind=None):
    scheme_id = draw(st.sampled_from(sorted(SCHEMES)))
    year = YEAR[scheme_id]
    kind = kind or draw(st.sampled_from(["inpatient", "inpatient", "outpatient"]))
    start = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 300)))
    episode = Episode(
        kind=kind, facility_level=draw(st.sampled_from(LEVELS if kind == "inpatient" else ["village", "township"])),
        admission_date=start, discharge_date=start + dt.timedelta(days=draw(st.integers(0, 40))),
        charges=tuple(draw(st.lists(charge, min_size=1, max_size=8))),
        in_county=draw(st.booleans()), designated=draw(st.booleans()), referred=draw(st.booleans()),
        diagnosis_code=draw(st.sampled_from(["", "I21.9", "K35.8", "O80.0", "I10.x", "H25.9"])),
    )
    person = Person(frozenset(draw(st.sets(st.sampled_from(CATEGORIES), max_size=2))))
    return SCHEMES[scheme_id], episode, person


@settings(max_examples=300, deadline=None)
@given(episodes())
def test_payment_never_exceeds_in_policy_cost_unless_a_fixed_amount(case):
    scheme, episode, person = case
    r = settle(episode, scheme, person=person)
    assert r.fund_total + r.self_pay + r.facility_borne == r.total_cost
    if not r.package and not r.subsidy:
        assert r.fund_total <= r.eligible_cost
    assert min(r.basic, r.catastrophic, r.assistance, r.safety_net, r.family_account, r.subsidy) >= 0


@settings(max_examples=200, deadline=None)
@given(episodes(kind="inpatient"), st.integers(min_value=1, max_value=2_000_000).map(lambda n: Decimal(n) / 100))
def test_payment_never_decreases_as_cost_rises(case, extra):
    scheme, episode, person = case
    more = Episode(**{**{f: getattr(episode, f) for f in episode.__dataclass_fields__},
                      "charges": episode.charges + (ChargeItem(code="more", amount=extra),)})
    low, high = settle(episode, scheme, person=person), settle(more, scheme, person=person)
    assert high.fund_total >= low.fund_total
    assert high.basic >= low.basic


@settings(max_examples=100, deadline=None)
@given(st.lists(episodes(kind="inpatient"), min_size=1, max_size=12))
def test_caps_hold_over_any_sequence_of_episodes_in_a_year(cases):
    by_scheme = {}
    for scheme, episode, person in cases:
        by_scheme.setdefault(scheme.id, (scheme, []))[1].append((episode, person))
    for scheme, items in by_scheme.values():
        ytd, paid, catastrophic = YearToDate(), Decimal("0"), Decimal("0")
        for episode, person in items:
            r = settle(episode, scheme, ytd, person=person)
            paid += r.basic + r.fixed_fee
            catastrophic += r.catastrophic
            version = scheme.select(episode.date) or scheme.versions[0]
            assert paid <= version.params.inpatient.annual_cap
            if version.params.catastrophic:
                assert catastrophic <= version.params.catastrophic.annual_cap
            assert r.ytd_after.basic_paid >= ytd.basic_paid
            ytd = r.ytd_after


@settings(max_examples=300, deadline=None)
@given(episodes(kind="inpatient"))
def test_each_layer_pays_no_more_than_what_is_left(case):
    scheme, episode, person = case
    r = settle(episode, scheme, person=person)
    left = r.eligible_cost - r.basic
    assert r.catastrophic <= max(left, 0)
    left -= r.catastrophic
    assert r.assistance <= max(left, 0)
    left -= r.assistance
    assert r.safety_net <= max(left, 0) or r.package


@settings(max_examples=100, deadline=None)
@given(episodes())
def test_settlement_is_deterministic_and_serialisable(case):
    import json

    scheme, episode, person = case
    a, b = settle(episode, scheme, person=person), settle(episode, scheme, person=person)
    assert a == b
    text = json.dumps(a.to_dict(), ensure_ascii=False)
    assert "e-" not in text.lower() or "scheme" in text  # no float formatting of amounts

"""The vectorised engine: `nrcms.policy`'s rules over columns of episodes, int64 fen, numpy.

`settle_columns(df, scheme)` settles every row of an episode frame (`columns.py`) under one scheme version
and returns the result columns, equal to the scalar engine's `settle` to the fen when each person's episodes
are fed to it in date order (tests/simulation/test_parity.py proves it on the engine's scenarios and on
random samples).

How it runs. Everything that does not depend on what the person was paid earlier in the year is computed
over all rows at once: the in-policy cost, refusals, the rate change for the situation, the admission's
ordinal in the year (a cumulative count per person), the deductible, the tiers, the scheme's rounding, the
fixed-fee package. What does depend on it — the annual caps, the catastrophic insurance's and the medical
assistance's yearly deductibles, the family account, outpatient daily and yearly caps — runs in *waves*: wave
k settles every person's k-th episode of the year at once, gathering and scattering per-person state arrays.
The number of waves is the largest number of episodes one person has in the year (tens), not the number of
episodes.

Money is integer fen. A rate is an integer over S = 10^k (k: the most decimal places of any rate in the
scheme), and `_round` rounds a fraction num/den half up to a quantum of 1, 10 or 100 fen — the integer form of
`nrcms.core.money.round_amount`, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from nrcms.policy.parameters import Parameters, Tier
from nrcms.policy.scheme import Scheme, canonical

from .columns import LEVELS, START_FIELDS

I64 = np.int64
QUANTUM = {"fen": 1, "jiao": 10, "yuan": 100}
RESULTS = ("refused", "eligible", "deductible", "basic_before_cap", "basic", "outpatient_pooling", "chronic",
           "family_account", "fixed_fee", "subsidy", "catastrophic", "assistance", "safety_net", "fund_total",
           "self_pay", "facility_borne")
FUND_LAYERS = ("basic", "outpatient_pooling", "chronic", "family_account", "fixed_fee", "subsidy", "catastrophic",
               "assistance", "safety_net")


def _round(num: np.ndarray, den: int, quantum: int = 1) -> np.ndarray:
    """num/den fen rounded half up to `quantum` fen (num ≥ 0): the integer form of round_amount."""
    return (2 * num + quantum * den) // (2 * quantum * den) * quantum


def _pay(num: np.ndarray, den: int, quantum: int, limit: np.ndarray) -> np.ndarray:
    """rules.rounding.pay: the raw amount num/den rounded the scheme's way, never above `limit`."""
    amount = np.minimum(_round(np.maximum(num, 0), den, quantum), limit)
    return np.where((num > 0) & (limit > 0), amount, 0)


def _decimals(params: Parameters) -> int:
    places = 2
    stack = [canonical(params)]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and "." in value:
            try:
                places = max(places, -Decimal(value).as_tuple().exponent)
            except ArithmeticError:
                continue
    return places


@dataclass(frozen=True)
class Fixed:
    """A scheme's numbers as integers: fen for amounts, units of 1/S for rates."""

    scale: int

    def rate(self, value: Decimal) -> int:
        scaled = value * self.scale
        if scaled != scaled.to_integral_value():
            raise ValueError(f"比例 {value} 的小数位数超出测算精度")
        return int(scaled)

    @staticmethod
    def fen(value: Decimal) -> int:
        return int(value * 100)


def _lookup(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct values and each row's index into them."""
    series = pl.Series(values) if not isinstance(values, pl.Series) else values
    distinct = series.unique(maintain_order=True).to_list()
    index = series.cast(pl.Enum(distinct)).to_physical().to_numpy().astype(np.int32)
    return distinct, index


def _matches(distinct: list[str], index: np.ndarray, prefixes: tuple[str, ...]) -> np.ndarray:
    """rules.fixed_fee.diagnosis_matches per row, computed once per distinct code."""
    upper = tuple(p.upper() for p in prefixes)
    table = np.array([bool(code) and code.upper().startswith(upper) for code in distinct] or [False], dtype=bool)
    return table[index]


def _tiers(eligible: np.ndarray, deductible: np.ndarray, tiers: tuple[Tier, ...], convention: str,
           change: np.ndarray | int, fx: Fixed) -> np.ndarray:
    """rules.tiers.tier_payment: each band to the fen, summed (cumulative), or the whole at one band (bracket)."""
    total = np.zeros(eligible.shape, I64)
    lower = 0
    if convention == "bracket":
        chosen = np.zeros(eligible.shape, bool)
        for tier in tiers:
            here = ~chosen if tier.upto is None else ~chosen & (eligible <= fx.fen(tier.upto))
            rate = np.clip(fx.rate(tier.rate) + change, 0, fx.scale)
            total = np.where(here, _round((eligible - deductible) * rate, fx.scale), total)
            chosen |= here
    else:
        for tier in tiers:
            start = np.maximum(lower, deductible)
            end = eligible if tier.upto is None else np.minimum(eligible, fx.fen(tier.upto))
            base = np.maximum(end - start, 0)
            rate = np.clip(fx.rate(tier.rate) + change, 0, fx.scale)
            total += _round(base * rate, fx.scale)
            if tier.upto is None:
                break
            lower = fx.fen(tier.upto)
    return np.where(eligible > deductible, total, 0)


def replay_order(person: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Rows by person, then date, then their place in the frame (a stable sort on one int64 key when the
    ids and dates fit in it, else a three-key lexsort)."""
    n = len(person)
    lo, hi = int(person.min()), int(person.max())
    first_day = int(date.min())
    span = int(date.max()) - first_day + 1
    if lo >= 0 and hi < (1 << 62) // span:
        return np.argsort(person.astype(I64) * span + (date - first_day), kind="stable")
    return np.lexsort((np.arange(n), date, person))


def _grouped_cumsum(values: np.ndarray, first: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Running totals per person (rows sorted by person): inclusive of the row."""
    running = np.cumsum(values)
    offset = running[first] - values[first]
    return running - offset[person]


def settle_columns(df: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Settle every row of an episode frame under one scheme version; result columns in the frame's order
    (fen, int64; `refused` boolean). Each person's rows are settled in date order (ties: frame order), from
    the person's start_ values (zeros when the frame has none), the same as `reference.replay_scalar`."""
    n = df.height
    if n == 0:
        return pl.DataFrame({name: pl.Series(name, [], dtype=pl.Boolean if name == "refused" else pl.Int64)
                             for name in RESULTS})
    p = scheme.params
    fx = Fixed(10 ** _decimals(p))
    q = QUANTUM[p.rounding]
    person_raw = df["person_id"].to_numpy()
    date_raw = df["date"].to_physical().to_numpy().astype(np.int32)
    order = replay_order(person_raw, date_raw)

    def col(name):
        return df[name].to_numpy()[order]

    person_sorted = person_raw[order]
    first_flag = np.empty(n, bool)
    first_flag[0] = True
    np.not_equal(person_sorted[1:], person_sorted[:-1], out=first_flag[1:])
    first = np.flatnonzero(first_flag)
    pcode = np.cumsum(first_flag) - 1
    rank = np.arange(n) - first[pcode]
    date = date_raw[order]
    inpatient = (df["kind"] == "inpatient").to_numpy()[order]
    level = _lookup_levels(df["facility_level"])[order]
    in_county, designated, referred = col("in_county"), col("designated"), col("referred")
    interim, continuation, has_charges = col("interim"), col("continuation"), col("has_charges")
    total = col("total").astype(I64)
    eligible = col("a_eligible").astype(I64)
    if "B" in p.catalogue.eligible_classes:
        eligible = eligible + col("b_eligible")
    diag_distinct, diag_index = _lookup(df["diagnosis_code"])
    diag_index = diag_index[order]
    cat_distinct, cat_index = _lookup(df["categories"])
    cat_index = cat_index[order]
    cat_sets = [frozenset(c for c in text.split(",") if c) for text in cat_distinct]

    # Refusals and the situation's rate change (inpatient.situation, rules.interim, outpatient).
    rule = p.inpatient
    refused = ~has_charges.copy()
    change = np.zeros(n, I64)
    ref_in = np.zeros(n, bool)
    if rule.non_designated.refuse:
        ref_in |= ~designated
    change += np.where(~designated, fx.rate(rule.non_designated.rate_change), 0)
    out_ref, out_unref = rule.out_of_county_referred, rule.out_of_county_unreferred
    ref_in |= ~in_county & np.where(referred, out_ref.refuse, out_unref.refuse)
    change += np.where(~in_county, np.where(referred, fx.rate(out_ref.rate_change), fx.rate(out_unref.rate_change)), 0)
    if rule.in_county_unreferred:
        adj_refuse = np.array([rule.in_county_unreferred[lv].refuse if lv in rule.in_county_unreferred else False
                               for lv in LEVELS])
        adj_change = np.array([fx.rate(rule.in_county_unreferred[lv].rate_change) if lv in rule.in_county_unreferred
                               else 0 for lv in LEVELS], I64)
        here = in_county & ~referred
        ref_in |= here & adj_refuse[level]
        change += np.where(here, adj_change[level], 0)
    if interim.any():
        days = (df["date"].to_physical().to_numpy() - df["admission_date"].to_physical().to_numpy())[order]
        ref_in |= interim & (True if rule.interim is None else days < rule.interim.min_days)
    out = p.outpatient
    if out is None:
        ref_out = np.ones(n, bool)
    elif out.in_county_only:
        ref_out = ~in_county | ~designated
    else:
        ref_out = np.zeros(n, bool)
    refused |= np.where(inpatient, ref_in, ref_out)
    ok_in = inpatient & ~refused
    ok_out = ~inpatient & ~refused

    # The admission's ordinal in the year, the deductible, the tiers, the scheme's rounding.
    start = {name: (col(f"start_{name}").astype(I64)[first] if f"start_{name}" in df.columns
                    else np.zeros(len(first), I64)) for name in START_FIELDS}
    counts = (ok_in & ~continuation).astype(I64)
    ordinal = start["admissions"][pcode] + _grouped_cumsum(counts, first, pcode)
    ded = rule.deductible
    by_level = np.array([fx.fen(ded.by_level.get(lv, ded.default)) for lv in LEVELS], I64)
    base_ded = by_level[level]
    if ded.out_of_county is not None:
        base_ded = np.where(~in_county, fx.fen(ded.out_of_county), base_ded)
    if ded.out_of_county_unreferred is not None:
        base_ded = np.where(~in_county & ~referred, fx.fen(ded.out_of_county_unreferred), base_ded)
    if ded.non_designated is not None:
        base_ded = np.where(~designated, fx.fen(ded.non_designated), base_ded)
    later = _round(base_ded * fx.rate(ded.subsequent_factor), fx.scale)
    if ded.subsequent_by_level:
        fixed_later = np.array([fx.fen(ded.subsequent_by_level[lv]) if lv in ded.subsequent_by_level else -1
                                for lv in LEVELS], I64)[level]
        later = np.where(fixed_later >= 0, fixed_later, later)
    stay_ded = np.where(ordinal > 1, later, base_ded)

    package = np.full(n, -1, np.int32)
    packages = rule.fixed_fee_packages
    if packages:
        can = ok_in & in_county & designated & ~continuation
        for k in range(len(packages) - 1, -1, -1):  # the first listed wins: assign in reverse
            pk = packages[k]
            at_level = np.isin(level, [LEVELS.index(lv) for lv in pk.levels])
            package = np.where(can & at_level & _matches(diag_distinct, diag_index, pk.diagnoses), k, package)
    has_package = package >= 0

    raw = np.zeros(n, I64)
    before = col("stay_eligible_before").astype(I64)
    table_of = {}
    for lv_index, lv in enumerate(LEVELS):
        for county in (True, False):
            table_of.setdefault(rule.tiers.for_episode(lv, county), []).append((lv_index, county))
    for tiers, places in table_of.items():
        where = np.zeros(n, bool)
        for lv_index, county in places:
            where |= (level == lv_index) & (in_county == county)
        where &= ok_in & ~has_package
        if not where.any():
            continue
        e, d, c = eligible[where], stay_ded[where], change[where]
        whole = _tiers(e + before[where], d, tiers, p.tier_convention, c, fx)
        earlier = _tiers(before[where], d, tiers, p.tier_convention, c, fx)
        first_part = _tiers(e, d, tiers, p.tier_convention, c, fx)
        raw[where] = np.where(continuation[where], whole - earlier, first_part)
    deductible = np.where(ok_in & ~has_package & ~continuation, stay_ded, 0)
    before_cap = np.where(ok_in & ~has_package, _pay(raw, 1, q, eligible - deductible), 0)
    cap = np.full(n, fx.fen(rule.annual_cap), I64)
    if rule.annual_cap_non_designated is not None:
        cap = np.where(~designated, fx.fen(rule.annual_cap_non_designated), cap)

    # Per-row inputs of the layers that depend on the year so far.
    subsidy_match = [_matches(diag_distinct, diag_index, s.diagnoses) & ok_in for s in rule.subsidies]
    assist_cat = np.full(n, -1, np.int32)
    if p.assistance is not None:
        names = list(p.assistance.categories)
        table = np.array([next((i for i, c in enumerate(names) if c in cats), -1) for cats in cat_sets], np.int32)
        assist_cat = table[cat_index]
    safety_on = np.zeros(n, bool)
    if p.safety_net is not None:
        table = np.array([any(c in cats for c in p.safety_net.categories) for cats in cat_sets])
        safety_on = table[cat_index]
    chronic_on = np.zeros(n, bool)
    if out is not None and out.chronic is not None:
        chronic_on = _matches(diag_distinct, diag_index, out.chronic.diagnoses) & ok_out
        if out.chronic.certification_required:  # rules.chronic.is_chronic: only a certified person's visit
            chronic_on &= col("chronic_certified")

    # Wave order: rank, then [payable admissions | payable visits | refused], then person.
    group = np.where(ok_in, 0, np.where(ok_out, 1, 2))
    key = rank * 3 + group
    # rows are already by person: the stable sort keeps that order; on 16-bit keys (fewer than ~10,000
    # episodes per person) numpy's stable sort is a radix sort, several times faster than on int64
    narrow = key.astype(np.int16) if key.max() < np.iinfo(np.int16).max else key
    wave_order = np.argsort(narrow, kind="stable")
    key = key[wave_order]
    waves = int(rank.max()) + 1
    bounds = np.searchsorted(key, np.arange(waves * 3 + 1))

    def w(a):
        return a[wave_order]

    W = {name: w(a) for name, a in dict(
        pcode=pcode, date=date, total=total, eligible=eligible, before_cap=before_cap, cap=cap, package=package,
        level=level, assist_cat=assist_cat, safety_on=safety_on, chronic_on=chronic_on).items()}
    W["subsidy_match"] = [w(m) for m in subsidy_match]

    state = {name: start[name].copy() for name in START_FIELDS}
    today = date[first].copy()
    res = {name: np.zeros(n, I64) for name in RESULTS if name != "refused"}
    res["deductible"] = w(deductible)
    res["basic_before_cap"] = W["before_cap"]
    res["eligible"] = np.where(w(refused), 0, W["eligible"])

    for k in range(waves):
        lo, hi = bounds[3 * k], bounds[3 * k + 3]
        pc = W["pcode"][lo:hi]
        day = W["date"][lo:hi]
        same = today[pc] == day
        state["outpatient_paid_today"][pc] = np.where(same, state["outpatient_paid_today"][pc], 0)
        today[pc] = day
        a, b = bounds[3 * k], bounds[3 * k + 1]
        if b > a:
            _admissions(slice(a, b), W, p, fx, q, state, res, packages, rule)
        a, b = bounds[3 * k + 1], bounds[3 * k + 2]
        if b > a:
            _visits(slice(a, b), W, p, fx, q, state, res)

    res["fund_total"] = sum(res[name] for name in FUND_LAYERS)
    res["self_pay"] = W["total"] - res["fund_total"] - res["facility_borne"]
    back = np.empty(n, np.int64)
    back[order[wave_order]] = np.arange(n)
    columns = {"refused": pl.Series("refused", w(refused)[back])}
    for name in RESULTS[1:]:
        columns[name] = pl.Series(name, res[name][back])
    return pl.DataFrame(columns)


def _lookup_levels(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Enum(list(LEVELS))).to_physical().to_numpy().astype(np.int32)


def _admissions(s: slice, W: dict, p: Parameters, fx: Fixed, q: int, state: dict, res: dict, packages, rule) -> None:
    """One wave's payable admissions: cap, package, subsidies, catastrophic, assistance, safety net, ceiling."""
    pc = W["pcode"][s]
    total, eligible, cap = W["total"][s], W["eligible"][s], W["cap"][s]
    paid_before = state["basic_paid"][pc]
    room = np.maximum(cap - paid_before, 0)
    basic = np.minimum(W["before_cap"][s], room)
    fixed = facility = np.zeros_like(basic)
    pk = W["package"][s]
    if packages and (pk >= 0).any():
        on = pk >= 0
        idx = np.maximum(pk, 0)
        patient_amt = np.array([fx.fen(x.patient_amount) for x in packages], I64)[idx]
        fund_amt = np.array([fx.fen(x.fund_amount) for x in packages], I64)[idx]
        patient = np.minimum(patient_amt, total)
        due = np.minimum(fund_amt, total - patient)
        fixed = np.where(on, np.minimum(due, room), 0)
        facility = np.where(on, total - patient - due, 0)
        eligible = np.where(on, np.minimum(patient_amt + fund_amt, total), eligible)
        basic = np.where(on, 0, basic)
        res["eligible"][s] = eligible
    first = basic + fixed
    left_policy = eligible - first
    left_total = total - first - facility

    subsidy = in_cap = np.zeros_like(basic)
    if rule.subsidies:
        cap_room = np.maximum(cap - (paid_before + first), 0)
        for sub, match in zip(rule.subsidies, W["subsidy_match"], strict=True):
            m = match[s]
            amount = np.where(m, np.minimum(fx.fen(sub.amount), left_policy - subsidy), 0)
            if sub.counts_toward_cap:
                amount = np.where(m, np.minimum(amount, cap_room - in_cap), 0)
                in_cap = in_cap + amount
            subsidy = subsidy + amount
        left_policy = left_policy - subsidy
        left_total = left_total - subsidy

    zero = np.zeros_like(basic)
    catastrophic, cat_base = zero, zero
    if p.catastrophic is not None:
        c = p.catastrophic
        cat_base = left_policy if c.base == "in_policy_self_pay" else left_total
        before = state["catastrophic_base"][pc]
        d = np.full_like(before, fx.fen(c.deductible))
        raw = _tiers(before + cat_base, d, c.tiers, "cumulative", 0, fx) - _tiers(before, d, c.tiers, "cumulative", 0, fx)
        room_c = np.maximum(fx.fen(c.annual_cap) - state["catastrophic_paid"][pc], 0)
        catastrophic = np.where(cat_base > 0, _pay(raw, 1, q, np.minimum(room_c, cat_base)), 0)
        left_policy = left_policy - np.minimum(catastrophic, left_policy)
        left_total = left_total - catastrophic

    assistance, assist_base = zero, zero
    if p.assistance is not None:
        cat = W["assist_cat"][s]
        on = cat >= 0
        if on.any():
            cats = list(p.assistance.categories.values())
            idx = np.maximum(cat, 0)
            threshold = np.array([fx.fen(x.threshold) for x in cats], I64)[idx]
            rate = np.array([fx.rate(x.rate) for x in cats], I64)[idx]
            annual = np.array([fx.fen(x.annual_cap) for x in cats], I64)[idx]
            assist_base = np.where(on, left_policy if p.assistance.base == "in_policy_self_pay" else left_total, 0)
            before = state["assistance_base"][pc]
            above = np.maximum(before + assist_base - threshold, 0) - np.maximum(before - threshold, 0)
            room_a = np.maximum(annual - state["assistance_paid"][pc], 0)
            assistance = np.where(on, _pay(above * rate, fx.scale, q, np.minimum(room_a, assist_base)), 0)
            left_policy = left_policy - np.minimum(assistance, left_policy)
            left_total = left_total - assistance

    safety = zero
    if p.safety_net is not None:
        on = W["safety_on"][s]
        if on.any():
            in_policy = p.safety_net.base == "in_policy_cost"
            burden = left_policy if in_policy else left_total
            share = fx.scale - fx.rate(p.safety_net.guaranteed_ratio)
            allowed = _round((eligible if in_policy else total) * share, fx.scale)
            safety = np.where(on & (burden > allowed), burden - allowed, 0)

    limit = _round((eligible if p.ceiling.base == "in_policy_cost" else total) * fx.rate(p.ceiling.ratio), fx.scale)
    paid = [first, subsidy, catastrophic, assistance, safety]
    excess = first + subsidy + catastrophic + assistance + safety - limit
    if (excess > 0).any():
        excess = np.maximum(excess, 0)
        for i in range(len(paid) - 1, -1, -1):
            cut = np.minimum(paid[i], excess)
            paid[i] = paid[i] - cut
            excess = excess - cut
        first, subsidy, catastrophic, assistance, safety = paid
        on = pk >= 0
        fixed = np.where(on, first, 0)
        basic = np.where(on, 0, first)
    cap_paid = first + np.minimum(in_cap, subsidy)

    state["basic_paid"][pc] = paid_before + cap_paid
    state["catastrophic_base"][pc] += cat_base
    state["catastrophic_paid"][pc] += catastrophic
    state["assistance_base"][pc] += assist_base
    state["assistance_paid"][pc] += assistance
    state["safety_net_paid"][pc] += safety
    res["basic"][s] = basic
    res["fixed_fee"][s] = fixed
    res["facility_borne"][s] = facility
    res["subsidy"][s] = subsidy
    res["catastrophic"][s] = catastrophic
    res["assistance"][s] = assistance
    res["safety_net"][s] = safety


def _visits(s: slice, W: dict, p: Parameters, fx: Fixed, q: int, state: dict, res: dict) -> None:
    """One wave's payable visits: chronic disease, the family account, outpatient pooling."""
    rule = p.outpatient
    pc = W["pcode"][s]
    total, eligible = W["total"][s], W["eligible"][s]
    left_policy, left_total = eligible, total
    chronic = np.zeros_like(total)
    chronic_on = W["chronic_on"][s]
    if rule.chronic is not None and chronic_on.any():
        room = np.maximum(fx.fen(rule.chronic.annual_cap) - state["chronic_paid"][pc], 0)
        chronic = np.where(chronic_on, _pay(left_policy * fx.rate(rule.chronic.rate), fx.scale, q,
                                            np.minimum(room, left_policy)), 0)
        left_policy = left_policy - chronic
        left_total = left_total - chronic
    family = np.zeros_like(total)
    if rule.mode != "pooling":
        base = left_policy if rule.family_account_pays == "in_policy_cost" else left_total
        family = np.minimum(base, np.maximum(state["family_account_balance"][pc], 0))
        left_policy = left_policy - np.minimum(family, left_policy)
        left_total = left_total - family
    pooled = np.zeros_like(total)
    if rule.mode != "family_account":
        level = W["level"][s]
        terms = [rule.pooling.by_level.get(lv) for lv in LEVELS]
        known = np.array([t is not None for t in terms])[level]
        big = np.iinfo(I64).max // 4
        rate = np.array([fx.rate(t.rate) if t else 0 for t in terms], I64)[level]
        per_visit = np.array([fx.fen(t.per_visit_cap) if t and t.per_visit_cap is not None else big
                              for t in terms], I64)[level]
        per_day = np.array([fx.fen(t.per_day_cap) if t and t.per_day_cap is not None else -1 for t in terms], I64)[level]
        limit = np.minimum(left_policy, per_visit)
        day_room = np.maximum(per_day - state["outpatient_paid_today"][pc], 0)
        limit = np.where(per_day >= 0, np.minimum(limit, day_room), limit)
        if rule.pooling.annual_cap is not None:
            year_room = np.maximum(fx.fen(rule.pooling.annual_cap) - state["outpatient_pooling_paid"][pc], 0)
            limit = np.minimum(limit, year_room)
        pooled = np.where(known & ~chronic_on & (left_policy > 0),
                          _pay(left_policy * rate, fx.scale, q, limit), 0)
    state["outpatient_pooling_paid"][pc] += pooled
    state["outpatient_paid_today"][pc] += pooled
    state["chronic_paid"][pc] += chronic
    state["family_account_balance"][pc] -= family
    res["outpatient_pooling"][s] = pooled
    res["chronic"][s] = chronic
    res["family_account"][s] = family

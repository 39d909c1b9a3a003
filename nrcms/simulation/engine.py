"""The vectorised engine: `nrcms.policy`'s rules over columns of episodes, int64 fen, numpy and compiled loops.

`settle_columns(df, scheme)` settles every row of an episode frame (`columns.py`) under one scheme version
and returns the result columns, equal to the scalar engine's `settle` to the fen when each person's episodes
are fed to it in date order (tests/simulation/test_parity.py proves it on the engine's scenarios and on
random samples).

How it runs. The rows are sorted once by person, date and place in the frame (a compiled radix sort on one
int64 key person × span + day, `kernels.person_day_order`; from 262,144 rows by buckets of persons first,
each bucket then sorted in the cache). Whatever does not depend on what the person was paid earlier in the
year is computed over the frame in its own order, moving no column, in one pass (`kernels.frame_rows`):
the refusals, the eligible cost, a pooled visit's amount before the caps.
The payable admissions' inputs are taken once, compactly, in the frame's order (reading forward), and put
in person order by a radix sort of their own keys (`kernels.gather_rows`, `kernels.radix_order`): the admission's
ordinal in the year (a cumulative count per person), the deductible, the tiers, the scheme's rounding, the
fixed-fee package (numpy); then what depends on the year so far — the annual caps, the subsidies, the
catastrophic insurance's and the medical assistance's yearly deductibles, the safety net, the ceiling — in
one compiled loop over the admissions in person order, each person's year so far in local variables
(`kernels.admissions`); its results are written to the frame through the rows sorted by frame position
(`kernels.scatter_rows`). The visits of a pooling scheme: each visit's amount before the caps in the frame's
order (`kernels.frame_rows`), before the sort, which carries the amounts into person order
(`kernels.person_day_order_carrying`); then the yearly chronic cap and the day's and the year's pooling caps
in one walk in person order reading them forward (`kernels.visit_caps`, writing back only a capped row),
then the columns (`kernels.unpack_visits`), before the admissions (its spent buffers take their result
columns); a scheme with a family account keeps the numpy capped running totals (`_settle_visits`).
Admissions and visits share no running total. The admissions are settled in blocks of whole persons
(`BLOCK` rows).

Memory. At 10 million rows each int64 column is 80 MB, and a fresh one costs the system's page faults
(more than the arithmetic when the machine must assemble huge pages). So the result columns are written,
where they can be, into memory this call has already touched and no longer needs: the sort's two spent
buffers, then its order and keys; a Parquet frame's column copies (polars hands out a writable array only
when it copied: the person ids after the sort, the B-class eligible cost after the sum, the A-class one
for the eligible column, the total for the own payment); the visits' packed amounts become the pooling
column. A frame built in memory gives read-only views, which are never written.

Money is integer fen. A rate is an integer over S = 10^k (k: the most decimal places of any rate in the
scheme), and `_round` (numpy) and `kernels.round_q` (one value) round a fraction num/den half up to a
quantum of 1, 10 or 100 fen — the integer form of `nrcms.core.money.round_amount`, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from nrcms.policy.parameters import Parameters
from nrcms.policy.scheme import Scheme, canonical

from . import kernels
from .columns import LEVELS, START_FIELDS

I64 = np.int64
QUANTUM = {"fen": 1, "jiao": 10, "yuan": 100}
RESULTS = ("refused", "eligible", "deductible", "basic_before_cap", "basic", "outpatient_pooling", "chronic",
           "family_account", "fixed_fee", "subsidy", "catastrophic", "assistance", "safety_net", "fund_total",
           "self_pay", "facility_borne")
FUND_LAYERS = ("basic", "outpatient_pooling", "chronic", "family_account", "fixed_fee", "subsidy", "catastrophic",
               "assistance", "safety_net")


def _round(num: np.ndarray, den: int, quantum: int = 1) -> np.ndarray:
    """num/den fen rounded half up to `quantum` fen (num ≥ 0): the integer form of round_amount. One new
    array, the rest in place."""
    out = np.multiply(num, 2, dtype=I64)
    out += quantum * den
    out //= 2 * quantum * den
    if quantum != 1:
        out *= quantum
    return out


def _int64_rows(a: np.ndarray, n: int) -> bool:
    """Whether a working array can be reused as an int64 column of n rows."""
    return a.dtype == I64 and a.flags.c_contiguous and a.flags.writeable and len(a) == n


def _own(a: np.ndarray, n: int) -> bool:
    """Whether a column converted from the frame is this call's own copy (polars hands out a writable array
    only when it copied: a column in chunks, as read from Parquet; one chunk gives a read-only view of the
    frame's memory) and fit to become an int64 result column of n rows."""
    return a.flags.writeable and a.flags.c_contiguous and a.dtype == I64 and len(a) == n


def _ro(a: np.ndarray) -> np.ndarray:
    """A read-only view of an input column for a compiled loop: numba compiles a read-only and a writable
    array apart, and whether polars hands out a column read-only depends on how the frame was made (built
    in memory or read from Parquet); one kind of argument, one compiled version (warmed once, cached)."""
    view = a.view()
    view.flags.writeable = False
    return view


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
    """Distinct values and each row's index into them: by the values' hashes (`_lookup_by_hash`), else one
    hashing pass into categories of this call's own (a fresh category set, so the list holds only these
    values), else distinct values then an Enum cast."""
    series = pl.Series(values) if not isinstance(values, pl.Series) else values
    if len(series):
        found = _lookup_by_hash(series)
        if found is not None:
            return found
    if hasattr(pl, "Categories"):
        coded = series.cast(pl.Categorical(pl.Categories.random()))
        distinct = coded.dtype.categories.to_series().to_list()  # while `coded` keeps the categories alive
        index = coded.to_physical().to_numpy()
        if len(index) == 0 or int(index.max()) < len(distinct):
            return distinct, index
    distinct = series.unique(maintain_order=True).to_list()
    index = series.cast(pl.Enum(distinct)).to_physical().to_numpy().astype(np.int32)
    return distinct, index


def _lookup_by_hash(series: pl.Series) -> tuple[list, np.ndarray] | None:
    """`_lookup` from the values' 64-bit hashes (polars hashes a string column several times faster than it
    casts it to categories): each row numbered by its hash in a compiled open-addressing table, the first
    row of each number taken as the value (`kernels.hash_ids`). Exact, not probable: the column is then
    compared whole with the distinct values put back at each row's number, and two values sharing a hash
    would differ there; None then (or with more distinct values than the table takes), for the caller's
    categories. A slice of rows at a time (the hashes and the values put back are small temporaries)."""
    n, step = len(series), 1 << 20
    index = np.empty(n, np.int32)
    for bits in (12, 16, 20, 24):
        keys, slot = np.empty(1 << bits, np.uint64), np.full(1 << bits, -1, np.int32)
        first = np.empty(1 << (bits - 1), np.int64)
        count = 0
        for a in range(0, n, step):
            count = kernels.hash_ids(_ro(series.slice(a, step).hash().to_numpy()), a, keys, slot, count, index,
                                     first)
            if count < 0:
                break
        if count >= 0:
            break
    else:
        return None
    distinct = series.gather(first[:count])
    for a in range(0, n, step):
        if not series.slice(a, step).equals(distinct.gather(index[a:a + step]), null_equal=True):
            return None
    return distinct.to_list(), index


def _matches(distinct: list[str], index: np.ndarray, prefixes: tuple[str, ...]) -> np.ndarray:
    """rules.fixed_fee.diagnosis_matches per row, computed once per distinct code."""
    upper = tuple(p.upper() for p in prefixes)
    table = np.array([bool(code) and code.upper().startswith(upper) for code in distinct] or [False], dtype=bool)
    return table[index]


def replay_order(person: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Rows by person, then date, then their place in the frame."""
    return _replay(person, date)[0]


def _replay(person: np.ndarray, date: np.ndarray, spare: list | None = None, carry: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, int, int | None, np.ndarray | None]:
    """The replay order (person, date, place in the frame) and, in that order, each row's key person
    number × span + day (the person's number in the order, the day from the first date). On one
    non-negative int64 key (person id, day) when the ids and dates fit in it: a compiled least-significant-
    digit radix sort carrying the keys (`kernels.radix_order`); else a three-key lexsort. Last, the first
    day when the keys are person id × span + (date − first day) (the radix sort's), else None. Then `carry`
    (an int64 column in the frame's order, or None) in the sorted order: carried by the radix sort with the
    rows (read forward, not gathered), else gathered."""
    n = len(person)
    lo, hi = int(person.min()), int(person.max())
    first_day = int(date.min())
    span = int(date.max()) - first_day + 1
    if lo < 0 or hi >= (1 << 62) // span:
        order = np.lexsort((np.arange(n), date, person))
        sorted_person = person[order]
        new = np.empty(n, bool)
        new[0] = True
        np.not_equal(sorted_person[1:], sorted_person[:-1], out=new[1:])
        key = (np.cumsum(new) - 1) * span + (date[order] - first_day)
        return order, key, span, None, None if carry is None else carry[order]
    order, key, carried = kernels.person_day_order_carrying(
        _ro(person), _ro(date), span, first_day, hi * span + span - 1, kernels.NO_CARRY if carry is None else carry,
        spare)
    return order, key, span, first_day, None if carry is None else carried


BLOCK = 1 << 18  # rows a block (about 2 MiB an int64 column)


def _blocks(segment: np.ndarray, size: int) -> list[tuple[int, int]]:
    """[a, b) ranges of about `size` rows of `segment` (sorted), never splitting a segment."""
    m = len(segment)
    if m <= size:
        return [(0, m)] if m else []
    starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    at = np.searchsorted(starts, np.arange(size, m, size))
    cuts = sorted({int(starts[i]) for i in at if i < len(starts)} - {0})
    bounds = [0, *cuts, m]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _segments(code: np.ndarray, places: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Rows sorted by `code`: each row's segment number (0, 1, …), the segments' first rows and each row's
    place in its segment (0, 1, …; None when not asked for)."""
    m = len(code)
    starts = np.empty(m, bool)
    if m:
        starts[0] = True
        np.not_equal(code[1:], code[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    seg = np.cumsum(starts) - 1
    return seg, first, (np.arange(m) - first[seg]) if places else None


def _grouped_cumsum(values: np.ndarray, first: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Running totals per segment (rows sorted by segment): inclusive of the row."""
    running = np.cumsum(values, dtype=I64)
    offset = running[first] - values[first]
    running -= offset[segment]
    return running


def settle_columns(df: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Settle every row of an episode frame under one scheme version; result columns in the frame's order
    (fen, int64; `refused` boolean). Each person's rows are settled in date order (ties: frame order), from
    the person's start_ values (zeros when the frame has none), the same as `reference.replay_scalar`.

    The rows are sorted once (person, date, place). What needs no year-to-date is computed in the frame's
    order without moving any column. The payable admissions and the payable visits never share a running
    total (the day's outpatient pooling starts again on each new date of the person's, whatever the kind of
    the row that brings it: the same as resetting on the visit's own new date), so each is gathered once,
    compactly, and settled in its own waves over its own persons; the results are scattered back once."""
    n = df.height
    if n == 0:
        return pl.DataFrame({name: pl.Series(name, [], dtype=pl.Boolean if name == "refused" else pl.Int64)
                             for name in RESULTS})
    p = scheme.params
    fx = Fixed(10 ** _decimals(p))
    q = QUANTUM[p.rounding]
    person = df["person_id"].to_numpy()
    date = df["date"].to_physical().to_numpy()
    spare = []  # the sort's two spent buffers (touched memory: reused below instead of fresh pages)

    columns = {}

    def col(name):  # each column converted once (a Parquet frame's columns come in chunks: a copy)
        if name not in columns:
            columns[name] = df[name].to_numpy()
        return columns[name]

    col.has = columns.__contains__

    def start_of(name, persons):
        column = f"start_{name}"
        if column not in df.columns:
            return np.zeros(len(persons), I64)
        return col(column)[first_row[persons]].astype(I64)

    # One pass over the frame in its order (`kernels.frame_rows`): the refusals (inpatient.situation,
    # rules.interim, outpatient), each row's eligible cost (A + B classes; 0 for a refused row), and a pooled
    # visit's amount before the running caps, packed, carried through the sort into person order.
    inpatient = (df["kind"] == "inpatient").to_numpy()
    level = _lookup_levels(df["facility_level"])
    in_county, designated, referred = col("in_county"), col("designated"), col("referred")
    rule = p.inpatient
    out_ref, out_unref = rule.out_of_county_referred, rule.out_of_county_unreferred
    adj = rule.in_county_unreferred or {}
    interim = col("interim")
    days = np.zeros(0, I64)
    if interim.any():
        days = date.astype(I64) - df["admission_date"].to_physical().to_numpy()
    out = p.outpatient
    diag_distinct = diag_index = None  # only a package, a subsidy or chronic disease reads the diagnosis
    if rule.fixed_fee_packages or rule.subsidies or (out is not None and out.chronic is not None):
        diag_distinct, diag_index = _lookup(df["diagnosis_code"])
    total_all = col("total").astype(I64, copy=False)
    a_eligible = col("a_eligible").astype(I64, copy=False)
    columns.pop("a_eligible")  # written in place below when it is this call's own copy: never read again
    b_eligible = col("b_eligible").astype(I64, copy=False) if "B" in p.catalogue.eligible_classes else \
        np.zeros(0, I64)
    eligible_all = a_eligible if _own(a_eligible, n) else kernels.fresh(n)
    pooled = out is not None and out.mode == "pooling"
    terms, caps = _pooled_visit_terms(df, col, p, fx, diag_distinct) if pooled else (_NO_VISIT_TERMS, None)
    packed = kernels.fresh(n) if pooled else np.zeros(0, I64)
    refused, ok_in, ok_out = (np.empty(n, bool) for _ in range(3))
    chronic_rows = kernels.frame_rows(
        *(_ro(x) for x in (col("has_charges"), inpatient, in_county, designated, referred, level, interim, days)),
        bool(rule.non_designated.refuse), bool(out_ref.refuse), bool(out_unref.refuse),
        np.array([bool(adj[lv].refuse) if lv in adj else False for lv in LEVELS]),
        rule.interim is None, rule.interim.min_days if rule.interim is not None else 0,
        0 if out is None else 1 if out.in_county_only else 2,
        _ro(a_eligible), _ro(b_eligible), eligible_all, fx.scale, q,
        _ro(diag_index) if diag_index is not None and len(terms[0]) else np.zeros(0, np.int32), *terms,
        refused, ok_in, ok_out, packed)
    if len(b_eligible) and _own(columns.pop("b_eligible"), n):  # summed: spent
        spare.append(b_eligible)
    visits = (packed, caps, chronic_rows > 0) if pooled else None

    order, skey, span, first_day, wants = _replay(person, date, spare, visits[0] if pooled else None)
    if _own(person, n):  # a Parquet frame's column is a copy of this call's own: spent after the sort
        spare.append(person)
    first_row = _FirstRows(order, skey, span)  # a person's first row (frame index), by the person's code

    res = _Results(n, spare)
    res["eligible"] = eligible_all  # a refused row's 0 (no part reads a refused row's eligible cost)

    # Blocks of whole persons: a block's working arrays stay small (in the cache, and reused by the
    # allocator instead of fresh pages from the system for every temporary of a large frame).
    # The payable admissions: their inputs taken in the frame's order (reading forward), then put in person
    # order (person, date, place: a radix sort of their own keys) and settled in blocks of whole persons.
    adm_f = np.flatnonzero(ok_in)
    sources = kernels.gather_rows(adm_f, *(_ro(x) for x in (
        level, in_county, designated, referred, col("continuation"), total_all, eligible_all,
        diag_index if diag_index is not None else np.zeros(0, np.uint32))))
    if first_day is not None:  # the sort's keys: the admissions' own sort gives the same order
        akey = person[adm_f] * span + (date[adm_f] - first_day)
        pos, akey = kernels.radix_order(akey, int(skey[-1]))
        adm, adm_seg = adm_f[pos], akey // span
    else:
        adm, adm_seg = kernels.select_sorted(order, skey, span, ok_in)
        pos = np.empty(len(adm), np.int64)
        pos[kernels.radix_order(adm, n)[0]] = np.arange(len(adm))  # each admission's place in the frame's order
    # (`person` is read above, before its memory, a spare buffer, goes to a result column.)
    skey_spent = False
    if pooled:  # before the admissions, so that its spent buffers take the admissions' result columns
        _settle_pooled_visits(order, skey, span, wants, visits, res)
        # The sorted keys: spent too, unless the admissions read them (start values, or the lexsort's order).
        if first_day is not None and not any(c.startswith("start_") for c in df.columns) and _int64_rows(skey, n):
            res.spare.append(skey)
            skey_spent = True
    assist_cat, safety_on = _category_layers(df, pos, ok_in, p)
    for a, b in _blocks(adm_seg, BLOCK):
        _settle_admissions(df, col, adm[a:b], adm_seg[a:b], pos[a:b], sources, start_of, p, fx, q,
                           diag_distinct, None if assist_cat is None else assist_cat[a:b],
                           None if safety_on is None else safety_on[a:b], res)
    if out is not None and not pooled:
        first_date = _FirstRows(order, skey, span, date)
        vis_sorted = ok_out[order]
        vis, vis_seg = order[vis_sorted], skey[vis_sorted] // span
        for a, b in _blocks(vis_seg, BLOCK):
            _settle_visits(col, vis[a:b], vis_seg[a:b], first_date, start_of, p, fx, q, level, total_all,
                           eligible_all, date, diag_distinct, diag_index, res)

    layers = [res[name] for name in FUND_LAYERS if name in res.written]
    empty = np.zeros(0, I64)
    # Spent buffers take the fund's total (the sort's order) and the own payment (the total's own copy, in
    # place: each row's total is read before its own payment is written; else the sorted keys if unused).
    if not skey_spent and _int64_rows(skey, n):
        res.spare.append(skey)
    fund_out = order if _int64_rows(order, n) else np.empty(n, I64)
    self_out = total_all if _own(total_all, n) else res.spare.pop() if res.spare else np.empty(n, I64)
    res["fund_total"], res["self_pay"] = kernels.fund_and_self_pay(
        _ro(total_all), res["facility_borne"] if "facility_borne" in res.written else empty,
        *(layers[k] if k < len(layers) else empty for k in range(len(FUND_LAYERS))), out=(fund_out, self_out))
    columns = {"refused": pl.Series("refused", refused)}
    for name in RESULTS[1:]:
        columns[name] = pl.Series(name, res[name])
    return pl.DataFrame(columns)


class _FirstRows:
    """Each person's first row in the frame (or, given `values`, that row's value), by the person's code
    (sorted key // span): found in the sorted keys, only for the persons asked for (start values are rare)."""

    def __init__(self, order: np.ndarray, skey: np.ndarray, span: int, values: np.ndarray | None = None):
        self.order, self.skey, self.span, self.values = order, skey, span, values

    def __getitem__(self, persons: np.ndarray) -> np.ndarray:
        rows = self.order[np.searchsorted(self.skey, persons * self.span)]
        return rows if self.values is None else self.values[rows]


class _Results(dict):
    """The result columns (frame order), each a zero column until a layer first writes to it; the columns no
    row writes share one zero array (no memory touched for a layer the scheme does not have). A column to
    write into is one of `spare` (int64 buffers of n rows this call has already touched, zeroed again)
    while there are any: zeroing touched memory costs less than the system's fresh pages."""

    def __init__(self, n: int, spare: list | None = None):
        super().__init__()
        self.n = n
        self.written = set()
        self.zero = np.zeros(n, I64)
        self.spare = list(spare or ())

    def __missing__(self, name):
        return self.zero

    def column(self, name: str) -> np.ndarray:
        """The column to write into."""
        if name not in self.written:
            if self.spare:
                column = self.spare.pop()
                column.fill(0)
            else:
                column = kernels.fresh(self.n)
            self[name] = column
        return dict.__getitem__(self, name)

    def __setitem__(self, name, value):
        self.written.add(name)
        super().__setitem__(name, value)


def _rows(df: pl.DataFrame, col, name: str, rows: np.ndarray) -> np.ndarray:
    """A column's values at some rows: from its numpy copy when one was made, else gathered by polars
    (a column only the admissions read is never converted whole)."""
    return col(name)[rows] if col.has(name) else df[name].gather(rows).to_numpy()


def _category_layers(df: pl.DataFrame, pos: np.ndarray, ok_in: np.ndarray,
                     p: Parameters) -> tuple[np.ndarray | None, np.ndarray | None]:
    """For the admissions (in person order; `pos`: each one's place among the rows `ok_in` marks, in the
    frame's order), from their person categories: the medical assistance's category (its index in the
    scheme's list, the first listed the person has; -1: none) and whether the safety net covers them; None
    for a layer the scheme does not have. The strings are taken in the frame's order (a filter, reading
    forward: a gather in person order jumps about the frame's string buffers, ten times slower) and looked
    up once."""
    assist_cat = safety_on = None
    if p.assistance is not None or p.safety_net is not None:
        cat_distinct, frame_index = _lookup(df["categories"].filter(pl.Series(ok_in)))
        cat_index = frame_index[pos]
        cat_sets = [frozenset(c for c in text.split(",") if c) for text in cat_distinct]
        if p.assistance is not None:
            names = list(p.assistance.categories)
            table = np.array([next((i for i, c in enumerate(names) if c in cats), -1) for cats in cat_sets], np.int32)
            assist_cat = table[cat_index]
        if p.safety_net is not None:
            safety_on = np.array([any(c in cats for c in p.safety_net.categories) for cats in cat_sets])[cat_index]
    return assist_cat, safety_on


def _settle_admissions(df, col, adm, adm_person, pos, sources, start_of, p, fx, q, diag_distinct, assist_cat,
                       safety_on, res) -> None:
    """The payable admissions (frame indices `adm`, by person then date; `adm_person` the person's number):
    their inputs gathered, the package (numpy), the scheme's tables; then the compiled loop
    (`kernels.admissions`: the ordinal in the year, the deductible, the tiers, then the layers that depend
    on the year so far); results written into `res` (frame order) through the rows sorted by frame position
    (`kernels.scatter_rows`)."""
    rule = p.inpatient
    m = len(adm)
    local, firsts, _ = _segments(adm_person, places=False)
    persons = adm_person[firsts]
    # The admissions' inputs (`sources`: the admissions' columns in the frame's order; `pos`: each
    # admission's place there), gathered in one compiled pass (the loads of a row go out together).
    level, in_county, designated, referred, continuation, total, eligible, diag_index = kernels.gather_rows(
        pos, *sources)
    if not len(sources[7]):
        diag_index = None

    package = np.full(m, -1, np.int32)
    packages = rule.fixed_fee_packages
    if packages:
        can = in_county & designated & ~continuation
        for k in range(len(packages) - 1, -1, -1):  # the first listed wins: assign in reverse
            pk = packages[k]
            at_level = np.isin(level, [LEVELS.index(lv) for lv in pk.levels])
            package = np.where(can & at_level & _matches(diag_distinct, diag_index, pk.diagnoses), k, package)

    # The rate change, the deductible and the tiers, as tables for the compiled loop (kernels.admissions).
    out_ref, out_unref = rule.out_of_county_referred, rule.out_of_county_unreferred
    adj = rule.in_county_unreferred or {}
    ded = rule.deductible
    tables, table_index = [], np.zeros(2 * len(LEVELS), np.int64)
    for lv_index, lv in enumerate(LEVELS):
        for county in (True, False):
            tiers = rule.tiers.for_episode(lv, county)
            if tiers not in tables:
                tables.append(tiers)
            table_index[lv_index * 2 + (1 if county else 0)] = tables.index(tiers)
    width = max(len(t) for t in tables)
    tier_upto = np.full((len(tables), width), -1, I64)
    tier_rate = np.zeros((len(tables), width), I64)
    for k, tiers in enumerate(tables):
        for j, tier in enumerate(tiers):
            tier_upto[k, j] = fx.fen(tier.upto) if tier.upto is not None else -1
            tier_rate[k, j] = fx.rate(tier.rate)

    def fen_or_none(value):
        return fx.fen(value) if value is not None else -1

    bases = (
        level, in_county, designated, referred, continuation,
        _rows(df, col, "stay_eligible_before", adm).astype(I64, copy=False) if continuation.any() else np.zeros(0, I64),
        start_of("admissions", persons),
        fx.rate(rule.non_designated.rate_change), fx.rate(out_ref.rate_change), fx.rate(out_unref.rate_change),
        np.array([fx.rate(adj[lv].rate_change) if lv in adj else 0 for lv in LEVELS], I64),
        np.array([fx.fen(ded.by_level.get(lv, ded.default)) for lv in LEVELS], I64),
        fen_or_none(ded.out_of_county), fen_or_none(ded.out_of_county_unreferred), fen_or_none(ded.non_designated),
        fx.rate(ded.subsequent_factor),
        np.array([fx.fen(ded.subsequent_by_level[lv]) if lv in (ded.subsequent_by_level or {}) else -1
                  for lv in LEVELS], I64),
        table_index, tier_upto, tier_rate, np.array([len(t) for t in tables], I64), p.tier_convention == "bracket",
        fx.fen(rule.annual_cap), fen_or_none(rule.annual_cap_non_designated))

    # Per-row inputs of the layers that depend on the year so far.
    subsidy_match = [_matches(diag_distinct, diag_index, s.diagnoses) for s in rule.subsidies]

    comp = np.empty((m, 10), I64)  # a row each: 8 results, the deductible, before the cap
    zero = np.zeros(0, I64)
    cat = p.catastrophic
    assist = p.assistance
    cats = list(assist.categories.values()) if assist is not None else []
    state = {name: start_of(name, persons) for name in START_FIELDS}
    kernels.admissions(
        local, _ro(total), _ro(eligible), package, fx.scale, q, *(_ro(x) if isinstance(x, np.ndarray) else x for x in bases),
        np.array([fx.fen(x.patient_amount) for x in packages], I64),
        np.array([fx.fen(x.fund_amount) for x in packages], I64),
        np.stack(subsidy_match, axis=1) if subsidy_match else np.zeros((m, 0), bool),
        np.array([fx.fen(s.amount) for s in rule.subsidies], I64),
        np.array([bool(s.counts_toward_cap) for s in rule.subsidies], bool),
        cat is not None, cat is not None and cat.base == "in_policy_self_pay",
        fx.fen(cat.deductible) if cat is not None else 0,
        np.array([fx.fen(t.upto) if t.upto is not None else -1 for t in cat.tiers] if cat is not None else [], I64),
        np.array([fx.rate(t.rate) for t in cat.tiers] if cat is not None else [], I64),
        fx.fen(cat.annual_cap) if cat is not None else 0,
        assist_cat if assist_cat is not None else np.zeros(0, np.int32),
        assist is not None and assist.base == "in_policy_self_pay",
        np.array([fx.fen(x.threshold) for x in cats], I64), np.array([fx.rate(x.rate) for x in cats], I64),
        np.array([fx.fen(x.annual_cap) for x in cats], I64),
        safety_on if safety_on is not None else np.zeros(0, bool),
        p.safety_net is not None and p.safety_net.base == "in_policy_cost",
        fx.scale - fx.rate(p.safety_net.guaranteed_ratio) if p.safety_net is not None else 0,
        p.ceiling.base == "in_policy_cost", fx.rate(p.ceiling.ratio),
        *(state[name] for name in ("basic_paid", "catastrophic_base", "catastrophic_paid", "assistance_base",
                                   "assistance_paid", "safety_net_paid")),
        comp)
    # The rows by frame position: the admissions' places among the payable ones (`pos`, fewer bits than the
    # frame rows: fewer passes) sorted, then the block's frame rows taken in that order.
    perm = kernels.radix_order(pos, len(sources[0]))[0]
    rows = adm[perm]
    out_cols = _admission_columns(p, res, bool(packages))
    kernels.scatter_rows(rows, perm, comp, *(out_cols.get(name, zero) for name in (
        "eligible", "basic", "fixed_fee", "facility_borne", "subsidy", "catastrophic", "assistance", "safety_net",
        "deductible", "basic_before_cap")))


def _admission_columns(p: Parameters, res, packages: bool) -> dict:
    """The frame-order result columns the admissions write: only the layers the scheme has."""
    names = ["basic", "deductible", "basic_before_cap"]
    if packages:
        names += ["eligible", "fixed_fee", "facility_borne"]
    if p.inpatient.subsidies:
        names.append("subsidy")
    for name, layer in (("catastrophic", p.catastrophic), ("assistance", p.assistance),
                        ("safety_net", p.safety_net)):
        if layer is not None:
            names.append(name)
    return {name: res.column(name) for name in names}


def _capped(want: np.ndarray, cap, start: np.ndarray, seg: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """Each row's payment when a running total is capped (rows sorted by segment, `want` ≥ 0): pay =
    min(want, max(cap - paid so far, 0)), paid so far starting at the segment's `start`. Without a loop: the
    running total is min(start + cumulative want, max(cap, start))."""
    capped = _grouped_cumsum(want, firsts, seg)
    capped += start[seg]
    np.minimum(capped, np.maximum(cap, start)[seg], out=capped)
    earlier = np.empty_like(capped)
    earlier[1:] = capped[:-1]
    earlier[firsts] = start
    capped -= earlier
    return capped


def _settle_visits(col, vis, vis_person, first_date, start_of, p, fx, q, level_all, total_all, eligible_all, date_all,
                   diag_distinct, diag_index_all, res) -> None:
    """The payable visits (frame indices `vis`, by person then date): chronic disease, the family account,
    outpatient pooling, in the order `outpatient.settle` applies them; results scattered into `res`.

    No waves: each yearly cap (chronic, pooling) and the family account is a running total capped per
    person (`_capped`). The day's pooling cap is applied first, per person and day, then the year's: the same
    as applying both at each visit, since until the year's cap binds every visit is paid what the day's cap
    allows and after it binds nothing is. Only the day's cap loops, over the visits' places in their day
    (rarely more than a few)."""
    rule = p.outpatient
    local, firsts, _ = _segments(vis_person, places=False)
    persons = vis_person[firsts]
    total, eligible = total_all[vis], eligible_all[vis]
    left_policy, left_total = eligible, total
    if rule.chronic is not None:
        chronic_on = _matches(diag_distinct, diag_index_all[vis], rule.chronic.diagnoses)
        if rule.chronic.certification_required:  # rules.chronic.is_chronic: only a certified person's visit
            chronic_on &= col("chronic_certified")[vis]
        if chronic_on.any():
            num = left_policy * fx.rate(rule.chronic.rate)
            want = np.where(chronic_on & (num > 0) & (left_policy > 0),
                            np.minimum(_round(np.maximum(num, 0), fx.scale, q), left_policy), 0)
            chronic = _capped(want, fx.fen(rule.chronic.annual_cap), start_of("chronic_paid", persons), local, firsts)
            left_policy = left_policy - chronic
            left_total = left_total - chronic
            res.column("chronic")[vis] = chronic
        else:
            chronic_on = None
    else:
        chronic_on = None
    if rule.mode != "pooling":
        base = left_policy if rule.family_account_pays == "in_policy_cost" else left_total
        balance = np.maximum(start_of("family_account_balance", persons), 0)
        family = _capped(base, balance, np.zeros(len(persons), I64), local, firsts)
        left_policy = left_policy - np.minimum(family, left_policy)
        left_total = left_total - family
        res.column("family_account")[vis] = family
    if rule.mode != "family_account":
        level = level_all[vis]
        terms = [rule.pooling.by_level.get(lv) for lv in LEVELS]
        known = np.array([t is not None for t in terms])[level]
        if chronic_on is not None:
            known &= ~chronic_on
        rate = np.array([fx.rate(t.rate) if t else 0 for t in terms], I64)[level]
        num = left_policy * rate
        want = np.where(known & (num > 0) & (left_policy > 0), np.minimum(_round(np.maximum(num, 0), fx.scale, q),
                                                                          left_policy), 0)
        visit_caps = [fx.fen(t.per_visit_cap) if t and t.per_visit_cap is not None else -1 for t in terms]
        if any(c >= 0 for c in visit_caps):
            per_visit = np.array(visit_caps, I64)[level]
            want = np.where(per_visit >= 0, np.minimum(want, np.maximum(per_visit, 0)), want)
        day_caps = [fx.fen(t.per_day_cap) if t and t.per_day_cap is not None else -1 for t in terms]
        if any(c >= 0 for c in day_caps):
            day_table = np.array([c if c >= 0 else np.iinfo(I64).max // 4 for c in day_caps], I64)
            want = _day_capped(want, day_table[level], date_all[vis], firsts, persons, first_date,
                               start_of("outpatient_paid_today", persons))
        pooled = want
        if rule.pooling.annual_cap is not None:
            pooled = _capped(want, fx.fen(rule.pooling.annual_cap), start_of("outpatient_pooling_paid", persons),
                             local, firsts)
        res.column("outpatient_pooling")[vis] = pooled


_NO_VISIT_TERMS = (np.zeros(0, bool), np.zeros(0, bool), 0, np.zeros(0, bool), np.zeros(0, I64), np.zeros(0, I64))


def _pooled_visit_terms(df, col, p, fx, diag_distinct) -> tuple[tuple, tuple]:
    """The payable visits of a scheme without a family account: what `kernels.frame_rows` needs for each
    row's chronic-disease amount or pooling amount before the caps (nothing of the year so far: a chronic
    visit gets no pooling, so a pooled visit's in-policy cost is whole) — whether each distinct diagnosis is
    a chronic disease (rules.chronic), the certification column when the rule asks for it, the rates, the
    levels with pooling and their per-visit caps — and the arguments of the walk after the sort
    (`kernels.visit_caps`, after `packed`)."""
    rule = p.outpatient
    empty = np.zeros(0, I64)

    def start(name):
        column = f"start_{name}"
        return _ro(col(column).astype(I64, copy=False) if column in df.columns else empty)

    chronic_table, certified, chronic_rate, chronic_cap = np.zeros(0, bool), np.zeros(0, bool), 0, 0
    if rule.chronic is not None:
        upper = tuple(c.upper() for c in rule.chronic.diagnoses)  # rules.fixed_fee.diagnosis_matches
        chronic_table = np.array([bool(code) and code.upper().startswith(upper) for code in diag_distinct] or [False],
                                 dtype=bool)
        if rule.chronic.certification_required:  # rules.chronic.is_chronic: only a certified person's visit
            certified = _ro(col("chronic_certified"))
        chronic_rate, chronic_cap = fx.rate(rule.chronic.rate), fx.fen(rule.chronic.annual_cap)
    terms = [rule.pooling.by_level.get(lv) for lv in LEVELS]
    huge = np.iinfo(I64).max >> 8  # a cap above any amount, room for the packing
    visit_caps = [fx.fen(t.per_visit_cap) if t and t.per_visit_cap is not None else -1 for t in terms]
    day_caps = [fx.fen(t.per_day_cap) if t and t.per_day_cap is not None else -1 for t in terms]
    annual = rule.pooling.annual_cap
    wants = (chronic_table, certified, chronic_rate, np.array([t is not None for t in terms]),
             np.array([fx.rate(t.rate) if t else 0 for t in terms], I64),
             np.array([c if c >= 0 else huge for c in visit_caps], I64))
    caps = (chronic_cap, start("chronic_paid"), any(c >= 0 for c in day_caps),
            np.array([c if c >= 0 else huge for c in day_caps], I64), start("outpatient_paid_today"),
            annual is not None, fx.fen(annual) if annual is not None else 0, start("outpatient_pooling_paid"))
    return wants, caps


def _settle_pooled_visits(order, skey, span, wants, visits, res) -> None:
    """The running caps of the visits `kernels.frame_rows` packed, in one walk in person order
    (`kernels.visit_caps`, on `wants`, the packed amounts the sort carried into person order: the chronic
    yearly cap; the visit's day's and the year's pooling caps; a capped amount written back to the packed
    column), then the amounts into their columns (`kernels.unpack_visits`)."""
    packed, caps, chronic = visits
    kernels.visit_caps(order, skey, span, wants, packed, *caps)
    if _int64_rows(wants, len(packed)):  # spent: the chronic column (or a later one) is written into it
        res.spare.append(wants)
    kernels.unpack_visits(packed, res.column("chronic") if chronic else np.zeros(0, I64))
    res["outpatient_pooling"] = packed  # unpacked in place: the pooling amounts


def _day_capped(want, per_day, day, firsts, persons, first_date, start) -> np.ndarray:
    """The day's pooling cap (per_day: a cap above any amount at a level without one) per person and day,
    visit by visit: the day's running total starts from zero on each new date of the person's, from the
    start value on the date of the person's first row. The first visit of each day at once, then the second
    ones, and so on."""
    m = len(want)
    new = np.empty(m, bool)
    new[0] = True
    np.not_equal(day[1:], day[:-1], out=new[1:])
    new[firsts] = True
    before = np.zeros(m, I64)  # the day's pooling before the visit
    on_first_date = day[firsts] == first_date[persons]
    before[firsts[on_first_date]] = start[on_first_date]
    paid = np.subtract(per_day, before)
    np.maximum(paid, 0, out=paid)
    np.minimum(paid, want, out=paid)
    later = np.flatnonzero(~new)
    if len(later):
        day_first = np.flatnonzero(new)
        place = later - day_first[np.searchsorted(day_first, later, side="right") - 1]
        by_place = np.argsort(place, kind="stable")
        later, place = later[by_place], place[by_place]
        bounds = np.searchsorted(place, np.arange(1, int(place[-1]) + 2))
        for k in range(len(bounds) - 1):
            rows = later[bounds[k]:bounds[k + 1]]
            b = before[rows - 1] + paid[rows - 1]
            before[rows] = b
            paid[rows] = np.minimum(want[rows], np.maximum(per_day[rows] - b, 0))
    return paid


_LEVEL_BY_LENGTH = np.full(max(len(lv) for lv in LEVELS) + 1, -1, np.int32)
for _index in range(len(LEVELS) - 1, -1, -1):  # township and province share a length: township here
    _LEVEL_BY_LENGTH[len(LEVELS[_index])] = _index


def _lookup_levels(series: pl.Series) -> np.ndarray:
    """Each row's index into LEVELS. A checked frame holds only those five words, which their byte lengths
    tell apart but for township and province (both 8): a length and one comparison, no hashing."""
    length = series.str.len_bytes().to_numpy()
    level = np.empty(len(length), np.int32)
    if not kernels.levels_by_length(_ro(length), _ro((series == "province").to_numpy()), _LEVEL_BY_LENGTH,
                                    LEVELS.index("province"), level):
        return series.cast(pl.Enum(list(LEVELS))).to_physical().to_numpy().astype(np.int32)  # names the bad value
    return level

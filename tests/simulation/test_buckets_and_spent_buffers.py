"""The engine's large-frame paths (nrcms/simulation/kernels.py, engine.py): the sort by buckets of persons
against numpy's stable sort, the levels in one pass, the visits unpacked in place, the fund's total written
into spent buffers, and a frame in chunks (as read from Parquet), whose column copies the engine reuses for
its results, settling as the scalar engine does without changing the frame."""

import numpy as np
import polars as pl
import pytest

from nrcms.simulation import kernels
from nrcms.simulation.columns import LEVELS
from nrcms.simulation.engine import _LEVEL_BY_LENGTH, settle_columns
from nrcms.simulation.reference import first_difference, replay_scalar
from nrcms.simulation.synthetic import synthetic_year
from tests.simulation.test_parity import SCHEMES


def _buckets(monkeypatch, rows: int) -> None:
    """Every sort of the person-day keys by buckets of about `rows` rows, however small the frame."""
    monkeypatch.setattr(kernels, "MSD_ROWS", 0)
    monkeypatch.setattr(kernels, "BUCKET_ROWS", rows)


@pytest.mark.parametrize("rows", [1, 7, 64, 10**6])
@pytest.mark.parametrize("ids", [(0, 1), (1, 40), (1, 10**3), (10**6, 10**9)])
def test_the_sort_by_buckets_is_the_stable_sort(monkeypatch, rows, ids):
    """High-bit buckets (up to 12 bits), then 0–3 passes within each bucket: numpy's stable order of the
    key person × span + day, ties in the frame's order; the keys carried along."""
    _buckets(monkeypatch, rows)
    rng = np.random.default_rng(11)
    person = rng.integers(*ids, 4000)
    person[::9] = person[3]  # one person with many rows, many on one day
    date = rng.integers(18262, 18262 + 366, 4000).astype(np.int32)
    first_day, span = int(date.min()), int(date.max()) - int(date.min()) + 1
    key = person * span + (date - first_day)
    spare = []
    order, keys = kernels.person_day_order(person, date, span, first_day, int(person.max()) * span + span - 1, spare)
    assert (order == np.argsort(key, kind="stable")).all()
    assert (keys == np.sort(key)).all()
    assert len(spare) == 2 and all(len(b) == 4000 and b.dtype == np.int64 for b in spare)
    kept = {order.ctypes.data, keys.ctypes.data}
    assert not kept & {b.ctypes.data for b in spare}  # the spent buffers are not the results


def test_buckets_by_hand(monkeypatch):
    """Keys 5, 1, 7, 1, 4, 6 (top 7: 3 bits), buckets of one row: 2 bits make 4 buckets (keys 0–1, 2–3, 4–5,
    6–7), each then sorted on its last bit: 1, 1 (rows 1, 3), 4, 5 (rows 4, 0), 6, 7 (rows 5, 2)."""
    _buckets(monkeypatch, 1)
    key = np.array([5, 1, 7, 1, 4, 6])
    order, keys = kernels.person_day_order(key, key.astype(np.int32), 1, 0, 7)
    assert order.tolist() == [1, 3, 4, 0, 5, 2]
    assert keys.tolist() == [1, 1, 4, 5, 6, 7]


def test_levels_in_one_pass():
    # lengths: village 7, township 8, county 6, prefecture 10, province 8 (told apart by the comparison)
    length = np.array([7, 8, 6, 10, 8, 8], np.uint32)
    province = np.array([False, False, False, False, True, False])
    out = np.full(6, -9, np.int32)
    assert kernels.levels_by_length(length, province, _LEVEL_BY_LENGTH, LEVELS.index("province"), out)
    assert out.tolist() == [0, 1, 2, 3, 4, 1]
    assert not kernels.levels_by_length(np.array([7, 5], np.uint32), np.zeros(2, bool), _LEVEL_BY_LENGTH, 4,
                                        np.zeros(2, np.int32))  # 5 bytes: no level of that length
    assert not kernels.levels_by_length(np.array([99], np.uint32), np.zeros(1, bool), _LEVEL_BY_LENGTH, 4,
                                        np.zeros(1, np.int32))  # beyond the table


def test_visits_unpacked_in_place():
    """want × 16 + level × 2 + chronic: 1,200 fen pooled at township, 3,000 fen chronic at village, nothing."""
    packed = np.array([1200 * 16 + 1 * 2, 3000 * 16 + 0 * 2 + 1, 0])
    chronic = np.zeros(3, np.int64)
    kernels.unpack_visits(packed, chronic)
    assert packed.tolist() == [1200, 0, 0]
    assert chronic.tolist() == [0, 3000, 0]
    packed = np.array([3000 * 16 + 1, 55 * 16])
    kernels.unpack_visits(packed, np.zeros(0, np.int64))  # no chronic rule: a chronic amount goes nowhere
    assert packed.tolist() == [0, 55]


def test_the_funds_total_into_spent_buffers():
    """Buffers holding anything; the own payment written over the total itself (each row read first)."""
    total = np.array([1000, 500, 80])
    basic, pooling, facility = np.array([600, 0, 0]), np.array([0, 300, 0]), np.array([0, 0, 30])
    empty = np.zeros(0, np.int64)
    fund = np.array([-7, 99, 12345])
    total_view = total.view()
    total_view.flags.writeable = False
    got_fund, own = kernels.fund_and_self_pay(total_view, facility, basic, pooling, *([empty] * 7), out=(fund, total))
    assert got_fund is fund and own is total
    assert fund.tolist() == [600, 300, 0]
    assert total.tolist() == [400, 200, 50]


def _chunked(df: pl.DataFrame, parts: int) -> pl.DataFrame:
    """The frame in `parts` chunks, as a Parquet file's row groups come: polars copies each column the
    engine converts (writable arrays of the engine's own, which it reuses for its results)."""
    size = -(-df.height // parts)
    return pl.concat([df.slice(k * size, size) for k in range(parts)], rechunk=False)


@pytest.mark.parametrize("name", ["stress-a", "stress-b", "demo-layered-2020@2020-01-01"])
@pytest.mark.parametrize("rows", [None, 5])
def test_a_frame_in_chunks_settles_as_one_and_stays_unchanged(monkeypatch, name, rows):
    if rows is not None:
        _buckets(monkeypatch, rows)
    scheme = SCHEMES[name]
    df = _chunked(synthetic_year(2400, persons=150, seed=13), 4)
    assert df["total"].n_chunks() == 4 and df["total"].to_numpy().flags.writeable
    got = settle_columns(df, scheme)
    assert df.equals(synthetic_year(2400, persons=150, seed=13))  # the engine wrote into its copies only
    assert got.equals(settle_columns(df.rechunk(), scheme))
    message = first_difference(df, got, replay_scalar(df, scheme))
    assert message is None, message
    # each result column its own memory (no spent buffer handed out twice)
    addresses = [got[c].to_numpy().ctypes.data for c in got.columns if got[c].dtype == pl.Int64 and (got[c] != 0).any()]
    assert len(addresses) == len(set(addresses))


def test_a_frame_in_chunks_needs_no_more_compiling():
    """The bench warms the compiled loops on a small frame built in memory (columns read-only views), then
    times frames read from Parquet (columns in chunks: writable copies). numba compiles a read-only and a
    writable array apart: every frame column reaches a loop read-only, so the warm-up covers them all."""
    from numba.core.registry import CPUDispatcher

    from nrcms.simulation.columns import checked

    scheme = SCHEMES["demo-layered-2020@2020-01-01"]
    settle_columns(checked(synthetic_year(200, persons=40, seed=3)), scheme)

    def signatures():
        return {k: len(v.signatures) for k, v in vars(kernels).items() if isinstance(v, CPUDispatcher)}

    warm = signatures()
    settle_columns(_chunked(checked(synthetic_year(3000, persons=200, seed=4)), 3), scheme)
    assert signatures() == warm


def test_rows_numbered_by_hash():
    """Hashes 5, 9, 5, 7, 9 → numbers 0, 1, 0, 2, 1 (first rows 0, 1, 3); the table kept for the next slice
    (rows 5, 6: hashes 7, 11 → 2, 3); a table for two numbers refuses a third (-1)."""
    keys, slot = np.empty(16, np.uint64), np.full(16, -1, np.int32)
    index, first = np.full(7, -1, np.int32), np.full(8, -1, np.int64)
    count = kernels.hash_ids(np.array([5, 9, 5, 7, 9], np.uint64), 0, keys, slot, 0, index, first)
    assert count == 3 and index[:5].tolist() == [0, 1, 0, 2, 1] and first[:3].tolist() == [0, 1, 3]
    count = kernels.hash_ids(np.array([7, 11], np.uint64), 5, keys, slot, count, index, first)
    assert count == 4 and index.tolist() == [0, 1, 0, 2, 1, 2, 3] and first[:4].tolist() == [0, 1, 3, 6]
    small = np.empty(2, np.int64)
    assert kernels.hash_ids(np.array([1, 2, 3], np.uint64), 0, np.empty(16, np.uint64), np.full(16, -1, np.int32),
                            0, np.empty(3, np.int32), small) == -1


def test_a_shared_hash_is_caught(monkeypatch):
    """Were two values to share a hash, the whole-column comparison sees it and the categories decide."""
    from nrcms.simulation import engine

    def everything_one_hash(hashes, offset, keys, slot, count, index, first):
        index[offset:offset + len(hashes)] = 0
        first[0] = 0
        return 1

    monkeypatch.setattr(kernels, "hash_ids", everything_one_hash)
    values = pl.Series(["I10", "J06", "I10", "", "K35.9"])
    assert engine._lookup_by_hash(values) is None
    distinct, index = engine._lookup(values)
    assert [distinct[i] for i in index] == values.to_list()


def test_large_arrays_in_ordinary_pages_count_as_numpys(monkeypatch):
    """From kernels.LARGE bytes: a mapping, zeroed, writable, counted by tracemalloc while it lives."""
    import gc
    import tracemalloc

    monkeypatch.setattr(kernels, "LARGE", 1 << 20)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        array = kernels.fresh(1 << 18)  # 2 MiB
        assert array.dtype == np.int64 and array.flags.writeable and not array.any()
        array[-1] = 7
        assert tracemalloc.get_traced_memory()[0] - before >= 2 << 20
        del array
        gc.collect()
        assert tracemalloc.get_traced_memory()[0] - before < 1 << 20
    finally:
        tracemalloc.stop()
    assert len(kernels.fresh(10)) == 10  # below LARGE: numpy's


@pytest.mark.parametrize("name", ["stress-a", "demo-layered-2020@2020-01-01"])
def test_mapped_columns_settle_alike(monkeypatch, name):
    df = _chunked(synthetic_year(2000, persons=120, seed=21), 3)
    whole = settle_columns(df, SCHEMES[name])
    monkeypatch.setattr(kernels, "LARGE", 0)  # every working array and result column mapped
    mapped = settle_columns(df, SCHEMES[name])
    import gc

    gc.collect()
    assert mapped.equals(whole)


NO_VISITS = (np.zeros(0, np.int32), np.zeros(0, bool), np.zeros(0, bool), 0, np.zeros(0, bool), np.zeros(0, np.int64),
             np.zeros(0, np.int64))


def test_refusals_and_eligible_costs_in_one_pass():
    """Rows: 0 admission not designated; 1 admission out of the county unreferred; 2 admission in the county
    unreferred at prefecture level; 3 interim admission after 10 days; 4 the same after 40; 5 visit out of
    the county; 6 visit in the county without charges; 7 plain admission. The scheme refuses the not
    designated, the unreferred out of the county, prefecture unreferred in the county, interim under 30
    days; visits only in the county at designated facilities. A refused row's eligible cost is 0."""
    t, f = True, False
    has_charges = np.array([t, t, t, t, t, t, f, t])
    inpatient = np.array([t, t, t, t, t, f, f, t])
    in_county = np.array([t, f, t, t, t, f, t, t])
    designated = np.array([f, t, t, t, t, t, t, t])
    referred = np.array([t, f, f, t, t, f, f, t])
    level = np.array([2, 2, 3, 2, 2, 0, 0, 2], np.int32)
    interim = np.array([f, f, f, t, t, f, f, f])
    days = np.array([0, 0, 0, 10, 40, 0, 0, 0])
    refuse_in = np.array([f, f, f, t, f])  # prefecture
    a = np.array([100, 200, 300, 400, 500, 600, 700, 800])
    b = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    refused, ok_in, ok_out = (np.empty(8, bool) for _ in range(3))
    eligible = np.empty(8, np.int64)
    rows = kernels.frame_rows(has_charges, inpatient, in_county, designated, referred, level, interim, days, t, f, t,
                              refuse_in, f, 30, 1, a, b, eligible, 100, 1, *NO_VISITS, refused, ok_in, ok_out,
                              np.zeros(0, np.int64))
    assert rows == 0
    assert refused.tolist() == [t, t, t, t, f, t, t, f]
    assert ok_in.tolist() == [f, f, f, f, t, f, f, t]
    assert ok_out.tolist() == [f] * 8
    assert eligible.tolist() == [0, 0, 0, 0, 505, 0, 0, 808]
    # no interim rows, nothing refused but the row without charges; the B class not eligible, in place
    kernels.frame_rows(has_charges, inpatient, in_county, designated, referred, level, interim, np.zeros(0, np.int64),
                       f, f, f, np.zeros(5, bool), t, 0, 2, a, np.zeros(0, np.int64), a, 100, 1, *NO_VISITS, refused,
                       ok_in, ok_out, np.zeros(0, np.int64))
    assert refused.tolist() == [f, f, f, f, f, f, t, f]
    assert ok_out.tolist() == [f, f, f, f, f, t, f, f]
    assert a.tolist() == [100, 200, 300, 400, 500, 600, 0, 800]


def test_a_pooled_visits_amount_before_the_caps_is_packed_in_the_same_pass():
    """Visits in the county (levels: 0 village 60 %, cap 30.00 a visit; 1 township 55 %, cap 60.00; 2 no
    pooling), rounding to the jiao (10 fen), chronic disease at 65 % for a certified person. By hand (fen):
    0: 10,000 × 60 % = 6,000, the visit's cap 3,000 → 3,000 × 16 + 0 = 48,000;
    1: 1,005 × 55 % = 552.75 → 550 (jiao) → 550 × 16 + 1 × 2 = 8,802;
    2: chronic, certified: 2,000 × 65 % = 1,300 → 1,300 × 16 + 0 + 1 = 20,801;
    3: chronic diagnosis, not certified: pooled, 2,000 × 60 % = 1,200 → 19,200;
    4: county level, no pooling → 0; 5: eligible cost 0 → 0; 6: an admission → 0 (payable: ok_in)."""
    t, f = True, False
    n = 7
    yes, no = np.ones(n, bool), np.zeros(n, bool)
    inpatient = np.array([f, f, f, f, f, f, t])
    level = np.array([0, 1, 0, 0, 2, 0, 1], np.int32)
    a = np.array([6000, 1005, 1500, 2000, 700, 0, 9000])
    b = np.array([4000, 0, 500, 0, 0, 0, 1000])
    diag_index = np.array([0, 0, 1, 1, 0, 0, 0], np.int32)
    chronic_table = np.array([f, t])
    certified = np.array([t, t, t, f, t, t, t])
    pool_known = np.array([t, t, f, f, f])
    pool_rate = np.array([60, 55, 0, 0, 0])
    visit_cap = np.array([3000, 6000, 1 << 40, 1 << 40, 1 << 40])
    refused, ok_in, ok_out = (np.empty(n, bool) for _ in range(3))
    packed = np.full(n, -1, np.int64)
    chronic_rows = kernels.frame_rows(yes, inpatient, yes, yes, yes, level, no, np.zeros(0, np.int64), f, f, f,
                                      np.zeros(5, bool), t, 0, 2, a, b, a, 100, 10, diag_index, chronic_table,
                                      certified, 65, pool_known, pool_rate, visit_cap, refused, ok_in, ok_out, packed)
    assert packed.tolist() == [48_000, 8_802, 20_801, 19_200, 0, 0, 0]
    assert chronic_rows == 1
    assert a.tolist() == [10_000, 1_005, 2_000, 2_000, 700, 0, 10_000]
    assert ok_out.tolist() == [t, t, t, t, t, t, f] and ok_in.tolist() == [f] * 6 + [t]


def test_negative_person_ids_take_the_lexsort_path_alike():
    """Ids below zero: no radix key, the three-key lexsort; the admissions then found by walking the sorted
    rows (`kernels.select_sorted`): the same columns as the same persons numbered from one."""
    scheme = SCHEMES["demo-layered-2020@2020-01-01"]
    df = synthetic_year(3000, persons=200, seed=8)
    shifted = df.with_columns(pl.col("person_id") - 100)
    assert shifted["person_id"].min() < 0
    got = settle_columns(shifted, scheme)
    assert got.equals(settle_columns(df, scheme))
    message = first_difference(shifted, got, replay_scalar(shifted, scheme))
    assert message is None, message

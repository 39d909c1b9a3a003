"""The visits' packed amounts carried through the sort (nrcms/simulation/kernels.py): the carried column is
the column in the sorted order, by buckets of persons and by the plain radix sort, in the caller's spent
buffer when it gives one; the caps walk reads the carried amounts forward and writes back only the rows the
caps change; the engine's spent buffers take the result columns."""

import numpy as np
import pytest

from nrcms.simulation import kernels
from nrcms.simulation.engine import settle_columns
from nrcms.simulation.reference import first_difference, replay_scalar
from nrcms.simulation.synthetic import synthetic_year
from tests.simulation.test_parity import SCHEMES


def test_carried_by_hand(monkeypatch):
    """Keys 5, 1, 7, 1, 4, 6 carrying 50, 10, 70, 11, 40, 60: in key order (ties in the frame's order) the
    carried values are 10, 11, 40, 50, 60, 70 — by buckets of one row, and by the plain radix sort."""
    key = np.array([5, 1, 7, 1, 4, 6])
    carry = np.array([50, 10, 70, 11, 40, 60])
    for msd_rows, bucket_rows in ((0, 1), (1 << 30, 1 << 16)):
        monkeypatch.setattr(kernels, "MSD_ROWS", msd_rows)
        monkeypatch.setattr(kernels, "BUCKET_ROWS", bucket_rows)
        order, keys, carried = kernels.person_day_order_carrying(key, key.astype(np.int32), 1, 0, 7, carry)
        assert order.tolist() == [1, 3, 4, 0, 5, 2]
        assert keys.tolist() == [1, 1, 4, 5, 6, 7]
        assert carried.tolist() == [10, 11, 40, 50, 60, 70]
        assert carry.tolist() == [50, 10, 70, 11, 40, 60]  # the frame-order column is left as it was


@pytest.mark.parametrize("msd_rows, bucket_rows", [(0, 1), (0, 64), (0, 10**6), (1 << 30, 1 << 16)])
def test_carried_is_the_column_in_sorted_order(monkeypatch, msd_rows, bucket_rows):
    monkeypatch.setattr(kernels, "MSD_ROWS", msd_rows)
    monkeypatch.setattr(kernels, "BUCKET_ROWS", bucket_rows)
    rng = np.random.default_rng(5)
    person = rng.integers(1, 500, 3000)
    date = rng.integers(18262, 18262 + 366, 3000).astype(np.int32)
    first_day, span = int(date.min()), int(date.max()) - int(date.min()) + 1
    carry = rng.integers(0, 10**12, 3000)
    spare = [np.full(3000, -1, np.int64)]  # a spent buffer of the caller's: takes the carried column
    given = spare[0].ctypes.data
    order, keys, carried = kernels.person_day_order_carrying(person, date, span, first_day,
                                                             int(person.max()) * span + span - 1, carry, spare)
    assert (order == np.argsort(person * span + (date - first_day), kind="stable")).all()
    assert (carried == carry[order]).all()
    # The sort's spent buffers (and the given one, when the sort ended elsewhere) go back to the caller.
    kept = {order.ctypes.data, keys.ctypes.data, carried.ctypes.data}
    assert not kept & {b.ctypes.data for b in spare}
    assert given in kept | {b.ctypes.data for b in spare}
    assert len(spare) == 2 + (0 if carried.ctypes.data == given else 1)


def test_nothing_carried():
    key = np.array([2, 0, 1])
    order, keys, carried = kernels.person_day_order_carrying(key, key.astype(np.int32), 1, 0, 2, kernels.NO_CARRY)
    assert order.tolist() == [1, 2, 0] and len(carried) == 0


def test_the_caps_walk_writes_back_only_capped_rows():
    """Span 10 (days 0–9). Person 0: rows 3 (day 1), 0 (day 1), 4 (day 2); person 1: rows 1 (day 0), 2 (day 5).
    Packed want × 16 + level × 2 + chronic. Day cap at level 1: 500; year's pooling cap 900; chronic yearly
    cap 250.
    - person 0, day 1: row 3 wants 300 (level 1) → 300 (today 300, year 300); row 0 wants 400 → 200 (the
      day's 500 less 300; today 500, year 500); day 2: row 4 wants 450 → 400 (year's 900 less 500);
    - person 1: row 1 chronic 200 → 200 (chronic 200); row 2 chronic 100 → 50 (the 250 less 200).
    Rows 3 and 1 are not capped: not written (their frame values are marked to show it)."""
    span = 10
    skey = np.array([1, 1, 2, 10, 15])
    order = np.array([3, 0, 4, 1, 2])
    wants = np.array([300 * 16 + 2, 400 * 16 + 2, 450 * 16 + 2, 200 * 16 + 1, 100 * 16 + 1])
    packed = np.array([400 * 16 + 2, -1, 100 * 16 + 1, -3, 450 * 16 + 2])  # frame order; -1, -3: marks
    empty = np.zeros(0, np.int64)
    kernels.visit_caps(order, skey, span, wants, packed, 250, empty, True, np.array([0, 500, 0, 0, 0]), empty,
                       True, 900, empty)
    assert packed.tolist() == [200 * 16 + 2, -1, 50 * 16 + 1, -3, 400 * 16 + 2]
    assert wants.tolist() == [300 * 16 + 2, 400 * 16 + 2, 450 * 16 + 2, 200 * 16 + 1, 100 * 16 + 1]


def test_the_caps_walk_starts_from_the_start_values():
    """One person (rows 1, 0 on days 0 and 3), start values at the first row (frame row 1): pooling paid 800
    of the year's 900, 50 of the day's 500 already today: row 1 wants 300 → min(500 − 50, 900 − 800) = 100;
    row 0 (a new day) wants 300 → 0 (the year's cap is reached)."""
    order, skey = np.array([1, 0]), np.array([0, 3])
    wants = np.array([300 * 16 + 2, 300 * 16 + 2])
    packed = wants[[1, 0]].copy()
    empty = np.zeros(0, np.int64)
    kernels.visit_caps(order, skey, 10, wants, packed, 0, empty, True, np.array([0, 500, 0, 0, 0]),
                       np.array([0, 50]), True, 900, np.array([0, 800]))
    assert packed.tolist() == [0 * 16 + 2, 100 * 16 + 2]


@pytest.mark.parametrize("scheme", ["stress-a", "stress-a-certified", "stress-b"])
def test_large_frame_path_settles_as_the_scalar_engine(monkeypatch, scheme):
    """The sort by buckets (forced on a small frame), the carried amounts and the spent buffers: the same
    results as the scalar engine, row by row (the stress schemes open every rule: day and year caps,
    chronic disease)."""
    monkeypatch.setattr(kernels, "MSD_ROWS", 0)
    monkeypatch.setattr(kernels, "BUCKET_ROWS", 16)
    version = SCHEMES[scheme]
    df = synthetic_year(3000, persons=200, seed=9)
    message = first_difference(df, settle_columns(df, version), replay_scalar(df, version))
    assert message is None, message


@pytest.mark.parametrize("bucket_rows", [1, 64, 10**6])
@pytest.mark.parametrize("ids", [(1, 40), (10**15, 10**16)])
def test_within_buckets_packed_or_not(monkeypatch, bucket_rows, ids):
    """Within a bucket the low key bits and the row's place share one int64 when they fit (ids up to 40:
    a few bits), else (ids near 10^16: keys of about 62 bits) the three arrays move: numpy's stable order
    either way, the keys and the carried column along."""
    monkeypatch.setattr(kernels, "MSD_ROWS", 0)
    monkeypatch.setattr(kernels, "BUCKET_ROWS", bucket_rows)
    rng = np.random.default_rng(3)
    person = rng.integers(*ids, 2000)
    person[::5] = person[1]
    date = rng.integers(18262, 18262 + 366, 2000).astype(np.int32)
    first_day, span = int(date.min()), int(date.max()) - int(date.min()) + 1
    key = person * span + (date - first_day)
    carry = rng.integers(0, 10**15, 2000)
    order, keys, carried = kernels.person_day_order_carrying(person, date, span, first_day,
                                                             int(person.max()) * span + span - 1, carry)
    expected = np.argsort(key, kind="stable")
    assert (order == expected).all()
    assert (keys == key[expected]).all()
    assert (carried == carry[expected]).all()

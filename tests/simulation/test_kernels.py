"""The engine's compiled loops (nrcms/simulation/kernels.py, numba): the radix sort against numpy's stable
sort, the rounding against the numpy form, the compact rows written to the frame, the fund's total, and the
loops inside Dask worker processes (each process loads or compiles them itself)."""

import numpy as np
import pytest

from nrcms.policy.scheme import SCHEMES_DIR, load_scheme_file
from nrcms.simulation import kernels
from nrcms.simulation.engine import _round, settle_columns
from nrcms.simulation.synthetic import synthetic_year


@pytest.mark.parametrize("top", [1, 2047, 2048, 10**6, 10**12])
def test_the_radix_sort_is_stable_and_carries_the_keys(top):
    """One, two and four 11-bit passes (and the widths between) against numpy's stable sort."""
    rng = np.random.default_rng(5)
    key = rng.integers(0, top + 1, 3000)
    key[::5] = key[0]  # ties: the frame's order decides
    order, keys = kernels.radix_order(key, int(key.max()))
    assert (order == np.argsort(key, kind="stable")).all()
    assert (keys == np.sort(key)).all()


def test_the_person_day_key_is_made_in_the_first_pass():
    person = np.array([7, 3, 7, 3, 5, 3])
    date = np.array([18300, 18302, 18299, 18302, 18000, 18301], np.int32)
    first_day, span = 18000, 303
    order, keys = kernels.person_day_order(person, date, span, first_day, 7 * span + span - 1)
    # by hand: person 3 on 18301 (row 5), 18302 (rows 1, 3 in frame order); 5 (row 4); 7 on 18299, 18300
    assert order.tolist() == [5, 1, 3, 4, 2, 0]
    assert keys.tolist() == [3 * 303 + 301, 3 * 303 + 302, 3 * 303 + 302, 5 * 303, 7 * 303 + 299, 7 * 303 + 300]
    seg, firsts = kernels.key_segments(keys, span)
    assert seg.tolist() == [0, 0, 0, 1, 2, 2] and firsts.tolist() == [0, 3, 4]


@pytest.mark.parametrize("quantum", [1, 10, 100])
def test_one_values_rounding_is_the_columns_rounding(quantum):
    """Half up to the quantum: 12,345 / 100 fen = 123.45 fen -> 123 fen, 120 fen (jiao), 100 fen (yuan)."""
    nums = np.arange(0, 200_000, 37, dtype=np.int64)
    expected = _round(nums, 1000, quantum)
    assert [kernels.round_q(int(x), 1000, quantum) for x in nums] == expected.tolist()
    assert kernels.round_q(12_345, 100, quantum) == {1: 123, 10: 120, 100: 100}[quantum]
    assert kernels.round_q(12_350, 100, 1) == 124  # exactly half: up
    assert kernels.pay_q(12_345, 100, 1, 100) == 100  # never above the limit
    assert kernels.pay_q(-5, 1, 1, 100) == 0 and kernels.pay_q(500, 1, 1, 0) == 0


def test_compact_rows_go_to_their_frame_rows():
    comp = np.arange(30, dtype=np.int64).reshape(3, 10)  # compact rows 0, 1, 2 belong to frame rows 4, 0, 2
    adm = np.array([4, 0, 2])
    perm, rows = kernels.radix_order(adm, 5)
    outs = [np.zeros(5, np.int64) for _ in range(10)]
    outs[3] = np.zeros(0, np.int64)  # a layer the scheme does not have: not written
    kernels.scatter_rows(rows, perm, comp, *outs)
    assert outs[0].tolist() == [10, 0, 20, 0, 0]
    assert outs[9].tolist() == [19, 0, 29, 0, 9]
    assert len(outs[3]) == 0


def test_the_funds_total_and_the_patients_own_payment():
    total = np.array([1000, 500, 80])
    basic, pooling, facility = np.array([600, 0, 0]), np.array([0, 300, 0]), np.array([0, 0, 30])
    empty = np.zeros(0, np.int64)
    fund, own = kernels.fund_and_self_pay(total, facility, basic, pooling, *([empty] * 7))
    assert fund.tolist() == [600, 300, 0]
    assert own.tolist() == [400, 200, 50]


def test_the_loops_run_in_dask_worker_processes():
    """Two worker processes (as `nrcms simulate --workers 2`): the rows equal the single-process run."""
    from dask.distributed import Client, LocalCluster

    from nrcms.simulation.distributed import settle_partitioned

    scheme = load_scheme_file(SCHEMES_DIR / "demo-layered-2020.yaml").versions[-1]
    year = synthetic_year(3000, persons=500, seed=13)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        rows = settle_partitioned(year, scheme, client=client, partitions=4)
    assert rows.equals(settle_columns(year, scheme))

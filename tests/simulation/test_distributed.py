"""The engine on a Dask cluster (in-process LocalCluster, 1 and 4 workers): partitioned by person, the rows'
results and the combined totals equal the single-process run to the fen."""

import numpy as np
import pytest

from nrcms.policy.scheme import SCHEMES_DIR, load_scheme_file
from nrcms.simulation.distributed import (
    partition_of,
    portable,
    rebuilt,
    settle_partitioned,
    split,
    totals_partitioned,
)
from nrcms.simulation.engine import RESULTS, settle_columns
from nrcms.simulation.errors import SimulationError
from nrcms.simulation.simulate import simulate
from nrcms.simulation.synthetic import synthetic_year

LAYERED = load_scheme_file(SCHEMES_DIR / "demo-layered-2020.yaml").versions[-1]
HUXIAN = load_scheme_file(SCHEMES_DIR / "huxian-2005.yaml").versions[-1]


@pytest.fixture(scope="module")
def year():
    return synthetic_year(4000, persons=700, seed=11)


def test_a_person_is_never_split_across_partitions(year):
    parts = split(year, 4)
    assert sum(p.height for p in parts) == year.height
    owners = [set(p["person_id"].to_list()) for p in parts]
    assert all(not (a & b) for i, a in enumerate(owners) for b in owners[i + 1:])
    assert min(p.height for p in parts) > 500  # the hash spreads neighbouring ids
    assert (partition_of(np.array([5, 5, 5]), 7) == partition_of(np.array([5]), 7)[0]).all()


def test_the_scheme_travels_as_its_canonical_parameters():
    data = portable(LAYERED)
    again = rebuilt(data)
    assert (again.version, again.params, again.effective) == (LAYERED.version, LAYERED.params, LAYERED.effective)
    forged = {**data, "version": "0" * 64}
    with pytest.raises(SimulationError, match="版本不一致"):
        rebuilt(forged)


@pytest.mark.parametrize("workers", [1, 4])
def test_partitioned_runs_equal_the_single_process_run(year, workers):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        for scheme in (LAYERED, HUXIAN):
            alone = settle_columns(year, scheme)
            rows = settle_partitioned(year, scheme, client=client, partitions=2 * workers + 1)
            assert rows.equals(alone)
            totals = totals_partitioned(year, scheme, client=client, partitions=2 * workers)
            assert totals["episodes"] == year.height
            assert {n: totals[n] for n in RESULTS} == {n: int(alone[n].sum()) for n in RESULTS}
            assert totals["fund_total"] > 0
        runner = lambda df, scheme: settle_partitioned(df, scheme, client=client, partitions=3)  # noqa: E731
        here = simulate(year, [("甲", LAYERED), ("乙", HUXIAN)], income=10_000_000_00)
        there = simulate(year, [("甲", LAYERED), ("乙", HUXIAN)], income=10_000_000_00, runner=runner)
        assert [o.fund_total for o in there] == [o.fund_total for o in here]
        assert there[1].gains == here[1].gains


def test_the_cli_refuses_a_bad_workers_value(tmp_path):
    from django.core.management import CommandError, call_command

    from nrcms.simulation.columns import write_episodes

    path = tmp_path / "ep.parquet"
    write_episodes(synthetic_year(20, seed=1), path)
    with pytest.raises(CommandError, match="调度器地址"):
        call_command("simulate", "--schemes", str(SCHEMES_DIR / "huxian-2005.yaml"), "--episodes", str(path),
                     "--workers", "many")


def test_each_call_scatters_its_parts_under_keys_of_its_own(year):
    """Settling the same frame twice must not share data keys: the first call's release would drop them
    under the second (the "lost dependencies" seen once in fifteen `simulate` runs with two schemes)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        keys = []
        scatter = client.scatter

        def recording(data, **kwargs):
            futures = scatter(data, **kwargs)
            keys.append({f.key for f in futures})
            return futures

        client.scatter = recording
        first = settle_partitioned(year, LAYERED, client=client, partitions=3)
        second = settle_partitioned(year, LAYERED, client=client, partitions=3)
        assert first.equals(second)
        assert len(keys) == 2 and len(keys[0]) == 3 and not keys[0] & keys[1]

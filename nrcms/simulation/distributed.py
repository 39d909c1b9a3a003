"""The vectorised engine on a Dask cluster (`nrcms simulate --workers 4` or `--workers tcp://host:8786`).

A person's episodes depend on one another (annual caps, yearly deductibles, the family account), never on
another person's, so the frame is split by person: partition = a hash of person_id, every episode of a person
in the same partition. Each partition is settled by `settle_columns` on a worker. Two ways back:

- `settle_partitioned`: every row's result, put back in the frame's order (what `simulate` needs for the
  gains and losses) — the same columns as `settle_columns(df, scheme)`, to the fen;
- `totals_partitioned`: only each partition's sums (int64 fen, summed per partition on the worker), added up
  here as Python ints — exact, and all that comes back over the network is a few numbers per partition.

A `Scheme` holds read-only mappings that do not pickle; it travels as its canonical parameters and is
rebuilt on the worker, checked against its content hash (so a worker can never settle with other numbers).

Each call scatters its parts under keys of its own (`hash=False`). With Dask's default, keys are the data's hash:
settling the same frame twice in a row (two schemes in `simulate`) scattered the same keys while the first
call's futures were being released, and the scheduler dropped the data under the second call ("lost
dependencies"), about one run in fifteen."""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from nrcms.policy.scheme import _PARAMETERS, Scheme, canonical, content_hash

from .engine import RESULTS, settle_columns
from .errors import SimulationError

ROW = "_row"
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: neighbouring ids spread over the partitions


def partition_of(person_id: np.ndarray, partitions: int) -> np.ndarray:
    """Each row's partition (0 … partitions-1), from its person id alone."""
    key = person_id.astype(np.int64).view(np.uint64) * GOLDEN  # wraps modulo 2^64, as intended
    return ((key >> np.uint64(32)) % np.uint64(partitions)).astype(np.int64)


def split(df: pl.DataFrame, partitions: int) -> list[pl.DataFrame]:
    """The frame in `partitions` parts by person, each with its rows' places in the frame (column _row)."""
    if partitions < 1:
        raise SimulationError("分区数应至少为 1")
    part = partition_of(df["person_id"].to_numpy(), partitions)
    indexed = df.with_row_index(ROW)
    return [indexed.filter(pl.Series(part == i)) for i in range(partitions)]


def portable(scheme: Scheme) -> dict:
    return {"id": scheme.id, "name": scheme.name, "county": scheme.county, "effective": scheme.effective,
            "notice": scheme.notice, "assumptions": scheme.assumptions, "params": canonical(scheme.params),
            "version": scheme.version}


_REBUILT: dict[str, Scheme] = {}  # per worker process, by version: rebuilt once, not per partition


def rebuilt(data: dict) -> Scheme:
    """The Scheme back from `portable(scheme)`, refused unless its content hash is the version it claims."""
    scheme = _REBUILT.get(data["version"])
    if scheme is None:
        params = _PARAMETERS.validate_python(data["params"])
        if content_hash(data["id"], data["effective"], params) != data["version"]:
            raise SimulationError(f"补偿方案 {data['id']} 传到计算节点后版本不一致")
        scheme = Scheme(id=data["id"], name=data["name"], county=data["county"], effective=data["effective"],
                        notice=data["notice"], assumptions=data["assumptions"], params=params, version=data["version"])
        if len(_REBUILT) >= 16:
            _REBUILT.clear()
        _REBUILT[data["version"]] = scheme
    return scheme


def _settle_part(part: pl.DataFrame, scheme: dict) -> pl.DataFrame:
    return settle_columns(part, rebuilt(scheme)).with_columns(part[ROW])


def _sum_part(part: pl.DataFrame, scheme: dict) -> dict[str, int]:
    result = settle_columns(part, rebuilt(scheme))
    return {name: int(result[name].sum()) for name in RESULTS} | {"episodes": part.height}


def settle_partitioned(df: pl.DataFrame, scheme: Scheme, *, client, partitions: int) -> pl.DataFrame:
    """Every row's result columns, in the frame's order: equal to `settle_columns(df, scheme)`."""
    data = portable(scheme)
    parts = client.scatter(split(df, partitions), hash=False)
    futures = client.map(_settle_part, parts, scheme=data, pure=False)
    settled = pl.concat(client.gather(futures), how="vertical")
    return settled.sort(ROW).drop(ROW)


def totals_partitioned(df: pl.DataFrame, scheme: Scheme, *, client, partitions: int) -> dict[str, int]:
    """The sums of every result column (fen; `refused`: the number refused) and the number of episodes."""
    data = portable(scheme)
    parts = client.scatter(split(df, partitions), hash=False)
    totals = dict.fromkeys((*RESULTS, "episodes"), 0)
    for part_totals in client.gather(client.map(_sum_part, parts, scheme=data, pure=False)):
        for name, value in part_totals.items():
            totals[name] += value
    return totals


def connect(workers: str):
    """A Dask client: `workers` is a number of local worker processes, or a scheduler's address."""
    from dask.distributed import Client, LocalCluster

    text = workers.strip()
    if text.isdigit():
        count = int(text)
        if not 1 <= count <= 256:
            raise SimulationError(f"--workers 应为 1 到 256 个工作进程，或调度器地址 tcp://主机:8786，读到 {workers}")
        return Client(LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR))  # the progress bar, not the cluster's chatter
    if not text.startswith(("tcp://", "tls://")):
        raise SimulationError(f"--workers 应为工作进程数或调度器地址（tcp://主机:8786），读到 {workers}")
    return Client(text)


def partitioned_runner(workers: str, partitions: int | None = None):
    """A `runner(df, scheme)` for `simulate` and `project` that settles on the cluster."""
    client = connect(workers)
    count = partitions or 2 * max(1, len(client.scheduler_info()["workers"]))

    def runner(df: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
        return settle_partitioned(df, scheme, client=client, partitions=count)

    return runner

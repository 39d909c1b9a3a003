"""Episodes per second through the vectorised engine (1 million and 10 million synthetic episodes) and the
scalar engine on a sample, in the same run, with the ratio and the peak memory of each size.

    python bench/bench_simulation.py [--sizes 1000000 10000000] [--sample 20000] [--scheme demo-layered-2020]

Rates are per CPU second (process time: the machine may be shared), one core. Prints the figures; asserts nothing about speed. The aim:
≥ 5 million episodes per second per core, ≥ 500× the scalar engine, memory linear in episodes. Building the
synthetic frame is not timed; reading a Parquet extract is timed separately. The engine's compiled loops
(numba) are compiled, or loaded from their disk cache, on a small frame first and that time is printed on
its own: the rates count no compiling."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nrcms.policy import shipped_schemes  # noqa: E402
from nrcms.simulation.columns import checked, read_episodes, write_episodes  # noqa: E402
from nrcms.simulation.engine import settle_columns  # noqa: E402
from nrcms.simulation.reference import replay_scalar  # noqa: E402
from nrcms.simulation.synthetic import synthetic_year  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--scheme", default="demo-layered-2020")
    args = parser.parse_args()
    scheme = shipped_schemes()[args.scheme].versions[-1]

    started = time.perf_counter()
    settle_columns(checked(synthetic_year(200, persons=40, seed=3)), scheme)
    print(f"编译或载入向量引擎的编译循环（numba，首次调用，200 笔）：{time.perf_counter() - started:.2f} 秒，不计入下列速度"
          f"（缓存目录 {os.environ.get('NUMBA_CACHE_DIR')}）")

    sample = checked(synthetic_year(args.sample, persons=args.sample // 4, seed=1))
    started = time.process_time()
    replay_scalar(sample, scheme)
    scalar_rate = args.sample / (time.process_time() - started)
    print(f"逐笔引擎（标量）：{args.sample:,} 笔，{scalar_rate:,.0f} 笔/CPU 秒")

    for n in args.sizes:
        df = checked(synthetic_year(n, seed=2))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "episodes.parquet"
            write_episodes(df, path)
            started = time.perf_counter()
            df = read_episodes(path)
            read_s = time.perf_counter() - started
        started, wall = time.process_time(), time.perf_counter()
        result = settle_columns(df, scheme)
        seconds, wall = time.process_time() - started, time.perf_counter() - wall
        started = time.process_time()  # again: the allocator now reuses the first call's memory (no page faults)
        settle_columns(df, scheme)
        again = time.process_time() - started
        tracemalloc.start()  # a third run, for the peak memory only (tracemalloc slows allocation)
        settle_columns(df, scheme)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rate = n / seconds
        frame_mb = df.estimated_size() / 2**20
        print(f"向量引擎：{n:,} 笔，CPU {seconds:.2f} 秒（墙钟 {wall:.2f} 秒），{rate:,.0f} 笔/CPU 秒，为逐笔引擎的 {rate / scalar_rate:,.0f} 倍；"
              f"读取 Parquet {read_s:.2f} 秒；数据 {frame_mb:,.0f} MiB，计算峰值内存（numpy，tracemalloc）"
              f"{peak / 2**20:,.0f} MiB（每笔 {peak / n:,.0f} 字节）；基金支付合计 {int(result['fund_total'].sum()):,} 分；"
              f"再算一次（内存已由分配器复用）CPU {again:.2f} 秒，{n / again:,.0f} 笔/CPU 秒")
        del df, result
    print(f"进程最大常驻内存 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

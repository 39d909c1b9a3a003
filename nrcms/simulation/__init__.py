"""Simulation (测算): the benefit rules of `nrcms.policy` over columns of episodes (int64 fen, numpy), a year
replayed under several schemes side by side, and a multi-year projection of the fund.

    from nrcms.simulation import read_episodes, settle_columns, simulate
    df = read_episodes("episodes-2020.parquet")          # or extract_year(2020) from the database
    out = settle_columns(df, scheme)                      # per-episode result columns, exact to the fen
    report = simulate(df, [scheme_a, scheme_b], income=...)

Python, numpy and numba (the engine's compiled loops, `kernels`): no Django except in `extract` (the database), `scheme_summary` (a scheme version's
simulation against last year's settlements, the hook of nrcms.schemes) and the page."""

import os
import tempfile

# The engine's compiled loops (kernels.py, numba) are cached on disk: a writable directory of their own
# unless the environment names one.
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "nrcms-numba-cache"))

__all__ = ["scheme_version_summary"]


def __getattr__(name: str):
    # lazily: importing the app (Django start-up) should not load numpy and polars
    if name == "scheme_version_summary":
        from .scheme_summary import scheme_version_summary

        return scheme_version_summary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

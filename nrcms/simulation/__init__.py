"""Simulation (测算): the benefit rules of `nrcms.policy` over columns of episodes (int64 fen, numpy), a year
replayed under several schemes side by side, and a multi-year projection of the fund.

    from nrcms.simulation import read_episodes, settle_columns, simulate
    df = read_episodes("episodes-2020.parquet")          # or extract_year(2020) from the database
    out = settle_columns(df, scheme)                      # per-episode result columns, exact to the fen
    report = simulate(df, [scheme_a, scheme_b], income=...)

Pure Python and numpy: no Django except in `extract` (the database) and the page."""

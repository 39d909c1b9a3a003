"""A scheme version's simulation against last year (方案测算), by the vectorised engine: the hook
`nrcms.schemes.services.simulation_summary` calls. It replays exactly what the scalar replay
(`schemes.replay.replay_summary`) replays — the same settlements, in the same order, from the same starting
totals — so the two give the same totals to the fen (tests/simulation/test_scheme_summary.py); being columnar
it needs no cap on the number of claims. Amounts are int fen inside, Decimal strings in the answer."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount, to_fen
from nrcms.policy.types import YearToDate

from .columns import Row, frame
from .engine import settle_columns
from .simulate import NRCMS_LAYERS, OTHER_LAYERS


def _yuan(fen: int) -> str:
    return format(round_amount(Decimal(fen) / 100), "f")


def scheme_version_summary(version) -> dict:
    """The keys of the scalar replay (engine, year, claims, old_total, new_total, difference, changed, refused,
    scheme_version, truncated) plus `layers` (the new scheme's total per layer, yuan) and `nrcms_fund` (what the
    NRCMS fund itself would pay, without catastrophic insurance, assistance and the safety net)."""
    from nrcms.schemes.replay import replay_episode, replay_selection

    year, scheme, selected = replay_selection(version, limit=None)
    rows, old_fen, starts = [], [], {}
    for person_id, inputs, fund in selected:
        episode, categories, balance = replay_episode(inputs)
        # every row of a person carries the person's start: the family account the first settlement saw
        start = starts.setdefault(person_id, YearToDate(family_account_balance=balance))
        rows.append(Row(person_id, episode, categories.categories, start))
        old_fen.append(to_fen(fund))
    df = frame(rows)
    result = settle_columns(df, scheme)
    new_fen = result["fund_total"].to_list()
    old_total, new_total = sum(old_fen), sum(new_fen)
    layers = {name: _yuan(int(result[name].sum())) for name in (*NRCMS_LAYERS, *OTHER_LAYERS)} if rows else {
        name: format(ZERO, "f") for name in (*NRCMS_LAYERS, *OTHER_LAYERS)}
    nrcms = sum(int(result[name].sum()) for name in NRCMS_LAYERS) if rows else 0
    return {"engine": "vectorised", "year": year, "claims": len(rows), "old_total": _yuan(old_total),
            "new_total": _yuan(new_total), "difference": _yuan(new_total - old_total),
            "changed": sum(1 for old, new in zip(old_fen, new_fen, strict=True) if old != new),
            "refused": int(result["refused"].sum()) if rows else 0, "scheme_version": scheme.version,
            "truncated": False, "layers": layers, "nrcms_fund": _yuan(nrcms)}


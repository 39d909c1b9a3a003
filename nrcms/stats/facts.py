"""The settlement facts (SettlementFact): one narrow row per settlement row the statistics count, so that every
county statistic is a scan of ~80,000 rows instead of joins settlement → episode → household → region.

A fact is what stats/sources.py counts, row by row: a desk settlement or desk reversal on its settlement day
(sign +1 / −1, the reversal's amounts negated as stored), a manual claim's payment on its payment day (+1) and,
if reversed, the claim again on its reversal day (−1, amounts negated). Days are local days (what day_range
selects), amounts whole fen, already signed, so a sum of a column is the net figure.

Every writer of the rows mirrored here writes the facts in the same transaction: the desk's settlement_settle
and settlement_reverse (claims/settlement.py), manual_claim_settle and manual_claim_reverse (claims/manual.py),
the demo's re-dating of settlements (demo/claims.py) and the demo build's bulk settlements (demo/build/care.py).
The raw path reads the episode as it is now — its referral, discharge date and current charge lines — and a
catalogue code as a drug if any version says so; so the desk's episode_referral_attach, episode_discharge,
charges_upload and charge_withdraw (possible only on an episode with no active settlement, i.e. after a
reversal) rewrite the episode's facts, and catalogue_item_add rewrites the facts of the settled episodes with
lines of a code that has just become a drug. Each writes by `add` / `refresh_*`, which read the rows back
through `raw_facts` — the same function the rebuild and the data migration use.

What the facts cannot answer stays on the raw rows (stats/sources.py): a category filter (a person's category
on the day of admission) and filters on columns they do not carry (referral lookups, Exists subqueries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nrcms.core.tables import lock_for_rebuild

AMOUNTS = ("total_cost", "eligible_cost", "basic", "fixed_fee", "subsidy", "family_account", "catastrophic",
           "assistance", "safety_net", "fund_total", "self_pay", "facility_borne")
DESK, PAID, REVERSED = "desk", "paid", "reversed"
_EPISODE = ("episode_id", "episode__person_id", "episode__household__region__code", "episode__facility_id",
            "episode__kind", "episode__referral_id", "episode__admission_date", "episode__discharge_date",
            "result__basic_before_cap", "result__basic")
_DESK_FIELDS = ("pk", "settled_at", "kind", *_EPISODE, *AMOUNTS)
_CLAIM_FIELDS = ("pk", "paid_at", "closed_at", "status", *_EPISODE, "referral_id", *AMOUNTS)


def _fen(amount) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at, timezone.get_current_timezone()).date()


def _fact(source, row_id, at, sign, episode: tuple, referred: bool, amounts, drugs=(0, 0)) -> dict:
    """episode: the _EPISODE values; drugs: (drug cost in fen, drug lines) of the episode's current lines."""
    ep, person, region, facility, kind, _, admitted, discharged, before_cap, basic = episode
    fen = {f"{name}_fen": sign * _fen(value) for name, value in zip(AMOUNTS, amounts, strict=True)}
    fen["pooled_fen"] = fen["basic_fen"] + fen["fixed_fee_fen"] + fen["subsidy_fen"]
    # as indicators counted them from the rows: a stay of at least one day, the cap cut the basic reimbursement
    stay = max((discharged - admitted).days, 1) if kind == "inpatient" and discharged is not None else None
    capped = kind == "inpatient" and before_cap is not None and Decimal(str(before_cap)) > Decimal(str(basic))
    return {"source": source, "row_id": row_id, "day": _day(at), "sign": sign, "episode_id": ep,
            "person_id": person, "region_code": region, "facility_id": facility, "episode_kind": kind,
            "referred": referred, **fen, "stay_days": stay, "capped": capped,
            "drug_cost_fen": sign * drugs[0], "drug_lines": drugs[1]}


def _drugs(line_model, item_model, episode_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(drug cost in fen, lines) per episode: its current (not withdrawn) charge lines whose catalogue code is a
    drug in the catalogue (any version), as stats/facility_shares.py read them from the lines."""
    from django.db.models import Count, Sum

    drugs = item_model.objects.filter(kind="drug").values("code")
    out = {}
    for start in range(0, len(episode_ids), 2000):
        rows = (line_model.objects.filter(episode_id__in=episode_ids[start:start + 2000], withdrawn_at__isnull=True,
                                          catalogue_code__in=drugs)
                .order_by().values("episode_id").annotate(d=Sum("amount"), n=Count("id")))
        out.update({r["episode_id"]: (_fen(r["d"]), r["n"]) for r in rows})
    return out


def raw_facts(settlement_model, claim_model, settlements: Q | None = None, claims: Q | None = None, *,
              line_model=None, item_model=None) -> list[dict]:
    """The facts as the raw rows give them, of the settlement rows matching `settlements` and the manual claims
    matching `claims` (None: none of that model; Q(): all). Models are passed in so the data migration can use
    its historical ones (the charge lines' and the catalogue's: default the current ones)."""
    if line_model is None or item_model is None:
        from nrcms.claims.models import ChargeLine
        from nrcms.facilities.models import CatalogueItem
        line_model, item_model = ChargeLine, CatalogueItem
    n = len(_EPISODE)
    out = []
    if settlements is not None:
        rows = list(settlement_model.objects.filter(settlements).order_by().values_list(*_DESK_FIELDS)
                    .iterator(2000))
        drugs = _drugs(line_model, item_model, sorted({r[3] for r in rows}))
        for pk, at, kind, *rest in rows:
            episode, amounts = tuple(rest[:n]), rest[n:]
            # a reversal row's amounts are stored negated already (sign 1 here); its sign takes the count back and
            # the drug cost of the episode's lines (what facility_shares weighted −1 for a reversal row)
            fact = _fact(DESK, pk, at, 1, episode, episode[5] is not None, amounts, drugs.get(episode[0], (0, 0)))
            if kind == "reversal":
                fact["sign"], fact["drug_cost_fen"] = -1, -fact["drug_cost_fen"]
            out.append(fact)
    if claims is not None:
        # manual claims carry no Settlement row: they have no drug cost (facility_shares reads desk rows only)
        for pk, paid_at, closed_at, status, *rest in (
                claim_model.objects.filter(claims).filter(status__in=("paid", "reversed"))
                .order_by().values_list(*_CLAIM_FIELDS).iterator(2000)):
            episode, ref, amounts = tuple(rest[:n]), rest[n], rest[n + 1:]
            referred = ref is not None or episode[5] is not None
            if paid_at is not None:
                out.append(_fact(PAID, pk, paid_at, 1, episode, referred, amounts))
            if status == "reversed" and closed_at is not None:
                out.append(_fact(REVERSED, pk, closed_at, -1, episode, referred, amounts))
    return out


def _models():
    from nrcms.claims.models import ManualClaim, Settlement

    from .models import SettlementFact
    return Settlement, ManualClaim, SettlementFact


def add(settlement_ids: Iterable[int] = (), claim_ids: Iterable[int] = ()) -> int:
    """Write (or rewrite) the facts of these settlement rows and manual claims from the rows themselves, in the
    caller's transaction. Returns the number of facts written."""
    settlement_model, claim_model, fact_model = _models()
    settlement_ids, claim_ids = list(settlement_ids), list(claim_ids)
    rows = []
    for start in range(0, max(len(settlement_ids), len(claim_ids)), 2000):
        s_ids, c_ids = settlement_ids[start:start + 2000], claim_ids[start:start + 2000]
        rows += raw_facts(settlement_model, claim_model, Q(pk__in=s_ids) if s_ids else None,
                          Q(pk__in=c_ids) if c_ids else None)
    with transaction.atomic():
        if settlement_ids:
            for start in range(0, len(settlement_ids), 2000):
                fact_model.objects.filter(source=DESK, row_id__in=settlement_ids[start:start + 2000]).delete()
        if claim_ids:
            for start in range(0, len(claim_ids), 2000):
                fact_model.objects.filter(source__in=(PAID, REVERSED),
                                          row_id__in=claim_ids[start:start + 2000]).delete()
        fact_model.objects.bulk_create([fact_model(**r) for r in rows], batch_size=2000)
    return len(rows)


def refresh_episode(episode_id: int) -> int:
    """Rewrite the facts of every settlement row and manual claim of an episode: after its referral, discharge
    date or charge lines changed (only possible while it has no active settlement: its reversed rows still
    count, with the episode as it is now, as the raw rows do)."""
    settlement_model, claim_model, _ = _models()
    return add(settlement_model.objects.filter(episode_id=episode_id).values_list("pk", flat=True),
               claim_model.objects.filter(episode_id=episode_id).values_list("pk", flat=True))


def refresh_catalogue_code(code: str) -> int:
    """Rewrite the facts of the settled episodes with lines of this catalogue code (a new catalogue version may
    make it a drug or no longer one: the drug cost reads every version's kind)."""
    from nrcms.claims.models import ChargeLine

    settlement_model, _, fact_model = _models()
    episodes = (ChargeLine.with_withdrawn.filter(catalogue_code=code).values_list("episode_id", flat=True)
                .distinct().order_by())
    ids = list(settlement_model.objects.filter(episode_id__in=episodes).values_list("pk", flat=True))
    return add(settlement_ids=ids)


def _key(row: dict) -> tuple:
    return row["source"], row["row_id"]


def _comparable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("id", "source", "row_id")}


def differences(limit: int = 5) -> tuple[int, list[str]]:
    """(how many facts differ from the raw rows — missing, extra or different —, a few described in Chinese)."""
    settlement_model, claim_model, fact_model = _models()
    raw = {_key(r): _comparable(r) for r in raw_facts(settlement_model, claim_model, Q(), Q())}
    stored = {_key(r): _comparable(r) for r in fact_model.objects.values().iterator(2000)}
    keys = sorted(k for k in set(raw) | set(stored) if raw.get(k) != stored.get(k))
    labels = {DESK: "结算单", PAID: "手工报销支付", REVERSED: "手工报销冲正"}
    shown = []
    for key in keys[:limit]:
        if key not in stored:
            shown.append(f"{labels[key[0]]}（内部编号 {key[1]}）缺少结算事实")
        elif key not in raw:
            shown.append(f"结算事实 {labels[key[0]]}（内部编号 {key[1]}）没有对应的结算记录")
        else:
            fields = sorted(f for f in raw[key] if raw[key][f] != stored[key].get(f))
            shown.append(f"{labels[key[0]]}（内部编号 {key[1]}）的结算事实与结算记录不符：{'、'.join(fields)}")
    return len(keys), shown


def rebuild(progress: Callable[[str, int], None] | None = None, actor=None) -> int:
    """Recompute every fact from the raw rows and audit it (how many differed before, how many written)."""
    from nrcms.accounts.audit import audit_record

    settlement_model, claim_model, fact_model = _models()
    with transaction.atomic():
        lock_for_rebuild(fact_model)
        differed, _ = differences(limit=0)
        fact_model.objects.all().delete()
        rows = raw_facts(settlement_model, claim_model, Q(), Q())
        fact_model.objects.bulk_create([fact_model(**r) for r in rows], batch_size=2000)
        if progress is not None:
            progress("结算事实", len(rows))
        audit_record(actor=actor, action="settlement_facts.rebuild", object_type="stats.settlementfact",
                     object_repr="结算事实表", after={"differences": differed, "rows": len(rows)})
    return len(rows)

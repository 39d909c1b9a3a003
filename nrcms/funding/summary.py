"""The ledger's day summary (LedgerDaySummary): the journal lines summed per day, account group and entry kind, so
that the fund's statistics (nrcms/stats/fund.py, the dashboard) read a few thousand rows instead of every line.

An account group is the account's code (1001, 3101, 1201 …) or, for the accounts kept one per household or per
facility, their common prefix up to the dash (3102-, 2201-): what the statistics select by. A reader that needs
one household's or one facility's account reads the lines themselves (ledger.balance).

Every writer of journal lines adds them here in the same transaction: ledger._post_new (every posting, the desk's
settlements and reversals included), the year-end close and the demo build's bulk inserts (record_lines), and
the demo's re-dating of entries (redate_entries). The increments are one INSERT … ON CONFLICT DO UPDATE SET
x = x + excluded.x per row (SQLite and PostgreSQL), so parallel postings add up and never overwrite each other;
keys are written in sorted order, so two transactions take their row locks in the same order.

rebuild() recomputes the whole table from the lines (`nrcms stats rebuild-summaries`), differences() compares the
two (the books check reports any difference)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import StrIndex, Substr

from nrcms.core.money import ZERO, round_amount
from nrcms.core.tables import lock_for_rebuild

from .models import JournalEntry, JournalLine, LedgerDaySummary

Key = tuple[dt.date, str, str, str]  # day, account group, account kind, entry kind
BATCH = 100  # rows per INSERT (7 parameters each: under SQLite's oldest limit of 999)


def group_of(code: str) -> str:
    """3102-0001 → 3102-; 1001 → 1001."""
    return code[:code.index("-") + 1] if "-" in code else code


def to_fen(amount) -> int:
    return int(round_amount(Decimal(amount)) * 100)


def from_fen(fen) -> Decimal:
    """A sum of fen (int; PostgreSQL's SUM of bigint comes back as a Decimal; None when no row) in yuan."""
    return round_amount(Decimal(int(fen)) / 100) if fen is not None else ZERO


def add_lines(rows: Iterable[tuple[dt.date, str, str, str, Decimal, Decimal]], sign: int = 1) -> None:
    """Add lines given as (day, entry kind, account code, account kind, debit, credit) to the summary, in the
    caller's transaction; sign −1 takes them out again."""
    totals: dict[Key, list[int]] = {}
    for day, entry_kind, code, account_kind, debit, credit in rows:
        t = totals.setdefault((day, group_of(code), account_kind, entry_kind), [0, 0, 0])
        t[0] += sign * to_fen(debit)
        t[1] += sign * to_fen(credit)
        t[2] += sign
    _upsert(totals)


def record_lines(lines: Iterable[JournalLine], sign: int = 1) -> None:
    """add_lines for JournalLine objects whose entry and account are at hand (a bulk insert's objects)."""
    add_lines(((ln.entry.date, ln.entry.kind, ln.account.code, ln.account.kind, ln.debit, ln.credit)
               for ln in lines), sign)


def _upsert(totals: dict[Key, list[int]]) -> None:
    if not totals:
        return
    qn = connection.ops.quote_name
    table = qn(LedgerDaySummary._meta.db_table)
    cols = ("day", "account_group", "account_kind", "entry_kind", "debit_fen", "credit_fen", "lines")
    adds = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in cols[4:])
    keys = sorted(totals)
    with connection.cursor() as cur:
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            params = []
            for key in batch:
                params += [connection.ops.adapt_datefield_value(key[0]), *key[1:], *totals[key]]
            cur.execute(f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) VALUES {values} "
                        f"ON CONFLICT ({', '.join(qn(c) for c in cols[:4])}) DO UPDATE SET {adds}", params)


def redate_entries(entries: Q, day: dt.date) -> int:
    """Move the entries matching `entries` (a Q on JournalEntry) to `day`, their lines' summary with them (the
    demo dates its settlements on the day of care). Returns the number of entries moved."""
    with transaction.atomic():
        ids = list(JournalEntry.objects.select_for_update().filter(entries).exclude(date=day)
                   .values_list("pk", flat=True))
        if not ids:
            return 0
        lines = list(JournalLine.objects.filter(entry_id__in=ids)
                     .values_list("entry__date", "entry__kind", "account__code", "account__kind", "debit", "credit"))
        add_lines(lines, sign=-1)
        JournalEntry.objects.filter(pk__in=ids).update(date=day)
        add_lines((day, *rest) for _, *rest in lines)
        return len(ids)


def _raw(lines=None) -> dict[Key, tuple[int, int, int]]:
    """The summary as the lines give it (optionally of a subset of lines), grouped in the database."""
    code = F("account__code")
    group = Case(When(account__code__contains="-", then=Substr(code, 1, StrIndex(code, Value("-")))),
                 default=code, output_field=CharField())
    qs = JournalLine.objects.all() if lines is None else lines
    rows = (qs.order_by().annotate(g=group).values("entry__date", "g", "account__kind", "entry__kind")
            .annotate(d=Sum("debit"), c=Sum("credit"), n=Count("id")))
    return {(r["entry__date"], r["g"], r["account__kind"], r["entry__kind"]):
            (to_fen(r["d"] or ZERO), to_fen(r["c"] or ZERO), r["n"]) for r in rows}


def _stored() -> dict[Key, tuple[int, int, int]]:
    rows = LedgerDaySummary.objects.values_list("day", "account_group", "account_kind", "entry_kind", "debit_fen",
                                                "credit_fen", "lines")
    return {tuple(r[:4]): (int(r[4]), int(r[5]), int(r[6])) for r in rows if r[4] or r[5] or r[6]}


def differences(limit: int = 5) -> tuple[int, list[str]]:
    """(how many summary rows differ from the lines, a few of them described in Chinese)."""
    raw, stored = _raw(), _stored()
    keys = sorted(k for k in set(raw) | set(stored) if raw.get(k) != stored.get(k))
    shown = []
    for key in keys[:limit]:
        d, c, n = stored.get(key, (0, 0, 0))
        rd, rc, rn = raw.get(key, (0, 0, 0))
        shown.append(f"{key[0]} 科目 {key[1]} 业务 {key[3]}：汇总 借 {from_fen(d)} 贷 {from_fen(c)}（{n} 行），"
                     f"分录行 借 {from_fen(rd)} 贷 {from_fen(rc)}（{rn} 行）")
    return len(keys), shown


def rebuild(progress: Callable[[str, int], None] | None = None, actor=None) -> int:
    """Recompute the whole summary from the lines, year by year of entry date (progress(year, rows) after
    each), and audit it (how many rows differed before, how many were written). PostgreSQL: the table is locked
    first, so a posting running meanwhile waits and adds its lines to the rebuilt rows after. Returns the
    number of rows written. actor None: the command line."""
    from nrcms.accounts.audit import audit_record

    written = 0
    with transaction.atomic():
        lock_for_rebuild(LedgerDaySummary)
        differed, _ = differences(limit=0)
        LedgerDaySummary.objects.all().delete()
        years = sorted({d.year for d in JournalEntry.objects.dates("date", "year")})
        for year in years:
            raw = _raw(JournalLine.objects.filter(entry__date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))))
            LedgerDaySummary.objects.bulk_create(
                [LedgerDaySummary(day=k[0], account_group=k[1], account_kind=k[2], entry_kind=k[3], debit_fen=d,
                                  credit_fen=c, lines=n) for k, (d, c, n) in sorted(raw.items())], batch_size=2000)
            written += len(raw)
            if progress is not None:
                progress(str(year), len(raw))
        audit_record(actor=actor, action="ledger_summary.rebuild", object_type="funding.ledgerdaysummary",
                     object_repr="记账分录按日汇总", after={"differences": differed, "rows": written})
    return written

"""The year's contributions, by every kind of payer, in bulk but by contribution_record's rules: each receipt
pays at most what a member still owes of the standard, its first yuan go to the household's family account up
to the standard's family share, civil affairs pays only for members holding 五保/特困/低保, and each receipt is
one balanced ledger entry — Dr 1001 / Cr 3102-户 (family share) + Cr 3101 (rest) — exactly as the service posts
it. Payers: civil affairs for its categories; the village committee for everyone in some villages (户县: 11 of
them), 2–5 yuan each in others with the rest paid by the household; cadres advancing for some poor households;
the household itself for the rest; a few households have not paid yet. Then finance posts the subsidies due
(subsidy_receivable_post) and records their arrival (subsidy_receive), through the services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.core.money import ZERO, money
from nrcms.funding import ledger, summary
from nrcms.funding.models import (
    Account,
    AccountKind,
    Contribution,
    ContributionLine,
    JournalEntry,
    JournalLine,
    PayerKind,
)
from nrcms.funding.services import (
    ON_BEHALF_CATEGORIES,
    contribution_standard_set,
    subsidy_receivable_post,
    subsidy_receive,
)
from nrcms.registry.models import Enrollment, EnrollmentStatus, PersonCategory
from nrcms.registry.people import sequence_take

# 户县's first year: 10 yuan per person, of which 5 to the family account; 20 yuan of subsidies (seeds/001, §5).
STANDARD = {"personal_amount": "10", "central_subsidy": "10", "provincial_subsidy": "6", "county_subsidy": "4",
            "family_account_amount": "5"}
UNPAID = 0.015  # enrolled households whose payment has not come in yet
CADRES = ["张书记", "李主任", "王会计", "赵村长", "刘书记", "陈主任"]
BATCH = 5000


def set_standard(year: int, authority: str) -> None:
    contribution_standard_set(actor=None, scheme_year=year, effective_from=dt.date(year - 1, 9, 1),
                              authority=f"户县合管委（演示：按户县试点首年标准，个人 10 元其中 5 元划入家庭账户，"
                                        f"各级财政补助 20 元）；{authority}", **STANDARD)


def _campaign_day(rng: random.Random, year: int, today: dt.date) -> dt.date:
    day = dt.date(year - 1, 10, 8) + dt.timedelta(days=rng.randrange(80))
    return min(day, today)


def collect(year: int, seed: int, users: dict, clerks: dict[str, str], today: dt.date, progress=None) -> dict:
    """Writes every receipt; returns counts and totals by payer kind."""
    rng = random.Random(seed + 2)
    personal, family_std = money(STANDARD["personal_amount"]), money(STANDARD["family_account_amount"])
    on_behalf = set(PersonCategory.objects.held_on(dt.date(year - 1, 12, 31))
                    .filter(category__in=ON_BEHALF_CATEGORIES).values_list("person_id", flat=True))
    poor = set(PersonCategory.objects.filter(category="registered_poor").values_list("person_id", flat=True))
    rows = (Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED)
            .order_by("household__number", "person__id_number")
            .values_list("household_id", "household__number", "household__region__code", "household__region__parent__name",
                         "person_id", "person__name", "person__relation"))
    households: dict[int, dict] = {}
    for hh, number, region, village_name, pid, name, relation in rows:
        h = households.setdefault(hh, {"number": number, "village": region[:12], "village_name": village_name,
                                       "members": [], "head": None})
        h["members"].append(pid)
        if relation == "head":
            h["head"] = name
        h.setdefault("first", name)
    villages = sorted({h["village"] for h in households.values()})
    full_collective = set(rng.sample(villages, max(1, round(len(villages) * 11 / 518))))
    part_collective = {v: rng.choice(["2", "3", "5"]) for v in rng.sample(
        [v for v in villages if v not in full_collective], max(1, round(len(villages) * 35 / 518)))}
    # receipts: (household_id, payer_kind, payer_name, paid_on, actor, [(person, amount, family)])
    receipts = []
    for hh, h in households.items():
        paid: dict[int, Decimal] = {}
        day = _campaign_day(rng, year, today)
        clerk = users[clerks[h["village"][:9] + "000"]]

        def receipt(kind, name, persons, amount=None, actor=clerk, day=day, hh=hh, h=h, paid=paid):
            lines = []
            for pid in persons:
                owed = personal - paid.get(pid, ZERO)
                value = min(amount, owed) if amount is not None else owed
                if value <= 0:
                    continue
                share = max(min(family_std - min(paid.get(pid, ZERO), family_std), value), ZERO)
                lines.append((pid, value, share))
                paid[pid] = paid.get(pid, ZERO) + value
            if lines:
                receipts.append((hh, h["number"], kind, name, day, actor, lines))

        assisted = [p for p in h["members"] if p in on_behalf]
        if assisted:
            receipt(PayerKind.CIVIL_AFFAIRS, "县民政局", assisted, actor=users["civil"])
        rest = [p for p in h["members"] if p not in on_behalf]
        if not rest or rng.random() < UNPAID:
            continue
        head = h["head"] or h["first"]
        committee = f"{h['village_name']}村委会"
        if h["village"] in full_collective:
            receipt(PayerKind.COLLECTIVE, committee, rest)
            continue
        if h["village"] in part_collective:
            receipt(PayerKind.COLLECTIVE, committee, rest, amount=money(part_collective[h["village"]]))
        if any(p in poor for p in rest) and rng.random() < 0.3:
            receipt(PayerKind.CADRE_ADVANCE, rng.choice(CADRES), rest)
            continue
        receipt(PayerKind.SELF, head, rest)
    return _write(receipts, year, progress)


def _write(receipts: list, year: int, progress) -> dict:
    first = sequence_take(f"receipt-{year}", len(receipts)) if receipts else 0
    accounts = _family_accounts({(hh, number) for hh, number, *_ in receipts})
    fund, pooled = ledger.account(ledger.FUND_ACCOUNT), ledger.account(ledger.POOLED_FUND)
    totals: dict[str, Decimal] = {}
    for start in range(0, len(receipts), BATCH):
        chunk = receipts[start:start + BATCH]
        with transaction.atomic():
            contributions = [Contribution(
                receipt_number=f"SJ610125{year}{first + start + n:07d}", scheme_year=year, household_id=hh,
                payer_kind=kind, payer_name=name, paid_on=day, total=sum((a for _, a, _ in lines), ZERO),
                recorded_by=actor) for n, (hh, _number, kind, name, day, actor, lines) in enumerate(chunk)]
            Contribution.objects.bulk_create(contributions, batch_size=2000)
            ContributionLine.objects.bulk_create([
                ContributionLine(contribution=c, person_id=pid, amount=a, family_account_amount=f)
                for c, (*_, lines) in zip(contributions, chunk, strict=True) for pid, a, f in lines], batch_size=5000)
            entries = [JournalEntry(date=c.paid_on, kind="contribution", created_by=c.recorded_by,
                                    description=f"收个人缴费 {c.receipt_number}（{PayerKind(c.payer_kind).label}）",
                                    source_type="funding.contribution", source_id=str(c.pk)) for c in contributions]
            JournalEntry.objects.bulk_create(entries, batch_size=2000)
            lines_out = []
            for c, e, (hh, *_rest) in zip(contributions, entries, chunk, strict=True):
                family = sum((f for _, _, f in _rest[-1]), ZERO)
                lines_out.append(JournalLine(entry=e, account=fund, debit=c.total, credit=ZERO))
                if family:
                    lines_out.append(JournalLine(entry=e, account=accounts[hh], debit=ZERO, credit=family))
                if c.total - family:
                    lines_out.append(JournalLine(entry=e, account=pooled, debit=ZERO, credit=c.total - family))
                totals[c.payer_kind] = totals.get(c.payer_kind, ZERO) + c.total
            JournalLine.objects.bulk_create(lines_out, batch_size=5000)
            summary.record_lines(lines_out)
            by_kind: dict[str, int] = {}
            for c in contributions:
                by_kind[c.payer_kind] = by_kind.get(c.payer_kind, 0) + 1
            audit_record(actor=None, action="contribution.record_batch", object_type="funding.contribution",
                         object_repr=f"{contributions[0].receipt_number}–{contributions[-1].receipt_number}",
                         authority="演示数据（批量生成，规则同逐笔收缴）", region_code="610125000000",
                         after={"receipts": len(contributions), "by_payer": by_kind,
                                "total": sum((c.total for c in contributions), ZERO)})
        if progress:
            progress(len(chunk))
    return {"receipts": len(receipts), "by_payer": totals}


def _family_accounts(households: set[tuple[int, str]]) -> dict[int, Account]:
    existing = {a.household_id: a for a in Account.objects.filter(household__isnull=False)}
    new = [Account(code=f"3102-{number}", name=f"家庭账户 {number}", kind=AccountKind.FUND, household_id=hh)
           for hh, number in sorted(households) if hh not in existing]
    Account.objects.bulk_create(new, batch_size=5000)
    existing.update({a.household_id: a for a in Account.objects.filter(household__isnull=False)})
    return existing


def subsidies(year: int, users: dict, today: dt.date) -> None:
    """Finance posts what each level owes for the enrolled and records the money arriving in the special account."""
    finance = users["finance"]
    entries = subsidy_receivable_post(actor=finance, scheme_year=year)
    for n, entry in enumerate(entries):
        line = entry.lines.filter(debit__gt=0).select_related("account").first()
        level = next(k for k, v in ledger.SUBSIDY_RECEIVABLE.items() if v == line.account.code)
        subsidy_receive(actor=finance, level=level, amount=line.debit, received_on=min(dt.date(year, 3 + n, 15), today),
                        reference=f"{year}-{level}-演示拨款")

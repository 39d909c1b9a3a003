"""The fund's double-entry ledger. Every movement of money is one balanced entry; balances are sums.

Chart of accounts (fixed codes; per-household and per-facility accounts are created on first use):
  1001              基金专户存款 (asset)           the fund's special bank account
  1201/1202/1203    应收中央/省级/县级财政补助 (asset) subsidies due from each level of government
  3101              统筹基金 (fund)                 the pooled fund
  3102-<户编号>      家庭账户 (fund)                 one per household, rolls over
  3103              风险基金 (fund)                 reserve
  3109              家庭账户结转 (fund)             year-end carry-forward of the family accounts, nets to zero
  2201-<机构编码>    应付医疗机构 (liability)         what the fund owes each facility
  1301/1302/1303    应收大病保险/医疗救助/兜底 (asset) layers advanced at the one-stop window
  2202              应付参合患者返还款 (liability)   refunds recovered from facilities, owed to patients

Postings: contribution received — Dr 1001 / Cr 3102-户 (family share) + Cr 3101 (rest); a reversal is the
mirror image. Subsidy due — Dr 120x / Cr 3101; subsidy received — Dr 1001 / Cr 120x. Settlement payable —
Dr 3101 (pooled payments) + Dr 3102-户 (family account) + Dr 1301/1302/1303 (catastrophic insurance,
medical assistance, safety net: advanced at the one-stop window, due from their payers) / Cr 2201-机构; a
reversal posts the same lines the other way round. Violation deduction — Dr 2201 / Cr 3101.
Disbursement — Dr 2201 / Cr 1001. Year-end close of the family accounts (year_close.py) — Dr 3102-户 / Cr 3109
on the closing date, Dr 3109 / Cr 3102-户 the day after; no family-account entry is dated in a closed year. Refund to a patient by a facility — Dr 2201 / Cr 1001 on the patient's behalf
is outside the fund; a refund *by the fund* — Dr 3101 / Cr 1001.

Patient refunds (返还, payments/refunds.py): the county finds a patient paid too much on a settlement
(miscalculation, unreasonable charges). The facility's statement that carries the refund as a recovery line
posts, when approved, Dr 2201-机构 / Cr 2202 (the facility is owed less, the patient is owed it); paying the
patient posts Dr 2202 / Cr 1001. 2202's balance is the refunds recovered and not yet paid.
Advances claimed (payments/advances.py): the insurer or civil affairs repays a monthly claim of what the
window advanced — Dr 1001 / Cr 1301/1302/1303; each receivable's balance equals the claims not yet repaid
plus the layer amounts not yet claimed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from nrcms.core.errors import ValidationFailed
from nrcms.core.money import ZERO, round_amount

from . import summary
from .models import Account, AccountKind, JournalEntry, JournalLine, YearClose

FUND_ACCOUNT = "1001"
SUBSIDY_RECEIVABLE = {"central": "1201", "provincial": "1202", "county": "1203"}
POOLED_FUND = "3101"
RISK_RESERVE = "3103"
REFUNDS_PAYABLE = "2202"
LEVEL_LABELS = {"central": "中央", "provincial": "省级", "county": "县级"}
FIXED = {
    FUND_ACCOUNT: ("基金专户存款", AccountKind.ASSET),
    "1201": ("应收中央财政补助", AccountKind.ASSET),
    "1202": ("应收省级财政补助", AccountKind.ASSET),
    "1203": ("应收县级财政补助", AccountKind.ASSET),
    POOLED_FUND: ("统筹基金", AccountKind.FUND),
    RISK_RESERVE: ("风险基金", AccountKind.FUND),
    "3109": ("家庭账户结转", AccountKind.FUND),
    "1301": ("应收大病保险赔付", AccountKind.ASSET),
    "1302": ("应收医疗救助资金", AccountKind.ASSET),
    "1303": ("应收兜底保障资金", AccountKind.ASSET),
    REFUNDS_PAYABLE: ("应付参合患者返还款", AccountKind.LIABILITY),
}
# One-stop settlement (一站式): the facility advances every layer to the patient and the fund repays it all;
# what the layers after the basic scheme paid is then due to the fund from the insurer and civil affairs.
LAYER_RECEIVABLE = {"catastrophic": "1301", "assistance": "1302", "safety_net": "1303"}


def account(code: str) -> Account:
    name, kind = FIXED[code]
    row, _ = Account.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    return row


def family_account_of(household) -> Account:
    row, _ = Account.objects.get_or_create(
        code=f"3102-{household.number}",
        defaults={"name": f"家庭账户 {household.number}", "kind": AccountKind.FUND, "household": household})
    return row


def payable_to(facility) -> Account:
    row, _ = Account.objects.get_or_create(
        code=f"2201-{facility.code}",
        defaults={"name": f"应付医疗机构 {facility.name}", "kind": AccountKind.LIABILITY, "facility": facility})
    return row


@transaction.atomic
def post(*, date: dt.date, kind: str, description: str, lines: list[tuple[Account, Decimal, Decimal]],
         actor=None, source=None, idempotency_key: str | None = None) -> JournalEntry:
    """Post one entry of (account, debit, credit) lines. Refuses anything unbalanced or not to the fen.
    The same idempotency key returns the entry already posted."""
    if idempotency_key:
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    return _post_new(date=date, kind=kind, description=description, lines=lines, actor=actor, source=source,
                     idempotency_key=idempotency_key)


def _post_new(*, date: dt.date, kind: str, description: str, lines: list[tuple[Account, Decimal, Decimal]],
              actor=None, source=None, idempotency_key: str | None = None) -> JournalEntry:
    """post() without the idempotency lookup or a transaction of its own: for a caller already in a
    transaction that knows no entry can carry the key yet (the unique constraint still guards it)."""
    lines = [(a, Decimal(d), Decimal(c)) for a, d, c in lines if d or c]
    if not lines:
        raise ValidationFailed("empty_entry", "记账分录不能没有金额", field="lines")
    for a, d, c in lines:
        if d < 0 or c < 0 or (d and c):
            raise ValidationFailed("invalid_line", f"科目 {a.code} 的借贷金额应为一方正数", field="lines")
        if d != d.quantize(Decimal("0.01")) or c != c.quantize(Decimal("0.01")):
            raise ValidationFailed("invalid_line", f"科目 {a.code} 的金额应精确到分", field="lines")
    debit, credit = sum(d for _, d, _ in lines), sum(c for _, _, c in lines)
    if debit != credit:
        raise ValidationFailed("unbalanced", f"借贷不平：借方 {debit}，贷方 {credit}", field="lines")
    date, note = open_date_for(date, lines)
    description = description[:200 - len(note)] + note if note else description
    entry = JournalEntry.objects.create(
        date=date, kind=kind, description=description, idempotency_key=idempotency_key, created_by=actor,
        source_type=source._meta.label_lower if source is not None else "",
        source_id=str(source.pk) if source is not None else "")
    JournalLine.objects.bulk_create([JournalLine(entry=entry, account=a, debit=d, credit=c) for a, d, c in lines])
    summary.add_lines((date, kind, a.code, a.kind, d, c) for a, d, c in lines)  # same transaction as the lines
    return entry


def settlement_post(*, settlement, actor, created_here: bool = False) -> JournalEntry:
    """The payable a settlement (or its reversal, with negative amounts) creates towards the facility.

    created_here=True: the settlement row was inserted in the caller's still-open transaction, so no entry can
    carry its key `settlement-<pk>` yet — the idempotency lookup and the savepoint (the caller's transaction
    rolls back whole on any error) are left out: three statements fewer on every settlement."""
    episode = settlement.episode
    sign = -1 if settlement.fund_total < 0 else 1
    parts = [(POOLED_FUND, settlement.basic + settlement.fixed_fee + settlement.subsidy),
             (f"3102-{episode.household.number}", settlement.family_account)]
    parts += [(code, getattr(settlement, layer)) for layer, code in LAYER_RECEIVABLE.items()]
    parts = [(code, amount * sign) for code, amount in parts if amount]
    payable = settlement.fund_total * sign
    if not parts:
        return None
    payable_code = f"2201-{episode.facility.code}"
    accounts = _accounts_by_code([code for code, _ in parts] + [payable_code], episode)
    what = "冲正" if sign < 0 else "结算"
    lines = [(accounts[code], amount, ZERO) if sign > 0 else (accounts[code], ZERO, amount) for code, amount in parts]
    lines.append((accounts[payable_code], ZERO, payable) if sign > 0 else (accounts[payable_code], payable, ZERO))
    write = _post_new if created_here and transaction.get_connection().in_atomic_block else post
    return write(date=timezone.localdate(settlement.settled_at) if settlement.settled_at else timezone.localdate(),
                 kind="settlement" if sign > 0 else "settlement_reversal",
                 description=f"{what} {settlement.number}（{episode.facility.name}，{episode.serial}）",
                 lines=lines, actor=actor, source=settlement, idempotency_key=f"settlement-{settlement.pk}")


def _accounts_by_code(codes: list[str], episode) -> dict[str, Account]:
    """The accounts a settlement posts to, looked up together (one query on every settlement instead of one
    per account); any not there yet is created as account(), family_account_of() and payable_to() do."""
    found = {a.code: a for a in Account.objects.filter(code__in=codes)}
    for code in codes:
        if code not in found:
            if code.startswith("3102-"):
                found[code] = family_account_of(episode.household)
            elif code.startswith("2201-"):
                found[code] = payable_to(episode.facility)
            else:
                found[code] = account(code)
    return found


def family_account_lock(household) -> None:
    """Serialise spending from one household's family account (two members at two desks)."""
    acct = family_account_of(household)
    Account.objects.select_for_update().filter(pk=acct.pk).first()


def balance(acct: Account | str, *, until: dt.date | None = None) -> Decimal:
    """Debit-normal for assets, credit-normal for funds and liabilities."""
    if isinstance(acct, str):
        acct = Account.objects.filter(code=acct).first()
        if acct is None:
            return ZERO
    qs = JournalLine.objects.filter(account=acct)
    if until is not None:
        qs = qs.filter(entry__date__lte=until)
    sums = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
    d, c = fen_sum(sums["d"]), fen_sum(sums["c"])
    return d - c if acct.kind == AccountKind.ASSET else c - d


def family_account_balance(household) -> Decimal:
    """What the household's family account holds now (used by outpatient settlement)."""
    acct = Account.objects.filter(household=household).first()
    return balance(acct) if acct is not None else ZERO


def trial_balance() -> list[dict]:
    rows = (JournalLine.objects.values("account__code", "account__name", "account__kind")
            .annotate(d=Sum("debit"), c=Sum("credit")).order_by("account__code"))
    out = []
    for r in rows:
        d, c = fen_sum(r["d"]), fen_sum(r["c"])
        out.append({"code": r["account__code"], "name": r["account__name"], "kind": r["account__kind"],
                    "debit": d, "credit": c,
                    "balance": d - c if r["account__kind"] == AccountKind.ASSET else c - d})
    return out


def fen_sum(value) -> Decimal:
    """Aggregates come back from SQLite through a float; every line is whole fen, so rounding the sum to the
    fen restores it exactly (up to totals of about 10^13 yuan). PostgreSQL's numeric is exact anyway."""
    return round_amount(value) if value is not None else ZERO


def unbalanced_entries() -> list[tuple[int, Decimal, Decimal]]:
    """Compared in Python after rounding to the fen: SQL comparisons of SQLite's float sums are not exact."""
    rows = JournalEntry.objects.annotate(d=Sum("lines__debit"), c=Sum("lines__credit")).values_list("pk", "d", "c")
    return [(pk, fen_sum(d), fen_sum(c)) for pk, d, c in rows if d is None or fen_sum(d) != fen_sum(c)]


def posted_total(acct: Account, *, kind: str) -> Decimal:
    sums = JournalLine.objects.filter(account=acct, entry__kind=kind).aggregate(d=Sum("debit"), c=Sum("credit"))
    return fen_sum(sums["d"]) - fen_sum(sums["c"])


def violation_deduction_post(*, facility, amount: Decimal, description: str, actor, source,
                             idempotency_key: str) -> JournalEntry:
    """违规扣款: the facility is owed less and the pooled fund keeps it — Dr 2201-机构 / Cr 3101."""
    return post(date=timezone.localdate(), kind="violation_deduction", description=description[:200],
                lines=[(payable_to(facility), amount, ZERO), (account(POOLED_FUND), ZERO, amount)],
                actor=actor, source=source, idempotency_key=idempotency_key)


def disbursement_post(*, facility, amount: Decimal, description: str, actor, source,
                      idempotency_key: str) -> JournalEntry:
    """拨付: money leaves the special account for the facility — Dr 2201-机构 / Cr 1001."""
    return post(date=timezone.localdate(), kind="facility_disbursement", description=description[:200],
                lines=[(payable_to(facility), amount, ZERO), (account(FUND_ACCOUNT), ZERO, amount)],
                actor=actor, source=source, idempotency_key=idempotency_key)


def manual_claim_post(*, claim, actor, reversal: bool = False) -> JournalEntry | None:
    """手工报销 paid to the patient (out-of-county care the patient paid first): the fund pays the person, not a
    facility, by transfer from the special account the day the claim is settled — Dr 3101 (basic, fixed fee,
    subsidy) + Dr 1301/1302/1303 (layers the centre advances) / Cr 1001. No payable is left open: the centre's
    approval is the payment order. A reversal (the patient repays) posts the same lines the other way round."""
    parts = [(account(POOLED_FUND), claim.basic + claim.fixed_fee + claim.subsidy)]
    parts += [(account(code), getattr(claim, layer)) for layer, code in LAYER_RECEIVABLE.items()]
    parts = [(acct, amount) for acct, amount in parts if amount]
    if not parts:
        return None
    total = sum((amount for _, amount in parts), ZERO)
    if reversal:
        lines = [(acct, ZERO, amount) for acct, amount in parts] + [(account(FUND_ACCOUNT), total, ZERO)]
    else:
        lines = [(acct, amount, ZERO) for acct, amount in parts] + [(account(FUND_ACCOUNT), ZERO, total)]
    what = "冲正" if reversal else "支付"
    return post(date=timezone.localdate(), kind="manual_claim_reversal" if reversal else "manual_claim",
                description=f"手工报销{what} {claim.number}（{claim.episode.person.name}，{claim.episode.facility.name}）"[:200],
                lines=lines, actor=actor, source=claim,
                idempotency_key=f"manual-claim-{claim.pk}{'-reversal' if reversal else ''}")


def refund_recovery_post(*, facility, amount: Decimal, description: str, actor, source,
                         idempotency_key: str) -> JournalEntry:
    """返还追回: the facility's statement carries a patient refund — Dr 2201-机构 / Cr 2202."""
    return post(date=timezone.localdate(), kind="refund_recovery", description=description[:200],
                lines=[(payable_to(facility), amount, ZERO), (account(REFUNDS_PAYABLE), ZERO, amount)],
                actor=actor, source=source, idempotency_key=idempotency_key)


def refund_payment_post(*, amount: Decimal, description: str, actor, source, idempotency_key: str) -> JournalEntry:
    """返还支付: the special account pays the patient — Dr 2202 / Cr 1001."""
    return post(date=timezone.localdate(), kind="refund_payment", description=description[:200],
                lines=[(account(REFUNDS_PAYABLE), amount, ZERO), (account(FUND_ACCOUNT), ZERO, amount)],
                actor=actor, source=source, idempotency_key=idempotency_key)


def advance_repayment_post(*, code: str, amount: Decimal, date: dt.date, description: str, actor, source,
                           idempotency_key: str) -> JournalEntry:
    """垫付回款: the insurer or civil affairs repays a claim — Dr 1001 / Cr 1301/1302/1303."""
    return post(date=date, kind="advance_repayment", description=description[:200],
                lines=[(account(FUND_ACCOUNT), amount, ZERO), (account(code), ZERO, amount)],
                actor=actor, source=source, idempotency_key=idempotency_key)


# --- closed periods (year close, year_close.py) ---------------------------------------------------------

def closed_through() -> dt.date | None:
    """The last closing date: nothing may be posted to a family account on or before it."""
    return YearClose.objects.aggregate(d=Max("closing_date"))["d"]


def open_date_for(date: dt.date, lines) -> tuple[dt.date, str]:
    """The date an entry is posted on: an entry touching a family account dated on or before the last closing
    date goes to the first open day, with a note naming its own date. Entries dated today or later never
    fall in a closed period (a closing date is always before the day of the close), so the hot path of the
    desk asks the database nothing."""
    if date >= timezone.localdate() or not any(a.household_id for a, _, _ in lines):
        return date, ""
    closed = closed_through()
    if closed is None or date > closed:
        return date, ""
    first_open = closed + dt.timedelta(days=1)
    return first_open, f"（原日期 {date}，家庭账户已结账至 {closed}，记入 {first_open}）"

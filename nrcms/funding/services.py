"""Writes about contributions and subsidies; each one transaction with its ledger entry and audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.accounts.services import require, require_separation
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import ZERO, money
from nrcms.registry.models import (
    Enrollment,
    EnrollmentStatus,
    Household,
    Person,
    PersonCategory,
    PersonStatus,
    Relation,
)
from nrcms.registry.people import sequence_take

from . import ledger
from .models import Contribution, ContributionLine, ContributionStandard, ContributionStatus, PayerKind
from .selectors import paid_by_person, standard_for, subsidy_claim

ON_BEHALF_CATEGORIES = ("wubao", "tekun", "dibao")


def _amount(value, field: str, label: str) -> Decimal:
    try:
        return money(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("invalid", f"{label}：{exc}", field=field) from exc
    except InvalidOperation as exc:  # pragma: no cover — money() already turns this into ValueError
        raise ValidationFailed("invalid", f"{label}不是有效金额", field=field) from exc


@transaction.atomic
def contribution_standard_set(*, actor: User | None, scheme_year: int, effective_from: dt.date, personal_amount,
                              central_subsidy, provincial_subsidy, county_subsidy, family_account_amount="0",
                              authority: str) -> ContributionStandard:
    if actor is not None:
        require(actor, Cap.SCHEME_MANAGE)
    if not (authority or "").strip():
        raise ValidationFailed("required", "筹资标准必须注明依据文件", field="authority")
    values = {
        "personal_amount": _amount(personal_amount, "personal_amount", "个人缴费"),
        "central_subsidy": _amount(central_subsidy, "central_subsidy", "中央财政补助"),
        "provincial_subsidy": _amount(provincial_subsidy, "provincial_subsidy", "省级财政补助"),
        "county_subsidy": _amount(county_subsidy, "county_subsidy", "县级财政补助"),
        "family_account_amount": _amount(family_account_amount, "family_account_amount", "划入家庭账户"),
    }
    for field, value in values.items():
        if value < 0:
            raise ValidationFailed("invalid", "金额不能为负数", field=field)
    if values["family_account_amount"] > values["personal_amount"]:
        raise ValidationFailed("invalid", "划入家庭账户的金额不能超过个人缴费", field="family_account_amount")
    existing = ContributionStandard.objects.filter(scheme_year=scheme_year, effective_from=effective_from).first()
    if existing is not None:
        if all(getattr(existing, k) == v for k, v in values.items()):
            return existing
        raise Conflict("exists", f"{scheme_year} 年度 {effective_from} 起的标准已存在；调整请用新的生效日期",
                       field="effective_from")
    row = ContributionStandard.objects.create(scheme_year=scheme_year, effective_from=effective_from,
                                              authority=authority, created_by=actor, **values)
    audit_record(actor=actor, action="standard.set", obj=row, authority=authority,
                 after={"scheme_year": scheme_year, "effective_from": effective_from, **values})
    return row


def _may_collect(actor: User, household: Household, payer_kind: str) -> None:
    if payer_kind == PayerKind.CIVIL_AFFAIRS and actor.can(Cap.ASSISTANCE_MANAGE):
        return
    require(actor, Cap.CONTRIBUTION_COLLECT)
    j = jurisdiction_of(actor)
    if j.region_prefix is None or not household.region.code.startswith(j.region_prefix):
        raise NotFound("家庭户", household.number)


def _categories_on(person_ids, on: dt.date) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    rows = PersonCategory.objects.held_on(on).filter(person_id__in=list(person_ids)).values_list("person_id", "category")
    for pid, cat in rows:
        out.setdefault(pid, set()).add(cat)
    return out


def _head_name(household: Household, chosen: list[Person]) -> str:
    """Who pays for several members when nobody is named: the household's head (by name, as the receipt
    must name a person), else the first member paid for."""
    head = household.members.filter(relation=Relation.HEAD, status=PersonStatus.ACTIVE).first()
    return head.name if head is not None else chosen[0].name


@transaction.atomic
def contribution_record(*, actor: User, household: Household, scheme_year: int, payer_kind: str, payer_name: str = "",
                        paid_on: dt.date, persons: list[Person] | None = None, amount_per_person=None,
                        idempotency_key: str | None = None) -> Contribution:
    """Record a payment of the personal share for some or all enrolled members of a household.
    amount_per_person defaults to what each still owes; a retry with the same idempotency key returns the
    first receipt. Civil affairs pays only for members holding 五保/特困/低保 on the payment date."""
    if idempotency_key:
        earlier = Contribution.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    if payer_kind not in PayerKind.values:
        raise ValidationFailed("invalid", f"缴费方“{payer_kind}”不是有效选项", field="payer_kind")
    _may_collect(actor, household, payer_kind)
    if paid_on > timezone.localdate():
        raise ValidationFailed("invalid", f"缴费日期 {paid_on} 晚于今天", field="paid_on")
    standard = standard_for(scheme_year)
    household = Household.objects.select_for_update().get(pk=household.pk)
    enrolled = {e.person_id: e.person for e in Enrollment.objects.select_related("person").filter(
        household=household, scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED)}
    if not enrolled:
        raise ValidationFailed("not_enrolled", f"户 {household.number} 未参加 {scheme_year} 年度新农合，不能缴费",
                               field="household")
    chosen = persons if persons is not None else list(enrolled.values())
    strangers = [p.name for p in chosen if p.pk not in enrolled]
    if strangers:
        raise ValidationFailed("not_enrolled", f"{'、'.join(strangers)}未在本户 {scheme_year} 年度参合", field="persons")
    paid = paid_by_person(scheme_year, [p.pk for p in chosen])
    if payer_kind == PayerKind.CIVIL_AFFAIRS:
        cats = _categories_on([p.pk for p in chosen], paid_on)
        lacking = [p.name for p in chosen if not cats.get(p.pk, set()) & set(ON_BEHALF_CATEGORIES)]
        if lacking:
            raise ValidationFailed("not_eligible", f"{'、'.join(lacking)}在 {paid_on} 不属于五保、特困或低保，民政不能代缴",
                                   field="persons")
    fixed = _amount(amount_per_person, "amount_per_person", "每人金额") if amount_per_person not in (None, "") else None
    lines = []
    for p in chosen:
        owed = standard.personal_amount - paid.get(p.pk, ZERO)
        amount = fixed if fixed is not None else owed
        if owed <= 0:
            if persons is None:
                continue  # whole-household payment: skip members already paid
            raise ValidationFailed("already_paid", f"{p.name}已缴清 {scheme_year} 年度个人缴费", field="persons")
        if amount <= 0:
            raise ValidationFailed("invalid", "每人金额应大于 0", field="amount_per_person")
        if amount > owed:
            raise ValidationFailed("overpaid", f"{p.name}尚欠 {owed} 元，本次 {amount} 元超过应缴", field="amount_per_person")
        share = min(standard.family_account_amount - min(paid.get(p.pk, ZERO), standard.family_account_amount), amount)
        lines.append((p, amount, max(share, ZERO)))
    if not lines:
        raise ValidationFailed("already_paid", f"户 {household.number} 的参合人员均已缴清", field="persons")
    if not payer_name:
        payer_name = {PayerKind.SELF: chosen[0].name if len(chosen) == 1 else _head_name(household, chosen),
                      PayerKind.COLLECTIVE: household.region.parent.name + "村委会" if household.region.parent else "村委会",
                      PayerKind.CIVIL_AFFAIRS: "县民政局", PayerKind.CADRE_ADVANCE: ""}[payer_kind]
    if payer_kind == PayerKind.CADRE_ADVANCE and not payer_name.strip():
        raise ValidationFailed("required", "干部垫付须填写垫付人姓名", field="payer_name")
    total = sum((amount for _, amount, _ in lines), ZERO)
    county = household.region.code[:6]
    number = f"SJ{county}{scheme_year}{sequence_take(f'receipt-{scheme_year}'):07d}"
    contribution = Contribution.objects.create(
        receipt_number=number, scheme_year=scheme_year, household=household, payer_kind=payer_kind,
        payer_name=payer_name, paid_on=paid_on, total=total, idempotency_key=idempotency_key, recorded_by=actor)
    ContributionLine.objects.bulk_create([ContributionLine(contribution=contribution, person=p, amount=a,
                                                           family_account_amount=f) for p, a, f in lines])
    family = sum((f for _, _, f in lines), ZERO)
    ledger.post(date=paid_on, kind="contribution", description=f"收个人缴费 {number}（{PayerKind(payer_kind).label}）",
                actor=actor, source=contribution, lines=[
                    (ledger.account(ledger.FUND_ACCOUNT), total, ZERO),
                    (ledger.family_account_of(household), ZERO, family),
                    (ledger.account(ledger.POOLED_FUND), ZERO, total - family)])
    audit_record(actor=actor, action="contribution.record", obj=contribution, region_code=household.region.code,
                 after={"receipt": number, "payer_kind": payer_kind, "payer_name": payer_name, "total": total,
                        "persons": [p.id_number for p, _, _ in lines]})
    return contribution


@transaction.atomic
def contribution_reverse(*, actor: User, contribution: Contribution, reason: str) -> Contribution:
    """冲销 by a reversing receipt. Separation of duties: whoever recorded the payment may not reverse it."""
    if not (reason or "").strip():
        raise ValidationFailed("required", "冲销必须填写原因", field="reason")
    _may_collect(actor, contribution.household, contribution.payer_kind)
    require_separation(preparer=contribution.recorded_by, approver=actor, what="缴费冲销")
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if contribution.reverses_id is not None:
        raise ValidationFailed("invalid", "冲销收据不能再冲销", field="contribution")
    if contribution.status == ContributionStatus.REVERSED:
        raise ValidationFailed("already_reversed", f"收据 {contribution.receipt_number} 已冲销", field="contribution")
    number = f"{contribution.receipt_number}-C"
    reversal = Contribution.objects.create(
        receipt_number=number, scheme_year=contribution.scheme_year, household=contribution.household,
        payer_kind=contribution.payer_kind, payer_name=contribution.payer_name, paid_on=timezone.localdate(),
        total=-contribution.total, reverses=contribution, reason=reason, recorded_by=actor)
    lines = list(contribution.lines.all())
    ContributionLine.objects.bulk_create([ContributionLine(contribution=reversal, person_id=line.person_id,
                                                           amount=-line.amount,
                                                           family_account_amount=-line.family_account_amount)
                                          for line in lines])
    family = sum((line.family_account_amount for line in lines), ZERO)
    ledger.post(date=reversal.paid_on, kind="contribution_reversal", actor=actor, source=reversal,
                description=f"冲销个人缴费 {contribution.receipt_number}：{reason}", lines=[
                    (ledger.family_account_of(contribution.household), family, ZERO),
                    (ledger.account(ledger.POOLED_FUND), contribution.total - family, ZERO),
                    (ledger.account(ledger.FUND_ACCOUNT), ZERO, contribution.total)])
    contribution.status = ContributionStatus.REVERSED
    contribution.reason = reason
    contribution.save(update_fields=["status", "reason"])
    audit_record(actor=actor, action="contribution.reverse", obj=contribution, reason=reason,
                 region_code=contribution.household.region.code,
                 before={"status": "valid"}, after={"status": "reversed", "reversal": number})
    return reversal


@transaction.atomic
def cadre_advance_repay(*, actor: User, contribution: Contribution, repaid_on: dt.date) -> Contribution:
    if contribution.payer_kind != PayerKind.CADRE_ADVANCE:
        raise ValidationFailed("invalid", "只有干部垫付的缴费需要登记归还", field="contribution")
    _may_collect(actor, contribution.household, contribution.payer_kind)
    if contribution.cadre_repaid_on is not None:
        raise ValidationFailed("already_repaid", f"已于 {contribution.cadre_repaid_on} 登记归还", field="repaid_on")
    if repaid_on < contribution.paid_on:
        raise ValidationFailed("invalid", "归还日期不能早于垫付日期", field="repaid_on")
    if repaid_on > timezone.localdate():
        raise ValidationFailed("invalid", f"归还日期 {repaid_on} 晚于今天", field="repaid_on")
    contribution.cadre_repaid_on = repaid_on
    contribution.save(update_fields=["cadre_repaid_on"])
    audit_record(actor=actor, action="contribution.cadre_repaid", obj=contribution,
                 region_code=contribution.household.region.code, after={"repaid_on": repaid_on})
    return contribution


def _require_finance(actor: User) -> None:
    if not actor.can(Cap.FUND_DISBURSE):
        raise Forbidden("只有财政局（基金专户）可以登记财政补助")


@transaction.atomic
def subsidy_receivable_post(*, actor: User, scheme_year: int) -> list:
    """Post what each level of government owes for the year's enrolled persons; re-running posts only the
    difference when enrollment grew (never twice the same amount)."""
    _require_finance(actor)

    claim = subsidy_claim(scheme_year=scheme_year)
    entries = []
    for level in ("central", "provincial", "county"):
        due = claim["totals"][level]
        acct = ledger.account(ledger.SUBSIDY_RECEIVABLE[level])
        posted = ledger.posted_total(acct, kind=f"subsidy_due_{scheme_year}")
        difference = due - posted
        if difference <= 0:
            continue
        entries.append(ledger.post(
            date=timezone.localdate(), kind=f"subsidy_due_{scheme_year}", actor=actor,
            description=f"{scheme_year} 年度{ledger.LEVEL_LABELS[level]}财政补助应收（{claim['enrolled']} 人）",
            lines=[(acct, difference, ZERO), (ledger.account(ledger.POOLED_FUND), ZERO, difference)],
            idempotency_key=f"subsidy-due-{scheme_year}-{level}-{due}"))
    if entries:
        audit_record(actor=actor, action="subsidy.receivable", object_type="funding.subsidy", object_id=str(scheme_year),
                     after={level: claim["totals"][level] for level in ("central", "provincial", "county")})
    return entries


@transaction.atomic
def subsidy_receive(*, actor: User, level: str, amount, received_on: dt.date, reference: str) -> object:
    _require_finance(actor)
    if level not in ledger.SUBSIDY_RECEIVABLE:
        raise ValidationFailed("invalid", "财政级别应为 central、provincial 或 county", field="level")
    value = _amount(amount, "amount", "到账金额")
    if value <= 0:
        raise ValidationFailed("invalid", "到账金额应大于 0", field="amount")
    if not (reference or "").strip():
        raise ValidationFailed("required", "请填写到账凭证号", field="reference")
    entry = ledger.post(date=received_on, kind="subsidy_received", actor=actor,
                        description=f"{ledger.LEVEL_LABELS[level]}财政补助到账（{reference}）",
                        lines=[(ledger.account(ledger.FUND_ACCOUNT), value, ZERO),
                               (ledger.account(ledger.SUBSIDY_RECEIVABLE[level]), ZERO, value)],
                        idempotency_key=f"subsidy-received-{level}-{reference}")
    audit_record(actor=actor, action="subsidy.received", object_type="funding.journalentry", object_id=str(entry.pk),
                 after={"level": level, "amount": value, "reference": reference})
    return entry

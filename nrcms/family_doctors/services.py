"""家庭医生签约: teams, contracts (sign, renew, cancel), visits, the monthly fee through the ledger, and the
readers (who is covered on a day, signing rates by village and category, the registered poor not signed).

Coverage: a contract with a person covers that person; a contract with a household (no person) covers the
household's members in the register. A contract is in force from its start to its end, or to the day before
its cancellation. One person is covered by at most one contract on any day: signing or renewing refuses an
overlap, naming the contract already in force.

The monthly fee (documented in docs/guide/family-doctors.md): for month M, a contract counts one
contract-month when it is in force on the first day of M (a year's contract from the 15th counts the twelve
months whose first day it covers). The team is paid, for M, round_amount(Σ fee_fund of its counted
contracts ÷ 12) — one rounding per team and month — posted Dr 3101 统筹基金 / Cr 2201-<the team's facility>
with the key family-doctor-fee-<team>-<YYYY-MM>: paying a month twice never posts twice."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import Conflict, NotFound, ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.facilities.models import Facility
from nrcms.funding import ledger
from nrcms.registry.models import (
    Category,
    Enrollment,
    EnrollmentStatus,
    Household,
    Person,
    PersonCategory,
    PersonStatus,
    Region,
)
from nrcms.registry.people import sequence_take

from .models import (
    Contract,
    ContractStatus,
    FeePayment,
    MemberRole,
    ServicePackage,
    Team,
    TeamMember,
    Visit,
    VisitKind,
)

MONTHS_PER_YEAR = Decimal(12)
LEDGER_KIND = "family_doctor_fee"
TEAM_FACILITY_LEVELS = ("village", "township")  # a team belongs to a village clinic or township health centre


# --- teams ---------------------------------------------------------------------------------------------

def _text(value: str, label: str, field_name: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("required", f"{label}不能为空", field=field_name)
    if len(value) > limit:
        raise ValidationFailed("too_long", f"{label}最多 {limit} 个字，现有 {len(value)} 个字", field=field_name)
    return value


def _members(members: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for i, (name, role) in enumerate(members, start=1):
        name = _text(name, f"第 {i} 名成员的姓名", "members", 40)
        if role not in MemberRole.values:
            raise ValidationFailed("invalid", f"第 {i} 名成员的团队职责“{str(role)[:20]}”应为："
                                   f"{'、'.join(MemberRole.labels)} 之一", field="members")
        out.append((name, role))
    if not any(role == MemberRole.DOCTOR for _, role in out):
        raise ValidationFailed("doctor_required", "团队成员中至少要有一名医生（团队职责为“医生”）", field="members")
    return out


def _facility(code: str) -> Facility:
    facility = Facility.objects.filter(code=(code or "").strip()).first()
    if facility is None:
        raise ValidationFailed("invalid", f"医疗机构编码“{(code or '')[:20]}”不存在", field="facility")
    if not facility.in_county:
        raise ValidationFailed("invalid", f"{facility.name}是县外机构，家庭医生团队应属于县内乡镇卫生院或村卫生室",
                               field="facility")
    return facility


def _team_snapshot(team: Team) -> dict:
    return {"name": team.name, "facility": team.facility_id, "is_active": team.is_active,
            "members": [f"{m.name}（{m.get_role_display()}）" for m in team.members.all()]}


@transaction.atomic
def team_save(*, actor: User, team: Team | None = None, name: str, facility_code: str,
              members: Iterable[tuple[str, str]], is_active: bool = True) -> Team:
    """Create a team, or (team given) change its name, facility, members and active flag; audited."""
    require(actor, Cap.FAMILY_DOCTOR_MANAGE)
    name = _text(name, "团队名称", "name", 60)
    facility = _facility(facility_code)
    rows = _members(members)
    clash = Team.objects.filter(name=name).exclude(pk=team.pk if team else None).first()
    if clash is not None:
        raise Conflict("duplicate", f"团队名称“{name}”已被使用（{clash.facility.name}），请换一个名称", field="name")
    before = _team_snapshot(team) if team is not None else None
    if team is None:
        team = Team.objects.create(name=name, facility=facility, is_active=is_active)
    else:
        team.name, team.facility, team.is_active = name, facility, is_active
        team.save(update_fields=["name", "facility", "is_active"])
        team.members.filter(visits__isnull=True).delete()
        kept = {(m.name, m.role): m for m in team.members.all()}
        for key, m in kept.items():  # members with recorded visits stay (the record names them) unless listed again
            if key not in rows:
                m.name = m.name if m.name.endswith("（已离队）") else f"{m.name}（已离队）"[:40]
                m.save(update_fields=["name"])
    existing = {(m.name, m.role) for m in team.members.all()}
    TeamMember.objects.bulk_create([TeamMember(team=team, name=n, role=r) for n, r in rows if (n, r) not in existing])
    audit_record(actor=actor, action="family_doctor.team_create" if before is None else "family_doctor.team_update",
                 obj=team, before=before, after=_team_snapshot(team), region_code=_region_code(facility))
    return team


def _region_code(facility: Facility) -> str:
    return facility.region.code if facility.region_id else ""


# --- contracts -----------------------------------------------------------------------------------------

def _money(value, label: str, field_name: str) -> Decimal:
    if value is None or value == "":
        raise ValidationFailed("required", f"{label}不能为空", field=field_name)
    if isinstance(value, float):
        raise ValidationFailed("invalid", f"{label}应为金额（元，最多两位小数）", field=field_name)
    amount = Decimal(str(value))
    if amount < 0:
        raise ValidationFailed("invalid", f"{label}不能为负数，现为 {amount} 元", field=field_name)
    if amount != round_amount(amount):
        raise ValidationFailed("invalid", f"{label} {amount} 元应精确到分（最多两位小数）", field=field_name)
    return round_amount(amount)


def fee_split(fee, fee_fund, fee_person, fee_public_health) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The annual fee and its three payers' shares, which must add up to it to the fen."""
    fee = _money(fee, "年服务费", "fee")
    parts = (_money(fee_fund, "基金承担", "fee_fund"), _money(fee_person, "个人承担", "fee_person"),
             _money(fee_public_health, "公共卫生经费承担", "fee_public_health"))
    if sum(parts, ZERO) != fee:
        raise ValidationFailed(
            "fee_split", f"年服务费 {fee} 元应等于基金承担 {parts[0]} + 个人承担 {parts[1]} + 公共卫生经费承担 "
            f"{parts[2]} = {sum(parts, ZERO)} 元；请调整各方承担金额", field="fee_fund")
    return fee, *parts


def one_year_after(start: dt.date) -> dt.date:
    """The last day of a year's contract: the day before the same date next year (29 Feb → 28 Feb)."""
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:
        return dt.date(start.year + 1, 3, 1) - dt.timedelta(days=1)


def covered_ids(contract: Contract) -> list[int]:
    """The persons a contract covers: its person, or the household's members in the register."""
    if contract.person_id:
        return [contract.person_id]
    return list(Person.objects.filter(household_id=contract.household_id, status=PersonStatus.ACTIVE)
                .values_list("pk", flat=True))


def in_force_q(day: dt.date, prefix: str = "") -> Q:
    """Contracts in force on `day` (a field prefix such as "family_doctor_contracts__" for joins)."""
    p = prefix
    return (Q(**{f"{p}start__lte": day, f"{p}end__gte": day})
            & (~Q(**{f"{p}status": ContractStatus.CANCELLED}) | Q(**{f"{p}cancelled_on__gt": day})))


def _overlapping(person_ids: list[int], household_ids: set[int], start: dt.date, end: dt.date,
                 exclude: int | None = None) -> Contract | None:
    """A contract not cancelled from the start whose period meets [start, end] and covers one of the persons."""
    qs = (Contract.objects.filter(start__lte=end, end__gte=start)
          .exclude(status=ContractStatus.CANCELLED, cancelled_on__lte=start)
          .filter(Q(person_id__in=person_ids) | Q(person__isnull=True, household_id__in=household_ids)))
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("team").order_by("start").first()


def _refuse_overlap(person_ids: list[int], household_ids: set[int], start: dt.date, end: dt.date,
                    exclude: int | None = None) -> None:
    other = _overlapping(person_ids, household_ids, start, end, exclude)
    if other is not None:
        who = other.person.name if other.person_id else f"户 {other.household.number} 全体成员"
        raise Conflict("overlap", f"签约期 {start}—{end} 与签约 {other.number}（{who}，{other.team.name}，"
                       f"{other.start}—{other.last_day}）重叠：同一人同一期间只能有一份有效签约", field="start")


def _contract_snapshot(c: Contract) -> dict:
    return {"number": c.number, "team": c.team_id, "household": c.household_id, "person": c.person_id,
            "package": c.package, "start": c.start, "end": c.end, "fee": c.fee, "fee_fund": c.fee_fund,
            "fee_person": c.fee_person, "fee_public_health": c.fee_public_health, "status": c.status,
            "renews": c.renews_id}


def _in_jurisdiction(actor: User, household: Household) -> None:
    if not Household.objects.filter(region_q(actor, "region__code"), pk=household.pk).exists():
        raise NotFound("户", household.number)


def _next_number(start: dt.date) -> str:
    return f"QY{start.year}{sequence_take(f'family-doctor-contract-{start.year}'):06d}"


@transaction.atomic
def contract_sign(*, actor: User, team: Team, household: Household, person: Person | None = None, package: str,
                  start: dt.date | None, end: dt.date | None = None, fee, fee_fund, fee_person,
                  fee_public_health, renews: Contract | None = None) -> Contract:
    """Sign a contract with a household (person None: its members) or one of its members; end defaults to a
    year after start. Refuses an inactive team, a fee split that does not add up, an overlap."""
    require(actor, Cap.FAMILY_DOCTOR_MANAGE)
    _in_jurisdiction(actor, household)
    if not team.is_active:
        raise ValidationFailed("inactive_team", f"团队“{team.name}”已停用，不能签约", field="team")
    if person is not None and person.household_id != household.pk:
        raise ValidationFailed("invalid", f"{person.name}不是户 {household.number} 的成员", field="person")
    if person is not None and person.status != PersonStatus.ACTIVE:
        raise ValidationFailed("invalid", f"{person.name}的状态为“{person.get_status_display()}”，不能签约",
                               field="person")
    if package not in ServicePackage.values:
        raise ValidationFailed("invalid", f"服务包“{str(package)[:20]}”应为：{'、'.join(ServicePackage.labels)} 之一",
                               field="package")
    if start is None:
        raise ValidationFailed("required", "起始日期不能为空", field="start")
    end = end or one_year_after(start)
    if end < start:
        raise ValidationFailed("invalid", f"终止日期 {end} 早于起始日期 {start}", field="end")
    if end > one_year_after(start):
        raise ValidationFailed("invalid", f"签约期最长一年：起始日期 {start} 的签约最晚 {one_year_after(start)} 终止",
                               field="end")
    fee, fund, own, public = fee_split(fee, fee_fund, fee_person, fee_public_health)
    person_ids = [person.pk] if person is not None else list(
        Person.objects.filter(household=household, status=PersonStatus.ACTIVE).values_list("pk", flat=True))
    if not person_ids:
        raise ValidationFailed("invalid", f"户 {household.number} 没有在册成员，不能签约", field="household")
    _refuse_overlap(person_ids, {household.pk}, start, end)
    contract = Contract.objects.create(
        number=_next_number(start), team=team, household=household, person=person, package=package, start=start,
        end=end, fee=fee, fee_fund=fund, fee_person=own, fee_public_health=public, renews=renews, created_by=actor)
    audit_record(actor=actor, action="family_doctor.contract_renew" if renews else "family_doctor.contract_sign",
                 obj=contract, object_repr=f"{contract.number} {person.name if person else '户 ' + household.number}",
                 after=_contract_snapshot(contract), region_code=household.region.code)
    return contract


@transaction.atomic
def contract_renew(*, actor: User, contract: Contract, team: Team | None = None, fee=None, fee_fund=None,
                   fee_person=None, fee_public_health=None, package: str | None = None) -> Contract:
    """The next year's contract from this one: the day after its end, a year long, same household or person,
    team, package and fee split unless given; linked to it. The renewed contract is then marked ended once its
    period is over (it stays in force to its end)."""
    require(actor, Cap.FAMILY_DOCTOR_MANAGE)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status == ContractStatus.CANCELLED:
        raise ValidationFailed("cancelled", f"签约 {contract.number} 已解约，不能续签；请重新签约", field="contract")
    if Contract.objects.filter(renews=contract).exists():
        raise Conflict("already_renewed", f"签约 {contract.number} 已续签（{contract.renewed_by.number}）",
                       field="contract")
    start = contract.end + dt.timedelta(days=1)
    renewed = contract_sign(
        actor=actor, team=team or contract.team, household=contract.household, person=contract.person,
        package=package or contract.package, start=start,
        fee=contract.fee if fee is None else fee, fee_fund=contract.fee_fund if fee_fund is None else fee_fund,
        fee_person=contract.fee_person if fee_person is None else fee_person,
        fee_public_health=contract.fee_public_health if fee_public_health is None else fee_public_health,
        renews=contract)
    contracts_expire(today=timezone.localdate(), actor=actor, only=[contract.pk])
    return renewed


@transaction.atomic
def contract_cancel(*, actor: User, contract: Contract, on: dt.date | None, reason: str) -> Contract:
    """解约 from a day (the contract is in force to the day before), with a reason; audited."""
    require(actor, Cap.FAMILY_DOCTOR_MANAGE)
    contract = Contract.objects.select_for_update().select_related("household__region").get(pk=contract.pk)
    _in_jurisdiction(actor, contract.household)
    if contract.status == ContractStatus.CANCELLED:
        raise Conflict("already_cancelled", f"签约 {contract.number} 已于 {contract.cancelled_on} 解约",
                       field="contract")
    reason = _text(reason, "解约原因", "reason", 200)
    if on is None:
        raise ValidationFailed("required", "解约日期不能为空", field="on")
    if not contract.start <= on <= contract.end:
        raise ValidationFailed("invalid", f"解约日期 {on} 应在签约期 {contract.start}—{contract.end} 之内", field="on")
    before = {"status": contract.status, "cancelled_on": None, "cancel_reason": ""}
    contract.status, contract.cancelled_on, contract.cancel_reason = ContractStatus.CANCELLED, on, reason
    contract.save(update_fields=["status", "cancelled_on", "cancel_reason"])
    audit_record(actor=actor, action="family_doctor.contract_cancel", obj=contract, before=before,
                 after={"status": contract.status, "cancelled_on": on, "cancel_reason": reason},
                 region_code=contract.household.region.code)
    return contract


def contracts_expire(*, today: dt.date, actor: User | None = None, only: list[int] | None = None) -> int:
    """Active contracts whose end is before today become 已到期 (ended); audited once per batch."""
    qs = Contract.objects.filter(status=ContractStatus.ACTIVE, end__lt=today)
    if only is not None:
        qs = qs.filter(pk__in=only)
    numbers = list(qs.values_list("number", flat=True))
    if numbers:
        qs.update(status=ContractStatus.ENDED)
        audit_record(actor=actor, action="family_doctor.contract_expire", object_type="family_doctors.contract",
                     object_repr=f"{len(numbers)} 份签约到期", before={"status": ContractStatus.ACTIVE},
                     after={"status": ContractStatus.ENDED, "contracts": numbers[:200]})
    return len(numbers)


@transaction.atomic
def visit_record(*, actor: User, contract: Contract, person: Person | None, date: dt.date | None, kind: str,
                 note: str, member: TeamMember | None = None) -> Visit:
    """A service given under the contract, to a person it covers, on a day within its period."""
    require(actor, Cap.FAMILY_DOCTOR_MANAGE)
    _in_jurisdiction(actor, contract.household)
    person = person or contract.person
    if person is None:
        raise ValidationFailed("required", "请选择服务对象（签约户的成员）", field="person")
    if person.pk not in covered_ids(contract):
        raise ValidationFailed("invalid", f"{person.name}不在签约 {contract.number} 的服务对象中", field="person")
    if kind not in VisitKind.values:
        raise ValidationFailed("invalid", f"服务类别“{str(kind)[:20]}”应为：{'、'.join(VisitKind.labels)} 之一",
                               field="kind")
    if date is None:
        raise ValidationFailed("required", "服务日期不能为空", field="date")
    if date > timezone.localdate():
        raise ValidationFailed("invalid", f"服务日期 {date} 晚于今天", field="date")
    if not contract.start <= date <= contract.last_day:
        raise ValidationFailed("invalid", f"服务日期 {date} 不在签约 {contract.number} 的有效期 {contract.start}—"
                               f"{contract.last_day} 之内", field="date")
    if member is not None and member.team_id != contract.team_id:
        raise ValidationFailed("invalid", f"{member.name}不是团队“{contract.team.name}”的成员", field="member")
    visit = Visit.objects.create(contract=contract, person=person, date=date, kind=kind, member=member,
                                 note=_text(note, "服务情况", "note", 500), recorded_by=actor)
    audit_record(actor=actor, action="family_doctor.visit", obj=visit, object_repr=f"{contract.number} {person.name}",
                 after={"contract": contract.pk, "person": person.pk, "date": date, "kind": kind,
                        "member": member.pk if member else None, "note": visit.note},
                 region_code=contract.household.region.code)
    return visit


# --- monthly fee through the ledger ---------------------------------------------------------------------

def month_first(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def month_last(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def counted_contracts(team: Team, first: dt.date) -> QuerySet[Contract]:
    """The team's contracts counting one contract-month in the month beginning `first`: in force that day."""
    return Contract.objects.filter(in_force_q(first), team=team)


def fee_due(team: Team, first: dt.date) -> tuple[int, Decimal, Decimal]:
    """(contract-months, Σ fee_fund, amount = round_amount(Σ fee_fund ÷ 12)) for the team and month."""
    fees = list(counted_contracts(team, first).values_list("fee_fund", flat=True))
    total = sum(fees, ZERO)
    return len(fees), total, round_amount(total / MONTHS_PER_YEAR)


@dataclass
class PayResult:
    month: dt.date
    paid: list[FeePayment] = field(default_factory=list)
    already: list[FeePayment] = field(default_factory=list)
    nothing: list[Team] = field(default_factory=list)  # no contract counted in the month

    @property
    def amount(self) -> Decimal:
        return sum((p.amount for p in self.paid), ZERO)


def _check_month(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationFailed("invalid", f"月份 {year}-{month} 无效，应写成“年-月”，如 2026-03", field="month")
    first = month_first(year, month)
    today = timezone.localdate()
    if first > today:
        raise ValidationFailed("future_month", f"{year} 年 {month} 月尚未开始，不能支付该月签约服务费", field="month")
    return first


def fee_pay_team(*, actor: User, team: Team, year: int, month: int) -> tuple[FeePayment | None, bool]:
    """Pay one team for one month: (payment, created). The unique (team, month) row and the ledger's key
    make a second payment return the first; no contract counted → (None, False)."""
    require(actor, Cap.FAMILY_DOCTOR_PAY)
    first = _check_month(year, month)
    existing = FeePayment.objects.filter(team=team, month=first).first()
    if existing is not None:
        return existing, False
    count, fund_fees, amount = fee_due(team, first)
    if amount == ZERO:
        return None, False
    try:
        with transaction.atomic():
            entry = ledger.post(
                date=min(month_last(first), timezone.localdate()), kind=LEDGER_KIND,
                description=f"家庭医生签约服务费 {first:%Y-%m}（{team.name}，{team.facility.name}，{count} 份签约）",
                lines=[(ledger.account(ledger.POOLED_FUND), amount, ZERO),
                       (ledger.payable_to(team.facility), ZERO, amount)],
                actor=actor, idempotency_key=f"family-doctor-fee-{team.pk}-{first:%Y-%m}")
            payment = FeePayment.objects.create(team=team, facility=team.facility, month=first,
                                                contract_months=count, fund_fees=fund_fees, amount=amount,
                                                entry=entry, paid_by=actor)
            audit_record(actor=actor, action="family_doctor.fee_pay", obj=payment,
                         object_repr=f"{team.name} {first:%Y-%m}",
                         after={"team": team.pk, "month": f"{first:%Y-%m}", "contract_months": count,
                                "fund_fees": fund_fees, "amount": amount, "entry": entry.pk},
                         region_code=_region_code(team.facility))
    except IntegrityError:  # another clerk paid the same team and month a moment ago
        return FeePayment.objects.get(team=team, month=first), False
    return payment, True


def fee_pay_month(*, actor: User, year: int, month: int,
                  progress: Callable[[int, int], None] | None = None) -> PayResult:
    """Pay every team (active or not: a team stopped mid-year is still owed its months) for the month."""
    require(actor, Cap.FAMILY_DOCTOR_PAY)
    first = _check_month(year, month)
    contracts_expire(today=timezone.localdate(), actor=actor)
    result = PayResult(month=first)
    teams = list(Team.objects.select_related("facility").order_by("name"))
    for i, team in enumerate(teams, start=1):
        payment, created = fee_pay_team(actor=actor, team=team, year=year, month=month)
        if payment is None:
            result.nothing.append(team)
        elif created:
            result.paid.append(payment)
        else:
            result.already.append(payment)
        if progress is not None:
            progress(i, len(teams))
    return result


def fee_preview(year: int, month: int) -> list[dict]:
    """Per team: contract-months, Σ fee_fund, the amount due for the month, and the payment if made."""
    first = month_first(year, month)
    paid = {p.team_id: p for p in FeePayment.objects.filter(month=first).select_related("paid_by", "entry",
                                                                                        "statement")}
    rows = []
    for team in Team.objects.select_related("facility").order_by("name"):
        count, fund_fees, amount = fee_due(team, first)
        rows.append({"team": team, "contract_months": count, "fund_fees": fund_fees, "amount": amount,
                     "payment": paid.get(team.pk)})
    return rows


# --- paid out on the facility's monthly statement --------------------------------------------------------

def fees_pending(facility: Facility, month: dt.date) -> QuerySet[FeePayment]:
    """The fee payments credited to the facility for `month` or an earlier month and not yet on a statement."""
    return FeePayment.objects.filter(facility=facility, month__lte=month, statement__isnull=True)


def fees_attach(statement) -> Decimal:
    """Put the facility's pending fee payments (see fees_pending) on its statement, when the statement is
    generated; returns the statement's 家庭医生签约服务费 total. A payment made after the statement of its month
    was generated is not added to that statement: it waits for the facility's next statement generated."""
    fees_pending(statement.facility, statement.month).update(statement=statement)
    total = statement.family_doctor_fees.aggregate(s=Sum("amount"))["s"]
    return round_amount(total) if total is not None else ZERO


def fees_unpaid_months(*, today: dt.date, months_back: int = 12) -> list[tuple[dt.date, int]]:
    """For the payer's to-do list: the ended months (the last `months_back` of them, up to the month before
    `today`'s) in which some team had a contract counted with a fund share and is not paid yet, oldest first,
    each with the number of such teams. One query per month (the teams with a counted contract) and one for
    the payments, so it stays quick for a whole county."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    first = Contract.objects.filter(fee_fund__gt=0).order_by("start").values_list("start", flat=True).first()
    if first is None:
        return []
    month = max(first.replace(day=1), month_first(*_months_before(last.replace(day=1), months_back - 1)))
    paid = set(FeePayment.objects.filter(month__gte=month).values_list("team_id", "month"))
    out = []
    while month <= last:
        due = set(Contract.objects.filter(in_force_q(month), fee_fund__gt=0).values_list("team_id", flat=True))
        unpaid = {team for team in due if (team, month) not in paid}
        if unpaid:
            out.append((month, len(unpaid)))
        month = month_after(month)
    return out


def _months_before(first: dt.date, n: int) -> tuple[int, int]:
    index = first.year * 12 + first.month - 1 - n
    return index // 12, index % 12 + 1


def contracts_ending(*, actor: User, today: dt.date) -> QuerySet[Contract]:
    """For the to-do list of those who manage contracts: contracts of the jurisdiction ending this month
    (today's month), not cancelled and not yet renewed."""
    first = today.replace(day=1)
    return ending_filter(contract_list(actor=actor), first)


def ending_filter(qs: QuerySet[Contract], first: dt.date) -> QuerySet[Contract]:
    """Contracts whose end falls in the month beginning `first`, not cancelled, not renewed."""
    return (qs.filter(end__gte=first, end__lte=month_last(first), renewed_by__isnull=True)
            .exclude(status=ContractStatus.CANCELLED))


def month_after(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s month."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- contributions to the patient file ----------------------------------------------------------------

def contracts_of_person(person: Person) -> QuerySet[Contract]:
    """Every contract covering the person: with the person, or with their household as a whole."""
    return (Contract.objects.filter(Q(person=person) | Q(person__isnull=True, household_id=person.household_id))
            .select_related("team__facility").prefetch_related("team__members").order_by("start", "id"))


def contracts_of_person_for_file(person: Person) -> list[dict]:
    """The rows the poverty patient file shows (一人一档一案 includes the contracts)."""
    rows = []
    for c in contracts_of_person(person):
        doctors = [m.name for m in c.team.members.all() if m.role == MemberRole.DOCTOR]
        status = c.get_status_display()
        if c.status == ContractStatus.CANCELLED:
            status += f"（{c.cancelled_on:%Y-%m-%d}，{c.cancel_reason}）"
        rows.append({"date": c.start, "doctor": "、".join(doctors) or "—", "team": c.team.name, "fee": c.fee,
                     "number": c.number, "end": c.end, "package": c.get_package_display(),
                     "fee_fund": c.fee_fund, "fee_person": c.fee_person, "fee_public_health": c.fee_public_health,
                     "note": f"{c.number}　{c.get_package_display()}　{c.start:%Y-%m-%d}—{c.end:%Y-%m-%d}　"
                             f"{'户签约' if c.person_id is None else '个人签约'}　{status}"})
    return rows


# --- readers: lists, signing rates, the poor not signed ------------------------------------------------

def contract_list(*, actor: User, q: str = "", status: str = "", team: int | None = None,
                  region: str = "", ending: dt.date | None = None) -> QuerySet[Contract]:
    """The contracts of the actor's jurisdiction; `ending` (a month's first day): only those ending in that
    month, not cancelled and not yet renewed (to renew)."""
    require(actor, Cap.FAMILY_DOCTOR_VIEW)
    qs = (Contract.objects.filter(region_q(actor, "household__region__code"))
          .select_related("team", "household__region", "person", "renews").order_by("-start", "-id"))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(person__name__contains=q) | Q(household__number__contains=q)
                       | Q(household__members__name__contains=q, person__isnull=True)).distinct()
    if status:
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(team_id=team)
    if ending is not None:
        qs = ending_filter(qs, ending)
    if region:
        qs = qs.filter(household__region__code__startswith=region_prefix(region))
    return qs


def contract_get(*, actor: User, number: str) -> Contract:
    require(actor, Cap.FAMILY_DOCTOR_VIEW)
    c = (Contract.objects.filter(region_q(actor, "household__region__code"), number=number)
         .select_related("team__facility", "household__region", "person", "renews").first())
    if c is None:
        raise NotFound("家庭医生签约", number)
    return c


def region_prefix(code: str) -> str:
    """A township's or village's subtree prefix (9 or 12 digits of a 12-digit code)."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed("invalid", f"区划代码“{code[:20]}”不存在", field="region")
    return region.prefix


def _enrolled(actor: User, day: dt.date, region: str = "") -> QuerySet[Person]:
    people = Person.objects.filter(
        region_q(actor, "household__region__code"),
        pk__in=Enrollment.objects.filter(scheme_year=day.year, status=EnrollmentStatus.ENROLLED).values("person_id"))
    if region:
        people = people.filter(household__region__code__startswith=region_prefix(region))
    return people


def covered_person_ids(day: dt.date, person_ids: Iterable[int] | None = None) -> set[int]:
    """The persons covered by a contract in force on `day` (optionally among `person_ids`)."""
    contracts = Contract.objects.filter(in_force_q(day))
    out = set(contracts.filter(person__isnull=False).values_list("person_id", flat=True))
    households = contracts.filter(person__isnull=True).values("household_id")
    out |= set(Person.objects.filter(household_id__in=households, status=PersonStatus.ACTIVE)
               .values_list("pk", flat=True))
    if person_ids is not None:
        out &= set(person_ids)
    return out


def _poor_ids(day: dt.date) -> set[int]:
    return set(PersonCategory.objects.held_on(day).filter(category=Category.REGISTERED_POOR)
               .values_list("person_id", flat=True))


def _rate(covered: int, enrolled: int) -> Decimal | None:
    return round_amount(Decimal(covered) * 100 / enrolled) if enrolled else None


def signing_rates(*, actor: User, day: dt.date, region: str = "") -> dict:
    """签约率 on a day = persons covered by a contract in force ÷ persons enrolled in the day's scheme year, by
    village and by category (registered poor on the day, everyone else), with a county (jurisdiction) total."""
    require(actor, Cap.FAMILY_DOCTOR_VIEW)
    people = list(_enrolled(actor, day, region).values_list("pk", "household__region__code"))
    ids = [pk for pk, _ in people]
    covered = covered_person_ids(day, ids)
    poor = _poor_ids(day) & set(ids)
    villages: dict[str, dict] = {}
    for pk, code in people:
        row = villages.setdefault(code[:12], {"code": code[:12], "enrolled": 0, "covered": 0, "poor_enrolled": 0,
                                              "poor_covered": 0})
        row["enrolled"] += 1
        row["covered"] += pk in covered
        row["poor_enrolled"] += pk in poor
        row["poor_covered"] += pk in poor and pk in covered
    names = {r.code: r for r in Region.objects.filter(code__in=list(villages)).select_related("parent")}
    rows = []
    for code in sorted(villages):
        r = villages[code]
        region_row = names.get(code)
        rows.append(_rate_row(r, code, region_row.name if region_row else code,
                              region_row.parent.name if region_row and region_row.parent else ""))
    total = {k: sum(r[k] for r in villages.values()) for k in ("enrolled", "covered", "poor_enrolled", "poor_covered")}
    return {"day": day, "rows": rows, "total": _rate_row(total, "", "合计", "")}


def _rate_row(r: dict, code: str, name: str, township: str) -> dict:
    other_enrolled, other_covered = r["enrolled"] - r["poor_enrolled"], r["covered"] - r["poor_covered"]
    return {"code": code, "name": name, "township": township, "enrolled": r["enrolled"], "covered": r["covered"],
            "rate": _rate(r["covered"], r["enrolled"]), "poor_enrolled": r["poor_enrolled"],
            "poor_covered": r["poor_covered"], "poor_rate": _rate(r["poor_covered"], r["poor_enrolled"]),
            "other_enrolled": other_enrolled, "other_covered": other_covered,
            "other_rate": _rate(other_covered, other_enrolled)}


def poor_unsigned(*, actor: User, day: dt.date, region: str = "", q: str = "") -> QuerySet[Person]:
    """The registered poor (category held on the day) of the jurisdiction in the register, with no contract
    in force on the day."""
    require(actor, Cap.FAMILY_DOCTOR_VIEW)
    people = Person.objects.filter(region_q(actor, "household__region__code"), status=PersonStatus.ACTIVE,
                                   pk__in=PersonCategory.objects.held_on(day).filter(
                                       category=Category.REGISTERED_POOR).values("person_id"))
    if region:
        people = people.filter(household__region__code__startswith=region_prefix(region))
    if q:
        people = people.filter(name__contains=q)
    covered = covered_person_ids(day, people.values_list("pk", flat=True))
    return (people.exclude(pk__in=covered).select_related("household__region__parent")
            .order_by("household__region__code", "household__number", "id"))

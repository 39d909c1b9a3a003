"""家庭医生签约 for the built county: a team at every in-county township health centre, household contracts for
most registered-poor households (85 %, the poor package: 120.00 a year = fund 80.00 + public health 40.00) and
a few others (2 % of the other households, the basic package: 60.00 = fund 30.00 + person 20.00 + public
health 10.00), a few visits, and the fund's share paid for every month of the year that has ended.

Teams, visits and the monthly fee go through the services (family_doctors.services: team_save, visit_record,
fee_pay_month — the ledger entries are the real ones). Contracts are written in bulk with the service's rules
applied here: the fee split checked by fee_split, a year's period from one_year_after, one contract per
household in a county that has none yet (so no overlap), numbers from the same counter contract_sign takes,
only households with members in the register, and one audit row for the batch. Deterministic by seed."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.family_doctors import services as svc
from nrcms.family_doctors.models import Contract, ContractStatus, Team
from nrcms.registry.models import Household, PersonCategory, PersonStatus
from nrcms.registry.people import sequence_take

POOR_SHARE, OTHER_SHARE = 0.85, 0.02
POOR_FEE = ("120.00", "80.00", "0.00", "40.00")
BASIC_FEE = ("60.00", "30.00", "20.00", "10.00")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "建国 秀英 卫东 丽华 志强 桂兰 海燕 国平 小军 红梅 春燕 德才 立新 淑珍 振华 晓明 玉兰 永福".split()
VISIT_NOTES = [("follow_up", "慢病随访，测血压、血糖，调整用药"), ("home_visit", "上门服务，行动不便，换药并指导家属护理"),
               ("health_check", "年度健康体检"), ("consultation", "健康咨询：合理用药与饮食")]
AUTHORITY = "演示数据（批量生成）"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@transaction.atomic
def sign(year: int, seed: int, users: dict, today: dt.date) -> dict:
    from nrcms.facilities.models import Facility, FacilityLevel

    reviewer = users["reviewer"]
    rng = random.Random(seed * 31 + 14)
    teams: dict[str, Team] = {}  # township code prefix (9 digits) → team
    for f in (Facility.objects.filter(level=FacilityLevel.TOWNSHIP, in_county=True).select_related("region")
              .order_by("code")):
        prefix = f.region.code[:9]
        if prefix in teams:
            continue
        teams[prefix] = Team.objects.filter(facility=f).first() or svc.team_save(
            actor=reviewer, name=f"{f.name}家医团队", facility_code=f.code,
            members=[(_name(rng), "doctor"), (_name(rng), "nurse"), (_name(rng), "village_doctor")])
    poor_people = PersonCategory.objects.held_on(dt.date(year, 1, 1)).filter(category="registered_poor")
    poor = set(Household.objects.filter(members__in=poor_people.values("person_id")).values_list("pk", flat=True))
    signed = set(Contract.objects.values_list("household_id", flat=True))
    households = (Household.objects.filter(members__status=PersonStatus.ACTIVE).distinct()
                  .values_list("pk", "region__code").order_by("number"))
    plan = []
    for pk, code in households:
        team = teams.get(code[:9])
        if team is None or pk in signed:
            continue
        if pk in poor:
            if rng.random() < POOR_SHARE:
                plan.append((pk, team, "poor", dt.date(year, 1, 1), POOR_FEE))
        elif rng.random() < OTHER_SHARE:
            plan.append((pk, team, "basic", dt.date(year, rng.randint(1, 6), 1), BASIC_FEE))
    plan = [row for row in plan if row[3] <= today]
    rows = []
    if plan:
        first = sequence_take(f"family-doctor-contract-{year}", len(plan))
        for n, (pk, team, package, start, split) in enumerate(plan):
            fee, fund, own, public = svc.fee_split(*split)
            rows.append(Contract(number=f"QY{year}{first + n:06d}", team=team, household_id=pk, package=package,
                                 start=start, end=svc.one_year_after(start), fee=fee, fee_fund=fund, fee_person=own,
                                 fee_public_health=public, status=ContractStatus.ACTIVE, created_by=reviewer))
        Contract.objects.bulk_create(rows, batch_size=2000)
        audit_record(actor=reviewer, action="family_doctor.contract_sign_batch", object_type="family_doctors.contract",
                     object_repr=f"{rows[0].number}–{rows[-1].number}", authority=AUTHORITY,
                     after={"contracts": len(rows), "poor": sum(1 for r in plan if r[2] == "poor"),
                            "team": len(teams)})
    contracts = list(Contract.objects.filter(number__in=[r.number for r in rows[:len(VISIT_NOTES) * 3]])
                     .select_related("team", "household").order_by("number"))
    visits = 0
    for n, contract in enumerate(contracts):
        day = min(contract.start + dt.timedelta(days=20 + 7 * n), today)
        person = contract.household.members.filter(status=PersonStatus.ACTIVE).order_by("id").first()
        kind, note = VISIT_NOTES[n % len(VISIT_NOTES)]
        svc.visit_record(actor=reviewer, contract=contract, person=person, date=day, kind=kind, note=note,
                         member=contract.team.members.order_by("id").first())
        visits += 1
    paid = 0
    for month in range(1, 13):
        if svc.month_last(dt.date(year, month, 1)) < today:
            paid += len(svc.fee_pay_month(actor=reviewer, year=year, month=month).paid)
    return {"teams": len(teams), "contracts": len(rows), "visits": visits, "fee_payments": paid}

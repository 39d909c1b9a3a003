"""Demo family doctors (家庭医生签约): a team at every in-county health centre and at 东韩村卫生室, household
contracts for most registered-poor households (the poor package, the fund paying 80.00 of 120.00 a year) and for
a few other households (the basic package, 60.00 = fund 30.00 + person 20.00 + public health 10.00) and a few
visits. No month's fee is paid: the small demo's ledger (which the stats and payments tests count to the fen)
stays as it was, and the payer's to-do list shows the months to pay (家庭医生签约服务费支付 page, or
`nrcms family-doctors pay --month 2026-10`). Signed by the county reviewer through the services; idempotent (a
team or a household already signed is skipped)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.family_doctors import services as svc
from nrcms.family_doctors.models import Contract, Team
from nrcms.registry.models import Category, Household, PersonCategory, PersonStatus

SEED = 20261207
START_POOR = dt.date(2026, 1, 1)  # a year's contract: ends 2026-12-31, so the renewals fall due in December
START_OTHER = dt.date(2026, 3, 1)
# (team, facility, members); a household goes to its village clinic's team if there is one, else its township's
TEAMS = [
    ("东韩村卫生室家医团队", "C610125100201", [("吴德才", "village_doctor"), ("冯建华", "doctor")]),
    ("甘亭镇中心卫生院家医一队", "H610125101", [("孙立新", "doctor"), ("王春梅", "nurse")]),
    ("余下镇卫生院家医团队", "H610125102", [("马志刚", "doctor"), ("李娟", "nurse"), ("杨振华", "village_doctor")]),
    ("祖庵镇卫生院家医团队", "H610125103", [("魏国强", "doctor"), ("赵丽", "nurse")]),
]
BY_REGION = {"610125100201": "东韩村卫生室家医团队", "610125100": "甘亭镇中心卫生院家医一队",
             "610125101": "余下镇卫生院家医团队", "610125102": "祖庵镇卫生院家医团队"}
POOR_UNSIGNED = 2  # registered-poor households left unsigned (the 未签约贫困人口 list is not empty)
OTHERS_SIGNED = 4
VISITS = [("follow_up", "血压 150/90 mmHg，调整降压药用量，嘱低盐饮食"), ("home_visit", "上门随访，行动不便，测血糖 7.2 mmol/L"),
          ("health_check", "年度健康体检：血常规、肝肾功能、心电图"), ("consultation", "电话咨询慢病用药，已解答")]


def _team_for(household: Household, teams: dict[str, Team]) -> Team | None:
    code = household.region.code
    for prefix in (code[:12], code[:9]):
        if prefix in BY_REGION and BY_REGION[prefix] in teams:
            return teams[BY_REGION[prefix]]
    return None


@transaction.atomic
def load_family_doctors(today: dt.date | None = None) -> dict:
    reviewer = User.objects.filter(username="reviewer").first()
    if reviewer is None:
        return {}
    today = today or timezone.localdate()
    teams = {t.name: t for t in Team.objects.all()}
    for name, facility, members in TEAMS:
        if name not in teams:
            teams[name] = svc.team_save(actor=reviewer, name=name, facility_code=facility, members=members)
    rng = random.Random(SEED)
    poor = (Household.objects.filter(members__in=PersonCategory.objects.filter(category=Category.REGISTERED_POOR)
                                     .values("person_id"), region__code__startswith="610125")
            .distinct().select_related("region").order_by("number"))
    poor = [h for h in poor if _team_for(h, teams)]
    signed = set(Contract.objects.values_list("household_id", flat=True))
    poor_ids = {h.pk for h in poor}
    others = [h for h in Household.objects.filter(region__code__startswith="610125")
              .exclude(pk__in=poor_ids).select_related("region").order_by("number") if _team_for(h, teams)]
    plan = [(h, "poor", START_POOR, ("120.00", "80.00", "0.00", "40.00")) for h in poor[POOR_UNSIGNED:]]
    plan += [(h, "basic", START_OTHER, ("60.00", "30.00", "20.00", "10.00"))
             for h in rng.sample(others, min(OTHERS_SIGNED, len(others)))]
    contracts = []
    for household, package, start, (fee, fund, own, public) in plan:
        if household.pk in signed or start > today:
            continue
        if not household.members.filter(status=PersonStatus.ACTIVE).exists():
            continue
        contracts.append(svc.contract_sign(actor=reviewer, team=_team_for(household, teams), household=household,
                                           package=package, start=start, fee=fee, fee_fund=fund, fee_person=own,
                                           fee_public_health=public))
    for n, contract in enumerate(contracts[:len(VISITS)]):
        kind, note = VISITS[n]
        day = contract.start + dt.timedelta(days=30 * (n + 1))
        person = contract.household.members.filter(status=PersonStatus.ACTIVE).order_by("id").first()
        if day <= today:
            svc.visit_record(actor=reviewer, contract=contract, person=person, date=day, kind=kind, note=note,
                             member=teams[contract.team.name].members.order_by("id").first())
    return {"teams": len(teams), "contracts": len(contracts)}

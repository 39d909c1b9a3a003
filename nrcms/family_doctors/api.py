"""家庭医生签约 over the API: teams, contracts (sign, renew, cancel, visits), the monthly fee through the ledger,
signing rates by village and category, and the registered poor without a contract (ID numbers masked)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.registry.models import Household, Person
from nrcms.web.params import month_param

from . import services as svc
from .models import Contract, ContractStatus, MemberRole, ServicePackage, Team, TeamMember, VisitKind

router = Router(tags=["家庭医生签约"], auth=requires(Cap.FAMILY_DOCTOR_VIEW))
MANAGE = requires(Cap.FAMILY_DOCTOR_MANAGE)
RATE_DAY = Query(None, description="统计日期，默认今天")
UNSIGNED_DAY = Query(None, description="日期，默认今天")


class FdMemberIn(Schema):
    name: str = Field(max_length=40)
    role: coded(MemberRole, description="团队职责")


class FdMemberOut(FdMemberIn):
    id: int


class FdTeamIn(Schema):
    name: str = Field(max_length=60)
    facility_code: str = Field(max_length=20, description="所属定点医疗机构编码（乡镇卫生院或村卫生室）")
    members: list[FdMemberIn]
    is_active: bool = True


class FdTeamOut(Schema):
    id: int
    name: str
    facility_code: str
    facility: str
    is_active: bool
    members: list[FdMemberOut]


def _team_out(t: Team) -> dict:
    return {"id": t.pk, "name": t.name, "facility_code": t.facility.code, "facility": t.facility.name,
            "is_active": t.is_active,
            "members": [{"id": m.pk, "name": m.name, "role": m.role} for m in t.members.all()]}


def _team(pk: int) -> Team:
    team = Team.objects.filter(pk=pk).select_related("facility").first()
    if team is None:
        raise NotFound("家庭医生团队", pk)
    return team


@router.get("/teams", response={200: list[FdTeamOut], **ERRORS}, summary="家庭医生团队（所属机构、成员及职责）")
def team_list(request):
    return [_team_out(t) for t in Team.objects.select_related("facility").prefetch_related("members")]


@router.post("/teams", response={201: FdTeamOut, **ERRORS}, auth=MANAGE, summary="新建家庭医生团队")
def team_create(request, payload: FdTeamIn):
    team = svc.team_save(actor=request.user, name=payload.name, facility_code=payload.facility_code,
                         members=[(m.name, m.role) for m in payload.members], is_active=payload.is_active)
    return Status(201, _team_out(team))


@router.put("/teams/{team_id}", response={200: FdTeamOut, **ERRORS}, auth=MANAGE,
            summary="修改家庭医生团队（名称、机构、成员、是否有效）")
def team_update(request, team_id: int, payload: FdTeamIn):
    team = svc.team_save(actor=request.user, team=_team(team_id), name=payload.name,
                         facility_code=payload.facility_code, members=[(m.name, m.role) for m in payload.members],
                         is_active=payload.is_active)
    return _team_out(team)


class FdVisitOut(Schema):
    date: dt.date
    kind: coded(VisitKind, description="服务类别")
    person: str
    member: str
    note: str


class FdContractOut(Schema):
    number: str
    team_id: int
    team: str
    household_number: str
    person_id: int | None = Field(description="签约人；为空表示户签约（覆盖户内在册成员）")
    person: str
    region: str
    package: coded(ServicePackage, description="服务包")
    start: dt.date
    end: dt.date
    fee: Decimal
    fee_fund: Decimal
    fee_person: Decimal
    fee_public_health: Decimal
    status: coded(ContractStatus, description="状态")
    renews: str | None = Field(description="续签自（上一份签约编号）")
    cancelled_on: dt.date | None
    cancel_reason: str
    visits: list[FdVisitOut] = []


def _contract_out(c: Contract, visits: bool = False) -> dict:
    return {"number": c.number, "team_id": c.team_id, "team": c.team.name, "household_number": c.household.number,
            "person_id": c.person_id, "person": c.person.name if c.person_id else "（户签约）",
            "region": c.household.region.full_name, "package": c.package, "start": c.start, "end": c.end,
            "fee": c.fee, "fee_fund": c.fee_fund, "fee_person": c.fee_person,
            "fee_public_health": c.fee_public_health, "status": c.status,
            "renews": c.renews.number if c.renews_id else None, "cancelled_on": c.cancelled_on,
            "cancel_reason": c.cancel_reason,
            "visits": [{"date": v.date, "kind": v.kind, "person": v.person.name,
                        "member": v.member.name if v.member_id else "", "note": v.note}
                       for v in c.visits.select_related("person", "member")] if visits else []}


class FdContractPage(PageOut):
    items: list[FdContractOut]


@router.get("/contracts", response={200: FdContractPage, **ERRORS},
            summary="签约列表（编号、姓名、户编号；状态、团队、乡镇或村）")
def contract_list(request, q: str = Query("", max_length=40), status: coded_query(ContractStatus) = "",
                  team: int | None = None, region: str = Query("", max_length=12, description="乡镇或村的区划代码"),
                  offset: int = 0, limit: int = 50):
    items, page = paginate(svc.contract_list(actor=request.user, q=q, status=status, team=team, region=region),
                           offset, limit)
    return {**page, "items": [_contract_out(c) for c in items]}


class FdContractIn(Schema):
    team_id: int
    household_number: str = Field(max_length=20)
    person_id: int | None = Field(None, description="签约人（户内成员）；为空表示户签约")
    package: coded(ServicePackage, description="服务包")
    start: dt.date
    end: dt.date | None = Field(None, description="终止日期，默认起始日期起一年")
    fee: Decimal = Field(description="年服务费（元）")
    fee_fund: Decimal = Field(description="基金承担（元）")
    fee_person: Decimal = Field(description="个人承担（元）")
    fee_public_health: Decimal = Field(description="公共卫生经费承担（元）")


@router.post("/contracts", response={201: FdContractOut, **ERRORS}, auth=MANAGE,
             summary="签约（户或个人；年服务费 = 基金 + 个人 + 公共卫生经费；同一人同一期间只能一份）")
def contract_sign(request, payload: FdContractIn):
    household = Household.objects.filter(number=payload.household_number).select_related("region").first()
    if household is None:
        raise NotFound("户", payload.household_number)
    person = None
    if payload.person_id is not None:
        person = Person.objects.filter(pk=payload.person_id).first()
        if person is None:
            raise ValidationFailed("invalid", f"人员 {payload.person_id} 不存在", field="person_id")
    c = svc.contract_sign(actor=request.user, team=_team(payload.team_id), household=household, person=person,
                          package=payload.package, start=payload.start, end=payload.end, fee=payload.fee,
                          fee_fund=payload.fee_fund, fee_person=payload.fee_person,
                          fee_public_health=payload.fee_public_health)
    return Status(201, _contract_out(c))


@router.get("/contracts/{number}", response={200: FdContractOut, **ERRORS}, summary="一份签约（含服务记录）")
def contract_get(request, number: str):
    return _contract_out(svc.contract_get(actor=request.user, number=number), visits=True)


class FdRenewIn(Schema):
    team_id: int | None = Field(None, description="续签团队，默认原团队")
    package: coded(ServicePackage, blank="沿用原服务包", description="服务包") = ""
    fee: Decimal | None = None
    fee_fund: Decimal | None = None
    fee_person: Decimal | None = None
    fee_public_health: Decimal | None = None


@router.post("/contracts/{number}/renew", response={201: FdContractOut, **ERRORS}, auth=MANAGE,
             summary="续签：自原签约终止次日起一年，沿用原签约的对象、团队、服务包和费用分担（可改）")
def contract_renew(request, number: str, payload: FdRenewIn):
    c = svc.contract_get(actor=request.user, number=number)
    renewed = svc.contract_renew(actor=request.user, contract=c,
                                 team=_team(payload.team_id) if payload.team_id else None,
                                 package=payload.package or None, fee=payload.fee, fee_fund=payload.fee_fund,
                                 fee_person=payload.fee_person, fee_public_health=payload.fee_public_health)
    return Status(201, _contract_out(renewed))


class FdCancelIn(Schema):
    on: dt.date = Field(description="解约日期（当日起不再有效）")
    reason: str = Field(max_length=200)


@router.post("/contracts/{number}/cancel", response={200: FdContractOut, **ERRORS}, auth=MANAGE, summary="解约（注明原因）")
def contract_cancel(request, number: str, payload: FdCancelIn):
    c = svc.contract_get(actor=request.user, number=number)
    return _contract_out(svc.contract_cancel(actor=request.user, contract=c, on=payload.on, reason=payload.reason))


class FdVisitIn(Schema):
    person_id: int | None = Field(None, description="服务对象；个人签约可省略")
    date: dt.date
    kind: coded(VisitKind, description="服务类别")
    member_id: int | None = Field(None, description="服务人员（团队成员）")
    note: str = Field(max_length=500)


@router.post("/contracts/{number}/visits", response={201: FdContractOut, **ERRORS}, auth=MANAGE,
             summary="记录签约服务（随访、上门服务、健康体检、健康咨询）")
def contract_visit(request, number: str, payload: FdVisitIn):
    c = svc.contract_get(actor=request.user, number=number)
    person = Person.objects.filter(pk=payload.person_id).first() if payload.person_id else None
    if payload.person_id and person is None:
        raise ValidationFailed("invalid", f"人员 {payload.person_id} 不存在", field="person_id")
    member = TeamMember.objects.filter(pk=payload.member_id).first() if payload.member_id else None
    if payload.member_id and member is None:
        raise ValidationFailed("invalid", f"团队成员 {payload.member_id} 不存在", field="member_id")
    svc.visit_record(actor=request.user, contract=c, person=person, date=payload.date, kind=payload.kind,
                     note=payload.note, member=member)
    return Status(201, _contract_out(svc.contract_get(actor=request.user, number=number), visits=True))


class FdFeeRowOut(Schema):
    team_id: int
    team: str
    facility: str
    contract_months: int = Field(description="本月计费签约数（当月 1 日有效的签约）")
    fund_fees: Decimal = Field(description="计费签约的基金承担年费合计")
    amount: Decimal = Field(description="本月应付 = 基金承担年费合计 ÷ 12，按团队四舍五入到分")
    paid: bool
    paid_amount: Decimal | None
    entry_id: int | None
    statement_number: str | None = Field(description="列入的医疗机构月结算单号（拨付时一并拨付）；未生成时为空")


class FdFeeMonthOut(Schema):
    month: str
    rows: list[FdFeeRowOut]
    total: Decimal


def _fee_month(year: int, month: int) -> dict:
    rows = svc.fee_preview(year, month)
    out = [{"team_id": r["team"].pk, "team": r["team"].name, "facility": r["team"].facility.name,
            "contract_months": r["contract_months"], "fund_fees": r["fund_fees"], "amount": r["amount"],
            "paid": r["payment"] is not None, "paid_amount": r["payment"].amount if r["payment"] else None,
            "entry_id": r["payment"].entry_id if r["payment"] else None,
            "statement_number": r["payment"].statement.number if r["payment"] and r["payment"].statement else None}
           for r in rows]
    return {"month": f"{year}-{month:02d}", "rows": out, "total": sum((r["amount"] for r in rows), Decimal("0.00"))}


def _month(text: str) -> tuple[int, int]:
    return month_param({"month": text}, default=(timezone.localdate().year, timezone.localdate().month))


@router.get("/fees", response={200: FdFeeMonthOut, **ERRORS}, auth=requires(Cap.FAMILY_DOCTOR_PAY, Cap.FAMILY_DOCTOR_VIEW),
            summary="某月各团队签约服务费（基金承担部分按月计）及是否已支付")
def fee_month(request, month: str = Query("", max_length=7, description="月份 YYYY-MM，默认本月")):
    return _fee_month(*_month(month))


class FdPayIn(Schema):
    month: str = Field(max_length=7, description="月份 YYYY-MM")


class FdPayOut(FdFeeMonthOut):
    paid_now: int
    already_paid: int
    paid_amount: Decimal


@router.post("/fees/pay", response={200: FdPayOut, **ERRORS}, auth=requires(Cap.FAMILY_DOCTOR_PAY),
             summary="支付某月签约服务费：每个团队记账一次（借统筹基金，贷应付医疗机构）；重复支付不会重复记账")
def fee_pay(request, payload: FdPayIn):
    if not payload.month.strip():
        raise ValidationFailed("required", "请填写月份，如 2026-03", field="month")
    year, month = _month(payload.month)
    result = svc.fee_pay_month(actor=request.user, year=year, month=month)
    return {**_fee_month(year, month), "paid_now": len(result.paid), "already_paid": len(result.already),
            "paid_amount": result.amount}


class FdRateRowOut(Schema):
    code: str
    name: str
    township: str
    enrolled: int
    covered: int
    rate: Decimal | None = Field(description="签约率（%）= 签约覆盖的参合人数 ÷ 参合人数")
    poor_enrolled: int
    poor_covered: int
    poor_rate: Decimal | None
    other_enrolled: int
    other_covered: int
    other_rate: Decimal | None


class FdRatesOut(Schema):
    day: dt.date
    rows: list[FdRateRowOut]
    total: FdRateRowOut


@router.get("/signing-rates", response={200: FdRatesOut, **ERRORS},
            summary="签约率：按村、按类别（建档立卡贫困人口、其他），某日有效签约覆盖的参合人数 ÷ 参合人数")
def signing_rates(request, day: dt.date | None = RATE_DAY,
                  region: str = Query("", max_length=12, description="乡镇或村的区划代码")):
    return svc.signing_rates(actor=request.user, day=day or timezone.localdate(), region=region)


class FdUnsignedOut(Schema):
    person_id: int
    name: str
    id_number: MaskedIdNumber
    household_number: str
    region: str


class FdUnsignedPage(PageOut):
    day: dt.date
    items: list[FdUnsignedOut]


@router.get("/poor-unsigned", response={200: FdUnsignedPage, **ERRORS},
            summary="未签约的建档立卡贫困人口（某日无有效签约），按乡镇、村筛选")
def poor_unsigned(request, day: dt.date | None = UNSIGNED_DAY,
                  region: str = Query("", max_length=12, description="乡镇或村的区划代码"),
                  q: str = Query("", max_length=40, description="姓名"), offset: int = 0, limit: int = 100):
    day = day or timezone.localdate()
    items, page = paginate(svc.poor_unsigned(actor=request.user, day=day, region=region, q=q), offset, limit)
    return {**page, "day": day, "items": [{"person_id": p.pk, "name": p.name, "id_number": p.id_number,
                                           "household_number": p.household.number,
                                           "region": p.household.region.full_name} for p in items]}

"""Pages under /family-doctors/: contracts (list, sign, one contract with renewal, cancellation and visits),
teams, the monthly fee through the ledger, signing rates (with Excel) and the registered poor not signed."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from nrcms.accounts.export_log import export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import NotFound, NrcmsError, ValidationFailed
from nrcms.core.export import xlsx_response
from nrcms.core.masking import mask_id
from nrcms.facilities.models import Facility
from nrcms.registry.models import Household, Person, Region
from nrcms.web.params import amount_param, choice_param, date_param, int_param, month_param, text_param
from nrcms.web.views import need, paged

from . import services as svc
from .models import (
    Contract,
    ContractStatus,
    FeePayment,
    MemberRole,
    ServicePackage,
    Team,
    TeamMember,
    VisitKind,
)

RATE_HEADERS = ["乡镇", "村", "参合人数", "签约覆盖人数", "签约率（%）", "建档立卡参合人数", "建档立卡签约人数",
                "建档立卡签约率（%）", "其他参合人数", "其他签约人数", "其他签约率（%）"]
UNSIGNED_HEADERS = ["姓名", "身份证号（脱敏）", "户编号", "住址"]


def _regions(request):
    j = jurisdiction_of(request.user)
    return Region.objects.filter(code__startswith=j.region_prefix or "-",
                                 level__in=("township", "village")).order_by("code")


def contract_list(request):
    need(request, Cap.FAMILY_DOCTOR_VIEW)
    q = text_param(request.GET, "q", "姓名、户编号或签约编号", max_length=40)
    status = choice_param(request.GET, "status", "状态", ContractStatus.choices)
    team = int_param(request.GET, "team", "团队")
    region = text_param(request.GET, "region", "乡镇或村", max_length=12)
    ending_ym = month_param(request.GET, "ending", "到期月份", default=(0, 0))
    ending = svc.month_first(*ending_ym) if ending_ym != (0, 0) else None
    qs = svc.contract_list(actor=request.user, q=q, status=status, team=team, region=region, ending=ending)
    return render(request, "family_doctors/contract_list.html", {
        "page": paged(request, qs), "q": q, "status": status, "team": team, "region": region, "ending": ending,
        "statuses": ContractStatus.choices, "teams": Team.objects.order_by("name"), "regions": _regions(request),
        "can_manage": request.user.can(Cap.FAMILY_DOCTOR_MANAGE)})


def _fee_fields(p) -> dict:
    return {k: amount_param(p, k, label) for k, label in (
        ("fee", "年服务费"), ("fee_fund", "基金承担"), ("fee_person", "个人承担"),
        ("fee_public_health", "公共卫生经费承担"))}


def contract_new(request):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    p = request.POST if request.method == "POST" else request.GET
    form = {k: (p.get(k) or "").strip() for k in ("team", "household", "person", "package", "start", "end", "fee",
                                                  "fee_fund", "fee_person", "fee_public_health")}
    if request.method == "POST":
        try:
            team = Team.objects.filter(pk=int_param(p, "team", "签约团队") or 0).first()
            if team is None:
                raise ValidationFailed("required", "请选择签约团队", field="team")
            number = text_param(p, "household", "户编号", max_length=20)
            household = Household.objects.filter(number=number).select_related("region").first()
            if household is None:
                raise ValidationFailed("invalid", f"户编号“{number}”不存在", field="household")
            person = None
            id_number = text_param(p, "person", "签约人身份证号", max_length=18)
            if id_number:
                person = Person.objects.filter(id_number=id_number.upper()).first()
                if person is None:
                    raise ValidationFailed("invalid", "该身份证号不在参合登记中", field="person")
            c = svc.contract_sign(actor=request.user, team=team, household=household, person=person,
                                  package=choice_param(p, "package", "服务包", ServicePackage.choices),
                                  start=date_param(p, "start", "起始日期"), end=date_param(p, "end", "终止日期"),
                                  **_fee_fields(p))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"签约 {c.number} 已登记")
            return redirect("fd_contract_detail", number=c.number)
    return render(request, "family_doctors/contract_new.html", {
        "form": form, "teams": Team.objects.filter(is_active=True).select_related("facility"),
        "packages": ServicePackage.choices, "today": timezone.localdate()})


def contract_detail(request, number: str):
    c = svc.contract_get(actor=request.user, number=number)
    covered = Person.objects.filter(pk__in=svc.covered_ids(c)).order_by("id")
    renewed = Contract.objects.filter(renews=c).first()
    return render(request, "family_doctors/contract_detail.html", {
        "c": c, "covered": covered, "renewed": renewed,
        "visits": c.visits.select_related("person", "member", "recorded_by"),
        "members": c.team.members.all(), "kinds": VisitKind.choices, "today": timezone.localdate(),
        "can_manage": request.user.can(Cap.FAMILY_DOCTOR_MANAGE)})


def _act(request, number: str, write, done: str):
    c = svc.contract_get(actor=request.user, number=number)
    try:
        result = write(c)
    except NrcmsError as exc:
        messages.error(request, exc.message)
        return redirect("fd_contract_detail", number=c.number)
    messages.success(request, done)
    return redirect("fd_contract_detail", number=result.number if isinstance(result, Contract) else c.number)


@require_POST
def contract_renew(request, number: str):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    return _act(request, number, lambda c: svc.contract_renew(actor=request.user, contract=c), "已续签")


@require_POST
def contract_cancel(request, number: str):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    p = request.POST
    return _act(request, number, lambda c: svc.contract_cancel(
        actor=request.user, contract=c, on=date_param(p, "on", "解约日期"),
        reason=text_param(p, "reason", "解约原因", max_length=200)), "已解约")


@require_POST
def contract_visit(request, number: str):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    p = request.POST

    def write(c):
        person_id = int_param(p, "person", "服务对象")
        member_id = int_param(p, "member", "服务人员")
        svc.visit_record(actor=request.user, contract=c,
                         person=Person.objects.filter(pk=person_id).first() if person_id else None,
                         date=date_param(p, "date", "服务日期"),
                         kind=choice_param(p, "kind", "服务类别", VisitKind.choices),
                         note=text_param(p, "note", "服务情况", max_length=500),
                         member=TeamMember.objects.filter(pk=member_id).first() if member_id else None)
        return c

    return _act(request, number, write, "服务记录已保存")


ROLE_BY_LABEL = {label: code for code, label in MemberRole.choices}


def _parse_members(text: str) -> list[tuple[str, str]]:
    """One member a line: 姓名 职责 (医生 / 护士 / 乡村医生)."""
    out = []
    for i, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace("，", " ").replace(",", " ").split()
        if len(parts) != 2 or parts[1] not in ROLE_BY_LABEL:
            raise ValidationFailed("invalid", f"成员第 {i} 行“{line[:30]}”应写成“姓名 职责”，职责为"
                                   f"{'、'.join(ROLE_BY_LABEL)}之一", field="members")
        out.append((parts[0], ROLE_BY_LABEL[parts[1]]))
    return out


def _team_form(request, team: Team | None):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    p = request.POST
    try:
        saved = svc.team_save(actor=request.user, team=team, name=text_param(p, "name", "团队名称", max_length=60),
                              facility_code=text_param(p, "facility", "所属医疗机构", max_length=20),
                              members=_parse_members(text_param(p, "members", "团队成员", max_length=2000)),
                              is_active=p.get("is_active", "1") == "1")
    except NrcmsError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, f"团队“{saved.name}”已保存")
    return saved


def _team_facilities():
    return Facility.objects.filter(in_county=True, level__in=svc.TEAM_FACILITY_LEVELS).order_by("code")


def team_list(request):
    need(request, Cap.FAMILY_DOCTOR_VIEW)
    if request.method == "POST" and _team_form(request, None) is not None:
        return redirect("fd_teams")
    teams = Team.objects.select_related("facility").prefetch_related("members")
    return render(request, "family_doctors/teams.html", {
        "teams": teams, "facilities": _team_facilities(), "form": request.POST,
        "can_manage": request.user.can(Cap.FAMILY_DOCTOR_MANAGE)})


def team_edit(request, pk: int):
    need(request, Cap.FAMILY_DOCTOR_MANAGE)
    team = Team.objects.filter(pk=pk).select_related("facility").first()
    if team is None:
        raise NotFound("家庭医生团队", pk)
    if request.method == "POST" and _team_form(request, team) is not None:
        return redirect("fd_teams")
    members = "\n".join(f"{m.name} {m.get_role_display()}" for m in team.members.all())
    return render(request, "family_doctors/team_edit.html", {"team": team, "members": members,
                                                             "facilities": _team_facilities()})


def fees(request):
    need(request, Cap.FAMILY_DOCTOR_VIEW)
    today = timezone.localdate()
    year, month = month_param(request.POST if request.method == "POST" else request.GET,
                              default=(today.year, today.month))
    if request.method == "POST":
        need(request, Cap.FAMILY_DOCTOR_PAY)
        try:
            result = svc.fee_pay_month(actor=request.user, year=year, month=month)
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{year} 年 {month} 月：本次支付 {len(result.paid)} 个团队，合计 {result.amount} 元；"
                                      f"此前已支付 {len(result.already)} 个团队（不重复记账）")
        return redirect(f"{request.path}?month={year}-{month:02d}")
    rows = svc.fee_preview(year, month)
    return render(request, "family_doctors/fees.html", {
        "rows": rows, "month": f"{year}-{month:02d}", "total": sum((r["amount"] for r in rows), svc.ZERO),
        "can_pay": request.user.can(Cap.FAMILY_DOCTOR_PAY),
        "history": FeePayment.objects.select_related("team", "paid_by", "statement")[:24]})


def _rates(request):
    need(request, Cap.FAMILY_DOCTOR_VIEW)
    day = date_param(request.GET, "day", "统计日期", default=timezone.localdate())
    region = text_param(request.GET, "region", "乡镇或村", max_length=12)
    return svc.signing_rates(actor=request.user, day=day, region=region), region


def rates(request):
    data, region = _rates(request)
    return render(request, "family_doctors/rates.html", {**data, "region": region, "regions": _regions(request),
                                                         "query": request.GET.urlencode()})


def _rate_cells(r: dict) -> list:
    return [r["township"], r["name"], r["enrolled"], r["covered"], r["rate"], r["poor_enrolled"], r["poor_covered"],
            r["poor_rate"], r["other_enrolled"], r["other_covered"], r["other_rate"]]


def rates_xlsx(request):
    data, _ = _rates(request)
    name = f"家庭医生签约率-{data['day']:%Y%m%d}.xlsx"
    rows = [_rate_cells(r) for r in data["rows"]] + [_rate_cells(data["total"])]
    export_record(actor=request.user, what="家庭医生签约率", file_name=name, rows=len(rows),
                  filters=export_filters(request.GET))
    return xlsx_response(name, "签约率", RATE_HEADERS, rows)


def _unsigned(request):
    need(request, Cap.FAMILY_DOCTOR_VIEW)
    day = date_param(request.GET, "day", "日期", default=timezone.localdate())
    region = text_param(request.GET, "region", "乡镇或村", max_length=12)
    q = text_param(request.GET, "q", "姓名", max_length=40)
    return svc.poor_unsigned(actor=request.user, day=day, region=region, q=q), day, region, q


def unsigned(request):
    people, day, region, q = _unsigned(request)
    return render(request, "family_doctors/unsigned.html", {
        "page": paged(request, people), "day": day, "region": region, "q": q, "regions": _regions(request),
        "query": request.GET.urlencode()})


def unsigned_xlsx(request):
    people, day, _, _ = _unsigned(request)
    name = f"未签约建档立卡贫困人口-{day:%Y%m%d}.xlsx"
    rows = [[p.name, mask_id(p.id_number), p.household.number, p.household.region.full_name] for p in people]
    export_record(actor=request.user, what="未签约的建档立卡贫困人口", file_name=name, rows=len(rows),
                  filters=export_filters(request.GET))
    return xlsx_response(name, "未签约贫困人口", UNSIGNED_HEADERS, rows)

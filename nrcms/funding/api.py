from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema, Status

from nrcms.accounts.export_log import audited_pdf
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.registry.models import Household, Person

from . import ledger, selectors, services
from .checks import books_check
from .models import ContributionStandard, ContributionStatus, PayerKind
from .receipt import receipt_pdf

router = Router(tags=["筹资与基金"], auth=requires(Cap.FUND_VIEW))


class StandardIO(Schema):
    scheme_year: int
    effective_from: dt.date
    personal_amount: Decimal
    central_subsidy: Decimal
    provincial_subsidy: Decimal
    county_subsidy: Decimal
    family_account_amount: Decimal = Decimal("0")
    authority: str


@router.get("/standards", auth=requires(Cap.FUND_VIEW, Cap.CONTRIBUTION_COLLECT),
            response={200: list[StandardIO], **ERRORS}, summary="筹资标准")
def standards(request):
    if not request.user.can(Cap.FUND_VIEW) and not request.user.can(Cap.CONTRIBUTION_COLLECT):
        raise Forbidden()
    return list(ContributionStandard.objects.all())


@router.post("/standards", auth=requires(Cap.SCHEME_MANAGE),
             response={201: StandardIO, **ERRORS}, summary="新增筹资标准（县合管办）")
def standard_set(request, payload: StandardIO):
    return Status(201, services.contribution_standard_set(actor=request.user, **payload.dict()))


class ContributionIn(Schema):
    household_number: str
    scheme_year: int
    payer_kind: coded(PayerKind, description="缴费方")
    payer_name: str = ""
    paid_on: dt.date
    id_numbers: list[str] | None = None
    amount_per_person: Decimal | None = None
    idempotency_key: str | None = None


class ContributionLineOut(Schema):
    name: str
    id_number: MaskedIdNumber
    amount: Decimal


class ContributionOut(Schema):
    receipt_number: str
    scheme_year: int
    household_number: str
    payer_kind: coded(PayerKind, description="缴费方")
    payer_name: str
    paid_on: dt.date
    total: Decimal
    status: coded(ContributionStatus)
    cadre_repaid_on: dt.date | None = None
    lines: list[ContributionLineOut]


def _out(c) -> dict:
    return {"receipt_number": c.receipt_number, "scheme_year": c.scheme_year, "household_number": c.household.number,
            "payer_kind": c.payer_kind, "payer_name": c.payer_name, "paid_on": c.paid_on, "total": c.total,
            "status": c.status, "cadre_repaid_on": c.cadre_repaid_on,
            "lines": [{"name": line.person.name, "id_number": line.person.id_number, "amount": line.amount}
                      for line in c.lines.select_related("person")]}


@router.post("/contributions", auth=requires(Cap.CONTRIBUTION_COLLECT, Cap.ASSISTANCE_MANAGE),
             response={201: ContributionOut, **ERRORS},
             summary="收个人缴费（本人、村集体、民政代缴、干部垫付；带 idempotency_key 重试不重复收款）")
def contribution_create(request, payload: ContributionIn):
    household = Household.objects.filter(number=payload.household_number).first()
    if household is None:
        raise ValidationFailed("not_found", f"户编号 {payload.household_number} 不存在", field="household_number")
    persons = None
    if payload.id_numbers:
        persons = list(Person.objects.filter(household=household, id_number__in=payload.id_numbers))
        if len(persons) != len(set(payload.id_numbers)):
            raise ValidationFailed("invalid", "有身份证号不属于该户", field="id_numbers")
    c = services.contribution_record(
        actor=request.user, household=household, scheme_year=payload.scheme_year, payer_kind=payload.payer_kind,
        payer_name=payload.payer_name, paid_on=payload.paid_on, persons=persons,
        amount_per_person=payload.amount_per_person, idempotency_key=payload.idempotency_key)
    return Status(201, _out(c))


class ContributionPage(PageOut):
    items: list[ContributionOut]


@router.get("/contributions", auth=requires(Cap.CONTRIBUTION_COLLECT, Cap.ASSISTANCE_MANAGE),
            response={200: ContributionPage, **ERRORS}, summary="缴费记录（按辖区）")
def contributions(request, scheme_year: int | None = None, search: str = "", offset: int = 0, limit: int = 50):
    qs = selectors.contribution_list(actor=request.user, scheme_year=scheme_year, search=search)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_out(c) for c in items]}


def _contribution(request, receipt: str):
    c = selectors.contribution_list(actor=request.user).filter(receipt_number=receipt).first()
    if c is None:
        raise NotFound("收据", receipt)
    return c


class ContributionReverseIn(Schema):
    reason: str


@router.post("/contributions/{receipt}/reverse", auth=requires(Cap.CONTRIBUTION_COLLECT, Cap.ASSISTANCE_MANAGE),
             response={200: ContributionOut, **ERRORS},
             summary="冲销（须由收款人以外的人员办理）")
def contribution_reverse(request, receipt: str, payload: ContributionReverseIn):
    return _out(services.contribution_reverse(actor=request.user, contribution=_contribution(request, receipt),
                                              reason=payload.reason))


class RepaidIn(Schema):
    repaid_on: dt.date


@router.post("/contributions/{receipt}/cadre-repaid", auth=requires(Cap.CONTRIBUTION_COLLECT, Cap.ASSISTANCE_MANAGE),
             response={200: ContributionOut, **ERRORS},
             summary="登记干部垫付已归还（不动基金账簿）")
def contribution_cadre_repaid(request, receipt: str, payload: RepaidIn):
    return _out(services.cadre_advance_repay(actor=request.user, contribution=_contribution(request, receipt),
                                             repaid_on=payload.repaid_on))


@router.get("/contributions/{receipt}/receipt.pdf", auth=requires(Cap.CONTRIBUTION_COLLECT, Cap.ASSISTANCE_MANAGE),
            response={200: None, **ERRORS}, summary="收据 PDF")
def contribution_receipt(request, receipt: str):
    c = _contribution(request, receipt)
    return audited_pdf(actor=request.user, what=f"缴费收据 {c.receipt_number}（缴费人员，身份证号已脱敏）",
                       file_name=f"收据-{c.receipt_number}.pdf", content=receipt_pdf(c), rows=c.lines.count())


@router.get("/progress", auth=requires(Cap.REGISTRY_VIEW, Cap.FUND_VIEW),
            response={200: dict, **ERRORS}, summary="筹资进度（按乡镇、村）")
def progress(request, scheme_year: int):
    if not (request.user.can(Cap.REGISTRY_VIEW) or request.user.can(Cap.FUND_VIEW)):
        raise Forbidden()
    data = selectors.collection_progress(actor=request.user, scheme_year=scheme_year)
    return {k: v for k, v in data.items()}


@router.get("/subsidy-claims", response={200: dict, **ERRORS}, summary="财政补助申报：参合人数 × 每人补助")
def subsidy_claims(request, scheme_year: int):
    if not request.user.can(Cap.FUND_VIEW):
        raise Forbidden()
    claim = selectors.subsidy_claim(scheme_year=scheme_year)
    claim["standard"] = claim["standard"].pk
    return claim


@router.get("/ledger/trial-balance", response={200: list[dict], **ERRORS}, summary="科目余额")
def trial_balance(request):
    if not request.user.can(Cap.FUND_VIEW):
        raise Forbidden()
    return ledger.trial_balance()


@router.get("/ledger/check", response={200: dict, **ERRORS}, summary="核对账簿")
def check(request, scheme_year: int | None = None):
    if not request.user.can(Cap.FUND_VIEW):
        raise Forbidden()
    report = books_check(scheme_year)
    return {"ok": report.ok, "problems": report.problems, "facts": report.facts}

"""The supervision API (/api/supervision/): the rules in force, the queue grouped by facility and rule, the
hits with their evidence, the decisions (the county reviewer), the monthly runs. The director, committee and
auditors read, read-only; their reads of the queue and hit lists are logged, as is every hit's detail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.errors import Forbidden, NotFound
from nrcms.payments.common import month_parse

from . import selectors
from .batch import run_start, run_task
from .models import AuditRun, DecisionKind, DecisionStatus, HitStatus, RunStatus, Severity
from .review import decision_confirm, hit_decide, hit_get
from .ruleset import Kind as RuleKind
from .ruleset import ruleset_latest

router = Router(tags=["智能审核与审核队列"], auth=requires(*selectors.READERS))
REVIEW = requires(Cap.SUPERVISION_REVIEW)


class SupervisionRuleOut(Schema):
    code: str
    name: str
    text: str
    kind: RuleKind = Field(description="规则类别（见 docs/guide/supervision.md）")
    severity: str
    facility_levels: list[str]
    stages: list[str]
    effective_from: dt.date
    version: str


class SupervisionRulesOut(Schema):
    effective_from: dt.date
    notice: str
    second_reviewer_above: Decimal
    default_sampling_rate: Decimal
    rules: list[SupervisionRuleOut]


@router.get("/rules", response={200: SupervisionRulesOut, **ERRORS}, summary="审核规则：现行规则文件的全部规则")
def rules_api(request):
    rs = ruleset_latest()
    return {"effective_from": rs.effective_from, "notice": rs.notice, "second_reviewer_above": rs.second_reviewer_above,
            "default_sampling_rate": rs.default_sampling_rate,
            "rules": [{"code": r.code, "name": r.name, "text": r.text, "kind": r.kind, "severity": r.severity,
                       "facility_levels": list(r.facility_levels), "stages": list(r.stages),
                       "effective_from": r.effective_from, "version": r.version} for r in rs.rules]}


class SupervisionFilters(Schema):
    month: str = Field("", max_length=7, description="结算月份 YYYY-MM")
    facility: str = Field("", max_length=20, description="机构编码")
    rule: str = Field("", max_length=20, description="规则编码")
    status: Literal["", "open", "referred", "awaiting_second", "decided"] = Field("", description="状态。可选值：open = 待审核、referred = 专家评审中、awaiting_second = 待复核、decided = 已处理；"
                        "空 = 不限")


class SupervisionGroupOut(Schema):
    facility_code: str
    facility_name: str
    rule_code: str
    rule_name: str
    severity: str
    found: int
    queued: int
    pending: int


def _month(text: str):
    return month_parse(text) if text else None


@router.get("/queue", response={200: list[SupervisionGroupOut], **ERRORS},
            summary="审核队列：按医疗机构和规则汇总的疑点数（发现、进入队列、待处理）")
def queue_api(request, filters: Query[SupervisionFilters]):
    groups = selectors.queue_groups(actor=request.user, month=_month(filters.month), status=filters.status or "")
    if selectors.logs_list_reads(request.user):
        selectors.read_record(actor=request.user, what="接口：审核队列", filters=f"month={filters.month}")
    return [{"facility_code": g["facility__code"], "facility_name": g["facility__name"], "rule_code": g["rule_code"],
             "rule_name": g["rule_name"], "severity": g["severity"], "found": g["found"], "queued": g["queued"],
             "pending": g["pending"]} for g in groups]


class SupervisionDecisionOut(Schema):
    id: int
    kind: coded(DecisionKind)
    status: coded(DecisionStatus)
    reason: str
    violation_kind: str
    base_amount: Decimal | None
    multiplier: Decimal | None
    amount: Decimal | None
    decided_by: str
    decided_at: dt.datetime
    confirmed_by: str | None
    statement_number: str | None


class SupervisionHitOut(Schema):
    id: int
    rule_code: str
    rule_name: str
    rule_version: str
    severity: coded(Severity)
    status: coded(HitStatus)
    month: dt.date
    facility_code: str
    settlement_number: str | None
    episode_serial: str
    person_name: str
    person_id_number: MaskedIdNumber
    message: str
    in_queue: bool


class SupervisionHitDetailOut(SupervisionHitOut):
    evidence: dict
    decisions: list[SupervisionDecisionOut]


class SupervisionHitPageOut(PageOut):
    items: list[SupervisionHitOut]


def _hit_out(h) -> dict:
    return {"id": h.pk, "rule_code": h.rule_code, "rule_name": h.rule_name, "rule_version": h.rule_version,
            "severity": h.severity, "status": h.status, "month": h.month, "facility_code": h.facility.code,
            "settlement_number": h.settlement.number if h.settlement_id else None, "episode_serial": h.episode.serial,
            "person_name": h.person.name, "person_id_number": h.person.id_number, "message": h.message,
            "in_queue": h.in_queue}


def _decision_out(d) -> dict:
    return {"id": d.pk, "kind": d.kind, "status": d.status, "reason": d.reason, "violation_kind": d.violation_kind,
            "base_amount": d.base_amount, "multiplier": d.multiplier, "amount": d.amount,
            "decided_by": d.decided_by.username, "decided_at": d.decided_at,
            "confirmed_by": d.confirmed_by.username if d.confirmed_by_id else None,
            "statement_number": d.deduction.statement.number if d.deduction_id else None}


@router.get("/hits", response={200: SupervisionHitPageOut, **ERRORS}, summary="审核疑点清单（进入审核队列的）")
def hits_api(request, filters: Query[SupervisionFilters], offset: int = 0, limit: int = 50):
    qs = selectors.hits(actor=request.user, month=_month(filters.month), facility_code=filters.facility,
                        rule_code=filters.rule, status=filters.status or "")
    rows, page = paginate(qs, offset, limit)
    if selectors.logs_list_reads(request.user):
        selectors.read_record(actor=request.user, what="接口：疑点清单", filters=f"month={filters.month}")
    return {**page, "items": [_hit_out(h) for h in rows]}


def _visible(request, pk: int):
    hit = hit_get(pk)
    if not selectors.hits(actor=request.user, queue_only=False).filter(pk=hit.pk).exists():
        raise NotFound("审核疑点", pk)
    return hit


def _detail(hit) -> dict:
    decisions = hit.decisions.select_related("decided_by", "confirmed_by", "deduction__statement")
    return {**_hit_out(hit), "evidence": hit.evidence, "decisions": [_decision_out(d) for d in decisions]}


@router.get("/hits/{int:pk}", response={200: SupervisionHitDetailOut, **ERRORS}, summary="一个疑点：证据与处理意见")
def hit_api(request, pk: int):
    hit = _visible(request, pk)
    selectors.read_record(actor=request.user, what="接口：疑点详情", hit=hit)
    return _detail(hit)


class SupervisionDecisionIn(Schema):
    kind: coded(DecisionKind)
    reason: str = Field(max_length=300)
    violation_kind: str = Field("", max_length=8, description="扣款时：loss（1–2 倍）或 fraud（2–5 倍）")
    base_amount: Decimal | None = Field(None, ge=0, le=Decimal("999999999.99"), decimal_places=2)
    multiplier: Decimal | None = Field(None, ge=0, le=Decimal("99.99"), decimal_places=2)
    refund_amount: Decimal | None = Field(None, ge=0, le=Decimal("999999999.99"), decimal_places=2)


@router.post("/hits/{int:pk}/decisions", auth=REVIEW, response={201: SupervisionHitDetailOut, **ERRORS},
             summary="处理疑点：认可、扣款（违规金额×倍数）、提交专家评审或退还患者，须填理由")
def decide_api(request, pk: int, payload: SupervisionDecisionIn):
    hit = _visible(request, pk)
    hit_decide(actor=request.user, hit=hit, kind=payload.kind, reason=payload.reason,
               base_amount=payload.base_amount, multiplier=payload.multiplier,
               violation_kind=payload.violation_kind, refund_amount=payload.refund_amount)
    return Status(201, _detail(hit_get(pk)))


@router.post("/decisions/{int:pk}/confirm", auth=REVIEW, response={200: SupervisionHitDetailOut, **ERRORS},
             summary="复核扣款：超过复核金额的扣款由另一名审核员复核后生效")
def confirm_api(request, pk: int):
    from .models import ReviewDecision

    decision = ReviewDecision.objects.filter(pk=pk).select_related("hit").first()
    if decision is None:
        raise NotFound("处理意见", pk)
    _visible(request, decision.hit_id)
    decision_confirm(actor=request.user, decision=decision)
    return _detail(hit_get(decision.hit_id))


class SupervisionRunOut(Schema):
    id: int
    month: dt.date
    status: coded(RunStatus)
    total: int
    processed: int
    hits_found: int
    hits_new: int
    seconds: Decimal | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


def _run_out(r) -> dict:
    return {"id": r.pk, "month": r.month, "status": r.status, "total": r.total, "processed": r.processed,
            "hits_found": r.hits_found, "hits_new": r.hits_new, "seconds": r.seconds, "started_at": r.started_at,
            "finished_at": r.finished_at}


class SupervisionRunPageOut(PageOut):
    items: list[SupervisionRunOut]


@router.get("/runs", response={200: SupervisionRunPageOut, **ERRORS}, summary="月度智能审核记录（含进度）")
def runs_api(request, offset: int = 0, limit: int = 50):
    rows, page = paginate(AuditRun.objects.all(), offset, limit)
    return {**page, "items": [_run_out(r) for r in rows]}


class SupervisionRunIn(Schema):
    month: str = Field(max_length=7, description="结算月份 YYYY-MM")


@router.post("/runs", auth=REVIEW, response={202: SupervisionRunOut, **ERRORS},
             summary="发起月度智能审核（后台运行，查询 /runs 看进度）")
def run_api(request, payload: SupervisionRunIn):
    if not request.user.can(Cap.SUPERVISION_REVIEW):
        raise Forbidden()
    run = run_start(actor=request.user, month=payload.month)
    run_task.enqueue(run.pk)
    run.refresh_from_db()
    return Status(202, _run_out(run))

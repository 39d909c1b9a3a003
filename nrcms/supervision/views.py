"""Pages: the review queue grouped by facility and rule, the hits of a group, one hit with its evidence and the
decision form, the monthly runs (with the button that starts one), the sampling rates, the rules in force."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.export_log import export_filters, export_record
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.core.masking import mask_id
from nrcms.facilities.models import Facility
from nrcms.payments.common import month_parse
from nrcms.payments.models import ViolationKind
from nrcms.web.params import choice_param, text_param
from nrcms.web.views import need, paged

from . import selectors
from .batch import run_start, run_task
from .models import AuditRun, DecisionKind, DecisionStatus, HitStatus, SamplingRate
from .review import decision_confirm, hit_decide, hit_get, pending_deductions_post, sampling_rate_set
from .ruleset import KIND_LABELS, SEVERITY_LABELS, ruleset_latest

FIGURE_LABELS = {"days": "住院天数", "max_days": "天数上限", "gap_days": "相隔天数", "group": "诊断大类",
                 "visit_date": "门诊日期", "age": "年龄", "sex": "性别", "amount": "金额（元）", "times": "次数",
                 "repeated_amount": "重复金额（元）", "quantity": "数量", "limit": "限定", "death_date": "死亡日期",
                 "late_amount": "死亡后费用（元）", "years_not_enrolled": "未参合年度", "years_enrolled": "参合年度",
                 "cost_per_day": "日均费用（元）", "norm": "常模（元/日）", "factor": "倍数阈值", "count": "结算次数",
                 "total": "合计（元）"}


def _filters(request) -> dict:
    month_text = text_param(request.GET, "month", "月份", max_length=7)
    month = month_parse(month_text) if month_text else None
    return {"month": month, "month_text": month_text,
            "facility": text_param(request.GET, "facility", "机构编码", max_length=20),
            "rule": text_param(request.GET, "rule", "规则编码", max_length=20),
            "status": choice_param(request.GET, "status", "状态", HitStatus.choices)}


def queue(request):
    selectors.need_reader(request.user)
    f = _filters(request)
    user = request.user
    if request.method == "POST":
        need(request, Cap.SUPERVISION_REVIEW)
        try:
            if request.POST.get("action") == "run":
                run = run_start(actor=user, month=request.POST.get("run_month", ""))
                run_task.enqueue(run.pk)
                messages.success(request, f"已发起 {run.month:%Y 年 %m 月}智能审核")
                return redirect("supervision_runs")
            if request.POST.get("action") == "post_pending":
                posted, waiting = pending_deductions_post(actor=user)
                messages.success(request, f"已计入月结算单 {posted} 笔扣款，仍待计入 {waiting} 笔（该机构月结算单尚未生成或已退回）")
        except NrcmsError as exc:
            messages.error(request, exc.message)
        return redirect("supervision_queue")
    groups = selectors.queue_groups(actor=user, month=f["month"], status=f["status"])
    if selectors.logs_list_reads(user):
        selectors.read_record(actor=user, what="审核队列页", filters=export_filters(request.GET))
    pending = DecisionStatus.PENDING_STATEMENT
    return render(request, "supervision/queue.html", {
        "groups": groups, "f": f, "statuses": HitStatus.choices, "can_review": user.can(Cap.SUPERVISION_REVIEW),
        "waiting": selectors.hits(actor=user, queue_only=False).filter(decisions__status=pending).count(),
        "default_month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")})


def hit_list(request):
    selectors.need_reader(request.user)
    f = _filters(request)
    qs = selectors.hits(actor=request.user, month=f["month"], facility_code=f["facility"], rule_code=f["rule"],
                        status=f["status"])
    if request.GET.get("format") == "xlsx":
        rows = [(h.month.strftime("%Y-%m"), h.facility.name, h.rule_code, h.rule_name, h.get_severity_display(),
                 h.settlement.number if h.settlement_id else "", h.person.name, mask_id(h.person.id_number),
                 h.message, h.get_status_display()) for h in qs[:20000]]
        export_record(actor=request.user, what="智能审核疑点清单（身份证号已脱敏）", file_name="智能审核疑点.xlsx",
                      rows=len(rows), filters=export_filters(request.GET))
        return xlsx_response("智能审核疑点.xlsx", "智能审核疑点", ["月份", "医疗机构", "规则编码", "规则名称", "级别",
                                                         "结算单号", "姓名", "身份证号", "疑点说明", "状态"], rows)
    if selectors.logs_list_reads(request.user):
        selectors.read_record(actor=request.user, what="疑点清单页", filters=export_filters(request.GET))
    return render(request, "supervision/hit_list.html", {"page": paged(request, qs), "f": f,
                                                         "statuses": HitStatus.choices})


def hit_detail(request, pk: int):
    selectors.need_reader(request.user)
    hit = hit_get(pk)
    if not selectors.hits(actor=request.user, queue_only=False).filter(pk=hit.pk).exists():
        raise Forbidden()
    user = request.user
    if request.method == "POST":
        need(request, Cap.SUPERVISION_REVIEW)
        try:
            if request.POST.get("action") == "confirm":
                decision = hit.decisions.filter(pk=request.POST.get("decision", "0")
                                                if str(request.POST.get("decision", "")).isdigit() else 0).first()
                if decision is None:
                    raise NrcmsError("not_found", "未找到要复核的处理意见", field="decision")
                decision = decision_confirm(actor=user, decision=decision)
                messages.success(request, f"已复核，{decision.get_status_display()}")
            else:
                p = request.POST
                decision = hit_decide(actor=user, hit=hit, kind=p.get("kind", ""), reason=p.get("reason", ""),
                                      base_amount=p.get("base_amount") or None, multiplier=p.get("multiplier") or None,
                                      violation_kind=p.get("violation_kind", ""),
                                      refund_amount=p.get("refund_amount") or None)
                messages.success(request, f"已处理：{decision.get_kind_display()}（{decision.get_status_display()}）")
        except NrcmsError as exc:
            messages.error(request, exc.message)
        return redirect("supervision_hit", pk=hit.pk)
    selectors.read_record(actor=user, what="疑点详情页", hit=hit)
    return render(request, "supervision/hit_detail.html", {
        "hit": hit, "decisions": hit.decisions.select_related("decided_by", "confirmed_by", "deduction__statement",
                                                             "refund__statement"),
        "can_review": user.can(Cap.SUPERVISION_REVIEW) and hit.status in (HitStatus.OPEN, HitStatus.REFERRED),
        "can_confirm": user.can(Cap.SUPERVISION_REVIEW), "kinds": DecisionKind.choices,
        "violation_kinds": ViolationKind.choices, "threshold": ruleset_latest().second_reviewer_above,
        "episodes": hit.evidence.get("episodes", []), "lines": hit.evidence.get("lines", []),
        "figures": {FIGURE_LABELS.get(k, k): v for k, v in hit.evidence.get("figures", {}).items()}})


def runs(request):
    selectors.need_reader(request.user)
    return render(request, "supervision/runs.html", {
        "page": paged(request, AuditRun.objects.select_related("started_by")),
        "running": AuditRun.objects.filter(status="running").exists()})


def sampling(request):
    selectors.need_reader(request.user)
    user = request.user
    if request.method == "POST":
        need(request, Cap.SUPERVISION_REVIEW)
        facility = Facility.objects.filter(code=(request.POST.get("facility") or "")[:20]).first()
        try:
            if facility is None:
                raise NrcmsError("not_found", "未找到该医疗机构", field="facility")
            row = sampling_rate_set(actor=user, facility=facility, rate=request.POST.get("rate", ""),
                                    reason=request.POST.get("reason", ""))
            messages.success(request, f"{facility.name}的抽查比例已设为 {row.rate * 100:.2f}%")
        except NrcmsError as exc:
            messages.error(request, exc.message)
        return redirect("supervision_sampling")
    rates = {r.facility_id: r for r in SamplingRate.objects.select_related("set_by")}
    facilities = list(Facility.objects.filter(pk__in=selectors.facility_list(actor=user).values("pk")).order_by("code"))
    default = ruleset_latest().default_sampling_rate
    rows = [{"facility": f, "row": rates.get(f.pk), "rate": rates[f.pk].rate if f.pk in rates else default}
            for f in facilities]
    return render(request, "supervision/sampling.html", {"rows": rows, "default": default,
                                                         "can_review": user.can(Cap.SUPERVISION_REVIEW)})


def rules(request):
    selectors.need_reader(request.user)
    ruleset = ruleset_latest()
    return render(request, "supervision/rules.html", {"ruleset": ruleset, "kinds": KIND_LABELS,
                                                      "severities": SEVERITY_LABELS})

"""Writes: upload (with `scheme check`), simulation against last year, approval by the director.

Each step is audited and moves the version one status on: draft (the check found problems) or checked →
simulated → approved. Approval needs a simulation on record, an approver who is not the uploader, and an
effective date after every settlement already made in the county under the date rule: nothing already settled
changes, and no date is settled under two schemes."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.policy import SchemeError, SchemeFile
from nrcms.policy.scheme import parse_scheme_text
from nrcms.registry.models import Region, RegionLevel

from .models import SchemeStatus, SchemeVersion

MAX_BYTES = 200_000


def _need(actor: User | None, cap: str, what: str) -> None:
    if actor is not None and not actor.can(cap):
        raise Forbidden(f"您的角色无权{what}")


def registry_problems(scheme_file: SchemeFile, region: Region) -> list[list[str]]:
    """What a pure check cannot see: diagnosis prefixes matching no code in the diagnosis table (when it is
    loaded), and a file written for another county."""
    from nrcms.facilities.models import Diagnosis

    problems = []
    code = getattr(scheme_file, "division_code", "")
    if code and not region.code.startswith(code):
        problems.append(["division_code", f"方案文件的区划代码 {code} 与统筹地区 {region.name}（{region.code}）不符"])
    known = list(Diagnosis.objects.values_list("code", flat=True))
    if not known:
        return problems
    seen = set()  # a later version inherits the lists it does not change: report each problem once
    for i, version in enumerate(scheme_file.versions):
        p = version.params
        lists = [(f"inpatient.fixed_fee_packages[{n}].diagnoses", x.diagnoses)
                 for n, x in enumerate(p.inpatient.fixed_fee_packages)]
        lists += [(f"inpatient.subsidies[{n}].diagnoses", x.diagnoses) for n, x in enumerate(p.inpatient.subsidies)]
        if p.outpatient is not None and p.outpatient.chronic is not None:
            lists.append(("outpatient.chronic.diagnoses", p.outpatient.chronic.diagnoses))
        for path, codes in lists:
            unknown = [c for c in codes if not any(k.startswith(c) for k in known)]
            if unknown and (path, tuple(unknown)) not in seen:
                seen.add((path, tuple(unknown)))
                problems.append([f"versions[{i}].parameters.{path}",
                                 f"诊断编码“{'、'.join(unknown)}”在诊断编码库中没有（拼写错误？该病种将无人适用）"])
    return problems


def scheme_check(content: str, region: Region, *, source: str) -> tuple[SchemeFile | None, list[list[str]]]:
    try:
        scheme_file = parse_scheme_text(content, source=source)
    except SchemeError as exc:
        return None, [[path or "（文件）", message] for path, message in exc.all_errors]
    return scheme_file, registry_problems(scheme_file, region)


@transaction.atomic
def scheme_upload(*, actor: User | None, region: Region, year: int, content: str, label: str = "",
                  file_name: str = "", effective_from: dt.date | None = None) -> SchemeVersion:
    """Keep the file as uploaded and run `scheme check` on it: checked, or a draft listing the problems."""
    _need(actor, Cap.SCHEME_MANAGE, "上传补偿方案")
    if region.level != RegionLevel.COUNTY:
        raise ValidationFailed("invalid", f"补偿方案按统筹地区（县）设置，{region.name} 不是县级区划", field="region")
    if not 2000 <= year <= 2100:
        raise ValidationFailed("invalid", f"方案年度应在 2000 到 2100 之间，读到 {year}", field="year")
    if not content.strip():
        raise ValidationFailed("required", "方案文件为空", field="file")
    if len(content.encode()) > MAX_BYTES:
        raise ValidationFailed("too_large", f"方案文件超过 {MAX_BYTES // 1000} KB", field="file")
    sha = hashlib.sha256(content.encode()).hexdigest()
    scheme_file, problems = scheme_check(content, region, source=file_name or "上传的方案文件")
    if effective_from is None:
        effective_from = dt.date(year, 1, 1)
    if scheme_file is not None and scheme_file.versions[0].effective > effective_from:
        problems.append(["effective_from", f"生效日期 {effective_from} 早于文件中最早版本的生效日期 "
                                           f"{scheme_file.versions[0].effective}，该段日期将无方案可用"])
    version = SchemeVersion.objects.create(
        region=region, year=year, label=(label or (scheme_file.name if scheme_file else file_name) or "补偿方案")[:100],
        scheme_id=scheme_file.id if scheme_file else "", scheme_name=scheme_file.name[:200] if scheme_file else "",
        file_name=file_name[:200], content=content, sha256=sha, parsed_ok=not problems, check_errors=problems,
        date_rule=scheme_file.version_date if scheme_file else "discharge", effective_from=effective_from,
        status=SchemeStatus.CHECKED if not problems else SchemeStatus.DRAFT, uploaded_by=actor,
        checked_at=timezone.now())
    audit_record(actor=actor, action="scheme.upload", obj=version, region_code=region.code,
                 after={"year": year, "label": version.label, "sha256": sha, "effective_from": effective_from,
                        "status": version.status, "problems": len(problems)})
    return version


def simulation_summary(version: SchemeVersion) -> dict:
    """The simulation of a version against last year: the vectorised engine (nrcms.simulation), which replays
    every claim of the year; the scalar replay (replay.py) gives the same totals (tests/simulation) and stays as the
    reference."""
    from nrcms.simulation import scheme_version_summary

    return scheme_version_summary(version)


@transaction.atomic
def scheme_simulate(*, actor: User | None, version: SchemeVersion) -> SchemeVersion:
    _need(actor, Cap.SCHEME_MANAGE, "测算补偿方案")
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status not in (SchemeStatus.CHECKED, SchemeStatus.SIMULATED):
        raise ValidationFailed("invalid", f"方案“{version.label}”状态为{version.get_status_display()}，"
                               "只有校验通过的方案可以测算", field="status")
    summary = simulation_summary(version)
    version.simulation = summary
    version.simulation_run = f"{summary.get('engine', 'scalar')}:{timezone.now():%Y%m%d%H%M%S}"
    version.simulated_at = timezone.now()
    version.status = SchemeStatus.SIMULATED
    version.save(update_fields=["simulation", "simulation_run", "simulated_at", "status"])
    audit_record(actor=actor, action="scheme.simulate", obj=version, region_code=version.region.code,
                 after={"run": version.simulation_run, **{k: summary.get(k) for k in
                                                          ("year", "claims", "old_total", "new_total", "changed")}})
    return version


def _last_settled_date(version: SchemeVersion) -> dt.date | None:
    from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus

    rows = Settlement.objects.filter(episode__household__region__code__startswith=version.region.code[:6],
                                     kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE)
    if version.date_rule == "admission":
        return rows.aggregate(d=Max("episode__admission_date"))["d"]
    agg = rows.aggregate(d=Max("episode__discharge_date"), a=Max("episode__admission_date"))
    return max((d for d in agg.values() if d), default=None)


@transaction.atomic
def scheme_approve(*, actor: User, version: SchemeVersion, authority: str = "",
                   effective_from: dt.date | None = None) -> SchemeVersion:
    """The director's approval: the version settles episodes from `effective_from` on."""
    _need(actor, Cap.SCHEME_APPROVE, "批准补偿方案")
    version = SchemeVersion.objects.select_for_update().select_related("region").get(pk=version.pk)
    if version.status == SchemeStatus.APPROVED:
        raise Conflict("already_approved", f"方案“{version.label}”已于 {version.approved_at:%Y-%m-%d} 批准")
    if version.status != SchemeStatus.SIMULATED:
        raise ValidationFailed("not_simulated", f"方案“{version.label}”尚未对上一年度数据做模拟测算，不能批准",
                               field="status")
    if version.uploaded_by_id is not None and version.uploaded_by_id == actor.pk:
        raise Forbidden("上传方案的人不能批准同一方案（须由另一人批准）", code="same_person")
    if effective_from is not None:
        version.effective_from = effective_from
    last = _last_settled_date(version)
    if last is not None and version.effective_from <= last:
        raise ValidationFailed("already_settled", f"生效日期 {version.effective_from} 不晚于本县已结算的最后日期 {last}"
                               f"（按{version.get_date_rule_display()}）：已结算的不能改变，生效日期应在 {last} 之后",
                               field="effective_from")
    if SchemeVersion.objects.filter(region=version.region, status=SchemeStatus.APPROVED,
                                    effective_from=version.effective_from).exists():
        raise Conflict("same_date", f"{version.effective_from} 已有批准的方案生效，请另选生效日期",
                       field="effective_from")
    version.status = SchemeStatus.APPROVED
    version.approved_by = actor
    version.approved_at = timezone.now()
    version.authority = authority[:200]
    version.save(update_fields=["status", "approved_by", "approved_at", "authority", "effective_from"])
    audit_record(actor=actor, action="scheme.approve", obj=version, region_code=version.region.code,
                 authority=authority, after={"effective_from": version.effective_from, "sha256": version.sha256,
                                             "simulation_run": version.simulation_run})
    return version

"""Simulation runs from the page and the API: the inputs checked and recorded (`simulation_run_create`), the
work done as a background task with its progress saved (`simulation_run_execute`), the result kept as JSON
and read back as `SchemeOutcome`s for the page, the Excel export and the API.

Which schemes can be chosen is `available_schemes()`: today every version of every scheme file that ships
with nrcms; scheme versions kept in the database can be added there without touching the rest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.core.money import to_fen
from nrcms.policy.scheme import Scheme, SchemeError, scheme_file_from_mapping, shipped_schemes

from .columns import episodes_from_bytes
from .errors import ExtractError, SimulationError
from .models import RunStatus, SimulationRun
from .simulate import Assumptions, SchemeOutcome, dry_year, project, simulate

MAX_SCHEMES = 4
MAX_YAML_BYTES = 200_000
MAX_EPISODES_BYTES = 100 * 1024 * 1024
MAX_PROJECT_YEARS = 30
RATE_LIMITS = (Decimal("-0.5"), Decimal("1"))
GROWTH_FIELDS = {"enrollment": "参合人数年增长率", "cost": "次均费用年增长率", "utilisation": "就诊人次年增长率",
                 "subsidy": "人均筹资年增长率"}
RATIO_FIELDS = ("effective_ratio", "in_policy_ratio", "surplus_rate")
POOR_RATIOS = ("in_policy_ratio", "effective_ratio", "target")


@dataclasses.dataclass(frozen=True)
class SchemeChoice:
    key: str  # stable across restarts: "<scheme id>@<effective date>"
    label: str
    scheme: Scheme


def available_schemes() -> dict[str, SchemeChoice]:
    """The scheme versions one can simulate with, by key, in a stable order."""
    out = {}
    for scheme_file in shipped_schemes().values():
        for version in scheme_file.versions:
            key = f"{scheme_file.id}@{version.effective.isoformat()}"
            out[key] = SchemeChoice(key, f"{scheme_file.name}（{version.effective} 起施行）", version)
    return out


def uploaded_scheme(text: str, name: str) -> Scheme:
    """The latest version of an uploaded scheme file, checked by the scheme loader (errors name the file)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed("invalid", f"补偿方案文件 {name} 的 YAML 格式错误：{exc}", field="scheme_file") from exc
    try:
        scheme_file = scheme_file_from_mapping(raw, source=name)
    except SchemeError as exc:
        raise ValidationFailed("invalid", f"补偿方案文件不合格：{exc}", field="scheme_file") from exc
    return scheme_file.versions[-1]


def _rate(value: Decimal | None, name: str) -> Decimal:
    value = Decimal("0") if value is None else value
    low, high = RATE_LIMITS
    if not value.is_finite() or not low <= value <= high:
        raise ValidationFailed("invalid", f"{GROWTH_FIELDS[name]}应在 {low:.0%} 到 {high:.0%} 之间，读到 {value}",
                               field=f"{name}_growth")
    return value


@transaction.atomic
def simulation_run_create(*, actor: User, scheme_keys: list[str], year: int | None = None,
                          episodes: tuple[str, bytes] | None = None, scheme_yaml: tuple[str, str] | None = None,
                          income: Decimal | None = None, project_years: int = 0,
                          growth: Mapping[str, Decimal | None] | None = None,
                          opening_balance: Decimal | None = None) -> SimulationRun:
    """Check and record a run; the caller enqueues `simulation_run_task` after the commit. `growth` holds the
    projection's yearly rates as fractions (0.05 = 5 %) by GROWTH_FIELDS name; amounts are in yuan."""
    require(actor, Cap.SCHEME_MANAGE)
    choices = available_schemes()
    unknown = [k for k in scheme_keys if k not in choices]
    if unknown:
        raise ValidationFailed("invalid", f"补偿方案“{unknown[0][:60]}”不在可选方案中", field="schemes")
    keys = list(dict.fromkeys(scheme_keys))
    if scheme_yaml is not None:
        name, text = scheme_yaml
        if len(text.encode()) > MAX_YAML_BYTES:
            raise ValidationFailed("too_large", f"补偿方案文件不能超过 {MAX_YAML_BYTES // 1000} KB", field="scheme_file")
        uploaded = uploaded_scheme(text, name)
    if not keys and scheme_yaml is None:
        raise ValidationFailed("required", "请至少选择一个补偿方案（第一个为基准方案）", field="schemes")
    if len(keys) + (scheme_yaml is not None) > MAX_SCHEMES:
        raise ValidationFailed("invalid", f"一次最多比较 {MAX_SCHEMES} 个方案", field="schemes")
    if (year is None) == (episodes is None):
        raise ValidationFailed("required", "请选择就诊数据：数据库中的一个年度，或上传就诊数据文件（二选一）", field="source")
    if year is not None and not 2000 <= year <= 2100:
        raise ValidationFailed("invalid", f"年度应在 2000 到 2100 之间，读到 {year}", field="year")
    if not 0 <= project_years <= MAX_PROJECT_YEARS:
        raise ValidationFailed("invalid", f"预测年数应在 0 到 {MAX_PROJECT_YEARS} 之间，读到 {project_years}",
                               field="project_years")
    rates = {name: str(_rate((growth or {}).get(name), name)) for name in GROWTH_FIELDS}
    for value, field, label in ((income, "income", "当年筹资"), (opening_balance, "opening_balance", "期初结余")):
        if value is not None and (not value.is_finite() or value < 0 or value.as_tuple().exponent < -2):
            raise ValidationFailed("invalid", f"{label}应为不小于 0 的金额（元，最多两位小数），读到 {value}", field=field)
    if project_years and income is None and year is None:
        raise ValidationFailed("required", "预测需要当年筹资：用上传的就诊数据时请填写当年筹资（元）", field="income")
    inputs = {"schemes": [{"key": k, "label": choices[k].label, "version": choices[k].scheme.version} for k in keys],
              "year": year, "income": None if income is None else to_fen(income), "project_years": project_years,
              "growth": rates, "opening_balance": to_fen(opening_balance or Decimal("0"))}
    if scheme_yaml is not None:
        inputs["uploaded_scheme"] = {"name": name[:200], "yaml": text, "label": f"上传：{uploaded.name}（{name[:60]}）",
                                     "version": uploaded.version}
    run = SimulationRun(created_by=actor, inputs=inputs)
    if episodes is not None:
        file_name, content = episodes
        if len(content) > MAX_EPISODES_BYTES:
            raise ValidationFailed("too_large", f"就诊数据文件不能超过 {MAX_EPISODES_BYTES // 1024 // 1024} MB",
                                   field="episodes")
        try:
            rows = episodes_from_bytes(content, file_name).height
        except ExtractError as exc:
            raise ValidationFailed("invalid", str(exc), field="episodes") from exc
        inputs["episodes_file"] = {"name": file_name[:200], "sha256": hashlib.sha256(content).hexdigest(), "rows": rows}
        suffix = Path(file_name).suffix.lower()  # .csv or .parquet: episodes_from_bytes refused anything else
        run.episodes_file.save(f"episodes-{timezone.now():%Y%m%d%H%M%S}{suffix}", ContentFile(content), save=False)
    run.save()
    audit_record(actor=actor, action="simulation.run", obj=run,
                 after={"schemes": [s["label"] for s in inputs["schemes"]]
                        + ([inputs["uploaded_scheme"]["label"]] if scheme_yaml is not None else []),
                        "year": year, "episodes_file": inputs.get("episodes_file"), "income": income,
                        "project_years": project_years, "growth": rates})
    return run


def simulation_run_get(*, actor: User, pk: int) -> SimulationRun:
    require(actor, Cap.SCHEME_MANAGE)
    runs_stale_fail()
    run = SimulationRun.objects.select_related("created_by", "retry_of").filter(pk=pk).first()
    if run is None:
        raise NotFound("测算", str(pk))
    return run


def simulation_run_list(*, actor: User):
    require(actor, Cap.SCHEME_MANAGE)
    runs_stale_fail()
    return SimulationRun.objects.select_related("created_by").defer("result")


def stale_minutes() -> int:
    return settings.NRCMS_SIMULATION_STALE_MINUTES


def runs_stale_fail(*, now: dt.datetime | None = None) -> list[int]:
    """Runs whose background task died (the worker was killed, the machine restarted) would stay 排队中 or
    计算中 forever: a run with no sign of life — no progress step (heartbeat), else no start, else no queueing —
    for stale_minutes() is marked failed with a Chinese reason, audited, and can be recalculated
    (simulation_run_retry). Called when runs are read (the page, the API). Returns the ids marked."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=stale_minutes())
    alive = Coalesce("heartbeat_at", "started_at", "created_at")
    marked = []
    candidates = (SimulationRun.objects.filter(status__in=(RunStatus.PENDING, RunStatus.RUNNING))
                  .annotate(last_sign=alive).filter(last_sign__lt=cutoff).values_list("pk", "status", "last_sign"))
    for pk, status, last_sign in candidates:
        with transaction.atomic():
            label = RunStatus(status).label
            message = (f"后台计算已中断：自 {timezone.localtime(last_sign):%Y-%m-%d %H:%M} 起超过 {stale_minutes()} 分钟"
                       f"没有进度（原状态：{label}），已标为失败。可点“重新计算”再算一次。")
            # only if still stale: a heartbeat that arrived meanwhile keeps the run alive
            if not SimulationRun.objects.filter(pk=pk, status=status).annotate(last_sign=alive).filter(
                    last_sign__lt=cutoff).update(status=RunStatus.FAILED, message=message, finished_at=now,
                                                 step="中断"):
                continue
            run = SimulationRun.objects.select_related("created_by").get(pk=pk)
            audit_record(actor=None, action="simulation.stale", obj=run, reason=message,
                         before={"status": status, "progress": run.progress},
                         after={"status": RunStatus.FAILED, "message": message})
            marked.append(pk)
    return marked


@transaction.atomic
def simulation_run_retry(*, actor: User, run: SimulationRun) -> SimulationRun:
    """重新计算: a failed run again, as a new run with the same inputs (and the same uploaded episodes file),
    queued after the commit. The failed run is kept as it is and points to its retries."""
    require(actor, Cap.SCHEME_MANAGE)
    run = SimulationRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.FAILED:
        raise ValidationFailed("not_failed", f"测算 {run.pk} 的状态为{run.get_status_display()}，只有失败的测算可以重新计算",
                               field="run")
    again = SimulationRun.objects.create(created_by=actor, inputs=run.inputs, episodes_file=run.episodes_file.name,
                                         retry_of=run)
    audit_record(actor=actor, action="simulation.retry", obj=again,
                 after={"retry_of": run.pk, "schemes": [s["label"] for s in run.inputs.get("schemes", [])],
                        "year": run.inputs.get("year")})
    transaction.on_commit(lambda: simulation_run_task.enqueue(again.pk))
    return again


def _schemes_of(run: SimulationRun) -> list[tuple[str, Scheme]]:
    choices = available_schemes()
    chosen = []
    for item in run.inputs["schemes"]:
        choice = choices.get(item["key"])
        if choice is None or choice.scheme.version != item["version"]:
            raise SimulationError(f"补偿方案“{item['label']}”已不在可选方案中或已被修改，请重新发起测算")
        chosen.append((item["label"], choice.scheme))
    if "uploaded_scheme" in run.inputs:
        up = run.inputs["uploaded_scheme"]
        try:
            chosen.append((up["label"], uploaded_scheme(up["yaml"], up["name"])))
        except ValidationFailed as exc:
            raise SimulationError(exc.message) from exc
    return chosen


def _episodes_of(run: SimulationRun):
    from .extract import extract_year, year_income

    if run.inputs.get("year") is not None:
        year = run.inputs["year"]
        df = extract_year(year)
        income = run.inputs["income"] if run.inputs["income"] is not None else year_income(year)
        if df.height == 0:
            raise SimulationError(f"{year} 年度没有有效结算，无法测算")
        return df, income
    with run.episodes_file.open("rb") as handle:
        return episodes_from_bytes(handle.read(), run.inputs["episodes_file"]["name"]), run.inputs["income"]


def _save_progress(run: SimulationRun, percent: int, step: str) -> None:
    SimulationRun.objects.filter(pk=run.pk).update(progress=max(0, min(percent, 100)), step=step[:200],
                                                   heartbeat_at=timezone.now())


def simulation_run_execute(run: SimulationRun, *, runner=None) -> SimulationRun:
    """Carry out a run (in a task worker; at once with the immediate backend). A run already started does
    nothing (a task delivered twice)."""
    if not SimulationRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(), step="读取就诊数据"):
        run.refresh_from_db()
        return run
    try:
        schemes = _schemes_of(run)
        df, income = _episodes_of(run)
        years = run.inputs["project_years"]
        steps = len(schemes) + (years + 1 if years else 0)

        def progress(done: int, _total: int, note: str) -> None:
            _save_progress(run, 5 + 90 * done // steps, note)

        outcomes = simulate(df, schemes, income=income, progress=progress, runner=runner)
        projection, assumptions = [], _assumptions(run)
        if years:
            if income is None:
                raise SimulationError("预测需要当年筹资：该年度没有筹资标准，请填写当年筹资（元）")
            projection = project(df, schemes[0][1], years=years, income=income, assumptions=assumptions,
                                 progress=lambda t, n, note: progress(len(schemes) + t, steps, note), runner=runner)
        result = {"episodes": df.height, "persons": df["person_id"].n_unique(), "income": income,
                  "outcomes": [outcome_json(o) for o in outcomes], "projection": projection,
                  "dry_year": dry_year(projection) if projection else None,
                  "assumptions": assumptions.text() if years else []}
    except (SimulationError, ExtractError) as exc:
        return _finish(run, RunStatus.FAILED, str(exc)[:500], None)
    except Exception:
        _finish(run, RunStatus.FAILED, "测算时发生系统错误，请联系系统管理员", None)
        raise
    return _finish(run, RunStatus.DONE, f"已完成：{df.height} 笔就诊，{len(schemes)} 个方案", result)


def _finish(run: SimulationRun, status: str, message: str, result: dict | None) -> SimulationRun:
    with transaction.atomic():
        SimulationRun.objects.filter(pk=run.pk).update(status=status, message=message, result=result,
                                                       finished_at=timezone.now(),
                                                       progress=100 if status == RunStatus.DONE else run.progress,
                                                       step="完成" if status == RunStatus.DONE else "失败")
        run.refresh_from_db()
        audit_record(actor=run.created_by, action="simulation.finish", obj=run,
                     after={"status": status, "message": message})
    return run


def _assumptions(run: SimulationRun) -> Assumptions:
    g = run.inputs["growth"]
    return Assumptions(enrollment=Decimal(g["enrollment"]), cost=Decimal(g["cost"]),
                       utilisation=Decimal(g["utilisation"]), subsidy=Decimal(g["subsidy"]),
                       opening_balance=run.inputs["opening_balance"])


def outcome_json(o: SchemeOutcome) -> dict:
    """A SchemeOutcome as JSON: amounts stay integer fen, ratios become strings ("0.3750")."""
    data = dataclasses.asdict(o)
    for name in RATIO_FIELDS:
        data[name] = None if data[name] is None else str(data[name])
    data["poor"] = {k: str(v) if isinstance(v, Decimal) else v for k, v in data["poor"].items()}
    return data


def outcome_from_json(data: dict) -> SchemeOutcome:
    values = dict(data)
    for name in RATIO_FIELDS:
        values[name] = None if values.get(name) is None else Decimal(values[name])
    values["poor"] = {k: Decimal(v) if k in POOR_RATIOS else v for k, v in values["poor"].items()}
    return SchemeOutcome(**values)


def run_outcomes(run: SimulationRun) -> list[SchemeOutcome]:
    return [outcome_from_json(o) for o in (run.result or {}).get("outcomes", [])]


@task()
def simulation_run_task(run_id: int) -> None:
    """Run by django-tasks: at once with the immediate backend, in `nrcms db_worker` with the database one."""
    simulation_run_execute(SimulationRun.objects.select_related("created_by").get(pk=run_id))


def simulation_run_start(**kwargs) -> SimulationRun:
    """Record a run and queue it (after the commit, so the worker finds it)."""
    run = simulation_run_create(**kwargs)
    simulation_run_task.enqueue(run.pk)
    run.refresh_from_db()
    return run


def year_choices() -> list[int]:
    from nrcms.claims.models import Episode

    years = Episode.objects.order_by("-scheme_year").values_list("scheme_year", flat=True).distinct()
    return list(years) or [dt.date.today().year]

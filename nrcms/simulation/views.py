"""The simulation pages (县合管办): choose schemes, episodes and assumptions; follow the run's progress; read
the side-by-side results and charts; export them to Excel."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError, ValidationFailed
from nrcms.core.export import XLSX, xlsx_bytes
from nrcms.core.money import from_fen
from nrcms.web.params import amount_param, int_param, year_param
from nrcms.web.views import need

from . import runs
from .models import RunStatus
from .report import PROJECTION_HEADERS, comparison_rows, display, projection_rows, workbook_rows
from .simulate import COST_BANDS, LAYER_LABELS, NRCMS_LAYERS, OTHER_LAYERS

MAX_UPLOAD_NAME = 200


def _percent(data, name: str, label: str) -> Decimal | None:
    """A yearly growth rate typed in percent ("5", "-2.5"), as a fraction (0.05); None when blank."""
    text = str(data.get(name) or "").strip().rstrip("%")
    if not text:
        return None
    shown = text if len(text) <= 20 else text[:20] + "…"
    try:
        if len(text) > 12 or not text.isascii():
            raise InvalidOperation(text)
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("invalid", f"{label}“{shown}”不是数字，请填写百分数，如 5 表示 5%", field=name) from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValidationFailed("invalid", f"{label}“{shown}”最多两位小数（百分数）", field=name)
    return value / 100


def _upload(request, name: str, label: str, limit: int):
    upload = request.FILES.get(name)
    if upload is None:
        return None
    if upload.size > limit:
        raise ValidationFailed("too_large", f"{label}不能超过 {limit // 1024 // 1024 or 1} MB", field=name)
    return upload.name[:MAX_UPLOAD_NAME], upload.read()


def _start(request):
    data = request.POST
    baseline = str(data.get("baseline") or "").strip()
    keys = ([baseline] if baseline else []) + [str(k) for k in data.getlist("compare") if str(k) != baseline]
    scheme_yaml = _upload(request, "scheme_file", "补偿方案文件", runs.MAX_YAML_BYTES)
    if scheme_yaml is not None:
        try:
            scheme_yaml = (scheme_yaml[0], scheme_yaml[1].decode("utf-8"))
        except UnicodeDecodeError:
            raise ValidationFailed("invalid", "补偿方案文件应为 UTF-8 编码的 YAML 文本", field="scheme_file") from None
    source = data.get("source") or "year"
    year = episodes = None
    if source == "file":
        episodes = _upload(request, "episodes", "就诊数据文件", runs.MAX_EPISODES_BYTES)
        if episodes is None:
            raise ValidationFailed("required", "请选择要上传的就诊数据文件（.parquet 或 .csv）", field="episodes")
    else:
        year = year_param(data, default=None)
        if year is None:
            raise ValidationFailed("required", "请填写要重算的年度", field="year")
    growth = {name: _percent(data, f"{name}_growth", label) for name, label in runs.GROWTH_FIELDS.items()}
    return runs.simulation_run_start(
        actor=request.user, scheme_keys=keys, year=year, episodes=episodes, scheme_yaml=scheme_yaml,
        income=amount_param(data, "income", "当年筹资"),
        project_years=int_param(data, "project_years", "预测年数", default=0, max_value=runs.MAX_PROJECT_YEARS),
        growth=growth, opening_balance=amount_param(data, "opening_balance", "期初结余"))


@require_http_methods(["GET", "POST"])
def simulation_home(request):
    need(request, Cap.SCHEME_MANAGE)
    error = None
    if request.method == "POST":
        try:
            run = _start(request)
        except NrcmsError as exc:
            error = exc.message
        else:
            return redirect("simulation_run", pk=run.pk)
    form = request.POST if request.method == "POST" else {}
    return render(request, "simulation/index.html", {
        "schemes": list(runs.available_schemes().values()), "years": runs.year_choices(), "error": error,
        "form": form, "compare": form.getlist("compare") if form else [], "growth": [(name, label, form.get(f"{name}_growth", "")) for name, label in runs.GROWTH_FIELDS.items()],
        "runs": runs.simulation_run_list(actor=request.user)[:20]}, status=400 if error else 200)


def _sections(outcomes) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """The comparison rows grouped by section (the gains and losses have their own tables)."""
    out: list[tuple[str, list]] = []
    for section, item, *values in comparison_rows(outcomes):
        if section.startswith("得失"):
            continue
        if not out or out[-1][0] != section:
            out.append((section, []))
        out[-1][1].append((item, [display(v) for v in values]))
    return out


def _gains(outcomes) -> list[dict]:
    tables = []
    for o in outcomes[1:]:
        g = o.gains
        rows = {key: [{**r, "change": from_fen(r["change"])} for r in g[key]] for key in ("by_category", "by_band")}
        tables.append({"label": o.label, "persons": g["persons"], "gainers": g["gainers"], "losers": g["losers"],
                       "change": from_fen(g["change"]), **rows})
    return tables


def _chart_data(outcomes, projection: list[dict]) -> dict:
    """What static/simulation/simulation.js draws: amounts as yuan text (exact), never floats."""
    def y(fen):
        return str(from_fen(int(fen)))
    return {
        "schemes": [o.label for o in outcomes],
        "layers": [{"name": LAYER_LABELS[n], "values": [y(o.layers[n]) for o in outcomes]}
                   for n in (*NRCMS_LAYERS, *OTHER_LAYERS)],
        "ratios": {"effective": [str(o.effective_ratio * 100) for o in outcomes],
                   "in_policy": [str(o.in_policy_ratio * 100) for o in outcomes],
                   "poor": [str(o.poor["in_policy_ratio"] * 100) for o in outcomes]},
        "bands": [label for _, _, label in COST_BANDS],
        "gains": [{"name": o.label, "values": [y(next((r["change"] for r in o.gains["by_band"] if r["key"] == b), 0))
                                               for _, _, b in COST_BANDS]} for o in outcomes[1:]],
        "projection": {"years": [f"第 {r['year']} 年" for r in projection], "income": [y(r["income"]) for r in projection],
                       "spending": [y(r["spending"]) for r in projection], "balance": [y(r["balance"]) for r in projection]},
    }


@require_http_methods(["GET", "POST"])
def simulation_run(request, pk: int):
    run = runs.simulation_run_get(actor=request.user, pk=pk)
    if request.method == "POST":  # 重新计算 a failed run
        try:
            again = runs.simulation_run_retry(actor=request.user, run=run)
        except NrcmsError as exc:
            return render(request, "simulation/run.html", {"run": run, "error": exc.message}, status=400)
        return redirect("simulation_run", pk=again.pk)
    if request.headers.get("HX-Request"):
        if not run.running:  # done or failed: reload the whole page (its charts start on page load)
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "simulation/_progress.html", {"run": run})
    context = {"run": run}
    if run.status == RunStatus.DONE:
        outcomes = runs.run_outcomes(run)
        projection = run.result.get("projection", [])
        context.update(outcomes=outcomes, sections=_sections(outcomes), gains=_gains(outcomes),
                       projection=[[display(v) for v in r] for r in projection_rows(projection)],
                       projection_headers=PROJECTION_HEADERS, dry_year=run.result.get("dry_year"),
                       assumptions=run.result.get("assumptions", []), chart=_chart_data(outcomes, projection),
                       income=None if run.result.get("income") is None else from_fen(run.result["income"]))
    return render(request, "simulation/run.html", context)


def simulation_run_export(request, pk: int):
    run = runs.simulation_run_get(actor=request.user, pk=pk)
    if run.status != RunStatus.DONE:
        raise ValidationFailed("invalid", f"测算 {run.pk} 尚未完成（{run.get_status_display()}），不能导出", field="run")
    outcomes = runs.run_outcomes(run)
    headers = ["分组", "项目", *[o.label for o in outcomes]]
    body = xlsx_bytes("测算结果", headers, workbook_rows(outcomes, run.result.get("projection", [])))
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''simulation-{run.pk}.xlsx"
    return response

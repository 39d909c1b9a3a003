"""Simulation over the API: start a run (schemes by key, a year from the database, assumptions) and read it
back with its progress and, when done, each scheme's outcome and the projection. Amounts in yuan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS
from nrcms.api.choices import coded
from nrcms.core.money import from_fen

from . import runs
from .models import RunStatus, SimulationRun
from .simulate import NRCMS_LAYERS, OTHER_LAYERS

router = Router(tags=["方案测算"])
RATE = {"ge": Decimal("-0.5"), "le": Decimal("1"), "max_digits": 6, "decimal_places": 4}


class SimulationRunIn(Schema):
    schemes: list[str] = Field(..., min_length=1, max_length=runs.MAX_SCHEMES,
                               description="补偿方案（可选方案的键，如 demo-layered-2020@2020-01-01）；第一个为基准方案")
    scheme_yaml: str | None = Field(None, max_length=runs.MAX_YAML_BYTES, description="另加一个方案文件的 YAML 文本（可选）")
    year: int = Field(..., ge=2000, le=2100, description="重算该年度数据库中的全部有效结算")
    income: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2,
                                   description="当年筹资（元）；不填按缴费人数 × 筹资标准估算")
    project_years: int = Field(0, ge=0, le=runs.MAX_PROJECT_YEARS, description="预测年数（0 为不预测）")
    enrollment_growth: Decimal = Field(Decimal("0"), description="参合人数年增长率（0.05 即 5%）", **RATE)
    cost_growth: Decimal = Field(Decimal("0"), description="次均费用年增长率", **RATE)
    utilisation_growth: Decimal = Field(Decimal("0"), description="就诊人次年增长率", **RATE)
    subsidy_growth: Decimal = Field(Decimal("0"), description="人均筹资年增长率", **RATE)
    opening_balance: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2, description="基金期初结余（元）")


class SimulationSchemeOut(Schema):
    label: str
    version: str
    episodes: int
    total_cost: Decimal
    eligible: Decimal
    fund_total: Decimal
    nrcms_fund: Decimal
    self_pay: Decimal
    facility_borne: Decimal
    layers: dict[str, Decimal] = Field(..., description="各补偿层次支出（元）")
    effective_ratio: Decimal
    in_policy_ratio: Decimal
    beneficiaries: int
    refused: int
    income: Decimal | None
    balance: Decimal | None
    surplus_rate: Decimal | None
    poor_in_policy_ratio: Decimal = Field(..., description="建档立卡贫困户住院政策范围内补偿比")
    poor_meets_target: bool = Field(..., description="是否达到 90% 目标")
    gainers: int | None = Field(None, description="与基准方案相比减负人数（基准方案本身为空）")
    losers: int | None = None
    self_pay_change: Decimal | None = Field(None, description="与基准方案相比个人自付合计变化（元）")


class SimulationProjectionOut(Schema):
    year: int
    income: Decimal
    spending: Decimal
    surplus: Decimal
    balance: Decimal
    dry: bool


class SimulationRunOut(Schema):
    id: int
    status: coded(RunStatus, description="测算状态")
    status_label: str
    progress: int = Field(..., description="进度（%）")
    step: str
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    schemes: list[SimulationSchemeOut]
    projection: list[SimulationProjectionOut]
    dry_year: int | None = Field(None, description="累计结余首次小于零的预测年份")
    retry_of: int | None = Field(None, description="本测算是哪一个失败测算的重新计算")


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(int(fen))


def _out(run: SimulationRun) -> dict:
    schemes = []
    for o in runs.run_outcomes(run) if run.result else []:
        schemes.append({
            "label": o.label, "version": o.version, "episodes": o.episodes, "beneficiaries": o.beneficiaries,
            "refused": o.refused, "effective_ratio": o.effective_ratio, "in_policy_ratio": o.in_policy_ratio,
            "surplus_rate": o.surplus_rate, "poor_in_policy_ratio": o.poor["in_policy_ratio"],
            "poor_meets_target": o.poor["meets_target"],
            **{name: _yuan(getattr(o, name)) for name in ("total_cost", "eligible", "fund_total", "nrcms_fund",
                                                           "self_pay", "facility_borne", "income", "balance")},
            "layers": {name: _yuan(o.layers[name]) for name in (*NRCMS_LAYERS, *OTHER_LAYERS)},
            "gainers": o.gains.get("gainers"), "losers": o.gains.get("losers"),
            "self_pay_change": _yuan(o.gains.get("change"))})
    projection = [{k: (_yuan(v) if k in ("income", "spending", "surplus", "balance") else v) for k, v in r.items()}
                  for r in (run.result or {}).get("projection", [])]
    return {"id": run.pk, "status": run.status, "status_label": run.get_status_display(), "progress": run.progress,
            "step": run.step, "message": run.message, "created_at": run.created_at, "finished_at": run.finished_at,
            "schemes": schemes, "projection": projection, "dry_year": (run.result or {}).get("dry_year"),
            "retry_of": run.retry_of_id}


@router.post("/runs", auth=requires(Cap.SCHEME_MANAGE), response={202: SimulationRunOut, **ERRORS},
             summary="发起方案测算（后台运行；用返回的 id 查询进度与结果）")
def run_start(request, payload: SimulationRunIn):
    growth = {name: getattr(payload, f"{name}_growth") for name in runs.GROWTH_FIELDS}
    run = runs.simulation_run_start(
        actor=request.user, scheme_keys=payload.schemes, year=payload.year,
        scheme_yaml=None if payload.scheme_yaml is None else ("上传方案.yaml", payload.scheme_yaml),
        income=payload.income, project_years=payload.project_years, growth=growth,
        opening_balance=payload.opening_balance)
    return Status(202, _out(run))


@router.get("/runs/{run_id}", auth=requires(Cap.SCHEME_MANAGE), response={200: SimulationRunOut, **ERRORS},
            summary="方案测算的进度与结果")
def run_get(request, run_id: int):
    return _out(runs.simulation_run_get(actor=request.user, pk=run_id))


@router.post("/runs/{run_id}/retry", auth=requires(Cap.SCHEME_MANAGE), response={202: SimulationRunOut, **ERRORS},
             summary="重新计算失败的测算（同样的条件另起一次测算；原测算保留）")
def run_retry(request, run_id: int):
    run = runs.simulation_run_retry(actor=request.user, run=runs.simulation_run_get(actor=request.user, pk=run_id))
    run.refresh_from_db()
    return Status(202, _out(run))

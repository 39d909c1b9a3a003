"""The measures of a facility's monthly scorecard (定点医疗机构监管指标): code, label, unit and the threshold that
bounds it. Defined in docs/guide/facility-supervision.md and computed by nrcms/stats/scorecards.py; kept here, beside
the facilities, so that an alert (models.FacilitySupervisionAlert) can name its measure without reaching up into
the statistics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    threshold: str = ""  # the SupervisionThresholds field that bounds it, "" for none


MEASURES = (
    Measure("drug_share", "药占比", "%", "drug_share"),
    Measure("out_of_policy_share", "政策范围外费用占比", "%", "out_of_policy_share"),
    Measure("cost_per_admission", "次均住院费用", "元"),
    Measure("cost_growth", "次均住院费用同比增长", "%", "cost_growth"),
    Measure("average_stay", "平均住院日", "天"),
    Measure("readmission_rate", "30天内再住院率", "%"),
    Measure("referral_out_rate", "转出率", "%"),
    Measure("hits_per_100", "每百人次审核疑点", "个"),
    Measure("complaints", "投诉", "件"),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
THRESHOLD_MEASURES = tuple(m for m in MEASURES if m.threshold)

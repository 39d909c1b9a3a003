"""健康扶贫 over the API: the 90 % monitor (by region, by month, facilities' out-of-policy shares), the patients
below 90 % with their reasons, and one patient's file. ID numbers are masked; the figures are the pages'."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, paginate
from nrcms.api.choices import coded
from nrcms.api.masked import MaskedIdNumber
from nrcms.registry.models import Category
from nrcms.stats.api import PERIOD
from nrcms.stats.scope import scope_from

from . import monitor
from .patient_file import patient_file, patient_get

router = Router(tags=["健康扶贫"], auth=requires(Cap.POVERTY_VIEW))


class PovertyLayersOut(Schema):
    """Cost and what each layer paid: 基本医疗 (pooled fund and family account), 大病保险, 医疗救助, 兜底保障."""

    total_cost: Decimal
    eligible_cost: Decimal
    basic: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    fund_total: Decimal
    self_pay: Decimal


class PovertyMonitorRowOut(PovertyLayersOut):
    code: str
    label: str
    count: int
    out_of_policy: Decimal
    effective_ratio: Decimal | None
    meets_target: bool | None
    out_of_policy_share: Decimal | None
    out_of_county: int
    referred: int
    referral_rate: Decimal | None


class PovertyFacilityRowOut(Schema):
    code: str
    name: str
    level_label: str
    count: int
    total_cost: Decimal
    out_of_policy: Decimal
    share: Decimal | None
    limit: Decimal
    over_limit: bool
    effective_ratio: Decimal | None


class PovertyMonitorOut(Schema):
    start: str
    end: str
    label: str
    region_name: str
    target: Decimal
    regions: list[PovertyMonitorRowOut]
    months: list[PovertyMonitorRowOut]
    facilities: list[PovertyFacilityRowOut]


class PovertyBelowOut(Schema):
    person_id: int
    name: str
    id_number: MaskedIdNumber
    region: str
    count: int
    total_cost: Decimal
    eligible_cost: Decimal
    fund_total: Decimal
    effective_ratio: Decimal
    gap: Decimal
    reasons: list[str]
    facility_code: str
    facility: str


class PovertyBelowPageOut(Schema):
    total: int
    offset: int
    limit: int
    items: list[PovertyBelowOut]


class PovertyCategoryOut(Schema):
    category: coded(Category, description="人员类别")
    label: str
    valid_from: str
    valid_to: str | None
    authority: str


class PovertySettlementOut(PovertyLayersOut):
    number: str
    kind_label: str
    status_label: str
    date: str
    facility: str
    in_county: bool
    referred: bool


class PovertyYearOut(Schema):
    year: int
    count: int
    total_cost: Decimal
    fund_total: Decimal
    effective_ratio: Decimal | None
    meets_target: bool | None


class PovertyNoteOut(Schema):
    date: str
    kind_label: str
    text: str


class PovertyPatientOut(Schema):
    person_id: int
    name: str
    id_number: MaskedIdNumber
    region: str
    categories: list[PovertyCategoryOut]
    settlements: list[PovertySettlementOut]
    years: list[PovertyYearOut]
    follow_ups: list[PovertyNoteOut]
    plans: list[PovertyNoteOut]
    contracts: list[dict]


def _scope(request, year: str, month: str, region: str):
    return scope_from({"year": year, "month": month, "region": region}, actor=request.user)


@router.get("/monitor", response={200: PovertyMonitorOut, **ERRORS},
            summary="档卡户住院 90% 保障监测：按地区、按月的费用、各层补偿、实际补偿比、政策范围外占比、转诊率")
def poverty_monitor(request, year: str = PERIOD["year"], month: str = PERIOD["month"],
                    region: str = PERIOD["region"]):
    scope = _scope(request, year, month, region)
    return {"start": scope.start.isoformat(), "end": scope.end.isoformat(), "label": scope.label,
            "region_name": scope.region_name, "target": monitor.POOR_TARGET,
            "regions": monitor.region_rows(scope), "months": monitor.month_rows(scope, scope.end.year),
            "facilities": [{**f, "level_label": f["level"]} for f in monitor.facility_rows(scope)]}


@router.get("/monitor/below-target", response={200: PovertyBelowPageOut, **ERRORS},
            summary="实际补偿比未达 90% 的档卡户患者：原因（县外未转诊、政策范围外费用、县外就医）与责任医疗机构")
def poverty_below_target(request, year: str = PERIOD["year"], month: str = PERIOD["month"],
                         region: str = PERIOD["region"], offset: int = 0, limit: int = 100):
    rows = monitor.below_target(_scope(request, year, month, region))
    items, page = paginate(rows, offset, limit)
    return {**page, "items": items}


@router.get("/patients/{person_id}", response={200: PovertyPatientOut, **ERRORS},
            summary="一人一档一案：人员类别沿革、每笔结算及各层补偿、年度实际补偿比、随访、签约、治疗方案")
def poverty_patient(request, person_id: int):
    person = patient_get(actor=request.user, person_id=person_id)
    f = patient_file(person)
    return {"person_id": person.pk, "name": person.name, "id_number": person.id_number, "region": f["region"],
            "categories": [{"category": c.category, "label": c.get_category_display(),
                            "valid_from": c.valid_from.isoformat(),
                            "valid_to": c.valid_to.isoformat() if c.valid_to else None, "authority": c.authority}
                           for c in f["categories"]],
            "settlements": [{**s, "date": s["at"].date().isoformat(), "kind_label": s["kind"], "status_label": s["status"]}
                            for s in f["settlements"]],
            "years": f["years"],
            "follow_ups": [{"date": x.date.isoformat(), "kind_label": x.get_kind_display(), "text": x.note}
                           for x in f["follow_ups"]],
            "plans": [{"date": x.date.isoformat(), "kind_label": "治疗方案", "text": x.text} for x in f["plans"]],
            "contracts": f["contracts"]}

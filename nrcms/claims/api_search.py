"""Reading settlements through the API (结算查询): one settlement by its number, with its charges as settled,
the engine's explanation and the reversal history, and a paged search. Scoped like the pages: a hospital
system's token reads its own facility's settlements, the county's accounts their jurisdiction's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, LayerAmountsOut, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.jsonable import jsonable
from nrcms.facilities.models import CatalogueClass

from . import selectors as sel
from .models import EpisodeKind, Settlement, SettlementKind, SettlementStatus

router = Router(tags=["结算查询"], auth=requires(Cap.CLAIMS_VIEW, Cap.DESK_SETTLE))


class SettlementRowOut(LayerAmountsOut):
    """One settlement or reversal as a list shows it (amounts of a reversal are negative)."""

    number: str
    kind: coded(SettlementKind)
    status: coded(SettlementStatus)
    settled_at: dt.datetime
    facility_code: str
    facility_name: str
    episode_serial: str
    episode_kind: coded(EpisodeKind)
    person_name: str
    id_number: MaskedIdNumber
    eligible_cost: Decimal
    deductible: Decimal
    reverses: str | None = Field(description="冲正单所冲的结算单号；结算单为 null")
    reason: str = Field(description="冲正原因")


class SettledChargeOut(Schema):
    code: str
    name: str
    catalogue_class: coded(CatalogueClass)
    quantity: Decimal
    amount: Decimal
    price_limit: Decimal | None
    first_self_pay_share: Decimal


class ExplanationLineOut(Schema):
    text: str
    amount: Decimal | None


class SettlementHistoryOut(Schema):
    number: str
    kind: coded(SettlementKind)
    status: coded(SettlementStatus)
    settled_at: dt.datetime
    fund_total: Decimal
    reason: str


class SettlementReadOut(SettlementRowOut):
    """A settlement in full: the row, the scheme it used, the charges the engine read, its explanation
    (as stored when it was settled) and every settlement and reversal of the same episode."""

    scheme_id: str
    scheme_version: str
    scheme_effective: dt.date
    admission_date: dt.date
    discharge_date: dt.date | None
    diagnosis_code: str
    diagnosis_name: str
    charges: list[SettledChargeOut]
    explanation: list[ExplanationLineOut]
    history: list[SettlementHistoryOut]


class SettlementSearchPage(PageOut):
    items: list[SettlementRowOut]
    total_cost: Decimal = Field(description="符合条件的全部结算单的医疗总费用净额（冲正以负数计入）")
    fund_total: Decimal = Field(description="基金支付净额")
    self_pay: Decimal = Field(description="个人自付净额")


def _row(s: Settlement) -> dict:
    e = s.episode
    return {
        **{name: getattr(s, name) for name in LayerAmountsOut.model_fields},
        "number": s.number, "kind": s.kind, "status": s.status, "settled_at": s.settled_at,
        "facility_code": e.facility.code, "facility_name": e.facility.name, "episode_serial": e.serial,
        "episode_kind": e.kind, "person_name": e.person.name, "id_number": e.person.id_number,
        "eligible_cost": s.eligible_cost, "deductible": s.deductible,
        "reverses": s.reverses.number if s.reverses_id else None, "reason": s.reason,
    }


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@router.get("", response={200: SettlementSearchPage, **ERRORS},
            summary="结算查询（按患者、身份证号、机构、结算日期、补偿金额范围、类别、状态；分页，附合计）")
def settlement_search(request, q: str = "", facility: str = "", date_from: str = "", date_to: str = "",
                      amount_min: str = "", amount_max: str = "", kind: coded_query(SettlementKind) = "",
                      status: coded_query(SettlementStatus) = "", offset: int = 0, limit: int = 50):
    filters = sel.settlement_filters({"q": q, "facility": facility, "date_from": date_from, "date_to": date_to,
                                      "amount_min": amount_min, "amount_max": amount_max, "kind": kind,
                                      "status": status})
    qs = sel.settlement_search(actor=request.user, filters=filters)
    items, page = paginate(qs, offset, limit)
    totals = sel.settlement_totals(qs)
    return {**page, "items": [_row(s) for s in items], "total_cost": totals["total_cost"],
            "fund_total": totals["fund_total"], "self_pay": totals["self_pay"]}


@router.get("/{number}", response={200: SettlementReadOut, **ERRORS},
            summary="按结算单号读取一张结算单（金额、结算时的费用明细、计算说明、冲正记录；医院只能读本机构的）")
def settlement_read(request, number: str):
    s = sel.settlement_get(actor=request.user, number=number)
    e = s.episode
    charges = [{"code": c.get("code", ""), "name": c.get("name", ""), "catalogue_class": c.get("catalogue_class", ""),
                "quantity": _decimal(c.get("quantity")) or Decimal(0), "amount": _decimal(c.get("amount")),
                "price_limit": _decimal(c.get("price_limit")),
                "first_self_pay_share": _decimal(c.get("first_self_pay_share")) or Decimal(0)}
               for c in sel.settled_charges(s)]
    lines = [{"text": str(line.get("text", "")), "amount": _decimal(jsonable(line.get("amount")))}
             for line in (s.result or {}).get("lines", [])]
    history = [{"number": h.number, "kind": h.kind, "status": h.status, "settled_at": h.settled_at,
                "fund_total": h.fund_total, "reason": h.reason} for h in sel.settlement_history(s)]
    return {**_row(s), "scheme_id": s.scheme_id, "scheme_version": s.scheme_version,
            "scheme_effective": s.scheme_effective, "admission_date": e.admission_date,
            "discharge_date": e.discharge_date, "diagnosis_code": e.diagnosis_code,
            "diagnosis_name": e.diagnosis_name, "charges": charges, "explanation": lines, "history": history}

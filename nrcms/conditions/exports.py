"""The three registers as Excel exports — the chronic-disease register, serious-illness records and home
sickbeds — built once for the pages' "导出 Excel" and for `nrcms conditions export`: the actor's list (its
jurisdiction, or a desk's own facility for sickbeds) with the list's filters, ID numbers masked, and the export
on the audit trail (`export`, with the filters and the row count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from nrcms.accounts.export_log import export_record
from nrcms.accounts.models import User
from nrcms.core.export import xlsx_bytes
from nrcms.core.masking import mask_id

from . import lists, sickbed
from .models import ChronicStatus

SERIOUS_HEADERS = ["姓名", "身份证号（脱敏）", "住址", "病种", "定点救治医院", "临床路径", "开始救治", "状态", "结束日期",
                   "结束说明", "随访次数"]
SICKBED_HEADERS = ["编号", "姓名", "身份证号（脱敏）", "住址", "建床医疗机构", "责任医生", "诊断编码", "诊断", "建床日期",
                   "计划天数", "撤床日期", "状态", "查床次数", "查床费用（元）", "结算单号", "基金支付（元）"]
CHRONIC_HEADERS = ["姓名", "身份证号（脱敏）", "住址", "病种编码", "病种", "认定医疗机构", "认定日期", "有效期至", "状态",
                   "撤销日期", "撤销原因", "随访次数"]


@dataclass
class Export:
    """One export: what it is (for the audit record), the file's name, the sheet's title, headers and rows."""

    what: str
    file_name: str
    sheet: str
    headers: list[str]
    rows: list[list]

    def xlsx(self) -> bytes:
        return xlsx_bytes(self.sheet, self.headers, self.rows)

    def record(self, *, actor: User, filters: str) -> None:
        """The export on the audit trail, as a page's export: who, what, the filters, how many rows."""
        export_record(actor=actor, what=self.what, file_name=self.file_name, rows=len(self.rows), filters=filters)


def chronic_export(*, actor: User, today: dt.date, q: str = "", township: str = "", disease: str = "",
                   status: str = "") -> Export:
    rows = lists.chronic_list(actor=actor, today=today, q=q, township=township, disease=disease, status=status)
    out = [[c.person.name, mask_id(c.person.id_number), c.person.household.region.full_name, c.disease_code,
            c.disease_name, c.facility.name, c.certified_on, c.valid_until, ChronicStatus(c.status_on(today)).label,
            c.revoked_on or "", c.revoke_reason, len(c.follow_ups.all())]
           for c in rows.prefetch_related("follow_ups")]
    return Export("慢性病认定名单", f"慢性病认定名单-{today:%Y%m%d}.xlsx", "慢性病认定", CHRONIC_HEADERS, out)


def serious_export(*, actor: User, today: dt.date, q: str = "", township: str = "", disease: str = "",
                   status: str = "") -> Export:
    rows = lists.serious_list(actor=actor, q=q, township=township, disease=disease, status=status)
    out = [[c.person.name, mask_id(c.person.id_number), c.person.household.region.full_name, c.get_disease_display(),
            c.facility.name, c.pathway, c.started_on, c.get_status_display(), c.closed_on or "", c.close_note,
            len(c.follow_ups.all())] for c in rows.prefetch_related("follow_ups")]
    return Export("大病集中救治名单", f"大病集中救治名单-{today:%Y%m%d}.xlsx", "大病集中救治", SERIOUS_HEADERS, out)


def sickbed_export(*, actor: User, today: dt.date, status: str = "") -> Export:
    """The beds the actor sees, with their visits' cost and, once settled, the settlement and the fund's share.
    `status` is checked by the caller (a page's choice parameter, the command's choices)."""
    rows = sickbed.sickbeds(actor=actor)
    if status:
        rows = rows.filter(status=status)
    out = []
    for b in rows.select_related("episode").prefetch_related("visits", "episode__settlements"):
        settled = next((s for s in b.episode.settlements.all() if s.kind == "settlement" and s.status == "active"),
                       None) if b.episode_id else None
        visits = b.visits.all()
        out.append([b.number, b.person.name, mask_id(b.person.id_number), b.person.household.region.full_name,
                    b.facility.name, b.doctor, b.diagnosis_code, b.diagnosis_name, b.opened_on, b.planned_days,
                    b.closed_on or "", b.get_status_display(), len(visits), sum((v.amount for v in visits), Decimal(0)),
                    settled.number if settled else "", settled.fund_total if settled else ""])
    return Export("家庭病床名单", f"家庭病床名单-{today:%Y%m%d}.xlsx", "家庭病床", SICKBED_HEADERS, out)

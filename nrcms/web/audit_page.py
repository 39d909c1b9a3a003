"""The audit log page's parts: reading the filters from the query string, the rows as an auditor reads them
(Chinese action, object and field names, the operator's name beside the account), and the streamed export.
ID and phone numbers inside recorded values, reasons and object names are shown masked (个人信息保护法)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_date

from nrcms.accounts.audit_labels import (
    RelatedNames,
    action_label,
    change_rows,
    changes_text,
    object_type_label,
)
from nrcms.accounts.export_log import export_record
from nrcms.accounts.roles import Role
from nrcms.core.masking import mask_data, mask_text
from nrcms.core.xlsx_stream import xlsx_stream_response

FILTER_FIELDS = ("q", "action", "object_type", "object_ref", "person", "username")
EXPORT_HEADERS = ["序号", "时间", "操作人账号", "操作人姓名", "角色", "操作", "操作代码", "对象类型", "对象编号",
                  "对象", "所属区划", "所属机构", "依据/批准", "原因", "变更内容（字段：原值 → 新值）",
                  "变更前（原始记录）", "变更后（原始记录）", "哈希"]
EXPORT_WIDTHS = [8, 20, 14, 12, 16, 18, 22, 14, 10, 28, 14, 12, 20, 24, 48, 30, 30, 20]
ROLE_LABELS = dict(Role.choices)


def _query_date(g, name: str, label: str, errors: list[str]):
    """A date filter from the query string; a malformed one is reported and ignored, never a 500."""
    text = (g.get(name) or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None:
        errors.append(f"{label}“{text}”不是有效日期，应写成 YYYY-MM-DD；已忽略此条件")
    return value


def audit_filters(g) -> tuple[dict, list[str]]:
    errors: list[str] = []
    text = {name: (g.get(name) or "").strip() for name in FILTER_FIELDS}
    filters = {
        "search": text["q"], "action": text["action"], "object_type": text["object_type"],
        "object_ref": text["object_ref"], "person": text["person"], "username": text["username"],
        "date_from": _query_date(g, "date_from", "起始日期", errors),
        "date_to": _query_date(g, "date_to", "截止日期", errors),
    }
    if filters["date_from"] and filters["date_to"] and filters["date_from"] > filters["date_to"]:
        errors.append(f"起始日期 {filters['date_from']} 晚于截止日期 {filters['date_to']}，没有记录可查；请调换两个日期")
    return filters, errors


def operator_name(entry) -> str:
    if entry.actor_id and entry.actor.display_name:
        return entry.actor.display_name
    return "" if entry.actor_username else "系统"


def decorate(entries) -> list:
    """The page's rows with their Chinese words attached (entries are already loaded with their actor)."""
    rows, names = list(entries), RelatedNames()
    for e in rows:
        e.action_label = action_label(e.action)
        e.object_type_label = object_type_label(e.object_type)
        e.operator_name = operator_name(e)
        e.role_label = ROLE_LABELS.get(e.actor_role, e.actor_role)
        e.changes = [(label, None if old is None else mask_text(old), mask_text(new))
                     for label, old, new in change_rows(e, names)]
        e.object_repr, e.reason, e.authority = mask_text(e.object_repr), mask_text(e.reason), mask_text(e.authority)
    return rows


def _export_rows(qs):
    names = RelatedNames()  # a few regions and facilities, each looked up once for the whole export
    for e in qs.iterator(chunk_size=2000):
        yield (e.seq, timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_username, operator_name(e),
               ROLE_LABELS.get(e.actor_role, e.actor_role), action_label(e.action), e.action,
               object_type_label(e.object_type), e.object_id, mask_text(e.object_repr), e.region_code,
               e.facility_code, mask_text(e.authority), mask_text(e.reason), mask_text(changes_text(e, names)),
               mask_data(e.before), mask_data(e.after), e.hash)


def audit_export(qs, *, actor, filters: str = ""):
    """The trail as Excel, ID and phone numbers masked in every column (the raw before/after too, so the hash
    cannot be recomputed from the file: `nrcms audit verify` checks the chain in the database)."""
    export_record(actor=actor, what="审计记录（身份证号、电话已脱敏）", file_name="审计记录.xlsx", rows=qs.count(),
                  filters=filters)
    return xlsx_stream_response("审计记录.xlsx", "审计记录", EXPORT_HEADERS, _export_rows(qs), EXPORT_WIDTHS)

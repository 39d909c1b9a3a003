"""The scheme catalogue, diagnoses and facility code mappings (对照).

Dated like the scheme itself: a new version of a catalogue item closes the previous one the day before, so
any past charge is judged by the catalogue in force on its date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nrcms.accounts.audit import audit_record, snapshot
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.stats import facts

from .mappings import mapping_propose
from .models import CatalogueClass, CatalogueItem, ChargeMapping, Diagnosis, Facility, ItemKind, MappingStatus
from .services import text_bounded

ITEM_FIELDS = ["code", "name", "kind", "catalogue_class", "first_self_pay_share", "price_limit", "unit",
               "valid_from", "valid_to", "authority"]


def _decimal(value, field: str, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ValidationFailed("invalid", f"{label}不能用浮点数表示，请写成文本，如“0.20”", field=field)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationFailed("invalid", f"{label}“{value}”不是有效的数字", field=field) from exc


@transaction.atomic
def catalogue_item_add(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    catalogue_class: str,
    valid_from: dt.date,
    first_self_pay_share=Decimal("0"),
    price_limit=None,
    unit: str = "",
    authority: str = "",
) -> tuple[CatalogueItem, bool]:
    """Add a version of an item. Returns (item, created); the same version again changes nothing."""
    if actor is not None:
        require(actor, Cap.SCHEME_MANAGE)
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        raise ValidationFailed("required", "目录编码不能为空", field="code")
    if not name:
        raise ValidationFailed("required", f"目录项“{code}”的名称不能为空", field="name")
    if kind not in ItemKind.values:
        raise ValidationFailed("invalid", f"目录项“{code}”的类别“{kind}”应为 药品/诊疗项目/医用耗材 之一", field="kind")
    if catalogue_class not in CatalogueClass.values:
        raise ValidationFailed("invalid", f"目录项“{code}”的目录分类“{catalogue_class}”应为 A/B/C（甲/乙/丙）",
                               field="catalogue_class")
    share = _decimal(first_self_pay_share, "first_self_pay_share", "先行自付比例") or Decimal("0")
    if not Decimal("0") <= share <= Decimal("1"):
        raise ValidationFailed("invalid", f"目录项“{code}”的先行自付比例应在 0 到 1 之间", field="first_self_pay_share")
    if share and catalogue_class != CatalogueClass.B:
        raise ValidationFailed("invalid", f"目录项“{code}”：只有乙类项目有先行自付比例", field="first_self_pay_share")
    limit = _decimal(price_limit, "price_limit", "最高限价")
    if limit is not None and limit <= 0:
        raise ValidationFailed("invalid", f"目录项“{code}”的最高限价应大于 0", field="price_limit")
    values = {"name": name, "kind": kind, "catalogue_class": catalogue_class,
              "first_self_pay_share": share, "price_limit": limit, "unit": unit, "authority": authority}
    existing = CatalogueItem.objects.filter(code=code, valid_from=valid_from).first()
    if existing is not None:
        same = all(getattr(existing, k) == v for k, v in values.items() if k != "authority")
        if same:
            return existing, False
        raise ValidationFailed("conflict", f"目录项“{code}”在 {valid_from} 已有不同的版本；请用新的生效日期",
                               field="valid_from")
    later = CatalogueItem.objects.filter(code=code, valid_from__gt=valid_from).order_by("valid_from").first()
    previous = (CatalogueItem.objects.select_for_update().filter(code=code, valid_from__lt=valid_from)
                .order_by("-valid_from").first())
    was_drug = CatalogueItem.objects.filter(code=code, kind=ItemKind.DRUG).exists()
    item = CatalogueItem.objects.create(code=code, valid_from=valid_from,
                                        valid_to=later.valid_from - dt.timedelta(days=1) if later else None, **values)
    if kind == ItemKind.DRUG and not was_drug:  # the code's lines count as drugs now (stats: every version's kind)
        facts.refresh_catalogue_code(code)
    if previous is not None and (previous.valid_to is None or previous.valid_to >= valid_from):
        before = snapshot(previous, ITEM_FIELDS)
        previous.valid_to = valid_from - dt.timedelta(days=1)
        previous.save(update_fields=["valid_to"])
        audit_record(actor=actor, action="catalogue.close", obj=previous, before=before,
                     after=snapshot(previous, ITEM_FIELDS), authority=authority)
    audit_record(actor=actor, action="catalogue.add", obj=item, after=snapshot(item, ITEM_FIELDS),
                 authority=authority)
    return item, True


def catalogue_items_on(codes, on: dt.date) -> dict[str, CatalogueItem]:
    """The versions in force on a date, by code."""
    rows = CatalogueItem.objects.filter(code__in=set(codes), valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return {row.code: row for row in rows}


def catalogue_search(*, search: str = "", catalogue_class: str = "", kind: str = "", on: dt.date | None = None):
    qs = CatalogueItem.objects.all()
    if on is not None:
        qs = qs.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    if catalogue_class:
        qs = qs.filter(catalogue_class=catalogue_class)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(code__startswith=search) | Q(name__contains=search))
    return qs.order_by("code", "-valid_from")


def diagnosis_search(*, search: str = "", edition: str = "", chronic: bool | None = None):
    qs = Diagnosis.objects.all()
    if edition:
        qs = qs.filter(edition=edition)
    if chronic is not None:
        qs = qs.filter(is_chronic=chronic)
    if search:
        qs = qs.filter(Q(code__istartswith=search) | Q(name__contains=search))
    return qs.order_by("edition", "code")


@transaction.atomic
def diagnosis_upsert(*, actor: User | None, edition: str, code: str, name: str, is_chronic: bool = False):
    if actor is not None:
        require(actor, Cap.SCHEME_MANAGE)
    code = (code or "").strip().upper()
    if not code or not name:
        raise ValidationFailed("required", "诊断编码和名称不能为空", field="code" if not code else "name")
    row, created = Diagnosis.objects.get_or_create(edition=edition, code=code,
                                                   defaults={"name": name, "is_chronic": is_chronic})
    if not created and (row.name, row.is_chronic) != (name, is_chronic):
        before = snapshot(row, ["name", "is_chronic"])
        row.name, row.is_chronic = name, is_chronic
        row.save(update_fields=["name", "is_chronic"])
        audit_record(actor=actor, action="diagnosis.update", obj=row, before=before,
                     after=snapshot(row, ["name", "is_chronic"]))
    elif created:
        audit_record(actor=actor, action="diagnosis.add", obj=row, after=snapshot(row, ["edition", "code", "name"]))
    return row, created


# --- mappings -------------------------------------------------------------------------------------

def _may_map(actor: User | None, facility: Facility) -> None:
    if actor is None:
        return
    if actor.can(Cap.FACILITY_MANAGE):
        return
    if actor.can(Cap.DESK_SETTLE) and actor.facility_id == facility.pk:
        return
    raise Forbidden("只有县合管办或本机构合疗科可以维护本机构的项目对照")


@transaction.atomic
def mapping_set(
    *,
    actor: User | None,
    facility: Facility,
    facility_item_code: str,
    facility_item_name: str,
    catalogue_code: str,
    valid_from: dt.date,
) -> tuple[ChargeMapping, bool]:
    """Map a facility's charge code. The county office (or the installation, actor=None) maps directly; a
    hospital desk only proposes, and its proposal takes effect when the county office approves it
    (facilities/mappings.py). Remapping closes the open row; the same mapping again changes nothing."""
    _may_map(actor, facility)
    direct = actor is None or actor.can(Cap.FACILITY_MANAGE)
    facility_item_code = text_bounded(facility_item_code, field="facility_item_code", label="院内编码", max_length=40,
                                      required=True)
    facility_item_name = text_bounded(facility_item_name, field="facility_item_name", label="院内名称", max_length=120)
    catalogue_code = text_bounded(catalogue_code, field="catalogue_code", label="目录编码", max_length=30, required=True)
    if not catalogue_items_on([catalogue_code], valid_from):
        raise ValidationFailed("not_found", f"目录编码“{catalogue_code}”在 {valid_from} 不存在或未生效",
                               field="catalogue_code")
    current = (ChargeMapping.objects.select_for_update()
               .filter(facility=facility, facility_item_code=facility_item_code, valid_to__isnull=True,
                       status=MappingStatus.APPROVED).first())
    if current is not None and current.catalogue_code == catalogue_code:
        return current, False
    if not direct:
        return mapping_propose(actor=actor, facility=facility, facility_item_code=facility_item_code,
                               facility_item_name=facility_item_name, catalogue_code=catalogue_code,
                               valid_from=valid_from, current=current), True
    if current is not None:
        if valid_from <= current.valid_from:
            raise ValidationFailed("invalid", f"新对照的生效日期应晚于现有对照（{current.valid_from}）",
                                   field="valid_from")
        current.valid_to = valid_from - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    mapping = ChargeMapping.objects.create(
        facility=facility, facility_item_code=facility_item_code, facility_item_name=facility_item_name,
        catalogue_code=catalogue_code, valid_from=valid_from, mapped_by=actor, status=MappingStatus.APPROVED,
        decided_by=actor, decided_at=timezone.now(),
    )
    audit_record(actor=actor, action="mapping.set", obj=mapping, facility_code=facility.code,
                 before={"catalogue_code": current.catalogue_code} if current else None,
                 after={"facility_item_code": facility_item_code, "catalogue_code": catalogue_code,
                        "valid_from": valid_from})
    return mapping, True


@dataclass(frozen=True)
class ResolvedCharge:
    facility_item_code: str
    item: CatalogueItem


@dataclass(frozen=True)
class Resolution:
    resolved: dict[str, CatalogueItem]
    unmapped: list[str]  # facility codes with no mapping on the date
    unknown: list[str]  # mapped, but the catalogue code is not in force on the date

    @property
    def ok(self) -> bool:
        return not self.unmapped and not self.unknown


def charges_resolve(*, facility: Facility, facility_item_codes, on: dt.date) -> Resolution:
    """Map a bill's facility codes to catalogue items in force on a date. Nothing is guessed."""
    codes = list(dict.fromkeys(facility_item_codes))
    mappings = {
        m.facility_item_code: m.catalogue_code
        for m in ChargeMapping.objects.filter(facility=facility, facility_item_code__in=codes, valid_from__lte=on,
                                              status=MappingStatus.APPROVED)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    }
    items = catalogue_items_on(mappings.values(), on)
    resolved, unknown = {}, []
    for code in codes:
        if code not in mappings:
            continue
        item = items.get(mappings[code])
        if item is None:
            unknown.append(code)
        else:
            resolved[code] = item
    return Resolution(resolved, [c for c in codes if c not in mappings], unknown)


def unmapped_report(*, facility: Facility, facility_item_codes, on: dt.date) -> list[str]:
    return charges_resolve(facility=facility, facility_item_codes=facility_item_codes, on=on).unmapped

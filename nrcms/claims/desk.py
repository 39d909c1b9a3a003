"""The hospital desk's transaction before settlement: look up the member, register the admission, upload
the itemised charges, discharge. Every step is idempotent on the facility's own serial and line numbers, so
a hospital system that retries after a timeout never creates a second admission or a second line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.money import round_amount
from nrcms.facilities.catalogue import charges_resolve
from nrcms.facilities.models import DesignationStatus, Diagnosis, Facility, IcdEdition
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import (
    EnrollmentStatus,
    Person,
    PersonStatus,
)
from nrcms.stats import facts

from .models import ChargeLine, Episode, EpisodeKind, EpisodeStatus
from .referral import referral_check

# A single bill line above this is a keying error, not a charge (the dearest catalogue items are far below).
MAX_LINE_AMOUNT = Decimal("500000.00")
MAX_LINES_PER_BATCH = 2000
# What the columns hold (models.py): text lengths, the largest line number (a 32-bit integer column on
# PostgreSQL), quantity to 4 places below 10^8, unit price to 4 places below 10^10.
MAX_LENGTHS = {"serial": (40, "就诊流水号"), "department": (40, "科室"), "diagnosis_code": (20, "诊断编码"),
               "diagnosis_name": (120, "诊断名称"), "referral_number": (30, "转诊单号"),
               "facility_item_code": (40, "院内编码"), "item_name": (120, "项目名称")}
MAX_LINE_NO = 2_147_483_647
MIN_QUANTITY = Decimal("0.0001")
MAX_QUANTITY = Decimal("99999999.9999")
MAX_UNIT_PRICE = Decimal("9999999999.9999")
MAX_REASON = 300


def _check_length(name: str, value: str, line_no: int | None = None, errors: list | None = None) -> None:
    limit, label = MAX_LENGTHS[name]
    if len(value or "") <= limit:
        return
    where = f"第 {line_no} 行" if line_no is not None else ""
    message = f"{where}{label}（{name}）最长 {limit} 个字符，现为 {len(value)} 个"
    if errors is None:
        raise ValidationFailed("too_long", message, field=name)
    errors.append({"line_no": line_no, "field": name, "message": message})


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", f"{what}必须填写原因", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("too_long", f"{what}原因（reason）最长 {MAX_REASON} 个字符", field="reason")
    return reason


def desk_facility(actor: User) -> Facility:
    if not actor.can(Cap.DESK_SETTLE) or actor.facility is None:
        raise Forbidden("只有定点医疗机构合疗科可以办理入院登记和费用上传")
    return actor.facility


def _today() -> dt.date:
    return timezone.localdate()


@dataclass(frozen=True)
class AdmissionInput:
    serial: str
    kind: str
    id_number: str
    admission_date: dt.date
    diagnosis_code: str = ""
    diagnosis_name: str = ""
    referral_number: str = ""
    department: str = ""


def diagnosis_resolve(code: str, name: str = "") -> tuple[str, str]:
    """(code, name) as the county's ICD-10 list spells them: the code matched case-insensitively (I10.x →
    I10.X), the clinical edition first; an empty name is filled from the list. An empty code stays empty;
    a code not on the list is refused."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        return "", name
    rows = {d.edition: d for d in Diagnosis.objects.filter(code__iexact=code)}
    row = rows.get(IcdEdition.CLINICAL) or rows.get(IcdEdition.INSURANCE)
    if row is None:
        raise ValidationFailed("unknown_diagnosis", f"诊断编码（diagnosis_code）“{code}”不在本县 ICD-10 诊断目录中，"
                               "请从目录中选择", field="diagnosis_code")
    return row.code, name or row.name


def _no_overlapping_stay(person: Person, admission: dt.date, discharge: dt.date | None,
                         exclude: int | None = None) -> None:
    """One person, one hospital bed at a time: an inpatient stay may not overlap another open or settled
    inpatient stay at any facility. A stay runs from admission up to its discharge day, so a transfer
    discharged and admitted on the same day does not overlap; two stays admitted the same day always do.
    At registration (no discharge yet) the new stay may not begin inside another stay nor sit beside another
    open one; a stay that starts later is checked when this one is discharged."""
    others = (Episode.objects.filter(person=person, kind=EpisodeKind.INPATIENT)
              .exclude(status=EpisodeStatus.CANCELLED).select_related("facility"))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    for other in others.order_by("admission_date", "id"):
        other_end = other.discharge_date
        if other.admission_date == admission:
            overlaps = True
        elif other.admission_date < admission:
            overlaps = other_end is None or admission < other_end
        else:  # the other stay starts later
            overlaps = (other_end is None and discharge is None) or (discharge is not None
                                                                     and other.admission_date < discharge)
        if overlaps:
            stay = f"{other.admission_date} 至 {other_end or '今（在院）'}"
            raise ValidationFailed("overlapping_stay", f"{person.name}在{other.facility.name}已有住院 {other.serial}"
                                   f"（{stay}，{other.get_status_display()}），与本次住院时间重叠；"
                                   "同一人同一时间只能有一次住院",
                                   field="admission_date" if discharge is None else "discharge_date",
                                   details=[{"facility": other.facility.code, "serial": other.serial}])


def _admission_values(facility: Facility, data: AdmissionInput) -> dict:
    if not (data.serial or "").strip():
        raise ValidationFailed("required", "就诊流水号不能为空", field="serial")
    for name in ("serial", "department", "diagnosis_code", "diagnosis_name", "referral_number"):
        _check_length(name, (getattr(data, name) or "").strip())
    if data.kind not in EpisodeKind.values:
        raise ValidationFailed("invalid", f"就诊类别“{data.kind}”应为 inpatient（住院）或 outpatient（门诊）", field="kind")
    if data.admission_date > _today():
        raise ValidationFailed("invalid", f"入院日期 {data.admission_date} 晚于今天", field="admission_date")
    status = facility_status_on(facility, data.admission_date)
    if status != DesignationStatus.DESIGNATED:
        raise ValidationFailed("facility_not_designated",
                               f"{facility.name}在 {data.admission_date} 的定点状态为“{DesignationStatus(status).label}”，"
                               "不能办理新农合就诊", field="facility")
    person = Person.objects.select_related("household").filter(id_number=data.id_number.strip().upper()).first()
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {data.id_number} 未在新农合登记", field="id_number")
    if person.status == PersonStatus.DECEASED and person.status_date and person.status_date < data.admission_date:
        raise ValidationFailed("deceased", f"{person.name}已于 {person.status_date} 登记死亡", field="id_number")
    year = data.admission_date.year
    enrollment = person.enrollments.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED).first()
    if enrollment is None:
        raise ValidationFailed("not_enrolled", f"{person.name}未参加 {year} 年度新农合，不能按新农合登记入院",
                               field="id_number")
    referral = None
    if data.referral_number.strip():  # the shared rule (referral.py): own, this facility, filed ≤ 7 days after
        referral, problem = referral_check(number=data.referral_number, person=person, facility=facility,
                                           admission_date=data.admission_date)
        if problem is not None:
            raise ValidationFailed(problem.code, problem.message, field="referral_number")
    diagnosis_code, diagnosis_name = diagnosis_resolve(data.diagnosis_code, data.diagnosis_name)
    return {
        "kind": data.kind, "person": person, "household": person.household, "enrollment": enrollment,
        "scheme_year": year, "admission_date": data.admission_date, "diagnosis_code": diagnosis_code,
        "diagnosis_name": diagnosis_name, "referral": referral, "department": (data.department or "").strip(),
    }


@transaction.atomic
def admission_register(*, actor: User, data: AdmissionInput) -> tuple[Episode, bool]:
    """Register an admission or visit. The same serial with the same particulars returns the first
    registration (created=False); with different particulars it is refused."""
    facility = desk_facility(actor)
    values = _admission_values(facility, data)
    existing = Episode.objects.select_for_update().filter(facility=facility, serial=data.serial.strip()).first()
    if existing is not None:
        if existing.status == EpisodeStatus.CANCELLED:
            raise Conflict("serial_cancelled", f"流水号 {existing.serial} 的登记已撤销，不能再用；请用新的流水号登记",
                           field="serial")
        differing = [k for k, v in values.items() if getattr(existing, k) != v]
        if differing:
            raise Conflict("serial_reused", f"流水号 {data.serial} 已登记为另一次就诊（{existing.person.name}，"
                           f"{existing.admission_date}），不能重复使用", field="serial")
        return existing, False
    if data.kind == EpisodeKind.INPATIENT:
        # The person's row is locked so two desks cannot admit the same person at the same moment.
        Person.objects.select_for_update().filter(pk=values["person"].pk).first()
        _no_overlapping_stay(values["person"], data.admission_date, None)
    episode = Episode.objects.create(facility=facility, serial=data.serial.strip(), created_by=actor, **values)
    audit_record(actor=actor, action="episode.register", obj=episode, facility_code=facility.code,
                 region_code=episode.household.region.code,
                 after={"serial": episode.serial, "person": episode.person.id_number, "kind": episode.kind,
                        "admission_date": episode.admission_date, "referral": data.referral_number})
    return episode, True


@dataclass(frozen=True)
class ChargeInput:
    line_no: int
    facility_item_code: str
    item_name: str
    charged_on: dt.date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass
class UploadResult:
    added: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # {"line_no", "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors


def _dec(value, line_no: int, name: str, label: str, errors: list) -> Decimal | None:
    if isinstance(value, float):
        errors.append({"line_no": line_no, "field": name, "message": f"第 {line_no} 行{label}不能是浮点数，请用文本"})
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        number = None
    if number is None or not number.is_finite():
        errors.append({"line_no": line_no, "field": name, "message": f"第 {line_no} 行{label}（{name}）“{value}”不是数字"})
        return None
    return number


def _places(value: Decimal) -> int:
    return max(-value.normalize().as_tuple().exponent, 0)


def _check_line(episode: Episode, line: ChargeInput, errors: list) -> tuple | None:
    n = line.line_no
    before = len(errors)
    if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= MAX_LINE_NO:
        errors.append({"line_no": n if isinstance(n, int) and 0 < n <= MAX_LINE_NO else None, "field": "line_no",
                       "message": f"明细序号（line_no）“{n}”应为 1 到 {MAX_LINE_NO} 之间的整数"})
        return None
    if not (line.facility_item_code or "").strip():
        errors.append({"line_no": n, "field": "facility_item_code", "message": f"第 {n} 行院内编码不能为空"})
    _check_length("facility_item_code", line.facility_item_code or "", n, errors)
    _check_length("item_name", line.item_name or "", n, errors)
    qty = _dec(line.quantity, n, "quantity", "数量", errors)
    price = _dec(line.unit_price, n, "unit_price", "单价", errors)
    amount = _dec(line.amount, n, "amount", "金额", errors)
    if None in (qty, price, amount):
        return None
    if qty <= 0:
        errors.append({"line_no": n, "field": "quantity", "message": f"第 {n} 行数量应大于 0"})
    elif qty < MIN_QUANTITY or _places(qty) > 4 or qty > MAX_QUANTITY:
        errors.append({"line_no": n, "field": "quantity",
                       "message": f"第 {n} 行数量（quantity）{qty} 应在 {MIN_QUANTITY} 到 {MAX_QUANTITY} 之间，最多 4 位小数"})
        return None
    if price < 0:
        errors.append({"line_no": n, "field": "unit_price", "message": f"第 {n} 行单价不能为负数"})
    elif _places(price) > 4 or price > MAX_UNIT_PRICE:
        errors.append({"line_no": n, "field": "unit_price",
                       "message": f"第 {n} 行单价（unit_price）{price} 最多 4 位小数，且不超过 {MAX_UNIT_PRICE}"})
        return None
    if amount <= 0:
        errors.append({"line_no": n, "field": "amount", "message": f"第 {n} 行金额应大于 0（退费请冲正后重传）"})
    elif amount > MAX_LINE_AMOUNT:
        errors.append({"line_no": n, "field": "amount", "message": f"第 {n} 行金额 {amount} 超过单行上限 {MAX_LINE_AMOUNT}，疑为录入错误"})
    elif amount != round_amount(amount) or abs(round_amount(qty * price) - amount) > Decimal("0.01"):
        errors.append({"line_no": n, "field": "amount",
                       "message": f"第 {n} 行金额 {amount} 与 数量×单价（{qty}×{price}）不符"})
    # An outpatient visit is one day: its charges carry the visit date.
    end = episode.admission_date if episode.kind == EpisodeKind.OUTPATIENT else (episode.discharge_date or _today())
    if not episode.admission_date <= line.charged_on <= end:
        errors.append({"line_no": n, "field": "charged_on",
                       "message": f"第 {n} 行费用日期 {line.charged_on} 不在就诊期间（{episode.admission_date} 至 {end}）"})
    return None if len(errors) > before else (qty, price, amount)


@transaction.atomic
def charges_upload(*, actor: User, episode: Episode, lines: list[ChargeInput]) -> UploadResult:
    """Upload a batch of bill lines. The batch is all or nothing: one bad line refuses the batch with every
    line's problem listed. A line number already uploaded with the same content is "unchanged"."""
    facility = desk_facility(actor)
    if episode.facility_id != facility.pk:
        raise NotFound("就诊记录", episode.serial)
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.status in (EpisodeStatus.SETTLED, EpisodeStatus.CANCELLED):
        raise ValidationFailed("episode_closed", f"就诊 {episode.serial} {episode.get_status_display()}，不能再上传费用；"
                               "如需更正请先冲正结算", field="episode")
    if not lines:
        raise ValidationFailed("required", "没有费用明细", field="lines")
    if len(lines) > MAX_LINES_PER_BATCH:
        raise ValidationFailed("too_many", f"每批最多 {MAX_LINES_PER_BATCH} 行，请分批上传", field="lines")
    result = UploadResult()
    seen, checked = set(), {}
    for line in lines:
        if line.line_no in seen:
            result.errors.append({"line_no": line.line_no, "field": "line_no", "message": f"明细序号 {line.line_no} 在本批中重复"})
            continue
        seen.add(line.line_no)
        values = _check_line(episode, line, result.errors)
        if values is not None:
            checked[line.line_no] = (line, values)
    items: dict[int, object] = {}
    for day in sorted({line.charged_on for line, _ in checked.values()}):
        todays = [line for line, _ in checked.values() if line.charged_on == day]
        resolution = charges_resolve(facility=facility, facility_item_codes=[ln.facility_item_code for ln in todays],
                                     on=day)
        for line in todays:
            code = line.facility_item_code
            if code in resolution.resolved:
                items[line.line_no] = resolution.resolved[code]
            else:
                why = "未对照" if code in resolution.unmapped else "对照的目录项目在该日未生效"
                result.errors.append({"line_no": line.line_no, "field": "facility_item_code",
                                      "message": f"第 {line.line_no} 行院内编码 {code} {why}，不能结算（系统不猜测对照）"})
    existing = {c.line_no: c for c in ChargeLine.with_withdrawn.filter(episode=episode, line_no__in=list(checked))}
    new_rows = []
    for line_no, (line, (qty, price, amount)) in checked.items():
        item = items.get(line_no)
        if item is None:
            continue
        old = existing.get(line_no)
        if old is not None and old.withdrawn:
            result.errors.append({"line_no": line_no, "field": "line_no",
                                  "message": f"明细序号 {line_no} 已撤销（{old.withdrawn_reason}），序号不能再用；"
                                  "更正后的明细请用新的明细序号上传"})
            continue
        if old is not None:
            same = (old.facility_item_code, old.charged_on, old.quantity, old.unit_price, old.amount) == (
                line.facility_item_code, line.charged_on, qty, price, amount)
            if same:
                result.unchanged += 1
            else:
                result.errors.append({"line_no": line_no, "field": "line_no",
                                      "message": f"明细序号 {line_no} 已上传过不同的内容，不能覆盖；如需更正请撤销该明细，"
                                      "再用新的明细序号上传"})
            continue
        new_rows.append(ChargeLine(
            episode=episode, line_no=line_no, facility_item_code=line.facility_item_code, item_name=line.item_name,
            charged_on=line.charged_on, quantity=qty, unit_price=price, amount=amount, catalogue_code=item.code,
            catalogue_class=item.catalogue_class, first_self_pay_share=item.first_self_pay_share,
            price_limit=item.price_limit,
        ))
    if result.errors:
        result.errors.sort(key=lambda e: (e["line_no"] if isinstance(e["line_no"], int) else 0))
        result.added = 0
        transaction.set_rollback(True)
        return result
    ChargeLine.objects.bulk_create(new_rows)
    if new_rows:
        facts.refresh_episode(episode.pk)  # the drug cost its reversed settlement rows (if any) count
    result.added = len(new_rows)
    if new_rows:
        audit_record(actor=actor, action="episode.charges", obj=episode, facility_code=facility.code,
                     after={"added": result.added, "unchanged": result.unchanged,
                            "lines": [r.line_no for r in new_rows][:50],
                            "amount": sum((r.amount for r in new_rows), Decimal("0"))})
    return result


@transaction.atomic
def episode_discharge(*, actor: User, episode: Episode, discharge_date: dt.date) -> Episode:
    facility = desk_facility(actor)
    if episode.facility_id != facility.pk:
        raise NotFound("就诊记录", episode.serial)
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.kind == EpisodeKind.OUTPATIENT:
        raise ValidationFailed("outpatient_no_discharge", "门诊就诊不办理出院：就诊日期即结算日期，上传费用后直接结算",
                               field="discharge_date")
    if discharge_date < episode.admission_date:
        raise ValidationFailed("invalid", f"出院日期 {discharge_date} 早于入院日期 {episode.admission_date}",
                               field="discharge_date")
    if discharge_date > _today():
        raise ValidationFailed("invalid", f"出院日期 {discharge_date} 晚于今天", field="discharge_date")
    if episode.status == EpisodeStatus.SETTLED:
        raise ValidationFailed("episode_closed", "已结算的就诊不能修改出院日期；请先冲正", field="discharge_date")
    if episode.status == EpisodeStatus.CANCELLED:
        raise ValidationFailed("episode_closed", "该就诊已撤销，不能办理出院", field="discharge_date")
    _no_overlapping_stay(episode.person, episode.admission_date, discharge_date, exclude=episode.pk)
    late = episode.charges.filter(charged_on__gt=discharge_date).values_list("line_no", flat=True)
    if late:
        raise ValidationFailed("invalid", f"明细 {', '.join(map(str, late[:10]))} 的费用日期晚于出院日期",
                               field="discharge_date")
    if episode.discharge_date == discharge_date and episode.status == EpisodeStatus.DISCHARGED:
        return episode
    episode.discharge_date = discharge_date
    episode.status = EpisodeStatus.DISCHARGED
    episode.save(update_fields=["discharge_date", "status"])
    facts.refresh_episode(episode.pk)  # its reversed settlement rows count the stay as it is now
    audit_record(actor=actor, action="episode.discharge", obj=episode, facility_code=facility.code,
                 after={"discharge_date": discharge_date})
    return episode


def _open_episode(actor: User, episode: Episode, what: str) -> tuple[Facility, Episode]:
    """The desk's own episode, locked, with no active settlement (撤销 only before settling or after 冲正)."""
    facility = desk_facility(actor)
    if episode.facility_id != facility.pk:
        raise NotFound("就诊记录", episode.serial)
    episode = (Episode.objects.select_for_update(of=("self",)).select_related("household__region")
               .get(pk=episode.pk))
    if episode.status == EpisodeStatus.CANCELLED:
        raise ValidationFailed("episode_closed", f"就诊 {episode.serial} 已撤销，不能{what}", field="episode")
    active = episode.settlements.filter(kind="settlement", status="active").first()
    if episode.status == EpisodeStatus.SETTLED or active is not None:
        number = active.number if active else ""
        raise ValidationFailed("episode_settled", f"就诊 {episode.serial} 已结算（{number}），不能{what}；"
                               "如需更正请先冲正结算", field="episode")
    return facility, episode


@transaction.atomic
def charge_withdraw(*, actor: User, episode: Episode, line_no: int, reason: str) -> ChargeLine:
    """撤销明细: the line stays on file, marked withdrawn (who, when, why), and no longer counts — not in the
    totals, the engine's input or the voucher. The corrected line is uploaded under a new line number."""
    reason = _reason(reason, "撤销明细")
    facility, episode = _open_episode(actor, episode, "撤销明细")
    line = ChargeLine.with_withdrawn.select_for_update().filter(episode=episode, line_no=line_no).first()
    if line is None:
        raise NotFound("费用明细", f"{episode.serial} 第 {line_no} 行")
    if line.withdrawn:
        raise ValidationFailed("already_withdrawn", f"明细序号 {line_no} 已于 {timezone.localtime(line.withdrawn_at):%Y-%m-%d %H:%M} "
                               "撤销，不能重复撤销", field="line_no")
    line.withdrawn_at, line.withdrawn_by, line.withdrawn_reason = timezone.now(), actor, reason
    line.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    facts.refresh_episode(episode.pk)  # the drug cost its reversed settlement rows count
    audit_record(actor=actor, action="episode.charge_withdraw", obj=episode, reason=reason,
                 facility_code=facility.code, region_code=episode.household.region.code,
                 before={"line_no": line.line_no, "facility_item_code": line.facility_item_code,
                         "item_name": line.item_name, "amount": line.amount},
                 after={"line_no": line.line_no, "withdrawn": True})
    return line


@transaction.atomic
def episode_cancel(*, actor: User, episode: Episode, reason: str) -> Episode:
    """撤销登记: a wrongly registered admission or visit is closed as 已撤销 (kept, with who, when and why);
    its serial cannot be used again. Only while it has no active settlement."""
    reason = _reason(reason, "撤销登记")
    facility, episode = _open_episode(actor, episode, "撤销登记")
    before = episode.status
    episode.status = EpisodeStatus.CANCELLED
    episode.cancelled_at, episode.cancelled_by, episode.cancel_reason = timezone.now(), actor, reason
    episode.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    audit_record(actor=actor, action="episode.cancel", obj=episode, reason=reason, facility_code=facility.code,
                 region_code=episode.household.region.code, before={"status": before},
                 after={"status": EpisodeStatus.CANCELLED, "serial": episode.serial})
    return episode


@transaction.atomic
def episode_referral_attach(*, actor: User, episode: Episode, referral_number: str) -> Episode:
    """补录转诊: an emergency patient is admitted first and referred afterwards (the referral may be filed up to
    7 days after admission). The desk adds the referral number to the inpatient admission before settling;
    the same shared rule as at registration decides whether it counts."""
    facility, episode = _open_episode(actor, episode, "补录转诊单")
    if episode.kind != EpisodeKind.INPATIENT:
        raise ValidationFailed("invalid", "门诊就诊不需要转诊单", field="referral_number")
    number = (referral_number or "").strip()
    if not number:
        raise ValidationFailed("required", "请填写转诊单号", field="referral_number")
    if len(number) > MAX_LENGTHS["referral_number"][0]:
        raise ValidationFailed("too_long", f"转诊单号最长 {MAX_LENGTHS['referral_number'][0]} 个字符",
                               field="referral_number")
    referral, problem = referral_check(number=number, person=episode.person, facility=facility,
                                       admission_date=episode.admission_date)
    if problem is not None:
        raise ValidationFailed(problem.code, problem.message, field="referral_number")
    before = episode.referral.number if episode.referral_id else ""
    if before == referral.number:
        return episode
    episode.referral = referral
    episode.save(update_fields=["referral"])
    facts.refresh_episode(episode.pk)  # a reversed settlement of the episode counts as referred from now on
    audit_record(actor=actor, action="episode.referral_attach", obj=episode, facility_code=facility.code,
                 region_code=episode.household.region.code, before={"referral": before},
                 after={"referral": referral.number, "serial": episode.serial})
    return episode


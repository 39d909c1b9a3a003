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
from nrcms.facilities.models import DesignationStatus, Facility
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import (
    Certificate,
    CertificateStatus,
    Enrollment,
    EnrollmentStatus,
    Person,
    PersonStatus,
)

from .models import ChargeLine, Episode, EpisodeKind, EpisodeStatus, Referral

# A single bill line above this is a keying error, not a charge (the dearest catalogue items are far below).
MAX_LINE_AMOUNT = Decimal("500000.00")
MAX_LINES_PER_BATCH = 2000


def desk_facility(actor: User) -> Facility:
    if not actor.can(Cap.DESK_SETTLE) or actor.facility is None:
        raise Forbidden("只有定点医疗机构合疗科可以办理入院登记和费用上传")
    return actor.facility


def _today() -> dt.date:
    return timezone.localdate()


@dataclass(frozen=True)
class MemberCard:
    person: Person
    certificate: Certificate | None
    enrollment: Enrollment | None
    scheme_year: int

    @property
    def enrolled(self) -> bool:
        return self.enrollment is not None

    @property
    def family_account_balance(self) -> Decimal:
        """The household's family account (家庭账户) as the fund ledger holds it now."""
        from nrcms.funding.ledger import family_account_balance

        return family_account_balance(self.person.household)


def member_lookup(*, actor: User, on: dt.date, certificate_number: str = "", id_number: str = "") -> MemberCard:
    """Exact match only — a desk may find any enrollee by certificate or ID number, but cannot browse."""
    desk_facility(actor)
    certificate = None
    person = None
    if certificate_number:
        certificate = (Certificate.objects.select_related("household")
                       .filter(number=certificate_number.strip()).first())
        if certificate is None:
            raise NotFound("合作医疗证", certificate_number)
        if certificate.status != CertificateStatus.VALID:
            raise ValidationFailed("void_certificate", f"合作医疗证 {certificate.number} 已作废，请使用补发的新证",
                                   field="certificate_number")
        if id_number:
            person = certificate.household.members.filter(id_number=id_number.strip().upper()).first()
            if person is None:
                raise ValidationFailed("not_member", f"身份证号 {id_number} 不是合作医疗证 {certificate.number} 上的家庭成员",
                                       field="id_number")
    elif id_number:
        person = Person.objects.select_related("household").filter(id_number=id_number.strip().upper()).first()
        if person is None:
            raise NotFound("参合人员", id_number)
        certificate = person.household.certificates.filter(status=CertificateStatus.VALID).first()
    else:
        raise ValidationFailed("required", "请输入合作医疗证号或身份证号", field="certificate_number")
    if person is None:
        members = list(certificate.household.members.filter(status=PersonStatus.ACTIVE).order_by("id"))
        if len(members) != 1:
            raise ValidationFailed("choose_member", f"合作医疗证 {certificate.number} 有 {len(members)} 名家庭成员，"
                                   "请选择患者或输入身份证号", field="id_number",
                                   details=[{"name": m.name, "id_number": m.id_number} for m in members])
        person = members[0]
    enrollment = person.enrollments.filter(scheme_year=on.year, status=EnrollmentStatus.ENROLLED).first()
    return MemberCard(person, certificate, enrollment, on.year)


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


def _admission_values(facility: Facility, data: AdmissionInput) -> dict:
    if not (data.serial or "").strip():
        raise ValidationFailed("required", "就诊流水号不能为空", field="serial")
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
    if data.referral_number:
        referral = Referral.objects.filter(number=data.referral_number.strip()).first()
        if referral is None:
            raise ValidationFailed("not_found", f"转诊单号 {data.referral_number} 不存在", field="referral_number")
        if referral.person_id != person.pk:
            raise ValidationFailed("invalid", f"转诊单 {referral.number} 不是{person.name}的", field="referral_number")
        if not referral.approved_on <= data.admission_date <= referral.valid_until:
            raise ValidationFailed("expired", f"转诊单 {referral.number} 的有效期为 {referral.approved_on} 至 "
                                   f"{referral.valid_until}，不含入院日期", field="referral_number")
    return {
        "kind": data.kind, "person": person, "household": person.household, "enrollment": enrollment,
        "scheme_year": year, "admission_date": data.admission_date, "diagnosis_code": data.diagnosis_code.strip(),
        "diagnosis_name": data.diagnosis_name.strip(), "referral": referral, "department": data.department,
    }


@transaction.atomic
def admission_register(*, actor: User, data: AdmissionInput) -> tuple[Episode, bool]:
    """Register an admission or visit. The same serial with the same particulars returns the first
    registration (created=False); with different particulars it is refused."""
    facility = desk_facility(actor)
    values = _admission_values(facility, data)
    existing = Episode.objects.select_for_update().filter(facility=facility, serial=data.serial.strip()).first()
    if existing is not None:
        differing = [k for k, v in values.items() if getattr(existing, k) != v]
        if differing:
            raise Conflict("serial_reused", f"流水号 {data.serial} 已登记为另一次就诊（{existing.person.name}，"
                           f"{existing.admission_date}），不能重复使用", field="serial")
        return existing, False
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
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        errors.append({"line_no": line_no, "field": name, "message": f"第 {line_no} 行{label}“{value}”不是数字"})
        return None


def _check_line(episode: Episode, line: ChargeInput, errors: list) -> tuple | None:
    n = line.line_no
    before = len(errors)
    if not isinstance(n, int) or n <= 0:
        errors.append({"line_no": n, "field": "line_no", "message": f"明细序号“{n}”应为正整数"})
        return None
    qty = _dec(line.quantity, n, "quantity", "数量", errors)
    price = _dec(line.unit_price, n, "unit_price", "单价", errors)
    amount = _dec(line.amount, n, "amount", "金额", errors)
    if None in (qty, price, amount):
        return None
    if qty <= 0:
        errors.append({"line_no": n, "field": "quantity", "message": f"第 {n} 行数量应大于 0"})
    if price < 0:
        errors.append({"line_no": n, "field": "unit_price", "message": f"第 {n} 行单价不能为负数"})
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
    existing = {c.line_no: c for c in episode.charges.filter(line_no__in=list(checked))}
    new_rows = []
    for line_no, (line, (qty, price, amount)) in checked.items():
        item = items.get(line_no)
        if item is None:
            continue
        old = existing.get(line_no)
        if old is not None:
            same = (old.facility_item_code, old.charged_on, old.quantity, old.unit_price, old.amount) == (
                line.facility_item_code, line.charged_on, qty, price, amount)
            if same:
                result.unchanged += 1
            else:
                result.errors.append({"line_no": line_no, "field": "line_no",
                                      "message": f"明细序号 {line_no} 已上传过不同的内容，不能覆盖；如需更正请撤销后重传"})
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
    late = episode.charges.filter(charged_on__gt=discharge_date).values_list("line_no", flat=True)
    if late:
        raise ValidationFailed("invalid", f"明细 {', '.join(map(str, late[:10]))} 的费用日期晚于出院日期",
                               field="discharge_date")
    if episode.discharge_date == discharge_date and episode.status == EpisodeStatus.DISCHARGED:
        return episode
    episode.discharge_date = discharge_date
    episode.status = EpisodeStatus.DISCHARGED
    episode.save(update_fields=["discharge_date", "status"])
    audit_record(actor=actor, action="episode.discharge", obj=episode, facility_code=facility.code,
                 after={"discharge_date": discharge_date})
    return episode

"""What every step at the hospital desk shares: the columns' limits, the checks of a text's length and of a
reason, whose facility the desk is, today's date, and an episode still open to change (the steps: register
an admission, desk_admission.py; upload and withdraw charges, desk_charges.py; discharge, cancel, attach a
referral, desk.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import Facility

from .models import Episode, EpisodeStatus

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


def check_length(name: str, value: str, line_no: int | None = None, errors: list | None = None) -> None:
    limit, label = MAX_LENGTHS[name]
    if len(value or "") <= limit:
        return
    where = f"第 {line_no} 行" if line_no is not None else ""
    message = f"{where}{label}（{name}）最长 {limit} 个字符，现为 {len(value)} 个"
    if errors is None:
        raise ValidationFailed("too_long", message, field=name)
    errors.append({"line_no": line_no, "field": name, "message": message})


def reason_required(reason: str, what: str) -> str:
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


def today() -> dt.date:
    return timezone.localdate()


def open_episode(actor: User, episode: Episode, what: str) -> tuple[Facility, Episode]:
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

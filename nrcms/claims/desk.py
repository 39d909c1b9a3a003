"""The hospital desk's transaction before settlement, step by step: look up the member (desk_lookup.py),
register the admission (desk_admission.py), upload the itemised charges (desk_charges.py), then here:
discharge, cancel a wrong registration, attach a referral filed after an emergency admission. What the steps
share is in desk_rules.py. Every step is idempotent on the facility's own serial and line numbers, so a
hospital system that retries after a timeout never creates a second admission or a second line."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.stats import facts

from .desk_admission import no_overlapping_stay
from .desk_rules import MAX_LENGTHS, desk_facility, open_episode, reason_required, today
from .models import Episode, EpisodeKind, EpisodeStatus
from .referral import referral_check


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
    if discharge_date > today():
        raise ValidationFailed("invalid", f"出院日期 {discharge_date} 晚于今天", field="discharge_date")
    if episode.status == EpisodeStatus.SETTLED:
        raise ValidationFailed("episode_closed", "已结算的就诊不能修改出院日期；请先冲正", field="discharge_date")
    if episode.status == EpisodeStatus.CANCELLED:
        raise ValidationFailed("episode_closed", "该就诊已撤销，不能办理出院", field="discharge_date")
    no_overlapping_stay(episode.person, episode.admission_date, discharge_date, exclude=episode.pk)
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


@transaction.atomic
def episode_cancel(*, actor: User, episode: Episode, reason: str) -> Episode:
    """撤销登记: a wrongly registered admission or visit is closed as 已撤销 (kept, with who, when and why);
    its serial cannot be used again. Only while it has no active settlement."""
    reason = reason_required(reason, "撤销登记")
    facility, episode = open_episode(actor, episode, "撤销登记")
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
    facility, episode = open_episode(actor, episode, "补录转诊单")
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

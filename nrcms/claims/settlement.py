"""Settlement at the desk: trial (the full answer, nothing written), settle (once per admission, whatever
the retries), reverse (冲正, with a reason) — all through the benefit engine in `nrcms.policy`.

Year-to-date totals live in PersonYear and are read with SELECT … FOR UPDATE in the settling transaction:
two desks settling the same person at the same moment queue on that row, so the annual cap holds. Settling
an admission that already has an active settlement returns that settlement, never a second payment.

Under load (many desks and hospital systems at once) nothing shared by all settlements is locked before the
very end: the settlement number comes from a PostgreSQL sequence (a rolled-back settlement leaves a gap in
the numbering), and the audit record — whose chain head every writer locks until it commits — is written
last, so only that insert and the commit run one settlement at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.core.jsonable import jsonable
from nrcms.facilities.models import DesignationStatus
from nrcms.facilities.services import facility_status_on
from nrcms.funding import ledger
from nrcms.policy import ChargeItem, Person, YearToDate, settle
from nrcms.policy import Episode as EngineEpisode
from nrcms.policy import Settlement as EngineSettlement
from nrcms.registry.models import PersonCategory
from nrcms.registry.people import sequence_take
from nrcms.schemes.selectors import desk_scheme, settings_scheme
from nrcms.stats import facts

from .issued import holder_particulars, year_totals
from .models import (
    YTD_FIELDS,
    Episode,
    EpisodeKind,
    EpisodeStatus,
    PersonYear,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from .refusals import refusal_text  # the one wording of a refusal, shared with the trial page

AMOUNT_FIELDS = ["total_cost", "eligible_cost", "deductible", "basic", "family_account", "fixed_fee", "subsidy",
                 "catastrophic", "assistance", "safety_net", "fund_total", "self_pay", "facility_borne"]


def county_scheme():
    """The scheme file in settings.NRCMS_SCHEME_FILE: what settles when the county has no approved version."""
    return settings_scheme()


def episode_scheme(episode: Episode):
    """(scheme file, where it came from): the county's approved version by the scheme's date rule, or the
    settings file when none is on record (nrcms.schemes.selectors.desk_scheme)."""
    return desk_scheme(episode.household.region.code, episode.admission_date, episode.discharge_date)


def _categories_on(person_id: int, on: dt.date) -> frozenset[str]:
    rows = PersonCategory.objects.held_on(on).filter(person_id=person_id).order_by().values_list("category", flat=True)
    return frozenset(rows)  # a set: no ORDER BY (the model's ordering by person would join person and household)


def _ytd_from(row: PersonYear | None, today_paid: Decimal = Decimal("0"), year: int | None = None) -> YearToDate:
    if row is None:
        return YearToDate(outpatient_paid_today=today_paid, year=year)
    values = {name: getattr(row, name) for name in YTD_FIELDS}
    return YearToDate(outpatient_paid_today=today_paid, year=row.scheme_year, **values)


def _outpatient_paid_today(episode: Episode) -> Decimal:
    rows = Settlement.objects.filter(episode__person_id=episode.person_id, episode__kind=EpisodeKind.OUTPATIENT,
                                     episode__admission_date=episode.admission_date).exclude(episode=episode)
    return sum((r.basic for r in rows), Decimal("0"))


CHARGE_FIELDS = ("catalogue_code", "item_name", "amount", "catalogue_class", "first_self_pay_share", "quantity",
                 "price_limit")


def _charge_lines(episode: Episode) -> list:
    """The admission's current lines (withdrawn ones excluded by the manager), in line order, as named tuples of
    what the engine reads: no model instances on the hot path."""
    return list(episode.charges.order_by("line_no").values_list(*CHARGE_FIELDS, named=True))


def engine_input(episode: Episode, lines: list | None = None) -> tuple[EngineEpisode, Person]:
    on = episode.discharge_date or episode.admission_date
    facility = episode.facility
    charges = tuple(
        ChargeItem(code=c.catalogue_code, name=c.item_name, amount=c.amount, catalogue_class=c.catalogue_class,
                   first_self_pay_share=c.first_self_pay_share, quantity=c.quantity, price_limit=c.price_limit)
        for c in (_charge_lines(episode) if lines is None else lines)
    )
    engine_episode = EngineEpisode(
        kind=episode.kind, facility_level=facility.level, admission_date=episode.admission_date,
        discharge_date=episode.discharge_date, charges=charges, in_county=facility.in_county,
        designated=facility_status_on(facility, on) == DesignationStatus.DESIGNATED,
        referred=episode.referral_id is not None, diagnosis_code=episode.diagnosis_code,
        chronic_certified=_chronic_certified(episode, on),
    )
    return engine_episode, Person(_categories_on(episode.person_id, on))


def _chronic_certified(episode: Episode, on: dt.date) -> bool:
    """The diagnosis is certified on the chronic-disease register (nrcms/conditions) on the episode's day; the
    engine uses it for a visit when the scheme's chronic rule requires certification. Stored with the
    settlement's inputs, so a replay or reprint reads what the desk read."""
    if not episode.diagnosis_code:
        return False
    from nrcms.conditions.selectors import chronic_certified_on

    return chronic_certified_on(episode.person_id, episode.diagnosis_code, on)


def _check_ready(episode: Episode, lines: list | None = None) -> None:
    if episode.status == EpisodeStatus.CANCELLED:
        raise ValidationFailed("episode_closed", "该就诊已撤销，不能结算", field="episode")
    if episode.kind == EpisodeKind.INPATIENT and episode.discharge_date is None:
        raise ValidationFailed("not_discharged", "住院尚未办理出院，不能结算；如需中途结算请先登记出院日期",
                               field="discharge_date")
    if not (episode.charges.exists() if lines is None else lines):
        raise ValidationFailed("no_charges", "没有费用明细，不能结算", field="charges")


def _desk_episode(actor: User, episode: Episode) -> None:
    if not actor.can(Cap.DESK_SETTLE) or actor.facility_id is None:
        raise Forbidden("只有定点医疗机构合疗科可以结算")
    if episode.facility_id != actor.facility_id:
        raise NotFound("就诊记录", episode.serial)


def _compute(episode: Episode, ytd_row: PersonYear | None, lines: list | None = None, *, with_inputs: bool = True
             ) -> tuple[EngineSettlement, dict | None]:
    """The engine's answer and the inputs to store with it (None when with_inputs=False: a trial keeps none)."""
    engine_episode, person = engine_input(episode, lines)
    today = _outpatient_paid_today(episode) if episode.kind == EpisodeKind.OUTPATIENT else Decimal("0")
    ytd = _ytd_from(ytd_row, today, episode.scheme_year)
    scheme_file, source = episode_scheme(episode)
    if episode.kind == EpisodeKind.OUTPATIENT:
        ytd = _with_family_account(episode, ytd, scheme_file, engine_episode)
    result = settle(engine_episode, scheme_file, ytd, person=person)
    if not with_inputs:
        return result, None
    inputs = {"episode": jsonable({f.name: getattr(engine_episode, f.name) for f in fields(engine_episode)
                                   if f.name != "charges"}),
              "charges": [jsonable({f.name: getattr(c, f.name) for f in fields(c)}) for c in engine_episode.charges],
              "categories": sorted(person.categories), "year_to_date": ytd.to_dict(),
              "scheme_file": scheme_file.id, "scheme_source": source}
    return result, inputs


def _with_family_account(episode, ytd, scheme_file, engine_episode) -> YearToDate:
    from nrcms.policy import scheme_for

    scheme = scheme_for(scheme_file, engine_episode)
    mode = scheme.params.outpatient.mode if scheme and scheme.params.outpatient else None
    if mode not in ("family_account", "family_account_then_pooling"):
        return ytd
    try:
        from nrcms.funding.ledger import family_account_balance
    except ImportError as exc:
        raise ValidationFailed("no_family_account", "基金账簿尚未建立家庭账户，不能按家庭账户结算门诊",
                               field="family_account") from exc
    from dataclasses import replace

    if transaction.get_connection().in_atomic_block:
        from nrcms.funding.ledger import family_account_lock

        family_account_lock(episode.household)
    return replace(ytd, family_account_balance=family_account_balance(episode.household))


def settlement_trial(*, actor: User, episode: Episode) -> EngineSettlement:
    """试算: the whole answer with this year's totals as they stand; nothing is written or locked."""
    return settlement_trial_checked(actor=actor, episode=episode)[0]


def settlement_trial_checked(*, actor: User, episode: Episode) -> tuple[EngineSettlement, list[dict]]:
    """试算 and the audit rules' warnings (智能审核提示) for the desk; a blocking rule refuses (nrcms/supervision)."""
    from nrcms.supervision.checks import check_episode, warning_out

    _desk_episode(actor, episode)
    lines = _charge_lines(episode)
    _check_ready(episode, lines)
    warnings = [warning_out(hit) for hit in check_episode(episode=episode, stage="trial")]
    row = PersonYear.objects.filter(person_id=episode.person_id, scheme_year=episode.scheme_year).first()
    result, _ = _compute(episode, row, lines, with_inputs=False)
    return result, warnings


def _locked_year_row(episode: Episode) -> PersonYear:
    key = {"person_id": episode.person_id, "scheme_year": episode.scheme_year}
    row = PersonYear.objects.select_for_update().filter(**key).first()
    if row is not None:
        return row
    # INSERT … ON CONFLICT DO NOTHING: if another desk created it a moment ago, lock theirs.
    PersonYear.objects.bulk_create([PersonYear(**key)], ignore_conflicts=True)
    return PersonYear.objects.select_for_update().get(**key)


def _number(prefix: str, year: int, *, gaps: bool = False) -> str:
    """A document number: prefix, year, 7-digit counter (JS20260000001). gaps=True (settlements and their
    reversals): on PostgreSQL the counter is a database sequence, never locked, so desks settling at the same
    moment do not queue on it; a transaction that rolls back after taking its number leaves that number
    unused (see sequence_take). Numbers stay unique and increase in the order they were taken."""
    return f"{prefix}{year}{sequence_take(f'{prefix.lower()}-{year}', gaps=gaps):07d}"


def _refuse_reversed_key(pk: int, key: str) -> None:
    """A key answers with its own settlement only while that stands: once reversed, returning it would tell
    the client "settled" for an admission that is not, and settling anew under the same key would make one key
    mean two settlements. A resettlement after a reversal therefore needs a new key."""
    reversed_one = Settlement.objects.select_related("reversal").get(pk=pk)
    raise Conflict("idempotency_key_reversed",
                   f"幂等键（Idempotency-Key）“{key}”对应的结算单 {reversed_one.number} 已冲正"
                   f"（冲正单 {reversed_one.reversal.number}），不能再用于结算；重新结算须使用新的幂等键",
                   field="idempotency_key")


@transaction.atomic
def settlement_settle(*, actor: User, episode: Episode, idempotency_key: str | None = None
                      ) -> tuple[Settlement, bool]:
    """Settle once. Returns (settlement, created); a repeat — same key or same admission — returns the first."""
    _desk_episode(actor, episode)
    # Only the admission's own row is locked (of=self); its facility and household come along for the
    # engine, the ledger and the audit record.
    episode = (Episode.objects.select_for_update(of=("self",))
               .select_related("facility", "household__region__parent__parent__parent")  # the voucher's address
               .get(pk=episode.pk))
    # A repeat, in one look-up under the lock: the settlement carrying this idempotency key (first: it may be
    # another admission's or a reversed one — both refused — or this one's in force) or else the admission's
    # active settlement. Each matches at most one row (unique constraints) and usually none; the whole
    # settlement is read only when there is one to return.
    repeat = Q(episode=episode, kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE)
    if idempotency_key:
        repeat |= Q(idempotency_key=idempotency_key)
    found = list(Settlement.objects.filter(repeat).order_by()
                 .values_list("pk", "episode_id", "idempotency_key", "status"))
    for pk, episode_id, key, status in found:
        if idempotency_key and key == idempotency_key:
            if episode_id != episode.pk:
                raise Conflict("idempotency_key_reused", "幂等键已用于另一笔结算", field="idempotency_key")
            if status == SettlementStatus.REVERSED:
                _refuse_reversed_key(pk, idempotency_key)
            return Settlement.objects.get(pk=pk), False
    if found:
        return Settlement.objects.get(pk=found[0][0]), False
    lines = _charge_lines(episode)
    _check_ready(episode, lines)
    from nrcms.supervision.checks import check_episode, settlement_hits_store

    audit_hits = check_episode(episode=episode, stage="settle")  # a blocking audit rule refuses here
    row = _locked_year_row(episode)
    result, inputs = _compute(episode, row, lines)
    if result.refused:
        raise ValidationFailed("refused", refusal_text(episode, result), field="episode")
    settlement = Settlement.objects.create(
        episode=episode, number=_number("JS", episode.scheme_year, gaps=True), scheme_id=result.scheme_id,
        scheme_version=result.scheme_version, scheme_effective=result.scheme_effective, inputs=inputs,
        result=result.to_dict(), issued=holder_particulars(episode.household),
        idempotency_key=idempotency_key or None, settled_by=actor,
        **{name: getattr(result, name) for name in AMOUNT_FIELDS},
    )
    for name in YTD_FIELDS:
        setattr(row, name, getattr(result.ytd_after, name))
    row.save(update_fields=YTD_FIELDS)
    settlement_hits_store(settlement=settlement, hits=audit_hits)
    episode.status = EpisodeStatus.SETTLED
    episode.save(update_fields=["status"])
    # late: the entry adds to the ledger's day summary, a row every settlement of the day locks until it commits
    ledger.settlement_post(settlement=settlement, actor=actor, created_here=True)
    facts.add(settlement_ids=[settlement.pk])  # the statistics' row of it, in this transaction
    # Last, right before the commit: the audit chain head is one row every writer locks until it commits.
    audit_record(actor=actor, action="settlement.settle", obj=settlement, facility_code=episode.facility.code,
                 region_code=episode.household.region.code,
                 after={"episode": episode.serial, "scheme_version": result.scheme_version,
                        **{name: getattr(result, name) for name in ("total_cost", "fund_total", "self_pay")}})
    return settlement, True


@transaction.atomic
def settlement_reverse(*, actor: User, settlement: Settlement, reason: str) -> Settlement:
    """冲正: a negating row, the year's totals given back, the admission open for correction and resettlement."""
    if not (reason or "").strip():
        raise ValidationFailed("required", "冲正必须填写原因", field="reason")
    _desk_episode(actor, settlement.episode)
    settlement = Settlement.objects.select_for_update().get(pk=settlement.pk)
    if settlement.kind == SettlementKind.REVERSAL:
        raise ValidationFailed("invalid", f"{settlement.number} 本身是冲正记录，不能再冲正", field="settlement")
    if settlement.status == SettlementStatus.REVERSED:
        raise ValidationFailed("already_reversed", f"结算单 {settlement.number} 已冲正，不能重复冲正", field="settlement")
    episode = Episode.objects.select_for_update().get(pk=settlement.episode_id)
    row = _locked_year_row(episode)
    ytd_before = settlement.inputs["year_to_date"]
    ytd_after = settlement.result["ytd_after"]
    for name in YTD_FIELDS:
        delta = Decimal(str(ytd_after[name])) - Decimal(str(ytd_before[name]))
        setattr(row, name, getattr(row, name) - (int(delta) if name == "admissions" else delta))
    row.save()
    reversal = Settlement.objects.create(
        episode=episode, kind=SettlementKind.REVERSAL, reverses=settlement,
        number=_number("CZ", episode.scheme_year, gaps=True),
        scheme_id=settlement.scheme_id, scheme_version=settlement.scheme_version,
        scheme_effective=settlement.scheme_effective, inputs=settlement.inputs, result=settlement.result,
        issued={**holder_particulars(episode.household), "year_to_date": year_totals(row)}, reason=reason, settled_by=actor, **{name: -getattr(settlement, name) for name in AMOUNT_FIELDS},
    )
    settlement.status = SettlementStatus.REVERSED
    settlement.save(update_fields=["status"])
    episode.status = EpisodeStatus.DISCHARGED if episode.discharge_date else EpisodeStatus.ADMITTED
    episode.save(update_fields=["status"])
    ledger.settlement_post(settlement=reversal, actor=actor, created_here=True)  # late, as in settlement_settle
    facts.add(settlement_ids=[reversal.pk])
    audit_record(actor=actor, action="settlement.reverse", obj=settlement, reason=reason,
                 facility_code=episode.facility.code, region_code=episode.household.region.code,
                 before={"status": "active", "fund_total": settlement.fund_total},
                 after={"status": "reversed", "reversal": reversal.number})
    return reversal

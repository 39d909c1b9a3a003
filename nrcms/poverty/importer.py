"""Importing the poverty office's list: each row matched to a person by ID number and compared with the person's
poverty categories; where they differ, the change goes through the registry's own services (a dated category
grant or end, each audited) so the benefit engine reads it like any other category.

What a row means (S = 纳入日期, E = 脱贫日期):
  未脱贫  建档立卡贫困户 in force from S (a 监测户 category still open ends the day before S);
  已脱贫  建档立卡贫困户 ends on E: an open one is ended, none at all is recorded as S–E (the history);
  监测户  监测户 in force from S; an open 建档立卡贫困户 ends on E when the row gives E.
A person whose categories already say so is "unchanged": importing the same list twice changes nothing (and
the very same file, known by its SHA-256, is not read again at all). One transaction per import; a row the
registry refuses (an overlapping period, say) is rolled back alone and reported with the registry's reason."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed
from nrcms.registry.models import Category, Person, PersonCategory
from nrcms.registry.people import person_category_end, person_category_grant

from .list_file import EXITED, MONITORED, POOR, ListRow, listed_problem, read_list
from .models import PovertyImport

PROBLEM_HEADERS = ["行号", "证件号码（脱敏）", "姓名", "户编号", "行政村", "贫困户状态", "纳入日期", "脱贫日期", "问题说明"]
UNMATCHED = "证件号码不在参合登记中（或不在您的辖区内）"
DAY = dt.timedelta(days=1)


def _open(rows: list[PersonCategory], category: str) -> PersonCategory | None:
    return next((r for r in rows if r.category == category and r.valid_to is None), None)


def _apply(actor: User, person: Person, r: ListRow, authority: str) -> bool:
    """Bring one person's categories in line with the row; True when anything changed."""
    rows = list(person.categories.filter(category__in=(Category.REGISTERED_POOR, Category.MONITORED)))
    poor, watched = _open(rows, Category.REGISTERED_POOR), _open(rows, Category.MONITORED)
    changed = False

    def end(row: PersonCategory, day: dt.date, why: str) -> None:
        nonlocal changed
        person_category_end(actor=actor, category=row, valid_to=day, reason=f"{why}（{authority}）")
        changed = True

    def grant(category: str, since: dt.date, until: dt.date | None = None) -> None:
        nonlocal changed
        person_category_grant(actor=actor, person=person, category=category, valid_from=since, valid_to=until,
                              authority=authority)
        changed = True

    if r.status == POOR:
        if watched is not None and watched.valid_from <= r.since - DAY:
            end(watched, r.since - DAY, "纳入建档立卡贫困户")
        if poor is None:
            grant(Category.REGISTERED_POOR, r.since)
    elif r.status == EXITED:
        if poor is not None:
            end(poor, r.exit, "脱贫退出")
        elif not any(x.category == Category.REGISTERED_POOR and x.valid_to == r.exit for x in rows):
            grant(Category.REGISTERED_POOR, r.since, r.exit)
    elif r.status == MONITORED:
        if poor is not None and r.exit is not None:
            end(poor, r.exit, "脱贫退出")
        if watched is None:
            grant(Category.MONITORED, r.since)
    return changed


@transaction.atomic
def poverty_import(*, actor: User, file_name: str, content: bytes, as_of: dt.date,
                   progress: Callable[[int, int], None] | None = None) -> tuple[PovertyImport, bool]:
    """(the import, whether it is new). The same file again answers its earlier import and changes nothing."""
    require(actor, Cap.POVERTY_MANAGE)
    if as_of > timezone.localdate():
        raise ValidationFailed("invalid", f"名单日期 {as_of} 晚于今天", field="as_of")
    digest = hashlib.sha256(content).hexdigest()
    earlier = PovertyImport.objects.filter(file_hash=digest).first()
    if earlier is not None:
        return earlier, False
    rows, problems, total = read_list(file_name, content, as_of=as_of)
    persons = {p.id_number: p for p in Person.objects.filter(region_q(actor, "household__region__code"),
                                                             id_number__in=[r.id_number for r in rows])
               .select_related("household__region")}
    authority = f"扶贫办名单（{as_of:%Y-%m-%d}）{file_name[:60]}"
    changed = unchanged = unmatched = 0
    for done, r in enumerate(rows, start=1):
        person = persons.get(r.id_number)
        if person is None:
            unmatched += 1
            problems.append(listed_problem(r, UNMATCHED))
        else:
            try:
                with transaction.atomic():
                    if _apply(actor, person, r, authority):
                        changed += 1
                    else:
                        unchanged += 1
            except ValidationFailed as exc:
                problems.append(listed_problem(r, exc.message))
        if progress:
            progress(done, len(rows))
    problems.sort(key=lambda p: p["row"])
    job = PovertyImport.objects.create(
        file_name=file_name[:200], file_hash=digest, as_of=as_of, created_by=actor, rows_total=total,
        matched=changed + unchanged, changed=changed, unchanged=unchanged, unmatched=unmatched,
        invalid=total - changed - unchanged - unmatched, problems=problems)
    audit_record(actor=actor, action="poverty.import", obj=job, authority=authority,
                 after={"as_of": as_of, "rows": total, "changed": changed, "unchanged": unchanged,
                        "unmatched": unmatched, "invalid": job.invalid},
                 region_code=actor.region.code if actor.region_id else "")
    return job, True


def problem_rows(job: PovertyImport) -> list[list]:
    """The problem report's rows (the ID numbers were masked when the rows were kept)."""
    keys = ("row", "id_number", "name", "household", "village", "status", "since", "exit", "reason")
    return [[p.get(k, "") for k in keys] for p in job.problems]

"""Logins: the lockout, and the audit rows of logins, logouts, lockouts and unlocks.

Two counters, each a LoginThrottle row changed only under its row lock:
- per (account, source address): NRCMS_LOGIN_MAX_FAILURES failures lock the account *from that address* for
  NRCMS_LOGIN_LOCK_MINUTES. A stranger guessing the admin's password locks only himself out.
- per account over all addresses: NRCMS_LOGIN_ACCOUNT_MAX_FAILURES (much higher) failures within
  NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES lock the account everywhere for NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES: the
  answer to guessing spread over many addresses. Its API tokens stop while it lasts.

A try is charged *before* the password is checked (login_begin) and the charge is given back when the password
was right (login_finish): so tries arriving in parallel can never make more than the limit of password checks
between them, and each failed check is counted exactly once. Tries refused because of a lock check no password
and move no counter (otherwise one address could push the account-wide counter and lock the owner out); they
are kept in LoginAttempt like every try.

Two-step sign-in (two_factor.py): a right password of an account that still owes its code only gives this try's
charge back (login_finish with second_step=True); the address's count starts again only when the code is right
too. Each code tried is charged like a password, so knowing the password does not buy unlimited code guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from nrcms.core.errors import Forbidden, ValidationFailed

from .audit import audit_record
from .models import LoginAttempt, LoginThrottle, User
from .roles import Cap

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginCharge:
    """The outcome of login_begin: allowed to check the password, or refused by a lock (kind, until)."""

    username: str
    ip: str | None
    allowed: bool
    locked_until: datetime | None = None
    lock_kind: str = ""  # "address" or "account" when refused
    address_failures: int = 0  # after this try's charge
    account_failures: int = 0


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=getattr(settings, name))


def _locked_row(username: str, ip: str, now: datetime, window: timedelta) -> LoginThrottle:
    """The counter row, created if new, locked for this transaction; a lock that ran out or a window that
    passed starts afresh."""
    row, _ = LoginThrottle.objects.get_or_create(username=username, ip=ip, defaults={"window_start": now})
    row = LoginThrottle.objects.select_for_update().get(pk=row.pk)
    expired_lock = row.locked_until is not None and row.locked_until <= now
    stale = row.locked_until is None and row.window_start <= now - window
    if expired_lock or stale:
        row.failures, row.window_start, row.locked_until = 0, now, None
    return row


@transaction.atomic
def login_begin(*, username: str, ip: str | None) -> LoginCharge:
    """Before a password is checked: refuse if (account, address) or the account is locked, else charge
    one failure to both counters (given back by login_finish if the password was right)."""
    now = timezone.now()
    address = ip or UNKNOWN_ADDRESS
    pair = _locked_row(username, address, now, _minutes("NRCMS_LOGIN_LOCK_MINUTES"))
    account = _locked_row(username, LoginThrottle.ACCOUNT, now, _minutes("NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES"))
    for row, kind in ((pair, "address"), (account, "account")):
        if row.locked_until is not None:
            LoginAttempt.objects.create(username=username, succeeded=False, ip=ip)
            return LoginCharge(username=username, ip=ip, allowed=False, locked_until=row.locked_until,
                               lock_kind=kind)
    pair.failures += 1
    account.failures += 1
    if pair.failures >= settings.NRCMS_LOGIN_MAX_FAILURES:
        pair.locked_until = now + _minutes("NRCMS_LOGIN_LOCK_MINUTES")
    if account.failures >= settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES:
        account.locked_until = now + _minutes("NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES")
    for row in (pair, account):
        row.save(update_fields=["failures", "window_start", "locked_until"])
    return LoginCharge(username=username, ip=ip, allowed=True, address_failures=pair.failures,
                       account_failures=account.failures)


def _scope(user: User) -> dict:
    return {"region_code": user.region.code if user.region_id else "",
            "facility_code": user.facility.code if user.facility_id else ""}


def _charge_return(charge: LoginCharge) -> None:
    """Give this try's charge back to both counters, and lift a lock that this very try set."""
    address = charge.ip or UNKNOWN_ADDRESS
    for ip, failures, limit in ((address, charge.address_failures, settings.NRCMS_LOGIN_MAX_FAILURES),
                                (LoginThrottle.ACCOUNT, charge.account_failures,
                                 settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES)):
        rows = LoginThrottle.objects.filter(username=charge.username, ip=ip, failures__gt=0)
        if failures >= limit:
            rows.update(failures=F("failures") - 1, locked_until=None)
        else:
            rows.update(failures=F("failures") - 1)


@transaction.atomic
def login_finish(*, charge: LoginCharge, user: User | None, second_step: bool = False,
                 factor: str = "") -> None:
    """After the password check (or a second-step code check): user is the authenticated account, or None when
    the check failed. second_step: the password was right but the account still owes its code, so only this
    try's charge is given back and nothing is recorded as a login yet. factor: what the completed second step
    was ("totp" or "recovery_code"), recorded with the login."""
    username, ip = charge.username, charge.ip
    LoginAttempt.objects.create(username=username, succeeded=user is not None, ip=ip)
    address = ip or UNKNOWN_ADDRESS
    if user is not None and second_step:
        _charge_return(charge)
        return
    if user is not None:
        # The right password from this address: its count starts again; the account-wide count only gets
        # this try's charge back (failures from elsewhere still stand), and a lock this very try set goes.
        LoginThrottle.objects.filter(username=username, ip=address).update(failures=0, locked_until=None)
        account = LoginThrottle.objects.filter(username=username, ip=LoginThrottle.ACCOUNT, failures__gt=0)
        if charge.account_failures >= settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES:
            account.update(failures=F("failures") - 1, locked_until=None)
        else:
            account.update(failures=F("failures") - 1)
        audit_record(actor=user, action="user.login", obj=user, ip=ip,
                     after={"second_factor": factor} if factor else None, **_scope(user))
        return
    owner = User.objects.filter(username=username).select_related("region", "facility").first()
    if owner is None:
        return  # no such account: counted all the same, so a guesser cannot tell
    if charge.address_failures == settings.NRCMS_LOGIN_MAX_FAILURES:
        audit_record(actor=None, action="user.locked", obj=owner, ip=ip, after={"scope": "address", "ip": ip},
                     reason=f"从地址 {address} 连续 {settings.NRCMS_LOGIN_MAX_FAILURES} 次密码错误，该账号在此地址"
                     f"锁定 {settings.NRCMS_LOGIN_LOCK_MINUTES} 分钟", **_scope(owner))
    if charge.account_failures == settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES:
        audit_record(actor=None, action="user.locked", obj=owner, ip=ip, after={"scope": "account"},
                     reason=f"{settings.NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES} 分钟内共 "
                     f"{settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES} 次密码错误（所有地址合计），账号锁定 "
                     f"{settings.NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES} 分钟，API 令牌同时暂停",
                     **_scope(owner))


@transaction.atomic
def login_charge_return(*, charge: LoginCharge) -> None:
    """A second-step code checked right outside the sign-in (disabling two-step, new recovery codes): the
    charge goes back, the address's count stays."""
    _charge_return(charge)


@transaction.atomic
def user_logout_record(*, user: User, ip: str | None) -> None:
    audit_record(actor=user, action="user.logout", obj=user, ip=ip, **_scope(user))


def login_locks(usernames) -> dict[str, list[LoginThrottle]]:
    """username → its locks in force now (per-address rows and the account-wide row), for pages."""
    rows = (LoginThrottle.objects.filter(username__in=list(usernames), locked_until__gt=timezone.now())
            .order_by("username", "ip"))
    locks: dict[str, list[LoginThrottle]] = {}
    for row in rows:
        locks.setdefault(row.username, []).append(row)
    return locks


@transaction.atomic
def user_unlock(*, actor: User, user: User, reason: str, ip: str | None = None) -> int:
    """Clear both kinds: the account's lock from every address and the account-wide lock, with their counts.
    Returns how many locks were in force."""
    if not actor.can(Cap.USERS_GRANTS):
        raise Forbidden()
    reason = reason.strip()
    if len(reason) > 500:
        raise ValidationFailed("too_long", "解锁原因最长 500 个字符", field="reason")
    rows = list(LoginThrottle.objects.select_for_update().filter(username=user.username))
    now = timezone.now()
    before = sorted(r.ip or "全部地址" for r in rows if r.locked_until and r.locked_until > now)
    LoginThrottle.objects.filter(username=user.username).delete()
    audit_record(actor=actor, action="user.unlock", obj=user, ip=ip, before={"locked": before},
                 after={"locked": []}, reason=reason or "管理员解锁", **_scope(user))
    return len(before)


def login_counters_clear(*, username: str) -> None:
    """For a password reset (inside its transaction): the new password starts with clean counters."""
    LoginThrottle.objects.filter(username=username).delete()

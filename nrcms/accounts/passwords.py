"""Password history and expiry (GB/T 22239 level 3): the last NRCMS_PASSWORD_HISTORY hashes of each account
are kept and a new password equal to any of them is refused; a password older than
NRCMS_PASSWORD_MAX_AGE_DAYS sends its signed-in user to the password page (accounts/middleware.py).
API tokens do not carry a password and are not affected by expiry."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from nrcms.core.errors import ValidationFailed

from .models import PasswordHistory, User


def history_size() -> int:
    return max(settings.NRCMS_PASSWORD_HISTORY, 0)


def max_age_days() -> int:
    return max(settings.NRCMS_PASSWORD_MAX_AGE_DAYS, 0)


def password_history_check(*, user: User, password: str, field: str = "password") -> None:
    """Refuse a password equal to one of the account's last history_size() passwords (the current one
    included). Each kept hash is checked with its own salt, so this costs one hash per kept password."""
    size = history_size()
    if not size or user.pk is None:
        return
    hashes = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk").values_list(
        "password", flat=True)[:size]
    if any(check_password(password, encoded) for encoded in hashes):
        raise ValidationFailed("password_reused", f"密码不符合要求：历史密码——新密码不能与最近 {size} 次使用过的密码相同",
                               field=field)


def password_history_record(*, user: User) -> None:
    """Keep the user's current password hash (already set and saved) and forget those beyond history_size().
    Called by the services that set a password, inside their transaction."""
    PasswordHistory.objects.create(user=user, password=user.password, created_at=user.password_changed_at)
    size = history_size()
    keep = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk").values_list("pk", flat=True)
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep[:size])).delete()


def password_set(user: User, password: str) -> None:
    """Set the password and stamp when (the caller saves both fields, then calls password_history_record)."""
    user.set_password(password)
    user.password_changed_at = timezone.now()


def password_expired(user: User, now=None) -> bool:
    """True when expiry is on and the password was last set more than NRCMS_PASSWORD_MAX_AGE_DAYS days ago."""
    days = max_age_days()
    changed = getattr(user, "password_changed_at", None)
    return bool(days) and changed is not None and (now or timezone.now()) - changed > timedelta(days=days)


def expired_before(now=None):
    """Passwords set before this moment have expired; None when expiry is off."""
    days = max_age_days()
    return (now or timezone.now()) - timedelta(days=days) if days else None


def expired_message() -> str:
    return f"密码已超过 {max_age_days()} 天未修改，请修改密码"

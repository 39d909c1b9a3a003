from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators
from django.utils import timezone

from nrcms.accounts import totp
from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.login import login_begin, login_finish
from nrcms.accounts.password_policy import password_help
from nrcms.accounts.two_factor import second_step_for


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing a locked username before checking the password."""

    error_messages = {
        "invalid_login": "用户名或密码不正确。连续 %(max)s 次错误将锁定账号 %(minutes)s 分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
        "locked": "该账号在本机所在地址因连续密码错误已被锁定，请于 %(until)s 后再试，或联系系统管理员解锁。",
        "locked_account": "该账号因多次密码错误已被全面锁定，请于 %(until)s 后再试，或联系系统管理员解锁。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field is built, so Django never checks
        # it: a 151-character username reached the login record and PostgreSQL refused it (a 500).
        field = self.fields["username"]
        field.validators.append(validators.MaxLengthValidator(field.max_length))

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()
        charge = login_begin(username=username, ip=client_ip(self.request))
        if not charge.allowed:
            local = timezone.localtime(charge.locked_until).strftime("%H:%M")
            code = "locked_account" if charge.lock_kind == "account" else "locked"
            raise forms.ValidationError(self.error_messages[code], code=code, params={"until": local})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_finish(charge=charge, user=None)
            raise
        # "verify" or "enrol" when the account still owes its second step: then nothing is a login yet.
        self.second_step = second_step_for(self.user_cache)
        login_finish(charge=charge, user=self.user_cache, second_step=bool(self.second_step))
        return cleaned

    def get_invalid_login_error(self):
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login",
            params={"max": settings.NRCMS_LOGIN_MAX_FAILURES, "minutes": settings.NRCMS_LOGIN_LOCK_MINUTES},
        )


class TwoFactorCodeForm(forms.Form):
    """A 6-digit code from the authenticator app or (where allow_recovery) a recovery code. Input of neither
    shape is refused here, before any code is checked or charged to the lockout."""

    code = forms.CharField(label="验证码", max_length=20, strip=True)

    def __init__(self, *args, allow_recovery: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_recovery = allow_recovery

    def clean_code(self):
        code = self.cleaned_data["code"]
        if totp.looks_like_totp(code):
            return totp.normalize_code(code)
        recovery = totp.normalize_recovery_code(code)
        if (self.allow_recovery and len(recovery) == totp.RECOVERY_LENGTH
                and all(c in totp.RECOVERY_ALPHABET for c in recovery)):
            return recovery
        if self.allow_recovery:
            raise forms.ValidationError("验证码应为验证器上的 6 位数字，或 10 位恢复码（如 ABCDE-23456）")
        raise forms.ValidationError("验证码应为验证器上显示的 6 位数字")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput)
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput)
    new_password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_help()

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data

"""Two-step sign-in pages: the code after the password (or the enrolment its role requires), the user's own
"两步验证" page (enrol, new recovery codes, disable) and the administrator's reset. Each view validates its form
and calls one service of nrcms/accounts/two_factor.py.

Between the password and the code the session is *not* signed in: it holds only the pending account's id (for
PENDING_SECONDS), so no page, HTMX request or session API call is open to it. Django's login() runs only when the
second step has passed."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nrcms.accounts import totp, two_factor
from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError

from .forms import ReasonForm, TwoFactorCodeForm

PENDING = "nrcms_two_factor_pending"
PENDING_SECONDS = 10 * 60  # time to find the phone, or to install an app and enrol
EXPIRED = "登录步骤已超时或未完成，请重新输入用户名和密码"


# ---- the pending sign-in ----

def pending_begin(request, *, user: User, backend: str, next_url: str) -> None:
    """Called by the login view after a right password of an account that owes its second step."""
    request.session.cycle_key()  # a new session id for the half-signed-in state (no fixation)
    request.session[PENDING] = {"uid": user.pk, "backend": backend, "at": time.time(), "next": next_url}


def _pending(request) -> tuple[User | None, dict]:
    data = request.session.get(PENDING) or {}
    if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, {}
    return User.objects.filter(pk=data.get("uid"), is_active=True).select_related("region", "facility").first(), data


def _next_url(request, data: dict) -> str:
    target = data.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


def _complete(request, user: User, data: dict) -> str:
    """The second step passed: now the session is signed in. Returns where to go."""
    target = _next_url(request, data)
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=data.get("backend"))
    return target


def _restart(request, message: str):
    request.session.pop(PENDING, None)
    messages.error(request, message)
    return redirect("login")


def _locked_message(user: User, ip: str | None) -> str | None:
    until = two_factor.lock_in_force(user.username, ip)
    if until is None:
        return None
    return (f"该账号因连续验证失败已被锁定，请于 {timezone.localtime(until):%H:%M} 后再试，或联系系统管理员解锁")


@login_not_required
@never_cache
def login_verify(request):
    """The second page of the sign-in: the 6-digit code, or a recovery code."""
    user, data = _pending(request)
    if user is None:
        return _restart(request, EXPIRED)
    step = two_factor.second_step_for(user)
    if step != "verify":
        return redirect("login_enrol") if step == "enrol" else _restart(request, EXPIRED)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        check = two_factor.code_check(user=user, code=form.cleaned_data["code"], ip=ip, purpose="sign_in")
        if check.ok:
            if check.factor == two_factor.FACTOR_RECOVERY:
                left = two_factor.recovery_codes_left(user)
                messages.warning(request, f"您用恢复码完成了登录，还剩 {left} 个恢复码；手机找回或更换后请在“两步验证”页面重新生成恢复码")
            return redirect(_complete(request, user, data))
        locked = _locked_message(user, ip)
        if locked:
            return _restart(request, locked)
        form.add_error("code", check.message)
    return render(request, "registration/login_verify.html", {"form": form, "pending_user": user},
                  status=400 if form.errors else 200)


@login_not_required
@never_cache
def login_enrol(request):
    """The sign-in of an account whose role requires two-step but has no device yet: enrol first."""
    user, data = _pending(request)
    if user is None:
        return _restart(request, EXPIRED)
    if two_factor.second_step_for(user) != "enrol":
        return redirect("login_verify")
    device = two_factor.totp_enrol_start(user=user)
    form = TwoFactorCodeForm(request.POST or None, allow_recovery=False)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            codes = two_factor.totp_enrol_confirm(user=user, code=form.cleaned_data["code"], ip=ip, signing_in=True)
        except NrcmsError as exc:
            locked = _locked_message(user, ip)
            if locked:
                return _restart(request, locked)
            form.add_error("code", exc.message)
        else:
            target = _complete(request, user, data)
            return render(request, "web/recovery_codes.html", {"codes": codes, "continue_url": target,
                                                                "first_time": True})
    return render(request, "registration/totp_enrol.html", _enrol_context(user, device, form, signing_in=True),
                  status=400 if form.errors else 200)


def _enrol_context(user: User, device, form, *, signing_in: bool) -> dict:
    from django.conf import settings

    uri = totp.provisioning_uri(device.secret, account=user.username, issuer=settings.NRCMS_TOTP_ISSUER)
    return {"form": form, "qr": totp.qr_data_uri(uri), "secret": totp.grouped_secret(device.secret),
            "signing_in": signing_in, "pending_user": user, "required": two_factor.two_factor_required(user)}


# ---- the user's own page ----

@never_cache
def two_factor_page(request):
    user = request.user
    device = two_factor.confirmed_device(user)
    return render(request, "web/two_factor.html", {
        "device": device, "required": two_factor.two_factor_required(user),
        "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        "regenerate_form": TwoFactorCodeForm(allow_recovery=False), "disable_form": TwoFactorCodeForm(),
    })


@never_cache
def two_factor_enrol(request):
    """Enrolment from the account menu (optional roles), and where a required role without a device is sent."""
    user = request.user
    if two_factor.confirmed_device(user) is not None:
        messages.info(request, "两步验证已启用")
        return redirect("two_factor")
    device = two_factor.totp_enrol_start(user=user)
    form = TwoFactorCodeForm(request.POST or None, allow_recovery=False)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_enrol_confirm(user=user, code=form.cleaned_data["code"], ip=client_ip(request),
                                                  signing_in=False)
        except NrcmsError as exc:
            form.add_error("code", exc.message)
        else:
            return render(request, "web/recovery_codes.html", {"codes": codes, "continue_url": "/",
                                                                "first_time": True})
    return render(request, "registration/totp_enrol.html", _enrol_context(user, device, form, signing_in=False),
                  status=400 if form.errors else 200)


@never_cache
@require_POST
def two_factor_recovery_codes(request):
    form = TwoFactorCodeForm(request.POST, allow_recovery=False)
    if form.is_valid():
        try:
            codes = two_factor.recovery_codes_regenerate(user=request.user, code=form.cleaned_data["code"],
                                                         ip=client_ip(request))
        except NrcmsError as exc:
            messages.error(request, f"未生成新恢复码：{exc.message}")
        else:
            return render(request, "web/recovery_codes.html", {"codes": codes, "continue_url": "/account/two-factor/"})
    else:
        messages.error(request, "未生成新恢复码：" + "；".join(form.errors.get("code", ["请输入验证码"])))
    return redirect("two_factor")


@require_POST
def two_factor_disable(request):
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.totp_disable(user=request.user, code=form.cleaned_data["code"], ip=client_ip(request))
        except NrcmsError as exc:
            messages.error(request, f"未停用：{exc.message}")
        else:
            messages.success(request, "已停用两步验证，原恢复码全部作废")
    else:
        messages.error(request, "未停用：" + "；".join(form.errors.get("code", ["请输入验证码"])))
    return redirect("two_factor")


# ---- the administrator's reset ----

@require_POST
def user_two_factor_reset(request, username: str):
    target = two_factor.reset_target(actor=request.user, username=username)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "重置两步验证必须填写原因（最长 500 个字符），如：本人手机丢失，已电话核实身份")
    else:
        try:
            outcome = two_factor.totp_reset(actor=request.user, user=target, reason=form.cleaned_data["reason"],
                                            ip=client_ip(request))
        except NrcmsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, {
                "reset": f"已重置用户 {target.username} 的两步验证",
                "none": f"用户 {target.username} 本未启用两步验证，已记录",
                "pending": f"已提交重置申请：{target.username} 是审核、审批或拨付类账号，须另一位管理员在“账号申请”"
                           "中批准后才重置两步验证",
            }[outcome])
    return redirect("user_detail", username=target.username)

"""The administrators' pages: users (create, edit role and jurisdiction, deactivate, unlock, reset the
password) and API tokens. Each view validates its form and calls one service. 三员分立: the system
administrator creates and (de)activates accounts, the security administrator grants roles, unlocks, resets
passwords and manages tokens; each page shows only the buttons its viewer may use."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nrcms.accounts import account_requests, login, selectors, services, two_factor
from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.roles import Cap, Role
from nrcms.core.errors import NrcmsError
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

from .forms import ReasonForm
from .forms_users import PasswordResetForm, TokenCreateForm, UserCreateForm, UserEditForm
from .views import need, paged


def _jurisdiction(data: dict) -> tuple[Region | None, Facility | None]:
    """The chosen options; the form's choices already guarantee they exist in the actor's tree."""
    region = Region.objects.filter(code=data["region_code"]).first() if data["region_code"] else None
    facility = Facility.objects.filter(code=data["facility_code"]).first() if data["facility_code"] else None
    return region, facility


def _powers(user) -> dict:
    return {"can_accounts": user.can(Cap.USERS_ACCOUNTS), "can_grants": user.can(Cap.USERS_GRANTS)}


def _pending_message(request, user) -> None:
    req = account_requests.pending_request_of(user)
    if req is not None:
        messages.warning(request, f"账号 {user.username} 的“{req.get_kind_display()}”（{req.get_role_display()}）"
                         f"须另一位管理员审批后才生效：已提交申请 #{req.pk}")


def user_list(request):
    need(request, Cap.USERS_VIEW)
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    page = paged(request, selectors.user_list(actor=request.user, search=search, role=role))
    locked = selectors.locked_until(u.username for u in page)
    pending = account_requests.pending_requests(page)
    for u in page:
        u.locked_until = locked.get(u.username)
        u.pending_request_id = pending.get(u.pk)
    return render(request, "web/user_list.html", {
        "page": page, "q": search, "role": role, "roles": Role.choices, **_powers(request.user),
    })


def user_create(request):
    need(request, Cap.USERS_ACCOUNTS)
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region, facility = _jurisdiction(data)
        try:
            user = services.user_create(
                actor=request.user, username=data["username"], password=data["password"], role=data["role"],
                display_name=data["display_name"], region=region, facility=facility, phone=data["phone"],
                authority=data["authority"],
            )
        except NrcmsError as exc:
            form.add_error(form.field_for(exc.field), exc.message)
        else:
            messages.success(request, f"已创建用户 {user.username}（首次登录须修改初始密码）")
            _pending_message(request, user)
            return redirect("user_list")
    return render(request, "web/user_form.html", {"form": form})


def user_detail(request, username: str):
    """The account at a glance (lockout, tokens) and the form to change its role, jurisdiction and phone."""
    need(request, Cap.USERS_VIEW)
    target = selectors.user_get(actor=request.user, username=username)
    initial = {"display_name": target.display_name, "role": target.role, "phone": target.phone,
               "region_code": target.region.code if target.region else "",
               "facility_code": target.facility.code if target.facility else ""}
    form = UserEditForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region, facility = _jurisdiction(data)
        try:
            services.user_update(actor=request.user, user=target, role=data["role"], region=region,
                                 facility=facility, phone=data["phone"], display_name=data["display_name"],
                                 reason=data["reason"], authority=data["authority"])
        except NrcmsError as exc:
            target.refresh_from_db()
            form.add_error(form.field_for(exc.field), exc.message)
        else:
            messages.success(request, f"已保存用户 {target.username} 的修改")
            _pending_message(request, target)
            return redirect("user_detail", username=target.username)
    return render(request, "web/user_detail.html", {
        "target": target, "form": form, "reset_form": PasswordResetForm(), **_powers(request.user),
        "requests": account_requests.account_request_list(actor=request.user).filter(target=target)[:10],
        "locks": selectors.lock_descriptions(target.username),
        "two_factor": two_factor.status_of(target), "can_reset_two_factor": request.user.can(Cap.TWO_FACTOR_RESET),
        "tokens": selectors.token_list(actor=request.user, username=target.username),
    })


@never_cache  # the temporary password must not stay in a cache
@require_POST
def user_reset_password(request, username: str):
    need(request, Cap.USERS_GRANTS)
    target = selectors.user_get(actor=request.user, username=username)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            _, password = services.user_reset_password(
                actor=request.user, user=target, new_password=form.cleaned_data["new_password"],
                reason=form.cleaned_data["reason"])
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else "new_password", exc.message)
        else:
            if not password:  # an approval role: a request for a second administrator
                messages.success(request, f"已提交重置密码申请：{target.username} 是审核、审批或拨付类账号，须另一位"
                                          "管理员在“账号申请”中批准；临时密码在批准时生成，只显示给批准人")
                return redirect("user_detail", username=target.username)
            # Shown on this response only: never put into the session, a message or the audit trail.
            return render(request, "web/user_password_reset.html", {"target": target, "password": password})
    return render(request, "web/user_password_reset.html", {"target": target, "form": form}, status=422)


@require_POST
def user_set_active(request, username: str):
    need(request, Cap.USERS_ACCOUNTS)
    target = selectors.user_get(actor=request.user, username=username)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "停用或启用账号必须填写原因")
        return redirect("user_list")
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=target, active=active, reason=form.cleaned_data["reason"])
    except NrcmsError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{'启用' if active else '停用'}用户 {target.username}")
    return redirect("user_list")


@require_POST
def user_unlock(request, username: str):
    need(request, Cap.USERS_GRANTS)
    target = selectors.user_get(actor=request.user, username=username)
    try:
        cleared = login.user_unlock(actor=request.user, user=target, reason=request.POST.get("reason", ""),
                                    ip=client_ip(request))
    except NrcmsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已解锁用户 {target.username}（解除 {cleared} 处锁定：按地址的锁定和账号全面锁定都已清除）")
    if request.POST.get("back") == "detail":
        return redirect("user_detail", username=target.username)
    return redirect("user_list")


@never_cache  # the new key must not stay in a cache
def token_list(request):
    """All tokens of the users the admin manages; creating one shows its key on this response only."""
    need(request, Cap.USERS_GRANTS)
    form = TokenCreateForm(request.POST or None, actor=request.user,
                           initial={"username": request.GET.get("user", "")})
    created = None
    if request.method == "POST" and form.is_valid():
        owner = selectors.user_get(actor=request.user, username=form.cleaned_data["username"])
        try:
            token, key = services.api_token_create(actor=request.user, user=owner, name=form.cleaned_data["name"],
                                                   expires_on=form.cleaned_data["expires_on"])
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in ("name", "expires_on") else "username", exc.message)
        else:
            created = {"token": token, "key": key}
            form = TokenCreateForm(actor=request.user)
    show = request.GET.get("show", "")
    qs = selectors.token_list(actor=request.user, include_revoked=show != "active")
    return render(request, "web/token_list.html", {
        "form": form, "created": created, "page": paged(request, qs), "show": show, "now": timezone.now(),
    }, status=422 if request.method == "POST" and created is None else 200)


@require_POST
def token_revoke(request, token_id: int):
    need(request, Cap.USERS_GRANTS)
    token = selectors.token_get(actor=request.user, token_id=token_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "吊销令牌必须填写原因")
        return redirect("token_list")
    services.api_token_revoke(actor=request.user, token=token, reason=form.cleaned_data["reason"])
    messages.success(request, f"已吊销令牌“{token.name}”（{token.prefix}…）")
    return redirect("token_list")

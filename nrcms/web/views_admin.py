"""The administrators' other pages: account requests awaiting a second administrator (双人复核) and the
security administrator's view of the password and lockout policy."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from nrcms.accounts import account_decisions, account_requests, selectors
from nrcms.accounts.models import AccountChangeRequest
from nrcms.accounts.password_policy import policy_summary
from nrcms.accounts.passwords import expired_before
from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError

from .forms import ReasonForm
from .views import need, paged

Status = AccountChangeRequest.Status


def account_request_list(request):
    """Pending requests first (with approve / reject for those this administrator may decide), then history."""
    need(request, Cap.USERS_VIEW)
    status = request.GET.get("status", Status.PENDING)
    if status not in ("", *Status.values):
        raise NrcmsError("invalid", f"状态“{status[:20]}”不存在，应为待审批、已批准、已驳回之一或不限", field="status")
    page = paged(request, account_requests.account_request_list(actor=request.user, status=status))
    for req in page:
        req.may_decide = account_requests.may_decide(request.user, req)
    return render(request, "web/account_request_list.html", {
        "page": page, "status": status, "statuses": Status.choices,
    })


@require_POST
def account_request_decide(request, request_id: int):
    need(request, Cap.USERS_APPROVE)
    req = account_requests.account_request_get(actor=request.user, request_id=request_id)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        raise NrcmsError("invalid", "审批结果必须是“批准”或“驳回”", field="decision")
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")
    if len(reason) > 500:
        raise NrcmsError("too_long", "审批意见最长 500 个字符", field="reason")
    try:
        if decision == "approve":
            req = account_decisions.account_request_approve(actor=request.user, request=req, reason=reason)
            if getattr(req, "temporary_password", ""):
                # Shown on this response only, to the approving administrator, who hands it to the owner.
                return render(request, "web/user_password_reset.html",
                              {"target": req.target, "password": req.temporary_password, "approved": req})
        else:
            account_decisions.account_request_reject(actor=request.user, request=req, reason=reason)
    except NrcmsError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{'批准' if decision == 'approve' else '驳回'}申请 #{req.pk}"
                                  f"（账号 {req.target.username}，{req.get_role_display()}）")
    return redirect("account_request_list")


def security_policy(request):
    """The settings in force, read-only: they are set in the deployment's environment (docs/deploy.md)."""
    need(request, Cap.SECURITY_POLICY)
    lockout = [
        ("同一账号同一地址连续失败次数", settings.NRCMS_LOGIN_MAX_FAILURES, "次后锁定该地址"),
        ("按地址锁定时长", settings.NRCMS_LOGIN_LOCK_MINUTES, "分钟"),
        ("账号在所有地址累计失败次数", settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES, "次后全面锁定账号"),
        ("累计失败的统计窗口", settings.NRCMS_LOGIN_ACCOUNT_WINDOW_MINUTES, "分钟"),
        ("账号全面锁定时长", settings.NRCMS_LOGIN_ACCOUNT_LOCK_MINUTES, "分钟"),
        ("无操作自动退出", settings.SESSION_COOKIE_AGE // 60, "分钟"),
        ("接口令牌默认有效期", settings.NRCMS_API_TOKEN_DAYS, "天"),
        ("接口令牌最长有效期", settings.NRCMS_API_TOKEN_MAX_DAYS, "天"),
    ]
    cutoff = expired_before()  # the active accounts in the actor's jurisdiction whose password has expired
    expired = (selectors.user_list(actor=request.user).filter(is_active=True, password_changed_at__lt=cutoff)
               .order_by("password_changed_at", "username") if cutoff else [])
    return render(request, "web/security_policy.html", {
        "rules": policy_summary(), "lockout": lockout, "expired": expired, "cutoff": cutoff,
    })

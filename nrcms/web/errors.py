"""Django's last-resort answers (handler400/403/404/500) in Chinese: the page error template for pages, the
API's one error shape {code, message, field, details} for anything under /api/ (also for paths no route
matches, and for failures outside django-ninja's own handlers)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from nrcms.core.errors import NrcmsError

SERVER_ERROR = "服务器内部错误，操作未完成。请稍后重试；如再次出现，请把出错时间告诉系统管理员"
MESSAGES = {
    400: ("bad_request", "请求无法处理：提交的内容格式不正确或超出允许范围"),
    403: ("forbidden", "您无权访问此页面"),
    404: ("not_found", "未找到请求的页面或资源，请检查地址是否正确"),
    405: ("method_not_allowed", "此地址不接受这种请求方式：请使用页面上的按钮或表单提交"),
    500: ("server_error", SERVER_ERROR),
}


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def error_response(request, error: NrcmsError, status: int | None = None):
    """One refusal as the page error template or, under /api/, the API's error shape."""
    status = status or error.status
    if is_api(request):
        return JsonResponse(error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})
    if not hasattr(request, "user"):  # refused before the authentication middleware ran
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
    try:
        return render(request, "web/error.html", {"error": error}, status=status)
    except Exception:  # noqa: BLE001 — the error page itself must never fail; fall back to plain text
        return _plain(error, status)


def _plain(error: NrcmsError, status: int):
    from django.http import HttpResponse

    return HttpResponse(error.message, status=status, content_type="text/plain; charset=utf-8")


def status_error(status: int) -> NrcmsError:
    code, message = MESSAGES[status]
    error = NrcmsError(code, message)
    error.status = status
    return error


def too_large_error() -> NrcmsError:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (form fields and JSON; uploaded files do not count)."""
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    size = f"{limit / 1048576:g} MB" if limit >= 1048576 else f"{max(1, round(limit / 1024))} KB"
    return NrcmsError("too_large", f"提交的内容过大（超过 {size}）：请减少一次提交的内容，或分批提交")


def method_not_allowed_error(request, allowed: str) -> NrcmsError:
    error = NrcmsError("method_not_allowed", f"此接口不接受 {request.method} 请求，可用的请求方式：{allowed or '无'}")
    error.status = 405
    return error


def bad_request(request, exception=None):
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        return error_response(request, too_large_error())
    return error_response(request, status_error(400))


def permission_denied(request, exception=None):
    return error_response(request, status_error(403))


def page_not_found(request, exception=None):
    return error_response(request, status_error(404))


def server_error(request):
    return error_response(request, status_error(500))

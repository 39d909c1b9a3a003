from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless marked @login_not_required. The API answers 401 in its own
    error format instead of redirecting, and static files are public."""

    open_prefixes = ("/api/", "/static/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class PasswordChangeRequiredMiddleware:
    """After an administrator resets a password, the temporary password opens only the password page: every
    other page redirects there (and the API, for a session, answers 403) until the user has chosen their own."""

    allowed_names = ("password_change", "logout")
    open_prefixes = ("/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and getattr(user, "must_change_password", False)
                and not request.path.startswith(self.open_prefixes)
                and request.path not in {reverse(name) for name in self.allowed_names}):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "password_change_required", "message": "管理员已重置您的密码，请先在“修改密码”页面设置新密码",
                     "field": "password", "details": []}, status=403, json_dumps_params={"ensure_ascii": False})
            return redirect("password_change")
        return self.get_response(request)

from urllib.parse import urlencode, urlsplit

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .passwords import expired_message, password_expired

# The login page shows "登录已过期，请重新登录" when it is opened with this query parameter.
SESSION_EXPIRED_PARAM = "expired"


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless marked @login_not_required. The API answers 401 in its own
    error format instead of redirecting, and static files are public.

    An HTMX request whose session has expired must not get the login page back as a fragment (htmx would
    draw it inside the current page): it gets 401 with HX-Redirect, so htmx navigates the whole window to
    the login page, which says the login expired and returns to the page the user was on."""

    open_prefixes = ("/api/", "/static/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        query = {SESSION_EXPIRED_PARAM: "1"}
        next_path = htmx_current_path(request)
        if next_path:
            query[self.get_redirect_field_name(view_func)] = next_path
        login_url = f"{resolve_url(self.get_login_url(view_func))}?{urlencode(query)}"
        response = HttpResponse("登录已过期，请重新登录", status=401, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = login_url
        return response


def htmx_current_path(request) -> str:
    """The page the user was on (htmx sends its full URL in HX-Current-URL) as a path with its query, only
    when it is on this site; "" otherwise, so the login never sends anyone to another host."""
    current = request.headers.get("HX-Current-URL", "")
    if not current or not url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(current)
    if not parts.path.startswith("/"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


class PasswordChangeRequiredMiddleware:
    """After an administrator resets a password, the temporary password opens only the password page: every
    other page redirects there (and the API, for a session, answers 403) until the user has chosen their own.
    A password older than NRCMS_PASSWORD_MAX_AGE_DAYS does the same (accounts/passwords.py). API tokens carry
    no session and pass untouched."""

    allowed_names = ("password_change", "logout")
    open_prefixes = ("/static/", "/i18n/", "/public/", "/api/public/")  # the public disclosure needs no account

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(self.open_prefixes)
                and request.path not in {reverse(name) for name in self.allowed_names}):
            refusal = password_change_reason(user)
            if refusal is not None:
                if request.path.startswith("/api/"):
                    code, message = refusal
                    return JsonResponse({"code": code, "message": message, "field": "password", "details": []},
                                        status=403, json_dumps_params={"ensure_ascii": False})
                return redirect("password_change")
        return self.get_response(request)


def password_change_reason(user) -> tuple[str, str] | None:
    """(code, Chinese message) when the signed-in user must change their password before anything else."""
    if getattr(user, "must_change_password", False):
        return "password_change_required", "管理员已重置您的密码或为您新建了账号，请先在“修改密码”页面设置自己的密码"
    if password_expired(user):
        return "password_expired", expired_message() + "（请在“修改密码”页面修改）"
    return None


class TwoFactorEnrolmentRequiredMiddleware:
    """A signed-in account whose role requires two-step sign-in but that has no confirmed device (its device was
    reset by an administrator, or its role changed while signed in) sees only the enrolment page until it has
    enrolled: other pages redirect there, HTMX requests navigate the window there, the API (by session) answers
    403. API tokens are not affected: their requests carry no session user."""

    allowed_names = ("two_factor_enrol", "logout")
    open_prefixes = ("/static/", "/i18n/", "/public/", "/api/public/")  # the public disclosure needs no account

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(self.open_prefixes)
                and request.path not in {reverse(name) for name in self.allowed_names}):
            from .two_factor import confirmed_device, two_factor_required

            if two_factor_required(user) and confirmed_device(user) is None:  # a query for these roles only
                return self._to_enrolment(request)
        return self.get_response(request)

    @staticmethod
    def _to_enrolment(request):
        message = "您的角色必须启用两步验证：请先在“两步验证”页面绑定验证器"
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "two_factor_required", "message": message, "field": "code",
                                 "details": []}, status=403, json_dumps_params={"ensure_ascii": False})
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = reverse("two_factor_enrol")
            return response
        return redirect("two_factor_enrol")

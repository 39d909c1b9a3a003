import json
import logging

from django.conf import settings
from django.db import DataError
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from nrcms.core.errors import NrcmsError

from .errors import error_response, method_not_allowed_error, status_error

log = logging.getLogger(__name__)


class NrcmsErrorPageMiddleware:
    """A service's refusal becomes a page that says what is wrong, with the right status code. Also: a page
    that only accepts POST says so in Chinese (Django answers 405 with an empty body), and a value the database
    refuses (text longer than its column, a number out of range) is the user's input, not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code == 404
                and response.get("Content-Type", "").startswith("text/html")):
            return error_response(request, status_error(404))  # DEBUG's technical 404 page, too, is JSON here
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html"):
            # Django answers 405 with an empty body, django-ninja with the words "Method not allowed"
            allowed = response.get("Allow", "")
            if request.path.startswith("/api/"):
                response = error_response(request, method_not_allowed_error(request, allowed))
            elif not response.content:
                response = error_response(request, status_error(405))
            response["Allow"] = allowed
        return response

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NrcmsError):
            return render(request, "web/error.html", {"error": exception}, status=exception.status)
        if isinstance(exception, (DataError, OverflowError)):
            # Forms limit every field to its column; this is the net under a field someone forgot.
            log.warning("input the database refused on %s", request.path, exc_info=exception)
            return error_response(request, NrcmsError(
                "invalid", "提交的内容超出允许的长度或范围（例如文字过长、数字过大），请检查后重新填写"))
        return None


def _nul_in(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def _form_readable(request) -> bool:
    """Whether the form may be read here without taking the body from the view. Parsing a form consumes the
    request's stream; an API operation that expects JSON reads request.body afterwards, so under /api/ the
    body is read (and kept) first, which Django allows up to DATA_UPLOAD_MAX_MEMORY_SIZE. Larger API uploads
    are left to the operation; pages only ever read request.POST and request.FILES."""
    if not request.path.startswith("/api/"):
        return True
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        return False
    request.body  # noqa: B018 — keeps the body for the operation; request.POST is then parsed from the copy
    return True


def _nul_field(request) -> str | None:
    """The first place of the request holding a NUL byte: 'path', a parameter's name, or 'body'."""
    if "\x00" in request.path:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            return name.replace("\x00", "")
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if not _form_readable(request):
                return None
            for name, values in request.POST.lists():  # uploaded files may hold NUL bytes; their names may not
                if "\x00" in name or any("\x00" in v for v in values):
                    return name.replace("\x00", "")
            for upload in request.FILES.values():
                if "\x00" in (upload.name or ""):
                    return "file"
        elif content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            if b"\x00" in body:
                return "body"
            if b"\\u0000" in body:
                try:
                    return "body" if _nul_in(json.loads(body)) else None
                except ValueError:
                    return None  # not JSON at all: the API says so in its own words
    return None


class RejectNulMiddleware:
    """A NUL byte (\\x00, %00) anywhere a user can type: the path, the query string, a form field, a JSON body.
    PostgreSQL refuses NUL in text, so without this every such request would end in a 500; here it is one
    Chinese 400 (the API's error shape under /api/). Cookies holding NUL are dropped, not trusted.
    Placed first, so that nothing (the session, the CSRF check, a view) ever sees such a value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [n for n, v in request.COOKIES.items() if "\x00" in n or "\x00" in v]:
            del request.COOKIES[name]
        field = _nul_field(request)
        if field is not None:
            where = "网址" if field == "path" else "请求内容" if field == "body" else f"字段“{field}”"
            return error_response(request, NrcmsError(
                "invalid", f"{where}含有不允许的空字符（\\x00），请删除后重新提交", field=field if field != "path" else None))
        return self.get_response(request)


class CookieLocaleMiddleware:
    """The interface is Chinese (settings.LANGUAGE_CODE) unless the user chose another language with the
    header's switch, which /i18n/setlang/ keeps in the language cookie. The browser's Accept-Language is
    ignored on purpose: a clerk's English-language browser must not get a half-translated interface.
    Replaces django.middleware.locale.LocaleMiddleware (no i18n_patterns URLs here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

"""Who may read the API's description (/api/docs and /api/openapi.json), per NRCMS_API_DOCS, read on every
request: "public" (development), "login" (production default: a signed-in user or a valid API token), "off"."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import Http404, JsonResponse


def _signed_in(request) -> bool:
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return True
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        from nrcms.accounts.services import api_token_user

        return api_token_user(header[7:].strip()) is not None
    return False


def api_docs_guard(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        mode = getattr(settings, "NRCMS_API_DOCS", "public")
        if mode == "off":
            raise Http404("接口文档未开放")
        if mode != "public" and not _signed_in(request):
            return JsonResponse({"code": "unauthenticated", "message": "接口文档只对已登录用户开放：请先登录，"
                                 "或在 Authorization 头中提供有效的 API 令牌", "field": None, "details": []},
                                status=401, json_dumps_params={"ensure_ascii": False})
        return view(request, *args, **kwargs)

    return guarded

"""The API's shared parts: Chinese-preserving JSON, session or token auth, one error shape, paging."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from nrcms.accounts.services import api_token_user
from nrcms.core.errors import NrcmsError


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer nr_...` for machine clients such as hospital systems."""

    openapi_description = "机器客户端（如医院信息系统）使用的 API 令牌"

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: list = []


class PageOut(Schema):
    total: int
    offset: int
    limit: int


def paginate(qs, offset: int, limit: int, max_limit: int = 500) -> tuple[list, dict]:
    if offset < 0:
        raise NrcmsError("invalid", "offset 不能为负数", field="offset")
    if not 1 <= limit <= max_limit:
        raise NrcmsError("invalid", f"limit 应在 1 到 {max_limit} 之间", field="limit")
    return list(qs[offset: offset + limit]), {"total": qs.count(), "offset": offset, "limit": limit}


def _field_of(error: dict) -> str | None:
    loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload")]
    return ".".join(loc) or None


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="nrcms 新农合信息系统 API",
        version="1",
        description="县级新型农村合作医疗信息系统的 JSON 接口。页面使用会话登录；医院等机器客户端使用 Bearer 令牌。"
        "所有错误返回 {code, message, field, details}。",
        renderer=ChineseJSONRenderer(),
        auth=[TokenAuth(), django_auth],
        urls_namespace="api",
    )

    @api.exception_handler(NrcmsError)
    def nrcms_error(request, exc: NrcmsError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        details = [{"field": _field_of(e), "message": e.get("msg", ""), "type": e.get("type", "")}
                   for e in exc.errors]
        first = details[0] if details else {"field": None, "message": ""}
        body = {"code": "invalid", "message": f"请求数据不符合要求：字段“{first['field']}”{first['message']}",
                "field": first["field"], "details": details}
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        body = {"code": "unauthenticated", "message": "请先登录，或在 Authorization 头中提供有效的 API 令牌",
                "field": None, "details": []}
        return api.create_response(request, body, status=401)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        body = {"code": "not_found", "message": "未找到请求的资源", "field": None, "details": []}
        return api.create_response(request, body, status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        body = {"code": "http_error", "message": str(exc), "field": None, "details": []}
        return api.create_response(request, body, status=exc.status_code)

    return api

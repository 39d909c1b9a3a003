"""The API's shared parts: Chinese-preserving JSON, session or token auth, one error shape, paging."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from nrcms.core.errors import NrcmsError
from nrcms.web.errors import SERVER_ERROR, status_error, too_large_error
from nrcms.web.params import INT_MAX

from .auth import SIGNED_IN
from .docs import LocalSwagger
from .docs_access import api_docs_guard

log = logging.getLogger(__name__)


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: list = []


# Every status the API's handlers (below) and its services can refuse with, on any route: 400 a refused value
# (paging, a body that is not JSON, a NUL, what the database refuses), 401, 403 (role), 404 (or outside the
# jurisdiction), 409 (conflict), 422 (invalid input). Each operation declares them all with its own 2xx, so
# a client generated from the description never meets an undocumented status (tests/api/test_schemathesis.py).
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class LayerAmountsOut(Schema):
    """The amounts every settlement-like row carries (the models' abstract LayerAmounts/SettlementAmounts):
    total cost and how the fund's layers, the family account, the patient and the facility share it."""

    total_cost: Decimal
    basic: Decimal
    family_account: Decimal
    fixed_fee: Decimal
    subsidy: Decimal
    catastrophic: Decimal
    assistance: Decimal
    safety_net: Decimal
    fund_total: Decimal
    self_pay: Decimal
    facility_borne: Decimal


class PageOut(Schema):
    total: int
    offset: int
    limit: int


def paginate(qs, offset: int, limit: int, max_limit: int = 500) -> tuple[list, dict]:
    if offset < 0:
        raise NrcmsError("invalid", "offset 不能为负数", field="offset")
    if offset > INT_MAX:  # the database cannot even be asked for rows that far; there are none
        raise NrcmsError("invalid", f"offset 过大，应在 0 到 {INT_MAX} 之间", field="offset")
    if not 1 <= limit <= max_limit:
        raise NrcmsError("invalid", f"limit 应在 1 到 {max_limit} 之间", field="limit")
    total = len(qs) if isinstance(qs, list) else qs.count()  # a list: rows computed in Python (the poverty monitor)
    return list(qs[offset: offset + limit]), {"total": total, "offset": offset, "limit": limit}


def _field_of(error: dict) -> str | None:
    loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload")]
    return ".".join(loc) or None


# pydantic's error types in Chinese; {…} are filled from the error's ctx. Anything not listed keeps a
# generic Chinese sentence (the English original stays in details[].type for the developer).
ERROR_MESSAGES = {
    "missing": "必须填写",
    "string_too_long": "最长 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "string_type": "应为文本",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字（整数或文本形式的小数）",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_max_digits": "最多 {max_digits} 位数字",
    "decimal_whole_digits": "整数部分位数过多（最多 {whole_digits} 位）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "int_parsing_size": "整数超出范围",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期（不含时间），格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "应为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "datetime_from_date_parsing": "应为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "datetime_type": "应为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "model_type": "应为对象",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "extra_forbidden": "不是可接受的字段",
    "string_pattern_mismatch": "格式不正确",
}


def chinese_message(error: dict) -> str:
    """One pydantic error as a Chinese phrase (without the field name)."""
    template = ERROR_MESSAGES.get(error.get("type", ""))
    if template is None:
        return "不符合要求"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("：（ ") or "不符合要求"


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="nrcms 新农合信息系统 API",
        version="1",
        description="县级新型农村合作医疗信息系统的 JSON 接口。页面使用会话登录；医院等机器客户端使用 Bearer 令牌。"
        "所有错误返回 {code, message, field, details}。",
        renderer=ChineseJSONRenderer(),
        auth=SIGNED_IN,  # each router narrows it to the capability its pages require (api/auth.py)
        urls_namespace="api",
        docs=LocalSwagger(),  # Swagger UI from our static files, not a CDN (closed county networks)
        docs_decorator=api_docs_guard,
    )

    @api.exception_handler(NrcmsError)
    def nrcms_error(request, exc: NrcmsError):
        response = api.create_response(request, exc.as_dict(), status=exc.status)
        if getattr(exc, "retry_after", None):  # 429: when the client may try again
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        details = [{"field": _field_of(e), "message": f"字段“{_field_of(e) or '请求体'}”{chinese_message(e)}",
                    "type": e.get("type", "")} for e in exc.errors]
        first = details[0] if details else {"field": None, "message": "请求数据不符合要求"}
        more = f"（另有 {len(details) - 1} 处，见 details）" if len(details) > 1 else ""
        body = {"code": "invalid", "message": f"请求数据不符合要求：{first['message']}{more}",
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
        message = str(exc)
        if message.startswith("Cannot parse request body"):  # ninja's words for a body that is not JSON
            message = "请求体不是有效的 JSON，无法解析"
        body = {"code": "http_error", "message": message, "field": None, "details": []}
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):
        # Django's limits on a request (too many fields or files) met where the operation reads its body
        return api.create_response(request, status_error(400).as_dict(), status=400)

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        # a body over DATA_UPLOAD_MAX_MEMORY_SIZE that the middleware left for the operation (not JSON)
        return api.create_response(request, too_large_error().as_dict(), status=400)

    @api.exception_handler(DataError)
    @api.exception_handler(OverflowError)
    def database_refused(request, exc):
        # Schemas limit every field to its column; this is the net under a field someone forgot.
        log.warning("input the database refused on %s", request.path, exc_info=exc)
        body = {"code": "invalid", "message": "提交的内容超出允许的长度或范围（例如文字过长、数字过大），请检查后重新提交",
                "field": None, "details": []}
        return api.create_response(request, body, status=400)

    @api.exception_handler(Exception)
    def server_error(request, exc):
        """Anything unexpected: logged with its traceback, answered in the one error shape, never HTML."""
        log.exception("unexpected error in %s %s", request.method, request.path, exc_info=exc)
        body = {"code": "server_error", "message": SERVER_ERROR, "field": None, "details": []}
        return api.create_response(request, body, status=500)

    return api

"""One application error type. Expected refusals in the benefit engine are results, not exceptions;
this is for everything a service refuses: bad input, a broken rule, a missing object, a forbidden act.
The API and the pages turn it into one answer shape: code, Chinese message, field."""

from __future__ import annotations


class NrcmsError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field, "details": self.details}


class ValidationFailed(NrcmsError):
    status = 422


class NotFound(NrcmsError):
    status = 404

    def __init__(self, what: str, key: object):
        super().__init__("not_found", f"未找到{what}：{key}（或不在您的管辖范围内）")


class Forbidden(NrcmsError):
    status = 403

    def __init__(self, message: str = "您的角色无权执行此操作", code: str = "forbidden"):
        super().__init__(code, message)


class Conflict(NrcmsError):
    status = 409

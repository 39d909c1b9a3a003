"""Who may call an operation: authentication (an API token or the page session) and, in the same step, the
capability the operation's page requires. Each router declares it (`Router(auth=requires(Cap.X))`, an
operation overrides with its own `auth=`), so the route × role table is the code itself; the check runs
before the request body is read, so a role without the capability gets 403 whatever it sends.
tests/api/test_route_capabilities.py walks every operation × every role against these declarations."""

from __future__ import annotations

from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from nrcms.accounts.roles import CAP_LABELS
from nrcms.accounts.services import api_token_user, token_hash
from nrcms.core.errors import Forbidden


def _allowed(user, capabilities: tuple[str, ...]):
    """The user, or Forbidden naming what the operation needs. No capabilities: any signed-in account."""
    if user is None or not capabilities or any(user.can(cap) for cap in capabilities):
        return user
    needed = "或".join(f"“{CAP_LABELS.get(cap, cap)}”" for cap in capabilities)
    raise Forbidden(f"您的角色（{user.get_role_display()}）无权调用此接口：需要{needed}权限")


class TokenAuth(HttpBearer):
    """`Authorization: Bearer nr_...` for machine clients such as hospital systems."""

    openapi_description = "机器客户端（如医院信息系统）使用的 API 令牌"

    def __init__(self, *capabilities: str):
        super().__init__()
        self.capabilities = capabilities

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
            request.api_token_key = token_hash(token)[:32]  # whom per-token limits count (never the key itself)
        return _allowed(user, self.capabilities)


class SessionAuth(NinjaSessionAuth):
    """The page session (with its CSRF check on writes), and the same capability check."""

    def __init__(self, *capabilities: str, csrf: bool = True):
        super().__init__(csrf=csrf)
        self.capabilities = capabilities

    def authenticate(self, request, key):
        return _allowed(super().authenticate(request, key), self.capabilities)


def requires(*capabilities: str) -> list:
    """The auth of an operation open to roles holding any one of `capabilities` (none: any signed-in user)."""
    return [TokenAuth(*capabilities), SessionAuth(*capabilities)]


def capabilities_of_operation(operation) -> tuple[str, ...] | None:
    """What an operation declared (None: it declared nothing, which tests/api refuses)."""
    for callback in operation.auth_callbacks or ():
        if isinstance(callback, TokenAuth | SessionAuth):
            return callback.capabilities
    return None


SIGNED_IN = requires()  # any signed-in account: its own profile, nothing about others

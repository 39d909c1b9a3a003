"""Issue #10: every API route × every role. Each operation declares the capability its pages require
(nrcms/api/auth.py: `Router(auth=requires(Cap.X))` or the operation's own `auth=`); here every role without
it must get 403 and every role with it must not, whatever the request carries. The table is the code: an
operation that declares nothing fails here, and so does one whose service refuses a role the route admits."""

from __future__ import annotations

import re

import pytest

from nrcms.accounts.roles import CAPABILITIES, Role
from nrcms.api.auth import capabilities_of_operation
from nrcms.api.urls import api

pytestmark = pytest.mark.django_db
# Open to any signed-in account: only what concerns the account itself.
ANY_SIGNED_IN = {("GET", "/api/me"), ("GET", "/api/password-policy"), ("GET", "/api/me/two-factor")}  # the rules a new password must meet
# Open to anyone WITHOUT login (auth=None): the published disclosure lists (公示) for a township's WeChat page,
# masked, with no search (nrcms/disclosure/api.py), and the public's complaint intake and progress by the exact
# tracking code (nrcms/complaints/api.py) — both rate-limited per client address. Nothing else may join this list.
PUBLIC = {("GET", "/api/public/disclosures/townships"), ("GET", "/api/public/disclosures/villages"),
          ("GET", "/api/public/disclosures/months"), ("GET", "/api/public/disclosures"),
          ("POST", "/api/public/complaints"), ("GET", "/api/public/complaints/{code}")}
PARAM = re.compile(r"\{[^}]+\}")


def _operations() -> list[tuple[str, str, object]]:
    ops = []
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                url = "/api/" + "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
                for method in operation.methods:
                    ops.append((method, url, operation))
    return ops


OPERATIONS = _operations()


def test_the_walk_finds_every_operation_of_the_schema():
    schema = api.get_openapi_schema()
    in_schema = sum(len(methods) for methods in schema["paths"].values())
    assert len(OPERATIONS) == in_schema and in_schema > 90


@pytest.mark.parametrize(("method", "url", "operation"), OPERATIONS, ids=[f"{m} {u}" for m, u, _ in OPERATIONS])
def test_every_operation_declares_a_capability(method, url, operation):
    if (method, url) in PUBLIC:
        assert not operation.auth_callbacks, f"{method} {url} 在公开名单中，却声明了登录要求"
        return
    assert operation.auth_callbacks, f"{method} {url} 无需登录即可调用：只有 PUBLIC 名单中的公众接口可以这样"
    declared = capabilities_of_operation(operation)
    assert declared is not None, f"{method} {url} 没有声明所需权限（requires(Cap.…)）"
    if not declared:
        assert (method, url) in ANY_SIGNED_IN, f"{method} {url} 对任何登录用户开放：请声明其页面所需的权限"


def _users(demo) -> dict[str, object]:
    """One demo account per role."""
    users = {}
    for user in demo.values():
        users.setdefault(user.role, user)
    assert set(users) == set(Role.values)
    return users


@pytest.mark.parametrize(("method", "url", "operation"), OPERATIONS, ids=[f"{m} {u}" for m, u, _ in OPERATIONS])
def test_roles_without_the_capability_get_403_and_roles_with_it_do_not(client, demo, method, url, operation):
    declared = capabilities_of_operation(operation) or ()
    if (method, url) in PUBLIC:
        declared = ()  # everybody, signed in or not
    target = PARAM.sub("999999", url)
    wrong = []
    for role, user in _users(demo).items():
        client.force_login(user)
        if method == "GET":
            response = client.get(target)
        else:
            response = client.generic(method, target, "{}", content_type="application/json")
        allowed = not declared or bool(CAPABILITIES[role] & set(declared))
        if allowed == (response.status_code == 403):
            wrong.append((role, response.status_code, response.content.decode()[:160]))
        if response.status_code == 403:
            body = response.json()
            assert body["code"] == "forbidden" and set(body) == {"code", "message", "field", "details"}
    assert not wrong, f"{method} {url} 声明 {declared}：{wrong}"


def test_contribution_receipts_with_names_and_id_numbers_need_the_collecting_capability(client, login, demo):
    """Was: any role with a county jurisdiction (auditor, finance, the director …) listed every receipt."""
    for username in ("auditor", "finance", "director", "reviewer", "committee"):
        login(username)
        response = client.get("/api/funding/contributions")
        assert response.status_code == 403, username
        assert "收缴个人缴费" in response.json()["message"]
    login("ganting")
    assert client.get("/api/funding/contributions").status_code == 200
    login("civil")  # 民政 pays on behalf of 五保/特困/低保 members: the page lets it, so does the API
    assert client.get("/api/funding/contributions").status_code == 200

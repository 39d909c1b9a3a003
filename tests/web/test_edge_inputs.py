"""Hostile input at the edge, everywhere: every page of the URLconf and every operation of the API's OpenAPI
is called with non-numbers where numbers belong, NUL bytes, text longer than any column and numbers too big for
any column. None of it may answer 500; pages answer in Chinese (web/error.html or the form with its errors),
the API answers its one error shape {code, message, field, details}.

The walk is generated from the URLconf and the OpenAPI document, so a new page or operation is covered the day
it is added. Run it on PostgreSQL too: only PostgreSQL refuses NUL bytes and enforces column lengths."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
NUL = "a\x00b"
LONG = "长" * 3000
HUGE = str(10**30)
NOT_A_NUMBER = "2026年"
BAD_VALUES = (NOT_A_NUMBER, NUL, LONG, HUGE, "-1", "2026-13-45")
# Query parameters some page reads; each page is also asked with the ones its own source mentions.
COMMON_PARAMS = ("year", "page", "offset", "limit", "month", "date_from", "date_to", "q", "export")
# The users the walk tries, in order; each page is walked as the first of them who may open it.
USERS = ("director", "reviewer", "admin", "ganting", "finance", "auditor", "desk_county")
SKIP_PAGES = {"logout"}  # logging out mid-walk would walk the rest as nobody


def _patterns(resolvers=None, prefix=""):
    """(route, name, callback) for every page of the URLconf, the API excepted (walked from its OpenAPI)."""
    for entry in (resolvers if resolvers is not None else get_resolver().url_patterns):
        route = prefix + str(entry.pattern)
        if route.startswith("api/"):
            continue
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name not in SKIP_PAGES:
            yield route, entry.name, entry.callback


def _samples():
    """One real object per URL keyword, so that detail pages are reached with their query parameters."""
    from nrcms.accounts.models import User
    from nrcms.claims.models import Episode, ManualClaim, Referral, Settlement
    from nrcms.facilities.models import Facility
    from nrcms.funding.models import Contribution
    from nrcms.payments.models import DailyReconciliation, FacilityStatement
    from nrcms.registry.models import Household, ImportJob, Person, Region

    def first(model, attr="pk"):
        obj = model.objects.order_by("pk").first()
        return str(getattr(obj, attr)) if obj else "1"

    return {
        "households": first(Household), "persons": first(Person), "episodes": first(Episode),
        "settlements": first(Settlement), "contributions": first(Contribution),
        "statements": first(FacilityStatement), "reconciliation": first(DailyReconciliation),
        "import": first(ImportJob), "manual": first(ManualClaim, "number"), "referrals": first(Referral, "number"),
        "facilities": "H610125001", "regions": first(Region, "code"), "users": "yuxia",
        "any": Facility.objects.order_by("pk").first().code, "user": User.objects.first().username,
    }


def _fill(route: str, samples: dict, bad: str | None = None) -> str:
    """The route with its converters filled: a real object's key (the segment before names it), or `bad`."""
    parts = route.split("/")
    for i, part in enumerate(parts):
        match = re.fullmatch(r"<(?:(\w+):)?(\w+)>(.*)", part)
        if match:
            value = bad if bad is not None else samples.get(parts[i - 1] if i else "", samples["any"])
            parts[i] = value + match.group(3)
    return "/" + "/".join(parts)


class _Forms(HTMLParser):
    """The POST forms of a page: action, field names with their values, and the submit buttons' actions."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "submits": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            if tag == "button" or a.get("type") == "submit":
                self._form["submits"].append((a["name"], a.get("value") or ""))
            elif a.get("type") not in ("file", "checkbox", "radio"):
                self._form["fields"][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _post_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _problem(response, what: str, api: bool) -> str | None:
    status = response.status_code
    if getattr(response, "streaming", False):  # a file (favicon, streamed export): only its status matters
        return f"{what} → {status}" if status >= 400 else None
    body = response.content.decode("utf-8", "replace")
    brief = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body)).strip()[:100]
    if status >= 500:
        return f"{what} → {status}: {brief}"
    if api and status >= 400:
        try:
            data = json.loads(body)
        except ValueError:
            return f"{what} → {status} without JSON: {body[:120]}"
        if set(data) != {"code", "message", "field", "details"} or not CHINESE.search(data["message"] or ""):
            return f"{what} → {status} not the error shape in Chinese: {body[:160]}"
    elif status >= 400 and not CHINESE.search(body):
        return f"{what} → {status} without a Chinese message: {brief}"
    return None


def _report(problems: list[str]) -> None:
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} answers were wrong:\n" + "\n".join(unique[:3000])


@pytest.fixture
def walker(client, login):
    client.raise_request_exception = False  # collect every 500, not only the first
    problems: list[str] = []

    def check(response, what, api=False):
        problem = _problem(response, what, api)
        if problem:
            problems.append(problem)

    return client, login, check, problems


def _params_of(callback) -> set[str]:
    """The query and form parameters a view's own source reads."""
    import inspect

    func = getattr(callback, "view_class", None) or callback
    func = inspect.unwrap(func)
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"""(?:GET|POST|\bg|\bp|\bpost)(?:\.get|\.getlist)?[(\[]["'](\w+)["']""", source))


def _unlock_everyone() -> None:
    from nrcms.accounts.models import LoginAttempt, User

    User.objects.update(is_active=True)
    LoginAttempt.objects.all().delete()


SHARDS = 8  # the walk is split so that parallel test workers share it (each shard walks every 8th page)


def _assign_users(client, login, samples, shard: int = 0) -> dict[str, list]:
    """Each page of the shard with the first user who may open it (a page nobody may open is walked as the last
    user)."""
    pending = [p for i, p in enumerate(_patterns()) if i % SHARDS == shard]
    by_user: dict[str, list] = {}
    for username in USERS:
        login(username)
        rest = []
        for route, name, callback in pending:
            status = client.get(_fill(route, samples)).status_code
            (by_user.setdefault(username, []) if status in (200, 302, 405) else rest).append((route, name, callback))
        pending = rest
    by_user.setdefault(USERS[-1], []).extend(pending)
    return by_user


def _is_file(response) -> bool:
    kind = response.get("Content-Type", "")
    return response.status_code == 200 and ("application/pdf" in kind or "spreadsheet" in kind)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_page_survives_hostile_input(walker, shard):
    client, login, check, problems = walker
    samples = _samples()
    for username, pages in _assign_users(client, login, samples, shard).items():
        _unlock_everyone()  # the walk posts every form, the users page's deactivate buttons too
        login(username)
        for route, _name, callback in pages:
            url = _fill(route, samples)
            # A file (PDF, Excel) is walked with the parameters its view reads; the list parameters shared by pages
            # (page, q, export, …) mean nothing to it, and each request would only draw the same file again.
            common = () if _is_file(client.get(url)) else COMMON_PARAMS
            for param in sorted(set(common) | _params_of(callback)):
                for value in BAD_VALUES:
                    check(client.get(url, {param: value}), f"{username} GET {url}?{param}={value[:12]!r}")
                    if param == "year":
                        check(client.get(url, {param: value, "export": "xlsx"}), f"GET {url}?export&year")
            if "<" in route:
                for value in (NUL, HUGE, "%00", LONG[:300]):
                    check(client.get(_fill(route, samples, bad=value)), f"{username} GET {route} with {value[:8]!r}")
            page = client.get(url)
            forms = (_post_forms(page.content.decode("utf-8", "replace"))
                     if page.status_code == 200 and not getattr(page, "streaming", False) else [])
            for form in forms or [{"action": "", "fields": dict.fromkeys(_params_of(callback), ""), "submits": []}]:
                target = form["action"] or url
                if target.startswith("/logout/"):
                    continue
                for submit in form["submits"] or [None]:
                    for value in (NUL, LONG, NOT_A_NUMBER, HUGE):
                        data = dict.fromkeys(form["fields"], value)
                        if submit:
                            data[submit[0]] = submit[1]
                        check(client.post(target, data), f"{username} POST {target} {submit} with {value[:8]!r}")
    _report(problems)


def test_login_refuses_overlong_and_nul_usernames_in_chinese(client, demo):
    client.raise_request_exception = False
    for username in ("x" * 151, NUL, LONG):
        response = client.post("/login/", {"username": username, "password": "whatever-it-is"})
        assert response.status_code in (200, 400), response.content[:300]
        assert CHINESE.search(response.content.decode())


# ---------------------------------------------------------------------------------------------------- the API

def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
        return _resolve(schema, spec)
    if "allOf" in schema:
        return _resolve(schema["allOf"][0], spec)
    return schema


def _example(schema: dict, spec: dict, bad: dict | None, depth: int = 0):
    """A body for the schema: plausible values, with every leaf of a type in `bad` replaced by the bad value."""
    schema = _resolve(schema, spec)
    kind = schema.get("type")
    fmt = schema.get("format", "")
    key = fmt if fmt in ("date", "date-time") else kind
    if bad and key in bad:
        return bad[key]
    if kind == "object" or "properties" in schema:
        return {name: _example(sub, spec, bad, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}), spec, bad, depth + 1)] if depth < 4 else []
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": 1, "number": "1.00", "boolean": False, "string": {"date": "2026-03-01"}.get(fmt, "x")}.get(
        kind, "x")


BODY_ATTACKS = (
    {"string": NUL}, {"string": LONG}, {"integer": 10**30, "number": HUGE}, {"integer": NOT_A_NUMBER},
    {"number": "1e400"}, {"date": NOT_A_NUMBER, "date-time": NOT_A_NUMBER},
)


def _query_attacks(param: dict, spec: dict) -> tuple:
    schema = _resolve(param.get("schema", {}), spec)
    if schema.get("type") in ("integer", "number"):
        return (NOT_A_NUMBER, HUGE, "-1", NUL)
    return (NUL, LONG, NOT_A_NUMBER, "2026-13-45")


def test_every_api_operation_survives_hostile_input(walker):
    from nrcms.api.urls import api

    client, login, check, problems = walker
    spec = api.get_openapi_schema()
    samples = _samples()
    login("director")
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            url = re.sub(r"\{(\w+)\}", lambda m: samples["any"] if "code" in m.group(1) else "1", path)
            call = getattr(client, method)
            for param in params:
                for value in _query_attacks(param, spec):
                    if param["in"] == "path":
                        target = path.replace("{" + param["name"] + "}", value.replace("\x00", "%00")[:300])
                        target = re.sub(r"\{(\w+)\}", "1", target)
                        check(call(target), f"{method.upper()} {target[:80]}", api=True)
                    elif param["in"] == "query":
                        check(call(f"{url}?{urlencode({param['name']: value})}"),
                              f"{method.upper()} {url}?{param['name']}={value[:12]!r}", api=True)
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for attack in BODY_ATTACKS:
                    payload = json.dumps(_example(body["schema"], spec, attack), ensure_ascii=False)
                    check(call(url, payload, content_type="application/json"),
                          f"{method.upper()} {url} body {attack}", api=True)
                check(call(url, '{"a": "\\u0000"', content_type="application/json"), f"{url} broken JSON", api=True)
    for path in ("/api/no-such-thing", "/api/regions/%00/", "/api/registry/households/" + HUGE):
        check(client.get(path), f"GET {path}", api=True)
    _report(problems)


def test_an_unexpected_error_in_the_api_answers_the_error_shape(client, login, monkeypatch):
    from nrcms.accounts import selectors

    def boom(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "region_list", boom)
    client.raise_request_exception = False
    login("director")
    response = client.get("/api/regions")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error" and "服务器内部错误" in response.json()["message"]


# ------------------------------------------------------------------------------------------ the param helper

def test_year_param_names_the_field_and_the_rule():
    from nrcms.core.errors import NrcmsError
    from nrcms.web.params import year_param

    assert year_param({"year": " 2025 "}, default=2026) == 2025
    assert year_param({}, default=2026) == 2026
    for text in (NOT_A_NUMBER, HUGE, "１２３４", "1899", "-202"):
        with pytest.raises(NrcmsError) as refused:
            year_param({"year": text}, default=2026)
        assert refused.value.field == "year" and "年度" in refused.value.message


def test_int_and_date_params_refuse_what_is_not_a_number_or_a_day():
    from nrcms.core.errors import NrcmsError
    from nrcms.web.params import INT_MAX, date_param, int_param

    assert int_param({"page": "3"}, "page", "页码") == 3
    assert int_param({"page": ""}, "page", "页码", default=1) == 1
    for text in ("3.5", "abc", str(INT_MAX + 1), "9" * 5000):
        with pytest.raises(NrcmsError) as refused:
            int_param({"page": text}, "page", "页码")
        assert refused.value.field == "page" and "页码" in refused.value.message
    assert str(date_param({"d": "2026-03-01"}, "d", "日期")) == "2026-03-01"
    for text in ("2026-02-30", "2026-3-1", NOT_A_NUMBER):
        with pytest.raises(NrcmsError, match="YYYY-MM-DD"):
            date_param({"d": text}, "d", "日期")

"""The published API description: every schema name stands for one shape, the document is valid OpenAPI,
and every coded field lists its codes (from the models' TextChoices) in the schema and in the refusal."""

import json
import typing
from collections import defaultdict

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from nrcms.api.urls import api
from nrcms.funding.models import PayerKind
from nrcms.registry.models import Relation

pytestmark = pytest.mark.django_db

# Field and parameter names that always hold a code. A new field of one of these names must be declared with
# nrcms.api.choices.coded / coded_query, so that the schema lists its codes.
CODED_NAMES = {"kind", "status", "relation", "payer_kind", "level", "sex", "role", "catalogue_class", "result",
               "edition", "episode_kind", "category", "reason_code"}


def _models_in(annotation, found: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, found)


def operation_schemas() -> dict[str, set[type]]:
    """Every schema class reachable from the routers' operations (inputs and responses), by name."""
    found: set[type] = set()
    for _, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models_in(model, found)
                if isinstance(operation.response_models, dict):
                    for model in operation.response_models.values():
                        _models_in(model, found)
    by_name: dict[str, set[type]] = defaultdict(set)
    for cls in found:
        if cls.__module__.startswith("nrcms."):
            by_name[cls.__name__].add(cls)
    return by_name


@pytest.fixture(scope="module")
def spec():
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def test_no_two_schema_classes_share_a_name():
    by_name = operation_schemas()
    assert len(by_name) > 50
    shared = {name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
              for name, classes in by_name.items() if len(classes) > 1}
    assert shared == {}


def test_each_published_schema_has_the_shape_of_its_one_class(spec):
    by_name = operation_schemas()
    components = spec["components"]["schemas"]
    ours = {name: schema for name, schema in components.items() if name in by_name}
    assert len(ours) == len(by_name)
    for name, schema in ours.items():
        assert len(by_name[name]) == 1, f"{name} stands for {by_name[name]}"
        (cls,) = by_name[name]
        expected = {field.alias or field_name for field_name, field in cls.model_fields.items()}
        assert set(schema["properties"]) == expected, name


def test_the_published_document_is_valid_openapi(client, spec):
    validate(spec)
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.json()["components"]["schemas"].keys() == spec["components"][
        "schemas"].keys()


def _enum_of(schema: dict) -> list | None:
    if "enum" in schema:
        return schema["enum"]
    for option in schema.get("anyOf", []):
        if "enum" in option:
            return option["enum"]
    return None


def test_every_coded_field_and_filter_lists_its_codes_with_their_labels(spec):
    missing = []
    for name, schema in spec["components"]["schemas"].items():
        for prop, details in schema.get("properties", {}).items():
            if prop in CODED_NAMES and _enum_of(details) is None:
                missing.append(f"{name}.{prop}")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["name"] in CODED_NAMES and _enum_of(param["schema"]) is None:
                    missing.append(f"{method.upper()} {path}?{param['name']}")
                if param["name"] in CODED_NAMES:
                    assert "可选值：" in param["description"], (path, param["name"])
    assert missing == []
    relation = spec["components"]["schemas"]["PersonIn"]["properties"]["relation"]
    assert relation["enum"] == Relation.values
    assert "head = 户主" in relation["description"] and "spouse = 配偶" in relation["description"]
    payer = spec["components"]["schemas"]["ContributionIn"]["properties"]["payer_kind"]
    assert payer["enum"] == PayerKind.values and "cadre_advance = 干部垫付" in payer["description"]
    exemption = spec["components"]["schemas"]["EnrollIn"]["properties"]["exemptions"]
    assert exemption["additionalProperties"]["prefixItems"][0]["enum"][0] == "employee_insurance"
    member_kind = spec["components"]["schemas"]["MemberIn"]["properties"]["kind"]
    assert member_kind["enum"] == ["birth", "marriage_in", "move_in"]


def test_a_wrong_code_is_refused_naming_the_field_and_every_allowed_code(client, login):
    login("ganting")
    payload = {"region_code": "610125100201001", "head": {"name": "王一", "id_number": "610125196203140011"},
               "members": [{"name": "王二", "id_number": "610125196507020022", "relation": "wife"}]}
    response = client.post("/api/registry/households", payload, content_type="application/json")
    error = response.json()
    assert response.status_code == 422 and error["field"] == "members.0.relation"
    expected = "、".join(f"{code}（{label}）" for code, label in Relation.choices)
    assert error["details"][0]["message"] == f"字段“members.0.relation”应为以下之一：{expected}"
    assert error["message"].startswith("请求数据不符合要求：字段“members.0.relation”应为以下之一：head（户主）、spouse（配偶）")
    response = client.get("/api/registry/persons?status=alive")
    assert response.status_code == 422 and response.json()["field"] == "status"
    assert "active（在册）、deceased（死亡）、moved_out（迁出本县）" in response.json()["message"]


def test_every_operation_declares_every_refusal_the_api_can_answer_with(spec, client, login):
    """The API's shared handlers answer any route with 400 (a refused value, a body that is not JSON, a NUL),
    401, 403, 404, 409 or 422 in the one error shape: each operation's description must say so, or a client
    generated from it (and Schemathesis) meets status codes it was never told about."""
    undeclared = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "409", "422"):
                content = operation["responses"].get(status, {}).get("content", {})
                ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if ref != "#/components/schemas/ErrorOut":
                    undeclared.append(f"{method.upper()} {path} {status}")
    assert undeclared == []
    login("reviewer")  # one of the routes that did not declare 400 though paging refuses with it
    response = client.get("/api/regions?limit=100000")
    assert response.status_code == 400 and response.json()["field"] == "limit"

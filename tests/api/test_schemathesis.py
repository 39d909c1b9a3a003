"""Schemathesis over the whole published API, as three roles: every operation, valid and invalid input, must
answer without a server error and exactly as its OpenAPI description says (status code, content type, body).

The schema is loaded from the Django WSGI application (no server); the requests run in-process on the test's
own database connection, inside the test's transaction, so whatever a POST writes is rolled back when the
test (one operation × one role) ends and nothing leaks into the next. Within one test the examples do see each
other's writes (one registers an admission, the next settles it); they are derandomized, so the sequence, and
so the state each request meets, is the same on every run and on every worker. PostgreSQL's sequences are not
rolled back, but no answer the checks look at depends on an id's value.

Not covered here: requests without a token (every operation's 401 is declared and tested in test_openapi.py and
test_api.py), and bodies larger than the upload limit (test_api.py), which Schemathesis does not generate.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nrcms.accounts.services import api_token_create
from nrcms.core.errors import NrcmsError

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

# One account of each kind of caller: the county office (sees everything, manages the scheme), a township
# (its own residents only) and a hospital desk (its own facility only). Each calls with its own API token.
ROLES = {"county_reviewer": "reviewer", "township_clerk": "ganting", "hospital_desk": "desk_county"}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Per operation, role and mode (valid / invalid input). Enough to reach every branch of input validation on
# each route, few enough that 99 operations × 3 roles × 2 modes stay within a few minutes on 2 cores.
MAX_EXAMPLES = int(os.environ.get("NRCMS_FUZZ_EXAMPLES", "10"))

# The coverage phase (~3,500 deterministic cases over the whole API) for these roles only: the county reviewer
# reaches the most routes; the other two roles would repeat the same refusals of bad input.
COVERAGE_ROLES = os.environ.get("NRCMS_FUZZ_COVERAGE_ROLES", "county_reviewer").split(",")

FIGURES: Counter = Counter()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Django closes "old" connections when a request starts and finishes; inside the test's transaction that
    would poison it. The test client switches this off for its requests; the WSGI transport needs the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def print_figures():
    yield
    if FIGURES:
        print("\nschemathesis:", dict(sorted(FIGURES.items())))
        if os.environ.get("NRCMS_FUZZ_FIGURES"):  # a directory: one JSON per xdist worker, for the figures
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(os.path.join(os.environ["NRCMS_FUZZ_FIGURES"], f"{worker}.json"), "w") as out:
                json.dump(FIGURES, out)


def _known(model, field: str, **filters) -> list:
    return [str(value) for value in model.objects.filter(**filters).order_by("-pk").values_list(field, flat=True)[:25]]


def known_identifiers(user) -> dict[tuple[str, str], list[str]]:
    """Identifiers that exist in the demo county, by (path prefix, path parameter): random strings would only
    ever meet 404, so valid input half of the time names a real household, admission, statement, … and goes on
    into the services. Some are outside the caller's jurisdiction (404 again, by design)."""
    from nrcms.accounts.models import ApiToken, User
    from nrcms.claims.models import ChargeLine, Episode, ManualClaim, Referral, Settlement
    from nrcms.facilities.models import ChargeMapping, DesignationChange, Facility
    from nrcms.funding.models import Contribution
    from nrcms.payments.models import FacilityStatement, StatementDeduction
    from nrcms.registry.models import Household, ImportJob, Person, PersonCategory, Region

    own = {"facility_id": user.facility_id} if user.facility_id else {}
    own_settled = {"episode__facility_id": user.facility_id} if user.facility_id else {}
    return {
        ("/api/users/", "username"): _known(User, "username"),
        ("/api/tokens/", "token_id"): _known(ApiToken, "pk"),
        ("/api/regions/", "code"): _known(Region, "code"),
        ("/api/facilities/", "code"): _known(Facility, "code"),
        ("/api/facilities/", "change_id"): _known(DesignationChange, "pk"),
        ("/api/facilities/", "mapping_id"): _known(ChargeMapping, "pk"),
        ("/api/registry/households/", "pk"): _known(Household, "pk"),
        ("/api/registry/persons/", "pk"): _known(Person, "pk"),
        ("/api/registry/persons/", "category_id"): _known(PersonCategory, "pk"),
        ("/api/registry/imports/", "pk"): _known(ImportJob, "pk"),
        ("/api/funding/contributions/", "receipt"): _known(Contribution, "receipt_number"),
        ("/api/desk/episodes/", "serial"): _known(Episode, "serial", **own) + _known(Episode, "serial"),
        ("/api/desk/episodes/", "line_no"): _known(ChargeLine, "line_no"),
        ("/api/desk/settlements/", "number"): _known(Settlement, "number", **own_settled) + _known(Settlement, "number"),
        ("/api/manual-claims/", "number"): _known(ManualClaim, "number"),
        ("/api/referrals/", "number"): _known(Referral, "number"),
        ("/api/payments/statements/", "number"): _known(FacilityStatement, "number"),
        ("/api/payments/statements/", "deduction_id"): _known(StatementDeduction, "pk"),
    }


def _run(operation, mode: GenerationMode, key: str, known: dict, failures: dict) -> None:
    choices = {name: values for (prefix, name), values in known.items()
               if operation.path.startswith(prefix) and values and f"{{{name}}}" in operation.path}

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def fuzz(case, data):
        if mode is GenerationMode.POSITIVE:
            for name, values in choices.items():
                if data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(values))
        _call_and_check(case, key, failures)

    if mode is GenerationMode.NEGATIVE and not _has_input(operation):
        return  # nothing to get wrong: no parameter, no body, no credentials (the public disclosure's townships)
    fuzz()


def _has_input(operation) -> bool:
    """Whether invalid input can be made for the operation: a parameter, a body or a security requirement."""
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody") or definition.get("security"))


def _run_coverage(operation, key: str, failures: dict) -> None:
    """Schemathesis's coverage phase: for each parameter and body field, its boundary values and the ways to get
    it wrong (missing, wrong type, too long, out of range, not in the enum), deterministic, no Hypothesis."""
    generator = CoverageGenerator(
        operation=operation, generation_modes=list(GenerationMode), auth_storage=None, override=Override(),
        generation_config=SCHEMA.config.generation_for(operation=operation, phase="coverage"), feedback=NO_FEEDBACK)
    for case in generator:
        _call_and_check(case, key, failures)


def _call_and_check(case, key: str, failures: dict) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
    response = case.call()
    FIGURES["requests"] += 1
    FIGURES[f"status {response.status_code // 100}xx"] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        for failure in group.exceptions:
            _collect(failure, case, response, failures)
    except Failure as failure:
        _collect(failure, case, response, failures)


def _collect(failure: Failure, case, response, failures: dict) -> None:
    key = (type(failure).__name__, failure.title)
    if key not in failures:
        failures[key] = (f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:300]}"
                         f" → {response.status_code} {response.text[:400]}\n    {failure.message[:600]}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_answers_as_described(operation, role, demo):
    user = demo[ROLES[role]]
    _, key = api_token_create(actor=None, user=user, name="schemathesis")
    known = known_identifiers(user)
    failures: dict = {}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _run(operation, mode, key, known, failures)
    if role in COVERAGE_ROLES:
        _run_coverage(operation, key, failures)
    FIGURES["operations × roles"] += 1
    for kind, _ in failures:
        FIGURES[f"failed {kind}"] += 1
    assert not failures, "\n".join(f"{kind}: {title}\n  {example}" for (kind, title), example in failures.items())


@pytest.mark.parametrize("fault, kind", [(RuntimeError("boom"), "ServerError"),
                                         (type("Teapot", (NrcmsError,), {"status": 418})("x", "茶壶"),
                                          "UndefinedStatusCode")])
def test_the_harness_reports_a_server_error_and_an_undeclared_status(monkeypatch, demo, fault, kind):
    """The fuzzing above is only worth its green if it would go red: a route that fails, or that answers a
    status its description does not declare, is reported."""
    from nrcms.accounts import selectors

    def broken(user):
        raise fault

    monkeypatch.setattr(selectors, "jurisdiction_of", broken)
    (operation,) = [op for op in OPERATIONS if op.label == "GET /api/me"]
    _, key = api_token_create(actor=None, user=demo["reviewer"], name="schemathesis")
    failures: dict = {}
    _run(operation, GenerationMode.POSITIVE, key, {}, failures)
    assert kind in {found for found, _ in failures}

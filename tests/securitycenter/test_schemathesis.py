"""Schemathesis against the live OpenAPI schema, once for each kind of caller.

Every operation of `/api/schema/` is called with generated requests, valid and invalid, as each kind of
caller of the access matrix (`tests/support/world.py`). A case fails on any 5xx, on a response that does
not match the schema (every response body is closed, so an undeclared member fails), on a wrong content
type, on an invalid request accepted, and on ignored authentication: for the callers an operation is for,
the same request without its credentials and with made-up ones must be refused; the callers it is not for
must never get a 2xx.

Bounded: the operation's own caller (the customer, the agent, the payment core; nobody for sign-in) gets
schemathesis' coverage phase (boundary values of each parameter and member, and unexpected methods) and
`EXAMPLES_FOR_ITS_CALLER` random cases; every other caller `EXAMPLES_FOR_OTHERS` random cases. The figures
of a run (`SCHEMATHESIS_STATS`) are printed at the end of the module, for docs/reliability.md.
"""

import random
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
)

from locks.authorizations import context as authorizations_context
from locks.authorizations.views import key_cache_clear
from tests.support.world import CALLERS, PATH_VALUES, http_headers, world_build

EXAMPLES_FOR_ITS_CALLER = 12
EXAMPLES_FOR_OTHERS = 3

# For the callers an operation is for: the coverage phase (boundary values of every parameter and body
# member, valid and not, and unexpected methods) and random cases. For the others: random cases only.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
door_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}}),
)

# Which callers an operation is for, from its tag ("customer: locks"); an operation without security is
# for anybody.
CALLERS_OF = {
    "customer": {"customer", "other_customer"},
    "agent": {"agent", "supervisor"},
    "payment core": {"service"},
}
SCHEMATHESIS_STATS: Counter[str] = Counter()


def callers_of(operation):
    if not operation.definition.raw.get("security"):
        return set(CALLERS)
    return CALLERS_OF[operation.definition.raw["tags"][0].split(":")[0]]


def primary_caller(operation):
    """The caller who gets the whole suite (coverage and random cases); the others get a few random cases."""
    if not operation.definition.raw.get("security"):
        return "none"
    return {"customer": "customer", "agent": "agent", "payment core": "service"}[
        operation.definition.raw["tags"][0].split(":")[0]
    ]


def _credentials(caller, world):
    """The caller's credentials where the schema's security schemes put them (the API key in X-Api-Key)."""
    headers = http_headers(world.headers[caller])
    authorization = headers.get("Authorization", "")
    if authorization.startswith("ApiKey "):
        headers["X-Api-Key"] = authorization.removeprefix("ApiKey ")
        del headers["Authorization"]
    return headers


def _run(case, caller, world, chooser):
    negative = case.meta is not None and case.meta.is_negative_at
    headers = {}
    if not (negative and negative(ParameterLocation.HEADER)):
        # A case made invalid in its headers (say, without X-Device-Id) goes as generated, credentials too.
        headers = _credentials(caller, world)
        device = headers.pop("X-Device-Id", None)
        if device is not None and "X-Device-Id" in (case.headers or {}):
            case.headers["X-Device-Id"] = device
    if case.path_parameters and not (negative and negative(ParameterLocation.PATH)) and chooser.random() < 0.5:
        # Half of the cases name the customer's own objects; the others keep the generated ids (mostly 404s).
        for name in case.path_parameters:
            if name in PATH_VALUES:
                case.path_parameters[name] = PATH_VALUES[name](world)
    SCHEMATHESIS_STATS["cases"] += 1
    response = case.call(headers=headers)
    SCHEMATHESIS_STATS[f"status {response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        SCHEMATHESIS_STATS["5xx"] += 1
    let_in = caller in callers_of(case.operation)
    if not let_in and 200 <= response.status_code < 300:
        SCHEMATHESIS_STATS["unauthorised 2xx"] += 1
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} to {caller}, who it is not for: "
            f"{response.text[:300]}"
        )
    checks = [response_schema_conformance, content_type_conformance]
    if let_in:
        checks.append(ignored_auth)
        if case.operation.label != "POST /api/v1/authorizations/batch":
            # A batch answers 200 whatever its items: an invalid one gets its own ok=false and problem.
            checks.append(negative_data_rejection)
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except Exception:
        SCHEMATHESIS_STATS["failures"] += 1
        raise


@pytest.fixture
def world(db, settings):
    # As in production: with DEBUG on, Django answers a URL no route matches (a path parameter made
    # invalid) with its HTML debug page instead of the problem document of `handler404`.
    settings.DEBUG = False
    authorizations_context.caches_clear()
    key_cache_clear()
    # The WSGI handler closes a connection left inside a transaction when a request ends; the test's
    # transaction is that connection. Django's own test client disconnects the same receivers.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield world_build()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    print("\nschemathesis:", dict(sorted(SCHEMATHESIS_STATS.items())))


def _suite(api, examples, callers_wanted):
    @pytest.mark.parametrize("caller", CALLERS)
    @api.parametrize()
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def test(case, caller, world):
        if not callers_wanted(case.operation, caller):
            pytest.skip(f"{caller} is covered by the other suite for this operation")
        _run(case, caller, world, random.Random(case.id))

    return test


test_as_its_caller = _suite(
    schema, EXAMPLES_FOR_ITS_CALLER, lambda operation, caller: caller == primary_caller(operation)
)
test_as_every_other_caller = _suite(
    door_schema, EXAMPLES_FOR_OTHERS, lambda operation, caller: caller != primary_caller(operation)
)

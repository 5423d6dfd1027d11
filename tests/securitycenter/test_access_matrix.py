"""Who may call what, for every endpoint of the URLconf: each operation against every kind of caller.

The endpoints and their methods are read from the URLconf, so an endpoint added without a row in `RULES`
fails `test_every_endpoint_has_a_rule`. A row names one rule; the rule says, for each kind of caller, what
the door answers: 401 (no or bad credentials), 403 (the wrong kind of caller), 404 (somebody else's
object: its existence is not revealed) or `ALLOW` (let in: any answer but the door's 401, 403
`permission_denied`, 404 or 405, and never a 5xx; an empty body may well be a 400 or a wrong one-time
password a 403 `otp_invalid`, which only a caller who got past the permission check is given).

Path parameters are filled with the customer's own objects (`PATH_VALUES`), so "other customer" asks for
another customer's account, hold or device, and the payment core for a decision it recorded itself.

Adding an endpoint: add its row to `RULES` (and a value to `PATH_VALUES` in `tests/support/world.py` for a new
path parameter).
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from locks.authorizations.views import key_cache_clear
from tests.support.world import CALLERS, PATH_VALUES, World, world_build

ALLOW = "allow"
# 302: the agent console's door, which sends whoever has no console session to its sign-in page.
DOOR_STATUSES = {302, 401, 403, 404, 405}


def _rule(default: int | str, **by_caller: int | str) -> dict[str, int | str]:
    return {caller: by_caller.get(caller, default) for caller in CALLERS}


# --- The rules ---------------------------------------------------------------------------------------

PUBLIC = _rule(ALLOW)
# A customer's own collection or action: any customer is let in (to their own objects).
CUSTOMER = _rule(403, none=401, customer=ALLOW, other_customer=ALLOW)
# One of the customer's objects, named in the path: another customer gets a 404.
CUSTOMER_OBJECT = _rule(403, none=401, customer=ALLOW, other_customer=404)
AGENT = _rule(403, none=401, agent=ALLOW, supervisor=ALLOW)
SUPERVISOR = _rule(403, none=401, supervisor=ALLOW)
# Inside another agent's service session, or on another agent's call: the caller is a 404 like any stranger.
OTHER_AGENTS_OBJECT = _rule(403, none=401, agent=404, supervisor=404)
# The payment core with the scope the endpoint needs (the "service" caller holds every scope).
SERVICE = _rule(403, none=401, service=ALLOW)
# A page of the agent console: only a console session (its own sign-in with password and authenticator code)
# opens it, so every caller here, who comes with a bearer token or an API key, is sent to the sign-in page.
# Which staff role opens which page is tested with console sessions in tests/console/test_access.py.
CONSOLE_PAGE = _rule(302)

# (method, route as written in the URLconf) → rule.
RULES: dict[tuple[str, str], dict[str, int | str]] = {
    ("GET", "healthz"): PUBLIC,
    ("GET", "healthz/live"): PUBLIC,
    ("GET", "healthz/ready"): PUBLIC,
    # the bank's operators: a token of their own, which no other caller has
    ("GET", "metrics"): _rule(401),
    ("GET", "api/schema/"): PUBLIC,
    ("GET", "api/docs/"): PUBLIC,
    ("GET", "api/redoc/"): PUBLIC,
    # customers: sign-in, profile, devices
    ("POST", "api/v1/auth/login"): PUBLIC,
    ("POST", "api/v1/auth/logout"): CUSTOMER,
    ("GET", "api/v1/auth/me"): CUSTOMER,
    ("GET", "api/v1/devices"): CUSTOMER,
    ("POST", "api/v1/devices/<int:pk>/revoke"): CUSTOMER_OBJECT,
    # customers: one-time passwords
    ("GET", "api/v1/otp/devices"): CUSTOMER,
    ("POST", "api/v1/otp/devices"): CUSTOMER,
    ("DELETE", "api/v1/otp/devices/<int:device_id>"): CUSTOMER_OBJECT,
    ("POST", "api/v1/otp/devices/<int:device_id>/confirm"): CUSTOMER_OBJECT,
    ("POST", "api/v1/otp/sms"): CUSTOMER,
    ("POST", "api/v1/otp/verify"): CUSTOMER,
    # customers: accounts and locks
    ("GET", "api/v1/accounts"): CUSTOMER,
    ("GET", "api/v1/accounts/<int:account_id>/locks"): CUSTOMER_OBJECT,
    ("PATCH", "api/v1/accounts/<int:account_id>/locks"): CUSTOMER_OBJECT,
    ("POST", "api/v1/accounts/<int:account_id>/locks/check"): CUSTOMER_OBJECT,
    ("POST", "api/v1/accounts/<int:account_id>/travel-windows"): CUSTOMER_OBJECT,
    ("DELETE", "api/v1/accounts/<int:account_id>/travel-windows/<int:window_id>"): CUSTOMER_OBJECT,
    ("POST", "api/v1/locks/apply"): CUSTOMER,
    ("POST", "api/v1/locks/presets"): CUSTOMER,
    ("POST", "api/v1/locks/freeze"): CUSTOMER,
    ("POST", "api/v1/locks/unfreeze"): CUSTOMER,
    ("POST", "api/v1/locks/pending/<int:pending_id>/cancel"): CUSTOMER_OBJECT,
    ("POST", "api/v1/payee-checks"): CUSTOMER,
    # customers: holds
    ("GET", "api/v1/cases"): CUSTOMER,
    ("GET", "api/v1/cases/<int:case_id>"): CUSTOMER_OBJECT,
    ("GET", "api/v1/emergency"): CUSTOMER,
    ("POST", "api/v1/emergency"): CUSTOMER,
    ("GET", "api/v1/security-log"): CUSTOMER,
    ("GET", "api/v1/lessons"): CUSTOMER,
    ("GET", "api/v1/self-check"): CUSTOMER,
    ("POST", "api/v1/self-check"): CUSTOMER,
    ("POST", "api/v1/self-check/fixes"): CUSTOMER,
    ("GET", "api/v1/self-check/<int:run_id>"): CUSTOMER_OBJECT,
    ("GET", "api/v1/profile"): CUSTOMER,
    ("PATCH", "api/v1/profile"): CUSTOMER,
    ("GET", "api/v1/lessons/<str:lesson_id>"): CUSTOMER,
    ("GET", "api/v1/security-log/<int:entry_id>"): CUSTOMER_OBJECT,
    ("POST", "api/v1/security-log/<int:entry_id>/not-me"): CUSTOMER_OBJECT,
    ("POST", "api/v1/payments/<str:transaction_id>/not-me"): CUSTOMER_OBJECT,
    ("GET", "api/v1/holds"): CUSTOMER,
    ("GET", "api/v1/holds/<int:hold_id>"): CUSTOMER_OBJECT,
    ("POST", "api/v1/holds/<int:hold_id>/cancel"): CUSTOMER_OBJECT,
    ("POST", "api/v1/holds/<int:hold_id>/release-early"): CUSTOMER_OBJECT,
    # customers: their trusted contact; the contact answers with the token they were sent (no sign-in)
    ("GET", "api/v1/trusted-contact"): CUSTOMER,
    ("PUT", "api/v1/trusted-contact"): CUSTOMER,
    ("DELETE", "api/v1/trusted-contact"): CUSTOMER,
    ("POST", "api/v1/trusted-contact/verify"): CUSTOMER,
    ("POST", "api/v1/trusted-confirmations/<str:token>"): PUBLIC,
    # 95588 staff
    ("POST", "api/v1/agent/auth/login"): PUBLIC,
    ("POST", "api/v1/agent/auth/logout"): AGENT,
    ("GET", "api/v1/agent/customers/<str:customer_number>/holds"): AGENT,
    ("POST", "api/v1/agent/holds/<int:hold_id>/stop"): AGENT,
    ("POST", "api/v1/agent/lookups"): AGENT,
    ("POST", "api/v1/agent/service-sessions"): AGENT,
    ("POST", "api/v1/agent/service-sessions/<int:session_id>/close"): OTHER_AGENTS_OBJECT,
    ("GET", "api/v1/agent/service-sessions/<int:session_id>/customer"): OTHER_AGENTS_OBJECT,
    ("POST", "api/v1/agent/service-sessions/<int:session_id>/freezes"): OTHER_AGENTS_OBJECT,
    ("POST", "api/v1/agent/service-sessions/<int:session_id>/emergency"): OTHER_AGENTS_OBJECT,
    (
        "POST",
        "api/v1/agent/service-sessions/<int:session_id>/freezes/<int:freeze_id>/lift-requests",
    ): OTHER_AGENTS_OBJECT,
    ("POST", "api/v1/agent/service-sessions/<int:session_id>/calls"): OTHER_AGENTS_OBJECT,
    ("POST", "api/v1/agent/calls/<int:call_id>/end"): OTHER_AGENTS_OBJECT,
    ("GET", "api/v1/agent/lift-requests"): SUPERVISOR,
    ("POST", "api/v1/agent/lift-requests/<int:request_id>/approve"): SUPERVISOR,
    ("POST", "api/v1/agent/lift-requests/<int:request_id>/reject"): SUPERVISOR,
    ("GET", "api/v1/agent/risk-proposals"): SUPERVISOR,
    ("POST", "api/v1/agent/risk-proposals"): AGENT,
    ("GET", "api/v1/agent/callbacks"): AGENT,
    ("POST", "api/v1/agent/callbacks/<int:case_id>/claim"): AGENT,
    ("POST", "api/v1/agent/callbacks/<int:case_id>/outcome"): AGENT,
    ("POST", "api/v1/agent/callbacks/<int:case_id>/calls"): AGENT,
    ("POST", "api/v1/agent/risk-proposals/<int:proposal_id>/approve"): SUPERVISOR,
    ("POST", "api/v1/agent/risk-proposals/<int:proposal_id>/reject"): SUPERVISOR,
    # customers: what 95588 did for them, and "is the bank really calling me?"
    ("GET", "api/v1/bank-freezes"): CUSTOMER,
    ("POST", "api/v1/bank-freezes/<int:freeze_id>/lift"): CUSTOMER_OBJECT,
    ("GET", "api/v1/call-status"): CUSTOMER,
    ("POST", "api/v1/call-status/fake-call-reports"): CUSTOMER,
    # the agent console (HTML pages; their door is a console session, see CONSOLE_PAGE)
    ("GET", "console/"): CONSOLE_PAGE,
    ("GET", "console/sign-in"): PUBLIC,
    ("POST", "console/sign-in"): PUBLIC,
    ("POST", "console/sign-out"): CONSOLE_PAGE,
    ("POST", "console/language"): PUBLIC,
    ("GET", "console/cases/<int:case_id>"): CONSOLE_PAGE,
    ("POST", "console/cases/<int:case_id>/claim"): CONSOLE_PAGE,
    ("POST", "console/cases/<int:case_id>/calls"): CONSOLE_PAGE,
    ("POST", "console/cases/<int:case_id>/outcome"): CONSOLE_PAGE,
    ("GET", "console/lookup"): CONSOLE_PAGE,
    ("POST", "console/lookup"): CONSOLE_PAGE,
    ("POST", "console/sessions"): CONSOLE_PAGE,
    ("GET", "console/sessions/<int:session_id>"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/close"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/freeze"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/emergency"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/hold-stop"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/calls"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/calls/<int:call_id>/end"): CONSOLE_PAGE,
    ("POST", "console/sessions/<int:session_id>/lift-requests"): CONSOLE_PAGE,
    ("GET", "console/approvals"): CONSOLE_PAGE,
    ("POST", "console/approvals/decide"): CONSOLE_PAGE,
    # the payment core
    ("POST", "api/v1/authorizations"): SERVICE,
    ("POST", "api/v1/authorizations/batch"): SERVICE,
    ("GET", "api/v1/authorizations/<str:transaction_id>"): SERVICE,
    ("POST", "api/v1/authorizations/<str:transaction_id>/reversal"): SERVICE,
    ("GET", "api/v1/service/holds/<int:hold_id>"): SERVICE,
}


# Bodies for rows whose input is checked before the object is looked up: a well-formed body lets the case
# reach the look-up (another customer's object is a 404 either way; a malformed body is a 400 for anybody).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("DELETE", "api/v1/otp/devices/<int:device_id>"): {"code": "000000"},
    ("POST", "api/v1/otp/devices/<int:device_id>/confirm"): {"code": "000000"},
}


# --- Reading the URLconf ------------------------------------------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def url_patterns(patterns: Any = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _drf_view(pattern: URLPattern) -> type[APIView] | None:
    view_class = getattr(pattern.callback, "cls", None)
    return view_class if isinstance(view_class, type) and issubclass(view_class, APIView) else None


PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _route_filled(route: str, world: World | None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PATH_VALUES:
            raise AssertionError(f"{route}: no value for path parameter {name!r}: add it to PATH_VALUES")
        return str(PATH_VALUES[name](world)) if world is not None else "1"

    return "/" + PATH_PARAMETER.sub(value, route)


def served_operations(client: APIClient) -> set[tuple[str, str]]:
    """(method, route) of every operation the URLconf serves. DRF views say which handlers they have;
    plain Django views are asked: a method they do not serve is a 405 before anything else happens."""
    found = set()
    for route, pattern in url_patterns():
        # The staff admin site is not an API: its door (password + TOTP, administrator role) is tested in
        # tests/accounts/staff/test_staff.py.
        if route.startswith(("static/", "media/", "staff-admin/")):
            continue
        view_class = _drf_view(pattern)
        if view_class is not None:
            found |= {(method, route) for method in METHODS if hasattr(view_class, method.lower())}
            continue
        url = _route_filled(route, None)
        for method in METHODS:
            if client.generic(method, url).status_code != 405:
                found.add((method, route))
    return found


# --- The tests ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_endpoint_has_a_rule():
    served = served_operations(APIClient())
    missing = sorted(served - set(RULES))
    stale = sorted(set(RULES) - served)
    assert not missing, "endpoints without an access rule (add a row to RULES):\n" + "\n".join(
        f"    ({method!r}, {route!r}): ...," for method, route in missing
    )
    assert not stale, f"rows for endpoints the URLconf no longer serves: {stale}"


def test_every_rule_names_every_caller():
    for operation, rule in RULES.items():
        assert set(rule) == set(CALLERS), operation
        assert all(outcome == ALLOW or outcome in DOOR_STATUSES for outcome in rule.values()), operation


CASES = [
    pytest.param(method, route, caller, id=f"{method} {route} as {caller}")
    for (method, route), rule in RULES.items()
    for caller in rule
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "route", "caller"), CASES)
def test_access(method, route, caller):
    key_cache_clear()
    world = world_build()
    client = APIClient()
    url = _route_filled(route, world)
    body = BODIES.get((method, route), {} if method in ("POST", "PUT", "PATCH") else None)
    response = client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        **world.headers[caller],
    )
    expected = RULES[(method, route)][caller]
    status = response.status_code
    detail = f"{method} {url} as {caller}: {status} {response.content[:300]!r}"
    assert status < 500, detail
    if expected == ALLOW:
        assert not the_door_refused(response), detail
    else:
        assert status == expected, detail
        if route.startswith("api/v1/"):
            assert response["Content-Type"].startswith("application/problem+json"), detail
            assert the_door_refused(response), detail


def the_door_refused(response: Any) -> bool:
    """Whether the answer is the door's: not signed in, the wrong kind of caller, not the caller's object, or
    a method the endpoint does not serve. A 403 for a wrong one-time password comes from behind the door."""
    if response.status_code in (401, 404, 405):
        return True
    if response.status_code != 403:
        return False
    try:
        code = response.json().get("code")
    except ValueError:
        return True
    return code == "permission_denied"

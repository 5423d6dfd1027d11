"""The published API description: a valid OpenAPI 3 document, browsable offline, every operation
documented with its errors and who may call it."""

import json
import re
import urllib.request

import pytest
import yaml
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from securitycenter.openapi import problem_responses
from securitycenter.problems import PROBLEM_CONTENT_TYPE

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Endpoints anybody may call: signing in (customers and agents), the health check, and a trusted contact's
# answer (the unguessable token in its path, sent to the contact alone, is the credential).
PUBLIC_PATH = re.compile(r"(^|/)login(/|$)|^/healthz$|^/api/v1/trusted-confirmations/\{token\}$")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:2000]
    return response.json()


def operations(document):
    for route, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield route, method, operation


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def assert_valid_openapi_3(document):
    # openapi-spec-validator is not installed; drf-spectacular ships the official OpenAPI 3.0 JSON schema,
    # checked here with jsonschema, and the checks below cover what that JSON schema cannot express.
    validate_schema(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    assert document["info"]["version"]
    for ref in set(references(document)):
        resolve(document, ref)
    operation_ids = [operation["operationId"] for _, _, operation in operations(document)]
    duplicates = sorted({oid for oid in operation_ids if operation_ids.count(oid) > 1})
    assert not duplicates, f"duplicate operationIds: {duplicates}"
    schemes = document.get("components", {}).get("securitySchemes", {})
    for route, method, operation in operations(document):
        for requirement in operation.get("security", document.get("security", [])):
            unknown = set(requirement) - set(schemes)
            assert not unknown, f"{method.upper()} {route} names unknown security schemes {unknown}"
        parameters = [(p["in"], p["name"]) for p in operation.get("parameters", []) if "in" in p]
        assert len(parameters) == len(set(parameters)), f"{method.upper()} {route} repeats a parameter"


# --- The document -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_a_valid_openapi_3_document(schema):
    assert_valid_openapi_3(schema)
    assert schema["info"]["title"] == "Security Center API"
    assert {"bearerToken", "apiKey"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_schema_is_served_as_yaml_by_default(client, schema):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == schema


@pytest.mark.django_db
def test_every_operation_documents_its_errors_and_who_may_call_it(schema):
    problems = []
    for route, method, operation in operations(schema):
        name = f"{method.upper()} {route} ({operation.get('operationId')})"
        if not any(str(code).startswith("4") for code in operation.get("responses", {})):
            problems.append(f"{name}: no 4xx response")
        if PUBLIC_PATH.search(route):
            continue
        security = operation.get("security", schema.get("security"))
        if not security:
            problems.append(f"{name}: no security requirement")
        elif {} in security:
            problems.append(f"{name}: callable without credentials (security includes {{}})")
    assert not problems, "operations missing documentation:\n" + "\n".join(problems)


# --- The error component ------------------------------------------------------------------------------


class NicknameSerializer(serializers.Serializer):
    nickname = serializers.CharField()


class DocumentedView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses={200: NicknameSerializer, **problem_responses(400, 401, 403, 404, 409, 429)})
    def get(self, request):
        return Response({"nickname": "salary card"})


def test_problem_responses_document_errors_as_problem_json():
    generator = SchemaGenerator(patterns=[path("accounts/<int:pk>/", DocumentedView.as_view())])
    document = generator.get_schema(request=None, public=True)
    document = json.loads(json.dumps(document, default=str))
    assert_valid_openapi_3(document)

    operation = document["paths"]["/accounts/{id}/"]["get"]
    responses = operation["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "409", "429"}
    assert list(responses["200"]["content"]) == ["application/json"]
    for code in ("400", "401", "403", "404", "409", "429"):
        assert responses[code]["content"] == {
            PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, code
        assert responses[code]["description"]
    assert "`current`" in responses["409"]["description"]
    assert "`retry_after`" in responses["429"]["description"]
    assert operation["security"] == [{"bearerToken": []}]  # IsCustomer: a token, never an API key

    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "code", "detail"}
    assert set(problem["properties"]) == {
        "type",
        "title",
        "status",
        "code",
        "detail",
        "errors",
        "current",
        "retry_after",
        "account_id",
        "hold_status",
    }
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemFieldError"}
    field_error = document["components"]["schemas"]["ProblemFieldError"]
    assert set(field_error["required"]) == {"field", "code", "message"}


# --- The browsable docs, without a CDN ----------------------------------------------------------------

SIDECAR_ASSET = re.compile(r"""(?:src|href)="(/static/drf_spectacular_sidecar/[^"]+)\"""")


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert {
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    } <= set(SIDECAR_ASSET.findall(html))
    # No third-party origin: a bank's staff network blocks CDNs, and a CDN could swap the script.
    assert re.findall(r"""(?:src|href)="(https?://[^"]+)\"""", html) == []
    # The start script is served from this URL too (not inline, for the Content-Security-Policy).
    assert '<script src="/api/docs/?script="></script>' in html
    assert "/api/schema/" in client.get("/api/docs/?script=").content.decode()


@pytest.mark.django_db
def test_redoc_loads_its_script_from_this_server(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in SIDECAR_ASSET.findall(
        response.content.decode()
    )


def test_the_sidecar_assets_are_served_with_debug_on(live_server, settings, client):
    settings.DEBUG = True
    assets = SIDECAR_ASSET.findall(client.get("/api/docs/").content.decode())
    assets += SIDECAR_ASSET.findall(client.get("/api/redoc/").content.decode())
    assert len(assets) >= 4
    for asset in assets:
        with urllib.request.urlopen(live_server.url + asset, timeout=10) as response:  # noqa: S310 - local server
            assert response.status == 200, asset
            body = response.read()
            assert len(body) > 100, asset
            if asset.endswith(".js"):
                assert "javascript" in response.headers["Content-Type"], asset
            if asset.endswith(".css"):
                assert response.headers["Content-Type"].startswith("text/css"), asset


# --- The schema tells the truth ---------------------------------------------------------------------------


def _schema_of(document, node):
    while "$ref" in node:
        node = resolve(document, node["$ref"])
    return node


@pytest.mark.django_db
def test_each_operation_declares_the_one_scheme_its_callers_use(schema):
    """Customers and staff send a bearer token, the payment core an API key: never "either". A customer's
    token is bound to a device, so customer operations take the X-Device-Id header, required."""
    for route, method, operation in operations(schema):
        name = f"{method.upper()} {route}"
        caller = operation["tags"][0].split(":")[0]
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if PUBLIC_PATH.search(route):
            assert "security" not in operation, name
            continue
        assert len(operation["security"]) == 1, name
        if caller == "payment core":
            assert operation["security"] == [{"apiKey": []}], name
        else:
            assert operation["security"] == [{"bearerToken": []}], name
        if caller == "customer":
            assert headers["X-Device-Id"]["required"] is True, name
        else:
            assert "X-Device-Id" not in headers, name
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }


@pytest.mark.django_db
def test_operations_are_tagged_by_caller_and_area(schema):
    tags: dict[str, list[str]] = {}
    for route, method, operation in operations(schema):
        assert len(operation["tags"]) == 1, route
        tags.setdefault(operation["tags"][0], []).append(f"{method.upper()} {route}")
    assert all(re.fullmatch(r"(customer|agent|payment core): [a-z-]+", tag) for tag in tags), sorted(tags)
    assert {"customer: locks", "customer: holds", "agent: holds", "payment core: authorizations"} <= set(tags)
    biggest = max(len(members) for members in tags.values())
    assert biggest <= len(list(operations(schema))) // 3, tags


@pytest.mark.django_db
def test_a_locks_patch_requires_the_version_read(schema):
    body = schema["paths"]["/api/v1/accounts/{account_id}/locks"]["patch"]["requestBody"]
    request_schema = _schema_of(schema, body["content"]["application/json"]["schema"])
    assert "version" in request_schema["required"]


@pytest.mark.django_db
def test_the_locks_read_is_typed(schema):
    response = schema["paths"]["/api/v1/accounts/{account_id}/locks"]["get"]["responses"]["200"]
    read = _schema_of(schema, response["content"]["application/json"]["schema"])
    assert {"account", "version", "region", "time", "limits", "channels", "freeze", "cooling_off"} <= set(
        read["required"]
    )
    assert _schema_of(schema, read["properties"]["channels"])["required"]  # every channel switch, by name


@pytest.mark.django_db
def test_a_held_decision_describes_its_hold(schema):
    decision = schema["components"]["schemas"]["AuthorizationDecision"]
    assert "hold" in decision["required"]
    assert decision["properties"]["hold"] == {"allOf": [{"$ref": "#/components/schemas/HoldRef"}], "nullable": True}
    hold = schema["components"]["schemas"]["HoldRef"]
    assert set(hold["required"]) == {"id", "release_at"}
    assert hold["properties"]["release_at"]["format"] == "date-time"
    reversal = schema["components"]["schemas"]["ReversalAnswer"]
    assert set(reversal["required"]) == {"transaction_id", "reversed", "amount_returned", "already_reversed"}


@pytest.mark.django_db
def test_the_accepted_initiated_at_window_is_stated(schema):
    description = schema["components"]["schemas"]["AuthorizationRequest"]["properties"]["initiated_at"]["description"]
    assert "24 hours" in description
    assert "10 minutes" in description


def _objects_in(document, node, seen=None):
    """Every object schema under `node`, references followed."""
    seen = set() if seen is None else seen
    if isinstance(node, list):
        for item in node:
            yield from _objects_in(document, item, seen)
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        if node["$ref"] in seen:
            return
        seen.add(node["$ref"])
        yield from _objects_in(document, resolve(document, node["$ref"]), seen)
        return
    if node.get("type") == "object":
        yield node
    for key, value in node.items():
        if key not in ("example", "examples", "default", "enum"):
            yield from _objects_in(document, value, seen)


@pytest.mark.django_db
def test_every_response_body_is_described_exactly(schema):
    """No undeclared members: every object in a response has its properties listed and no others allowed
    (a map says what its values are); no response is a bare `object`."""
    loose = []
    for route, method, operation in operations(schema):
        for status_code, response in operation["responses"].items():
            for content in response.get("content", {}).values():
                for node in _objects_in(schema, content["schema"]):
                    if "properties" in node and node.get("additionalProperties") is not False:
                        loose.append(f"{method.upper()} {route} {status_code}: {sorted(node['properties'])}")
                    elif "properties" not in node and not isinstance(node.get("additionalProperties"), dict):
                        loose.append(f"{method.upper()} {route} {status_code}: an undescribed object")
    assert not loose, "\n".join(loose)

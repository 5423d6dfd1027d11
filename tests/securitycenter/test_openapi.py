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

# Endpoints anybody may call: signing in (customers and agents) and the health check.
PUBLIC_PATH = re.compile(r"(^|/)login(/|$)|^/healthz$")


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
    assert operation["security"] == [{"bearerToken": []}, {"apiKey": []}]

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
    assert "/api/schema/" in html


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

"""The customer security center's endpoints are in the OpenAPI schema with their response bodies."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

OPERATIONS = [
    ("/api/v1/security-log", "get", "200"),
    ("/api/v1/security-log/{entry_id}", "get", "200"),
    ("/api/v1/security-log/{entry_id}/not-me", "post", "200"),
    ("/api/v1/payments/{transaction_id}/not-me", "post", "200"),
    ("/api/v1/emergency", "get", "200"),
    ("/api/v1/emergency", "post", "200"),
    ("/api/v1/cases", "get", "200"),
    ("/api/v1/cases/{case_id}", "get", "200"),
    ("/api/v1/self-check", "get", "200"),
    ("/api/v1/self-check", "post", "201"),
    ("/api/v1/self-check/{run_id}", "get", "200"),
    ("/api/v1/self-check/fixes", "post", "200"),
    ("/api/v1/lessons", "get", "200"),
    ("/api/v1/lessons/{lesson_id}", "get", "200"),
    ("/api/v1/profile", "get", "200"),
    ("/api/v1/profile", "patch", "200"),
]


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import yaml

    return (
        yaml.safe_load(response.content)
        if not response["Content-Type"].startswith("application/json")
        else response.json()
    )


@pytest.mark.parametrize(("path", "method", "status"), OPERATIONS)
def test_operation_has_a_described_response_body(schema, path, method, status):
    operation = schema["paths"][path][method]
    body = _resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"])
    assert body.get("properties") or body.get("items") or body.get("allOf"), (path, method, body)
    assert "401" in operation["responses"] or "403" in operation["responses"]

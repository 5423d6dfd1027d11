"""OpenAPI for the payment core's endpoints, which bypass DRF for speed.

drf-spectacular only sees DRF views, so this postprocessing hook adds the four operations, with the
request and answer schemas generated from the same msgspec structs that decode the requests and render
the answers: each body is described once.
"""

from typing import Any

import msgspec

from locks.authorizations.answers import AuthorizationDecision, ReversalAnswer
from locks.authorizations.request import AuthorizationRequest

REF = "#/components/schemas/{name}"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(name="Problem")}}},
    }


SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
TAGS = ["payment core: authorizations"]
TXN_PARAM = {"name": "transaction_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _openapi30(node: Any) -> Any:
    """JSON Schema 2020-12 (what msgspec emits) to the OpenAPI 3.0 dialect drf-spectacular serves."""
    if isinstance(node, list):
        return [_openapi30(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _openapi30(v) for k, v in node.items()}
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), (int, float)) and not isinstance(node.get(bound), bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    if node.get("required") == []:
        node.pop("required")  # OpenAPI 3.0 wants at least one name (an object of optional members only)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "enum" in node and "type" not in node and all(isinstance(v, str) for v in node["enum"]):
        node["type"] = "string"
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        node.pop("anyOf")
        if len(rest) == 1 and "$ref" in rest[0]:
            # In OpenAPI 3.0 the siblings of a $ref are ignored: a nullable reference is an allOf of one.
            node["allOf"] = rest
        else:
            node.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        node["nullable"] = True
    return node


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def add_hot_path(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    if getattr(generator, "patterns", None) is not None:
        return result  # a partial schema (a test's own URL patterns) has no hot path to add
    (request_schema, decision_ref, reversal_ref), components = msgspec.json.schema_components(
        [AuthorizationRequest, AuthorizationDecision, ReversalAnswer], ref_template=REF
    )
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    request_schema = _openapi30(request_schema)
    schemas.update(_openapi30(components))
    decision = schemas["AuthorizationDecision"]
    # A batch result is a decision with ok=true, or an error with ok=false: two closed objects (an allOf of
    # closed objects would accept nothing).
    schemas["BatchDecision"] = {
        "type": "object",
        "description": "A decided item of a batch: the decision, with ok=true.",
        "properties": {"ok": {"type": "boolean", "enum": [True]}, **decision["properties"]},
        "required": ["ok", *decision["required"]],
    }
    schemas["BatchError"] = {
        "type": "object",
        "description": "An item of a batch that could not be decided: its own problem document, with ok=false.",
        "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"$ref": REF.format(name="Problem")}},
        "required": ["ok", "error"],
    }
    errors = {
        "400": _problem("Invalid transaction (the field is named in errors[])"),
        "401": _problem("No or invalid API key"),
        "403": _problem("Not a service client, or the key lacks the scope"),
    }
    paths = result.setdefault("paths", {})
    paths["/api/v1/authorizations"] = {
        "post": {
            "operationId": "authorizations_create",
            "summary": "Decide one payment (idempotent on transaction_id)",
            "description": "Give exactly one of account_id and account_number. The same transaction_id with "
            "the same body returns the recorded decision and is counted once; with a different body, 409.",
            "tags": TAGS,
            "security": SECURITY,
            "requestBody": {"required": True, "content": {"application/json": {"schema": request_schema}}},
            "responses": {
                "200": _json(decision_ref, "The decision"),
                **errors,
                "409": _problem("Same transaction_id, different body"),
                "422": _problem("Unknown or closed account"),
            },
        }
    }
    paths["/api/v1/authorizations/batch"] = {
        "post": {
            "operationId": "authorizations_batch",
            "summary": "Decide up to 500 payments; one answer each, in order",
            "tags": TAGS,
            "security": SECURITY,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["transactions"],
                            "properties": {
                                "transactions": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 500,
                                    "items": request_schema,
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {
                            "results": {
                                "type": "array",
                                "items": {
                                    "oneOf": [
                                        {"$ref": REF.format(name="BatchDecision")},
                                        {"$ref": REF.format(name="BatchError")},
                                    ],
                                },
                            }
                        },
                    },
                    "One result per transaction, in order; a bad item has ok=false and its own error",
                ),
                **errors,
            },
        }
    }
    paths["/api/v1/authorizations/{transaction_id}"] = {
        "get": {
            "operationId": "authorizations_retrieve",
            "summary": "The recorded decision of a transaction",
            "tags": TAGS,
            "security": SECURITY,
            "parameters": [TXN_PARAM],
            "responses": {"200": _json(decision_ref), **errors, "404": _problem("No decision recorded")},
        }
    }
    paths["/api/v1/authorizations/{transaction_id}/reversal"] = {
        "post": {
            "operationId": "authorizations_reversal",
            "summary": "The payment failed or was refunded: give its amount back to the limits, once",
            "tags": TAGS,
            "security": SECURITY,
            "parameters": [TXN_PARAM],
            "responses": {
                "200": _json(reversal_ref),
                **errors,
                "404": _problem("No decision recorded"),
            },
        }
    }
    return result


WEBHOOK_DESCRIPTION = """\
On every hold transition (released, cancelled, stopped) the security center POSTs the event to the service
client's webhook URL, after the change commits, and retries with backoff until it gets a 2xx.

Headers: `X-SC-Event` (hold.released | hold.cancelled | hold.stopped), `X-SC-Delivery` (the delivery id:
the same id on every retry, so acknowledge duplicates idempotently), `X-SC-Timestamp` (Unix seconds) and
`X-SC-Signature: v1=<hex>` where hex = HMAC-SHA256(webhook secret, "<X-SC-Timestamp>.<raw body>").
Recompute it over the raw body, compare in constant time, and refuse timestamps older than 5 minutes.
While a rotated webhook secret's overlap runs the header carries one signature per secret, comma separated
(`v1=<new>,v1=<previous>`): accept the webhook if any of them is yours. Webhooks are never sent unsigned."""


def add_hold_webhook(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["HoldWebhookEvent"] = {
        "type": "object",
        "description": WEBHOOK_DESCRIPTION,
        "required": ["event", "delivery_id", "hold"],
        "properties": {
            "event": {"type": "string", "enum": ["hold.released", "hold.cancelled", "hold.stopped"]},
            "delivery_id": {"type": "integer"},
            "hold": {
                "type": "object",
                "properties": {
                    "hold_id": {"type": "integer"},
                    "transaction_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["released", "cancelled", "stopped"]},
                    "amount": {"type": "integer", "description": "Minor units"},
                    "currency": {"type": "string"},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "release_at": {"type": "string", "format": "date-time"},
                    "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
        },
    }
    result["x-webhooks"] = {
        "holdTransition": {
            "post": {
                "summary": "A hold was released, cancelled or stopped",
                "description": WEBHOOK_DESCRIPTION,
                "parameters": [
                    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
                    for name in ("X-SC-Event", "X-SC-Delivery", "X-SC-Timestamp", "X-SC-Signature")
                ],
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": REF.format(name="HoldWebhookEvent")}}}
                },
                "responses": {"2XX": {"description": "Acknowledged; anything else is retried"}},
            }
        }
    }
    schemas["ReviewWebhookEvent"] = {
        "type": "object",
        "description": "How a payment answered `review` ended: the 95588 call-back confirmed it (approve), found "
        "fraud (decline), or nobody worked it before the review deadline (the configured default). Signed "
        "and retried exactly like the hold webhooks.",
        "required": ["event", "delivery_id", "review"],
        "properties": {
            "event": {"type": "string", "enum": ["review.approved", "review.declined"]},
            "delivery_id": {"type": "integer"},
            "review": {
                "type": "object",
                "properties": {
                    "authorization_id": {"type": "integer"},
                    "transaction_id": {"type": "string"},
                    "outcome": {"type": "string", "enum": ["approve", "decline"]},
                    "amount": {"type": "integer", "description": "Minor units"},
                    "currency": {"type": "string"},
                },
            },
        },
    }
    result["x-webhooks"]["reviewOutcome"] = {
        "post": {
            "summary": "A payment sent to review was approved or declined",
            "description": WEBHOOK_DESCRIPTION,
            "parameters": result["x-webhooks"]["holdTransition"]["post"]["parameters"],
            "requestBody": {
                "content": {"application/json": {"schema": {"$ref": REF.format(name="ReviewWebhookEvent")}}}
            },
            "responses": {"2XX": {"description": "Acknowledged; anything else is retried"}},
        }
    }
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + "\n\n## Hold webhooks\n\n" + WEBHOOK_DESCRIPTION
    return result

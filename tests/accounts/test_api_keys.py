"""Service clients and API keys: the services, authentication with a key, and the `api_keys` command."""

import json
import re
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiKey, ServiceClient
from accounts.permissions import service_with
from accounts.service_clients import api_key_create, api_key_revoke, api_key_rotate, service_client_create
from securitycenter.crypto import token_hash
from securitycenter.errors import ValidationFailed
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import ServiceClientFactory

pytestmark = pytest.mark.django_db

KEY_FORMAT = re.compile(r"^sc_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


class AuthorizeView(APIView):
    """Stands in for the payment core's endpoints."""

    permission_classes = [service_with(ServiceClient.Scope.AUTHORIZE)]

    def post(self, request):
        return Response({"client": request.user.name, "key": request.auth.prefix})


def call(**headers):
    return AuthorizeView.as_view()(APIRequestFactory().post("/authorize", {}, format="json", **headers))


def with_key(raw):
    return call(HTTP_AUTHORIZATION=f"ApiKey {raw}")


@pytest.fixture
def client():
    return ServiceClientFactory(name="payment-core")


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("api_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- services --------------------------------------------------------------------------------------


def test_key_format_and_only_its_hash_is_stored(client):
    raw, key = api_key_create(client=client)
    match = KEY_FORMAT.match(raw)
    assert match
    assert match.group(1) == key.prefix
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.key_hash == token_hash(raw)
    assert match.group(2) not in json.dumps(list(ApiKey.objects.values("prefix", "key_hash")))
    assert api_key_create(client=client)[1].prefix != key.prefix


def test_authenticate_with_the_authorization_header_or_x_api_key(client):
    raw, key = api_key_create(client=client)
    for response in (with_key(raw), call(HTTP_X_API_KEY=raw)):
        assert response.status_code == 200
        assert response.data == {"client": "payment-core", "key": key.prefix}
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "ApiKey sc_unknown0_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"HTTP_X_API_KEY": "not-a-key"},
        {"HTTP_AUTHORIZATION": "ApiKey"},
        {"HTTP_AUTHORIZATION": "ApiKey two parts"},
        {},
    ],
)
def test_unknown_or_missing_key_is_401(client, headers):
    api_key_create(client=client)
    response = call(**headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"]


def test_revoked_key_is_401(client):
    raw, key = api_key_create(client=client)
    assert api_key_revoke(key=key) is True
    assert api_key_revoke(key=key) is False
    response = with_key(raw)
    assert response.status_code == 401
    assert response.data["code"] == "invalid_api_key"


def test_key_of_an_inactive_client_is_401(client):
    raw, _ = api_key_create(client=client)
    client.is_active = False
    client.save()
    assert with_key(raw).status_code == 401


def test_key_without_the_scope_is_403():
    reader = ServiceClientFactory(scopes=[ServiceClient.Scope.READ_AUTHORIZATIONS])
    raw, _ = api_key_create(client=reader)
    response = with_key(raw)
    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"


def test_last_used_is_written_at_most_once_a_minute(client):
    raw, key = api_key_create(client=client)
    with_key(raw)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    with_key(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        with_key(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == later


def test_rotation_keeps_the_old_key_until_it_is_revoked(client):
    old_raw, old = api_key_create(client=client)
    new_raw, new = api_key_rotate(client=client)
    assert new.prefix != old.prefix
    assert with_key(old_raw).status_code == 200
    assert with_key(new_raw).status_code == 200
    api_key_revoke(key=old)
    assert with_key(old_raw).status_code == 401
    assert with_key(new_raw).status_code == 200


def test_rotation_can_revoke_the_old_keys_at_once(client):
    old_raw, _ = api_key_create(client=client)
    older_raw, _ = api_key_create(client=client)
    new_raw, _ = api_key_rotate(client=client, revoke_old=True)
    assert with_key(old_raw).status_code == 401
    assert with_key(older_raw).status_code == 401
    assert with_key(new_raw).status_code == 200


def test_service_client_create_validates_scopes_and_name():
    client = service_client_create(name=" core ", scopes=["holds:read", "authorizations:write", "holds:read"])
    assert client.name == "core"
    assert client.scopes == ["authorizations:write", "holds:read"]
    for kwargs, field, code in [
        ({"name": "x", "scopes": ["everything"]}, "scopes", "invalid_scope"),
        ({"name": "x", "scopes": []}, "scopes", "required"),
        ({"name": "  ", "scopes": ["holds:read"]}, "name", "required"),
        ({"name": "core", "scopes": ["holds:read"]}, "name", "duplicate"),
        ({"name": "x", "scopes": ["holds:read"], "webhook_url": "not a url"}, "webhook_url", "invalid"),
    ]:
        with pytest.raises(ValidationFailed) as excinfo:
            service_client_create(**kwargs)
        assert {e["field"]: [e["code"]] for e in excinfo.value.errors} == {field: [code]}
    assert ServiceClient.objects.count() == 1


def test_service_and_key_events_are_logged_without_secrets():
    client = service_client_create(name="core", scopes=["authorizations:write"])
    raw, key = api_key_create(client=client)
    rotated_raw, rotated = api_key_rotate(client=client, revoke_old=True)
    api_key_revoke(key=rotated)
    logged = SecurityEvent.objects.filter(chain="bank").order_by("seq")
    assert [e.event_type for e in logged] == [
        EventType.SERVICE_CLIENT_CREATED,
        EventType.API_KEY_CREATED,
        EventType.API_KEY_ROTATED,
        EventType.API_KEY_REVOKED,
        EventType.API_KEY_REVOKED,
    ]
    assert logged[2].details["key_prefix"] == rotated.prefix
    assert logged[2].details["previous_prefixes"] == [key.prefix]
    assert [e.details["key_prefix"] for e in logged[3:]] == [key.prefix, rotated.prefix]
    text = json.dumps([[e.details, e.old_value, e.new_value] for e in logged])
    for secret in (raw, rotated_raw, raw.split("_", 2)[2], rotated_raw.split("_", 2)[2]):
        assert secret not in text


# --- the api_keys command -------------------------------------------------------------------------


def test_command_creates_a_client_and_prints_a_new_key_once():
    out, err = run("create-client", "core", "--scope", "authorizations:write", "--scope", "holds:read")
    assert out == ""
    assert "core" in err
    assert ServiceClient.objects.get(name="core").scopes == ["authorizations:write", "holds:read"]

    out, err = run("create-key", "core")
    raw = out.strip()
    assert KEY_FORMAT.match(raw)
    assert (out + err).count(raw) == 1
    assert with_key(raw).status_code == 200


def test_command_lists_keys_without_secrets(client):
    raw, key = api_key_create(client=client)
    revoked_raw, revoked = api_key_create(client=client)
    api_key_revoke(key=revoked)
    other_raw, other = api_key_create(client=ServiceClientFactory(name="reporting"))

    out, _ = run("list")
    assert key.prefix in out and revoked.prefix in out and other.prefix in out
    assert "revoked" in out and "never" in out
    out, _ = run("list", "payment-core")
    assert key.prefix in out and other.prefix not in out
    for secret in (raw, revoked_raw, other_raw):
        assert secret.split("_", 2)[2] not in out
        assert token_hash(secret) not in out


def test_command_revokes_a_key_by_prefix(client):
    raw, key = api_key_create(client=client)
    _, err = run("revoke", key.prefix)
    assert "Revoked" in err
    assert with_key(raw).status_code == 401
    _, err = run("revoke", key.prefix)
    assert "already revoked" in err


def test_command_rotates(client):
    old_raw, _ = api_key_create(client=client)
    out, _ = run("rotate", "payment-core")
    new_raw = out.strip()
    assert with_key(old_raw).status_code == 200
    assert with_key(new_raw).status_code == 200

    out, _ = run("rotate", "payment-core", "--revoke-old")
    newest = out.strip()
    assert with_key(old_raw).status_code == 401
    assert with_key(new_raw).status_code == 401
    assert with_key(newest).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ("create-key", "nobody"),
        ("rotate", "nobody"),
        ("list", "nobody"),
        ("revoke", "zzzzzzzz"),
        ("create-client", "core", "--scope", "everything"),
        ("create-client", "core"),
        ("create-client", "payment-core", "--scope", "holds:read"),
        (),
    ],
)
def test_command_errors(client, args):
    with pytest.raises(CommandError):
        run(*args)

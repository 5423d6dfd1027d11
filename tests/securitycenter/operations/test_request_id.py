"""Request ids: taken from the proxy's header when it is a UUID, made otherwise, returned, and logged."""

import uuid

import pytest


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_and_returned(client):
    request_id = uuid.uuid4().hex
    response = client.get("/healthz/live", HTTP_X_REQUEST_ID=request_id)
    assert response["X-Request-ID"] == request_id


@pytest.mark.django_db
def test_a_request_without_one_gets_a_fresh_id(client):
    first = client.get("/healthz/live")["X-Request-ID"]
    second = client.get("/healthz/live")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["not-a-uuid", '"}{"level": "forged', "x" * 500])
def test_a_request_id_that_is_not_a_uuid_is_replaced_not_logged(client, sent):
    # What reaches the logs is never the caller's free text: no forged fields, no huge values.
    returned = client.get("/healthz/live", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]
    assert returned != sent
    assert uuid.UUID(returned)

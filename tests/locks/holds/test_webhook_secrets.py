"""Webhook secrets: made and shown once, rotated with an overlap in which both sign, never an unsigned post."""

import json
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ServiceClient
from accounts.service_clients import webhook_secret_rotate
from locks.holds.services import hold_release
from locks.holds.webhooks import webhook_send, webhook_signature, webhook_verify
from locks.models import Hold, WebhookDelivery
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.locks.holds.test_holds import _fresh_caches, account, core, transfer  # noqa: F401 - fixtures
from tests.locks.holds.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("api_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_client_with_a_webhook_url_makes_a_secret_and_shows_it_once():
    out, err = run("create-client", "core", "--scope", "holds:read", "--webhook-url", "https://core.example/hooks")
    secret = out.strip()
    assert secret.startswith("whsec_") and len(secret) > 40
    assert "shown only this once" in err
    assert ServiceClient.objects.get(name="core").webhook_secret == secret
    # Not in the log, and never shown again.
    assert secret not in json.dumps([e.details for e in SecurityEvent.objects.all()], default=str)
    listing, _ = run("list")
    assert secret not in listing


def test_a_client_without_a_webhook_url_gets_no_secret():
    out, _ = run("create-client", "core", "--scope", "holds:read")
    assert out == ""
    assert ServiceClient.objects.get(name="core").webhook_secret == ""


def _pending_delivery(core, account, receiver_url):  # noqa: F811
    hold = Hold.objects.get(pk=transfer(account, Hold.objects.count() + 1)["hold"]["id"])
    ServiceClient.objects.filter(pk=core.pk).update(webhook_url=receiver_url)
    Hold.objects.filter(pk=hold.pk).update(release_at=timezone.now() - timedelta(seconds=1))
    with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):
        assert hold_release(hold_id=hold.pk)
    return WebhookDelivery.objects.get(hold=hold)


def test_during_the_overlap_both_secrets_sign_and_after_it_only_the_new_one(core, account):  # noqa: F811
    old = core.webhook_secret
    with Receiver(old) as on_old, Receiver("unknown yet") as on_new:
        delivery = _pending_delivery(core, account, on_old.url)
        out, err = run("rotate-webhook-secret", core.name, "--overlap-hours", "2")
        new = out.strip()
        assert new.startswith("whsec_") and new != old
        assert "also signs until" in err
        on_new.secret = new
        assert webhook_send(delivery_id=delivery.pk) is True  # the receiver still on the old secret accepts

        second = _pending_delivery(core, account, on_new.url)
        assert webhook_send(delivery_id=second.pk) is True  # one already on the new secret accepts too

        ServiceClient.objects.filter(pk=core.pk).update(webhook_secret_previous_until=timezone.now())
        third = _pending_delivery(core, account, on_old.url)
        assert webhook_send(delivery_id=third.pk) is False  # the overlap is over: the old secret no longer signs
        assert (on_old.bad_signatures, on_new.bad_signatures) == (1, 0)
    [rotated] = SecurityEvent.objects.filter(event_type=EventType.WEBHOOK_SECRET_ROTATED)
    assert rotated.details["client"] == core.name
    assert old not in json.dumps(rotated.details) and new not in json.dumps(rotated.details)


def test_a_rotation_without_overlap_stops_the_old_secret_at_once(core):  # noqa: F811
    old = core.webhook_secret
    new = webhook_secret_rotate(client=core, overlap=timedelta(0))
    core.refresh_from_db()
    assert (core.webhook_secret, core.webhook_secret_previous, core.webhook_secret_previous_until) == (new, "", None)
    assert new != old


def test_a_client_without_a_secret_is_never_sent_an_unsigned_webhook(core, account):  # noqa: F811
    with Receiver("") as receiver:
        delivery = _pending_delivery(core, account, receiver.url)
        ServiceClient.objects.filter(pk=core.pk).update(webhook_secret="")
        assert webhook_send(delivery_id=delivery.pk) is False
        assert receiver.requests == [] and receiver.bad_signatures == 0
    delivery.refresh_from_db()
    assert delivery.status == "pending"  # sent once an operator gives the client a secret
    assert [a.error for a in delivery.attempt_records.all()] == ["no_webhook_secret"]


def test_a_receiver_verifies_any_of_the_signatures():
    body, ts = b'{"event":"hold.released"}', "1700000000"
    both = (
        webhook_signature(secret="new", timestamp=ts, body=body)
        + ","
        + webhook_signature(secret="old", timestamp=ts, body=body)
    )
    assert webhook_verify(secret="old", timestamp=ts, body=body, header=both)
    assert webhook_verify(secret="new", timestamp=ts, body=body, header=both)
    assert not webhook_verify(secret="other", timestamp=ts, body=body, header=both)
    assert not webhook_verify(secret="new", timestamp=ts, body=body + b" ", header=both)

"""Helpers for hot-path tests: lock an account, build a payment, send it, read the reasons."""

from datetime import UTC, datetime

import orjson
from django.test import Client

from locks.authorizations.outbox import outbox_drain
from locks.models import LockSettings

RAW_KEY = "sc_testkey1_payment-core-secret"
NOW = datetime.now(UTC).replace(microsecond=0)


def locks(account, **fields):
    row, _ = LockSettings.objects.get_or_create(account=account)
    for name, value in fields.items():
        setattr(row, name, value)
    row.version += 1
    row.save()
    return row


def payment(account, n=1, **overrides):
    body = {
        "transaction_id": f"txn-{account.pk}-{n}",
        "account_id": account.pk,
        "amount": 10_000,
        "currency": "CNY",
        "channel": "pos",
        "country": "CN",
        "initiated_at": NOW.isoformat(),
    }
    body.update(overrides)
    return body


def authorize(body, key=RAW_KEY, outbox=True):
    """POST one payment; with `outbox`, then run the outbox sweep as beat does within a second (holds and
    declines are logged and announced by it, not by the request)."""
    response = Client().post(
        "/api/v1/authorizations",
        orjson.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {key}",
    )
    if outbox:
        outbox_drain()
    return response


def codes(answer) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


def english(answer) -> list[str]:
    return [r["message"]["en"] for r in answer["reasons"]]

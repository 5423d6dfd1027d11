"""A customer's own limits are checked against the ceilings of the account's kind."""

import pytest

from accounts.models import BankAccount

pytestmark = pytest.mark.django_db

YUAN = 100


def test_a_corporate_account_may_set_a_limit_above_the_personal_ceiling(session, settings):
    BankAccount.objects.filter(pk=session.account.pk).update(holder=BankAccount.Holder.CORPORATE)
    limit = 3_000_000 * YUAN
    assert limit > settings.BANK_MAX_LIMITS["CNY"]["per_transaction"]

    response = session.patch({"version": session.locks()["version"], "limits": {"per_transaction": limit}})

    assert response.status_code == 200, response.json()
    body = session.locks()
    assert body["limits"]["per_transaction"] == limit
    assert body["effective_limits"]["bank_maximums"] == settings.CORPORATE_MAX_LIMITS["CNY"]
    assert body["cooling_off_threshold"] == settings.CORPORATE_COOLING_OFF_THRESHOLD


def test_a_personal_account_may_not(session):
    response = session.patch({"version": session.locks()["version"], "limits": {"per_transaction": 3_000_000 * YUAN}})

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "limits.per_transaction",
        "code": "above_bank_max",
        "message": response.json()["errors"][0]["message"],
    }

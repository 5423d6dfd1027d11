"""Races on real threads: a trusted contact's answer is decided once, and the verification code's five tries
hold however many guesses arrive at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from locks.models import ContactConfirmation, TrustedContact
from locks.trusted.services import CODE_ATTEMPTS, _code_hash, confirmation_decide, trusted_contact_verify
from securitycenter.crypto import token_hash
from securitycenter.errors import Conflict, InvalidInput
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import BankAccountFactory, CustomerFactory, PendingLooseningFactory
from tests.support.race import errors_of, run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_confirm_and_a_refuse_at_once_decide_the_request_once():
    account = BankAccountFactory()
    contact = TrustedContact.objects.create(
        customer=account.customer, phone="+8613900003333", name="Son", verified_at=timezone.now()
    )
    pending = PendingLooseningFactory(account=account, awaiting_contact=True)
    ContactConfirmation.objects.create(
        contact=contact,
        customer=account.customer,
        action=ContactConfirmation.Action.LOOSENING,
        pending_loosening=pending,
        token_hash=token_hash("race-token"),
        expires_at=timezone.now() + timedelta(hours=1),
    )

    results = run_at_once(4, lambda i: confirmation_decide(token="race-token", confirm=i % 2 == 0, origin=Origin()))

    errors = errors_of(results)
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    decided = ContactConfirmation.objects.get()
    pending.refresh_from_db()
    if decided.status == "confirmed":
        assert not pending.awaiting_contact and pending.status in ("pending", "applied")
    else:
        assert decided.status == "refused" and pending.status == "cancelled"
    assert SecurityEvent.objects.filter(event_type=EventType.CONFIRMATION_DECIDED).count() == 1


def test_guesses_at_once_get_five_tries_between_them():
    customer = CustomerFactory()
    contact = TrustedContact.objects.create(
        customer=customer, phone="+8613900004444", name="Niece", code_expires_at=timezone.now() + timedelta(minutes=5)
    )
    TrustedContact.objects.filter(pk=contact.pk).update(code_hash=_code_hash(contact.pk, "123456"))

    results = run_at_once(8, lambda i: trusted_contact_verify(customer=customer, code=f"{i:06d}", origin=Origin()))

    wrong = [r for r in results if isinstance(r, InvalidInput)]
    spent = [r for r in results if isinstance(r, Conflict)]
    assert (len(wrong), len(spent)) == (CODE_ATTEMPTS, 8 - CODE_ATTEMPTS)
    with pytest.raises(Conflict):
        trusted_contact_verify(customer=customer, code="123456", origin=Origin())
    assert TrustedContact.objects.get().verified_at is None

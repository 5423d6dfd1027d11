"""Trusted contact: named and verified once; with one, loosening a lock, ending a cooling-off early or removing
the contact needs their confirmation as well as the customer's one-time password. Confirm, refuse, expire,
and the contact can do nothing else to the customer's protection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification, SentMessage
from locks.cases.services import case_open
from locks.holds.services import hold_place
from locks.models import Case, ContactConfirmation, Hold, PendingLoosening, TrustedContact
from locks.trusted.services import confirmations_expire
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor
from tests.factories import AuthorizationFactory

pytestmark = pytest.mark.django_db

CONTACT_PHONE = "+8613900001111"


def name_contact(session, **who):
    return session.client.put("/api/v1/trusted-contact", {"name": "Daughter", **who}, format="json")


def code_sent(customer_or_contact) -> str:
    notice = Notification.objects.filter(template="trusted_contact_code", customer=customer_or_contact).latest("id")
    return notice.params["code"]


@pytest.fixture
def contact(session, other_session):
    """`other_session`'s customer, named and verified as `session`'s trusted contact."""
    assert name_contact(session, customer_number=other_session.customer.customer_number).status_code == 201
    verified = session.client.post(
        "/api/v1/trusted-contact/verify", {"code": code_sent(other_session.customer)}, format="json"
    )
    assert verified.status_code == 200, verified.json()
    return other_session


def token_of_last_request(contact_customer) -> str:
    notice = Notification.objects.filter(template="trusted_confirmation_request", customer=contact_customer).latest(
        "id"
    )
    return notice.params["link"].rsplit("/", 1)[1]


def answer(token, decision, client=None):
    from rest_framework.test import APIClient

    return (client or APIClient()).post(f"/api/v1/trusted-confirmations/{token}", {"answer": decision}, format="json")


def loosen(session, otp=True):
    """Switch ATM on again after switching it off (the switching off is a tightening, applied at once)."""
    assert session.patch({"version": session.locks()["version"], "channels": {"atm": False}}).status_code == 200
    return session.patch(
        {"version": session.locks()["version"], "channels": {"atm": True}}, otp=session.otp() if otp else None
    )


# --- naming and verifying ----------------------------------------------------------------------------


def test_a_customer_contact_gets_a_code_and_is_verified_once(session, other_session):
    response = name_contact(session, customer_number=other_session.customer.customer_number)
    assert response.status_code == 201
    assert response.json()["verified"] is False
    code = code_sent(other_session.customer)

    wrong = session.client.post(
        "/api/v1/trusted-contact/verify", {"code": f"{(int(code) + 1) % 10**6:06d}"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "code_invalid"
    right = session.client.post("/api/v1/trusted-contact/verify", {"code": code}, format="json")
    assert right.status_code == 200 and right.json()["verified"] is True
    again = session.client.post("/api/v1/trusted-contact/verify", {"code": code}, format="json")
    assert again.status_code == 409
    assert SecurityEvent.objects.filter(
        event_type=EventType.TRUSTED_CONTACT_VERIFIED, customer=session.customer
    ).exists()


def test_a_phone_contact_gets_the_code_by_sms_to_that_number(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert name_contact(session, phone=CONTACT_PHONE).status_code == 201

    notice = Notification.objects.get(template="trusted_contact_code")
    assert (notice.customer_id, notice.channel, notice.recipient) == (session.customer.pk, "sms", CONTACT_PHONE)
    assert SentMessage.objects.get(notification=notice).recipient == CONTACT_PHONE  # eager delivery in tests
    assert session.client.get("/api/v1/trusted-contact").json()["contact"]["phone"] == "+8613****1111"


def test_the_code_stops_working_after_five_wrong_tries(session):
    name_contact(session, phone=CONTACT_PHONE)
    code = code_sent(session.customer)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert session.client.post("/api/v1/trusted-contact/verify", {"code": wrong}, format="json").status_code == 400

    refused = session.client.post("/api/v1/trusted-contact/verify", {"code": code}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "code_expired"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"phone": "12345"}, "phone"), ({}, "phone"), ({"phone": CONTACT_PHONE, "customer_number": "C1"}, "phone")],
)
def test_bad_names_are_problems_naming_the_field(session, body, field):
    response = name_contact(session, **body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not TrustedContact.objects.exists()


def test_one_cannot_be_ones_own_contact(session):
    response = name_contact(session, customer_number=session.customer.customer_number)
    assert response.status_code == 400


# --- a loosening needs the contact -----------------------------------------------------------------------


def test_a_loosening_waits_for_the_contact_and_applies_when_they_confirm(
    session, contact, django_capture_on_commit_callbacks
):
    response = loosen(session)

    assert response.status_code == 202, response.json()
    pending = PendingLoosening.objects.get(status="pending")
    assert pending.awaiting_contact
    assert session.locks()["channels"]["atm"] is False  # due at once (no delay), yet not applied
    from locks.rules.changes import pending_loosening_apply

    assert not pending_loosening_apply(pending_id=pending.pk)

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = answer(token_of_last_request(contact.customer), "confirm")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert session.locks()["channels"]["atm"] is True  # applied by the task after commit (eager in tests)
    assert PendingLoosening.objects.get(pk=pending.pk).status == "applied"
    decided = SecurityEvent.objects.get(event_type=EventType.CONFIRMATION_DECIDED)
    assert (decided.actor_type, decided.actor_id) == ("customer", str(contact.customer.pk))


def test_a_refusal_withdraws_the_loosening(session, contact):
    loosen(session)
    token = token_of_last_request(contact.customer)

    assert answer(token, "refuse").json()["status"] == "refused"

    assert PendingLoosening.objects.get().status == "cancelled"
    assert session.locks()["channels"]["atm"] is False
    assert answer(token, "confirm").status_code == 409  # answered once
    told = Notification.objects.filter(customer=session.customer, template="trusted_confirmation_decided")
    assert told.exists()


def test_an_unanswered_request_expires_and_withdraws_the_loosening(session, contact):
    loosen(session)
    token = token_of_last_request(contact.customer)
    ContactConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    late = answer(token, "confirm")

    assert late.status_code == 403 and late.json()["code"] == "confirmation_expired"
    assert ContactConfirmation.objects.get().status == "expired"
    assert PendingLoosening.objects.get().status == "cancelled"
    assert session.locks()["channels"]["atm"] is False


def test_the_sweep_expires_what_nobody_answered(session, contact):
    loosen(session)
    ContactConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert confirmations_expire() == 1
    assert confirmations_expire() == 0
    assert PendingLoosening.objects.get().status == "cancelled"


def test_the_customers_otp_is_still_needed(session, contact):
    response = loosen(session, otp=False)

    assert response.status_code == 403 and response.json()["code"] == "otp_required"
    assert not ContactConfirmation.objects.exists()


def test_a_tightening_never_waits_for_the_contact(session, contact):
    response = session.patch({"version": session.locks()["version"], "channels": {"atm": False}})

    assert response.status_code == 200
    assert not ContactConfirmation.objects.exists()


# --- the contact cannot act on the customer's protection ------------------------------------------------


def test_the_contact_cannot_see_or_change_the_customers_locks_or_holds(session, contact, hold):
    account = session.account
    assert contact.client.get(f"/api/v1/accounts/{account.pk}/locks").status_code == 404
    patched = contact.client.patch(
        f"/api/v1/accounts/{account.pk}/locks", {"version": 1, "channels": {"atm": True}}, format="json"
    )
    assert patched.status_code == 404
    assert contact.client.get(f"/api/v1/holds/{hold.pk}").status_code == 404
    assert contact.client.post(f"/api/v1/holds/{hold.pk}/cancel").status_code == 404
    early = contact.client.post(f"/api/v1/holds/{hold.pk}/release-early", HTTP_X_OTP=contact.otp())
    assert early.status_code == 404
    # Their own trusted-contact endpoint is about their own contact (none), not the customer's.
    assert contact.client.get("/api/v1/trusted-contact").json() == {"contact": None}
    assert contact.client.delete("/api/v1/trusted-contact", HTTP_X_OTP=contact.otp()).status_code == 404
    assert TrustedContact.objects.filter(customer=session.customer).exists()
    assert Hold.objects.get(pk=hold.pk).status == "held"


def test_a_token_answers_its_own_request_only(session, contact):
    loosen(session)
    first = token_of_last_request(contact.customer)
    assert answer("not-a-token", "confirm").status_code == 404
    answer(first, "refuse")
    loosen(session)
    second = token_of_last_request(contact.customer)

    assert first != second
    assert answer(first, "confirm").status_code == 409  # the old token cannot confirm the new request
    assert PendingLoosening.objects.filter(status="pending").count() == 1


# --- ending a cooling-off early, removing the contact -----------------------------------------------------


@pytest.fixture
def hold(session):
    auth = AuthorizationFactory(account=session.account, outcome="hold", amount=6_000_000, channel="online_transfer")
    return hold_place(authorization_id=auth.pk)


def release_early(session, hold, otp=True):
    headers = {"HTTP_X_OTP": session.otp()} if otp else {}
    return session.client.post(f"/api/v1/holds/{hold.pk}/release-early", **headers)


def test_without_a_contact_the_otp_ends_the_cooling_off(session, hold):
    assert release_early(session, hold, otp=False).status_code == 403

    response = release_early(session, hold)

    assert response.status_code == 200
    assert response.json()["hold"]["status"] == "released" and response.json()["awaiting_contact"] is False


def test_with_a_contact_ending_the_cooling_off_waits_for_them(
    session, contact, hold, django_capture_on_commit_callbacks
):
    response = release_early(session, hold)
    assert response.status_code == 202 and response.json()["awaiting_contact"] is True
    assert Hold.objects.get(pk=hold.pk).status == "held"

    with django_capture_on_commit_callbacks(execute=True):
        assert answer(token_of_last_request(contact.customer), "confirm").status_code == 200

    assert Hold.objects.get(pk=hold.pk).status == "released"


def test_a_refused_early_end_leaves_the_hold_as_it_was(session, contact, hold):
    release_early(session, hold)
    answer(token_of_last_request(contact.customer), "refuse")

    held = Hold.objects.get(pk=hold.pk)
    assert held.status == "held" and held.release_at == hold.release_at


def test_no_early_end_while_the_bank_must_call_back(session, hold):
    case_open(kind=Case.Kind.HOLD_CALLBACK, customer=session.customer, source="hold", actor=Actor.system(), hold=hold)

    response = release_early(session, hold)

    assert response.status_code == 409 and response.json()["code"] == "call_back_pending"


def test_another_customer_cannot_end_my_cooling_off(session, other_session, hold):
    assert (
        other_session.client.post(f"/api/v1/holds/{hold.pk}/release-early", HTTP_X_OTP=other_session.otp()).status_code
        == 404
    )


def test_removing_a_verified_contact_needs_their_confirmation(session, contact):
    response = session.client.delete("/api/v1/trusted-contact", HTTP_X_OTP=session.otp())
    assert response.status_code == 202 and response.json() == {"removed": False}
    assert TrustedContact.objects.filter(customer=session.customer).exists()

    assert answer(token_of_last_request(contact.customer), "confirm").status_code == 200

    assert not TrustedContact.objects.filter(customer=session.customer).exists()
    assert SecurityEvent.objects.filter(
        event_type=EventType.TRUSTED_CONTACT_REMOVED, customer=session.customer
    ).exists()


def test_an_unverified_contact_is_removed_with_the_otp_alone(session):
    name_contact(session, phone=CONTACT_PHONE)

    assert session.client.delete("/api/v1/trusted-contact").status_code == 403
    response = session.client.delete("/api/v1/trusted-contact", HTTP_X_OTP=session.otp())

    assert response.status_code == 200 and response.json() == {"removed": True}


def test_with_a_loosening_delay_the_contacts_confirmation_does_not_shorten_it(
    session, contact, settings, django_capture_on_commit_callbacks
):
    settings.LOOSENING_DELAY = timedelta(hours=1)
    assert loosen(session).status_code == 202
    pending = PendingLoosening.objects.get(status="pending")

    with django_capture_on_commit_callbacks(execute=True):
        assert answer(token_of_last_request(contact.customer), "confirm").status_code == 200

    pending.refresh_from_db()
    assert (pending.status, pending.awaiting_contact) == ("pending", False)
    assert session.locks()["channels"]["atm"] is False  # still waiting out the delay
    from locks.rules.changes import pending_loosening_apply

    PendingLoosening.objects.filter(pk=pending.pk).update(effective_at=timezone.now() - timedelta(seconds=1))
    assert pending_loosening_apply(pending_id=pending.pk)
    assert session.locks()["channels"]["atm"] is True

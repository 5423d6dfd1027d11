"""Trusted contacts: naming and verifying one, asking them to confirm, and their answer.

When a customer has a verified trusted contact, loosening a lock or ending a cooling-off early needs the
contact's confirmation as well as the customer's one-time password: a fraudster who talks the customer
into it (or holds their phone) must also get past somebody the customer trusts. The contact answers one
request with its token and can do nothing else: they never see or change the customer's locks.

This room sits below the rules and the holds: the effect of a confirmation (apply the waiting loosening,
release the hold) runs in the task of the room that owns it, enqueued by name after commit, and the beat
sweeps of those rooms repair a lost message.
"""

import hashlib
import hmac
import secrets
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Customer
from accounts.notifications.queue import notification_queue
from locks.models import ContactConfirmation, Hold, PendingLoosening, TrustedContact
from securitycenter.crypto import token_hash
from securitycenter.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unprocessable
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

CODE_ATTEMPTS = 5


def _code_hash(contact_id: int, code: str) -> str:
    # Keyed: six digits are guessed offline in no time from a plain hash.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{contact_id}:{code}".encode(), hashlib.sha256).hexdigest()


def trusted_contact_verified(customer: Customer) -> TrustedContact | None:
    """The customer's trusted contact if verified: only then must anything wait for them."""
    return (
        TrustedContact.objects.select_related("contact_customer")
        .filter(customer=customer, verified_at__isnull=False)
        .first()
    )


def _notify_contact(contact: TrustedContact, template: str, params: dict[str, Any]) -> None:
    """A message to the contact: in their app (and by SMS) if they are a customer, else an SMS to the phone."""
    if contact.contact_customer is not None:
        notification_queue(
            customer=contact.contact_customer, template=template, params=params, channels=["push", "sms"]
        )
    else:
        notification_queue(
            customer=contact.customer, template=template, params=params, channels=["sms"], recipient=contact.phone
        )


def trusted_contact_name(
    *, customer: Customer, name: str, origin: Origin, phone: str = "", customer_number: str = ""
) -> TrustedContact:
    """Name (or rename, while unverified) the customer's trusted contact and send them the verification code.

    Naming one only adds protection, so it needs no one-time password; replacing a verified contact is
    removing one (`trusted_contact_remove`), which needs their confirmation.
    """
    if bool(phone) == bool(customer_number):
        raise InvalidInput("Give exactly one of phone and customer_number.", code="required", field="phone")
    other = None
    if customer_number:
        other = Customer.objects.filter(customer_number=customer_number, is_active=True).first()
        if other is None:
            raise Unprocessable("No such customer.", code="unknown_customer", field="customer_number")
        if other.pk == customer.pk:
            raise InvalidInput("You cannot be your own trusted contact.", field="customer_number")
    elif phone == customer.phone:
        raise InvalidInput("You cannot be your own trusted contact.", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        contact = TrustedContact.objects.filter(customer=customer).first()
        if contact is not None and contact.verified_at is not None:
            raise Conflict("Remove your trusted contact first (they confirm it).", code="trusted_contact_verified")
        contact = contact or TrustedContact(customer=customer)
        contact.contact_customer, contact.phone, contact.name = other, "" if other else phone, name
        contact.failed_attempts = 0
        contact.code_expires_at = timezone.now() + settings.TRUSTED_CONTACT_CODE_TTL
        contact.code_hash = ""
        contact.save()
        contact.code_hash = _code_hash(contact.pk, code)
        contact.save(update_fields=["code_hash"])
        security_log_record(
            event_type=EventType.TRUSTED_CONTACT_NAMED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"contact_id": contact.pk, "contact_customer_id": other.pk if other else None, "phone": phone},
        )
        _notify_contact(contact, "trusted_contact_code", {"name": customer.name, "code": code})
    return contact


def trusted_contact_verify(*, customer: Customer, code: str, origin: Origin) -> TrustedContact:
    """The customer enters the code their contact received: the contact is verified, once."""
    with transaction.atomic():
        contact = TrustedContact.objects.select_for_update().filter(customer=customer).first()
        if contact is None:
            raise NotFound("You have not named a trusted contact.")
        if contact.verified_at is not None:
            raise Conflict("Your trusted contact is already verified.", code="already_verified")
        usable = (
            contact.code_hash
            and contact.code_expires_at is not None
            and contact.code_expires_at > timezone.now()
            and contact.failed_attempts < CODE_ATTEMPTS
        )
        if not usable:
            raise Conflict("The code has expired or was tried too often: name your contact again.", code="code_expired")
        if not hmac.compare_digest(contact.code_hash, _code_hash(contact.pk, code)):
            TrustedContact.objects.filter(pk=contact.pk).update(failed_attempts=F("failed_attempts") + 1)
            wrong = True
        else:
            wrong = False
            contact.verified_at = timezone.now()
            contact.code_hash = ""
            contact.save(update_fields=["verified_at", "code_hash"])
            security_log_record(
                event_type=EventType.TRUSTED_CONTACT_VERIFIED,
                actor=Actor.customer(customer),
                customer=customer,
                origin=origin,
                details={"contact_id": contact.pk},
            )
    if wrong:  # after the commit, so that the failed attempt counts
        raise InvalidInput("That is not the code your contact received.", code="code_invalid", field="code")
    return contact


def trusted_contact_remove(*, customer: Customer, origin: Origin) -> ContactConfirmation | None:
    """Remove the trusted contact: at once while unverified; a verified one must confirm it (None: removed).

    The caller has checked the customer's one-time password: removing a contact loosens their protection.
    """
    with transaction.atomic():
        contact = TrustedContact.objects.select_for_update().filter(customer=customer).first()
        if contact is None:
            raise NotFound("You have not named a trusted contact.")
        if contact.verified_at is None:
            contact.delete()
            security_log_record(
                event_type=EventType.TRUSTED_CONTACT_REMOVED,
                actor=Actor.customer(customer),
                customer=customer,
                origin=origin,
                details={"contact_id": contact.pk, "verified": False},
            )
            return None
        return confirmation_request(
            contact=contact, action=ContactConfirmation.Action.CONTACT_REMOVAL, summary=["trusted_contact"]
        )


def confirmation_request(
    *,
    contact: TrustedContact,
    action: str,
    summary: list[str],
    pending_loosening: PendingLoosening | None = None,
    hold: Hold | None = None,
) -> ContactConfirmation:
    """Ask the contact to confirm; the token goes to them only. Call inside the transaction of the request."""
    token = secrets.token_urlsafe(32)
    confirmation = ContactConfirmation.objects.create(
        contact=contact,
        customer=contact.customer,
        action=action,
        pending_loosening=pending_loosening,
        hold=hold,
        summary=summary,
        token_hash=token_hash(token),
        expires_at=timezone.now() + settings.TRUSTED_CONFIRMATION_TTL,
    )
    security_log_record(
        event_type=EventType.CONFIRMATION_REQUESTED,
        actor=Actor.customer(contact.customer),
        customer=contact.customer,
        details={"confirmation_id": confirmation.pk, "action": action, "summary": summary},
    )
    _notify_contact(
        contact,
        "trusted_confirmation_request",
        {
            "name": contact.customer.name,
            "action": action,
            "summary": ", ".join(summary),
            "link": settings.TRUSTED_CONFIRMATION_URL.format(token=token),
        },
    )
    return confirmation


def confirmation_decide(*, token: str, confirm: bool, origin: Origin) -> ContactConfirmation:
    """The contact's answer to one request. Its token acts on that request only."""
    with transaction.atomic():
        confirmation = (
            ContactConfirmation.objects.select_for_update(of=("self",))
            .select_related("contact__contact_customer", "customer")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if confirmation is None:
            raise NotFound("No such request.")
        if confirmation.status != ContactConfirmation.Status.PENDING:
            raise Conflict(f"This request was already {confirmation.status}.", code="not_pending")
        expired = confirmation.expires_at <= timezone.now()
        if expired:
            _settle(confirmation, ContactConfirmation.Status.EXPIRED, Actor.system("trusted_contact"), Origin())
        else:
            contact = confirmation.contact
            actor = (
                Actor.customer(contact.contact_customer)
                if contact.contact_customer is not None
                else Actor.system(f"trusted_contact:{contact.pk}")
            )
            status = ContactConfirmation.Status.CONFIRMED if confirm else ContactConfirmation.Status.REFUSED
            _settle(confirmation, status, actor, origin)
    if expired:  # after the commit: the expiry (and the withdrawn loosening) stand
        raise NotPermitted("This request has expired; the customer must ask again.", code="confirmation_expired")
    return confirmation


def _settle(confirmation: ContactConfirmation, status: str, actor: Actor, origin: Origin) -> None:
    """Record the answer (or the expiry) and do what it means, in the caller's transaction."""
    now = timezone.now()
    confirmation.status = status
    confirmation.decided_at = now
    confirmation.save(update_fields=["status", "decided_at"])
    customer = confirmation.customer
    security_log_record(
        event_type=EventType.CONFIRMATION_DECIDED,
        actor=actor,
        customer=customer,
        origin=origin,
        details={"confirmation_id": confirmation.pk, "action": confirmation.action, "status": status},
    )
    confirmed = status == ContactConfirmation.Status.CONFIRMED
    action = confirmation.action
    if action == ContactConfirmation.Action.LOOSENING and confirmation.pending_loosening_id is not None:
        pending = PendingLoosening.objects.filter(
            pk=confirmation.pending_loosening_id, status=PendingLoosening.Status.PENDING
        )
        if confirmed:
            pending.update(awaiting_contact=False)
            _after_commit("locks.rules.tasks.pending_loosenings_apply")
        elif pending.update(status=PendingLoosening.Status.CANCELLED, resolved_at=now):
            security_log_record(
                event_type=EventType.LOOSENING_CANCELLED,
                actor=actor,
                customer=customer,
                origin=origin,
                details={"pending_id": confirmation.pending_loosening_id, "why": f"trusted contact: {status}"},
            )
    elif action == ContactConfirmation.Action.HOLD_RELEASE and confirmation.hold_id is not None and confirmed:
        Hold.objects.filter(pk=confirmation.hold_id, status=Hold.Status.HELD).update(release_at=now)
        _after_commit("locks.holds.tasks.hold_release", confirmation.hold_id)
    elif action == ContactConfirmation.Action.CONTACT_REMOVAL and confirmed:
        security_log_record(
            event_type=EventType.TRUSTED_CONTACT_REMOVED,
            actor=actor,
            customer=customer,
            origin=origin,
            details={"contact_id": confirmation.contact_id, "verified": True},
        )
        TrustedContact.objects.filter(pk=confirmation.contact_id).delete()
    notification_queue(
        customer=customer,
        template="trusted_confirmation_decided",
        params={"action": action, "status": status},
        channels=["push", "sms"],
    )


def _after_commit(task_name: str, *args: Any) -> None:
    """Enqueue a task of a room above this one (rules, holds) by name once the answer commits; that room's
    beat sweep covers a lost message."""

    def trusted_effect_enqueue() -> None:
        tasks = current_app.tasks
        if task_name not in tasks:
            current_app.loader.import_default_modules()  # CELERY_IMPORTS, as a worker does at start
        tasks[task_name].delay(*args)

    transaction.on_commit(trusted_effect_enqueue, robust=True)


def confirmations_expire(*, limit: int = 500) -> int:
    """Expire the requests nobody answered in time (a waiting loosening is withdrawn); safe to run twice."""
    expired = 0
    for _ in range(limit):
        with transaction.atomic():
            confirmation = (
                ContactConfirmation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer")
                .filter(status=ContactConfirmation.Status.PENDING, expires_at__lte=timezone.now())
                .first()
            )
            if confirmation is None:
                break
            _settle(confirmation, ContactConfirmation.Status.EXPIRED, Actor.system("trusted_contact"), Origin())
            expired += 1
    return expired

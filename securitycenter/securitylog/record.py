"""The one constructor for security-log entries.

Call `security_log_record` inside the transaction that performs the act, so the entry and the act
commit or roll back together. Details are scrubbed of secrets before they are stored or hashed.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from securitycenter.client_address import client_address
from securitycenter.rows import row_for_update
from securitycenter.securitylog.models import ActorType, EventType, SecurityEvent, SecurityLogHead

GENESIS_HASH = "0" * 64
BANK_CHAIN = "bank"
SCRUBBED = "[scrubbed]"

# Keys whose values are never written to the log, whatever the caller passes.
_SECRET_KEYS = re.compile(
    r"(^|_)(password|passwd|secret|seed|otp|code|token|api_key|key|pin|cvv|number|account_number|card_number)$",
    re.IGNORECASE,
)
# Keys that contain a secret word but are safe identifiers or descriptions.
_SAFE_KEYS = frozenset(
    {"customer_number", "masked_number", "reason_code", "reason_codes", "error_code", "key_prefix", "country_code"}
)
_LONG_DIGITS = re.compile(r"\d{12,19}")


@dataclass(frozen=True)
class Actor:
    type: str
    id: str = ""

    @classmethod
    def customer(cls, customer: Any) -> "Actor":
        return cls(ActorType.CUSTOMER, str(customer.pk))

    @classmethod
    def agent(cls, user: Any) -> "Actor":
        return cls(ActorType.AGENT, str(user.pk))

    @classmethod
    def service(cls, client_id: int) -> "Actor":
        """A service client (the payment core), by id."""
        return cls(ActorType.SERVICE, str(client_id))

    @classmethod
    def system(cls, name: str = "") -> "Actor":
        return cls(ActorType.SYSTEM, name)


@dataclass(frozen=True)
class Origin:
    """Where an act came from: the caller's address and device."""

    ip_address: str | None = None
    device: str = ""

    @classmethod
    def from_request(cls, request: Any) -> "Origin":
        device = request.META.get("HTTP_X_DEVICE_ID", "")[:128]
        return cls(ip_address=client_address(request), device=device)


def scrub(value: Any, key: str = "") -> Any:
    """Return `value` as plain JSON with secrets replaced and long digit runs (account numbers) masked."""
    if key and key not in _SAFE_KEYS and _SECRET_KEYS.search(key):
        return SCRUBBED
    if isinstance(value, Mapping):
        return {str(k): scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _LONG_DIGITS.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(event: SecurityEvent) -> str:
    payload = {
        "chain": event.chain,
        "seq": event.seq,
        "customer": event.customer_id,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "ip_address": event.ip_address,
        "device": event.device,
        "details": event.details,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_canonical(payload)).hexdigest()


def chain_name(customer_id: int | None) -> str:
    return f"customer:{customer_id}" if customer_id is not None else BANK_CHAIN


def security_log_record(
    *,
    event_type: EventType | str,
    actor: Actor,
    customer: Any | None = None,
    origin: Origin | None = None,
    details: Mapping[str, Any] | None = None,
    old_value: Any = None,
    new_value: Any = None,
) -> SecurityEvent:
    """Append one entry to the customer's chain (or the bank's chain when there is no customer)."""
    event_type = EventType(event_type)
    origin = origin or Origin()
    customer_id = customer.pk if customer is not None else None
    chain = chain_name(customer_id)
    with transaction.atomic():
        head = row_for_update(SecurityLogHead, chain=chain)  # the chain's tip: appends to it queue here
        event = SecurityEvent(
            chain=chain,
            seq=head.seq + 1,
            customer_id=customer_id,
            actor_type=actor.type,
            actor_id=actor.id,
            event_type=event_type,
            occurred_at=timezone.now(),
            ip_address=origin.ip_address,
            device=origin.device,
            details=scrub(dict(details or {})),
            old_value=scrub(old_value),
            new_value=scrub(new_value),
            prev_hash=head.last_hash,
        )
        event.hash = entry_hash(event)
        event.save()
        SecurityLogHead.objects.filter(chain=chain).update(seq=event.seq, last_hash=event.hash)
    return event

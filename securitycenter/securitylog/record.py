"""The one constructor for security-log entries.

Call `security_log_record` inside the transaction that performs the act, so the entry and the act
commit or roll back together. Details are scrubbed of secrets before they are stored or hashed.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from securitycenter.client_address import client_address
from securitycenter.securitylog.models import ActorType, EventType, SecurityEvent

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


class UnknownKeyError(Exception):
    """An entry names a key id that SECURITY_LOG_KEYS does not hold (rotated out too early, or forged)."""


def entry_hash(event: SecurityEvent) -> str:
    """The entry's link in its chain: HMAC-SHA256 under the key the entry names.

    Entries written before the chain was keyed have no key id and a plain SHA-256; the verifier accepts them
    only where a signed checkpoint already covers them (see verify.py), so forging one later does not pass.
    """
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
    if not event.key_id:
        return hashlib.sha256(_canonical(payload)).hexdigest()
    key = dict(settings.SECURITY_LOG_KEYS).get(event.key_id)
    if key is None:
        raise UnknownKeyError(event.key_id)
    payload["key_id"] = event.key_id
    return hmac.new(key.encode(), _canonical(payload), hashlib.sha256).hexdigest()


def current_key_id() -> str:
    return str(settings.SECURITY_LOG_KEYS[0][0])


# Appends to one chain queue on a transaction-scoped advisory lock: the service's database role may only
# insert and read the log, so the chain's tip cannot be a row it updates (or locks FOR UPDATE, which needs
# the UPDATE privilege too). The tip is the chain's last entry; the unique (chain, seq) is the backstop.
_CHAIN_LOCK_NAMESPACE = 0x5EC106


def _chain_lock(chain: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite (local runs) has one writer at a time: transactions begin IMMEDIATE
    key = int.from_bytes(hashlib.blake2b(chain.encode(), digest_size=4).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CHAIN_LOCK_NAMESPACE, key])


def chain_tip(chain: str) -> tuple[int, str]:
    """(seq, hash) of the chain's last entry, or (0, the genesis hash) for a chain not started."""
    last = SecurityEvent.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)


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
        _chain_lock(chain)
        seq, prev_hash = chain_tip(chain)
        event = SecurityEvent(
            chain=chain,
            seq=seq + 1,
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
            prev_hash=prev_hash,
            key_id=current_key_id(),
        )
        event.hash = entry_hash(event)
        event.save()
    return event

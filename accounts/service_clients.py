"""Service clients (the bank's payment core) and their API keys.

A key reads `sc_<prefix>_<secret>`. The prefix names the key in listings and logs; only the SHA-256 of
the whole key is stored, so the secret is shown once, when the key is made, and never again. Rotation
makes a new key and leaves the old one working until it is revoked, so the client can switch over
without an outage.

A client with a webhook URL gets a webhook secret (`whsec_…`) when it is created, shown once too; it is
stored encrypted, since the service signs with it. Rotating it keeps the previous secret signing beside
the new one for an overlap period (`locks.holds.webhooks` sends both signatures meanwhile).
"""

import secrets
import string
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiKey, ServiceClient
from securitycenter.crypto import token_hash
from securitycenter.errors import field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

KEY_PREFIX_LENGTH = 8
# No "_" (it separates the parts of a key) and no look-alike upper case: the prefix is read aloud.
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_ATTEMPTS = 5
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret


def _webhook_secret_new() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def scopes_validate(scopes: Iterable[str]) -> list[str]:
    """The scopes, each a ServiceClient.Scope, without duplicates, in a stable order."""
    scopes = list(scopes)
    unknown = sorted(set(scopes) - set(ServiceClient.Scope.values))
    if unknown:
        known = ", ".join(ServiceClient.Scope.values)
        raise field_error("scopes", f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {known}.", "invalid_scope")
    if not scopes:
        raise field_error("scopes", "A service client needs at least one scope.", "required")
    return [scope for scope in ServiceClient.Scope.values if scope in scopes]


@transaction.atomic
def service_client_create(
    *, name: str, scopes: Iterable[str], webhook_url: str = "", actor: Actor | None = None, origin: Origin | None = None
) -> ServiceClient:
    """A new client. With a webhook URL it gets a webhook secret: `client.webhook_secret`, to hand over once."""
    name = name.strip()
    if not name:
        raise field_error("name", "A service client needs a name.", "required")
    valid_scopes = scopes_validate(scopes)
    if webhook_url:
        try:
            URLValidator(schemes=["https", "http"])(webhook_url)
        except ValidationError:
            raise field_error("webhook_url", "Enter a valid http(s) URL.", "invalid") from None
    if ServiceClient.objects.filter(name=name).exists():
        raise field_error("name", f"A service client named {name!r} already exists.", "duplicate")
    try:
        with transaction.atomic():
            client = ServiceClient.objects.create(
                name=name,
                scopes=valid_scopes,
                webhook_url=webhook_url,
                webhook_secret=_webhook_secret_new() if webhook_url else "",
            )
    except IntegrityError:
        # Created by a parallel call between the check and the insert.
        raise field_error("name", f"A service client named {name!r} already exists.", "duplicate") from None
    security_log_record(
        event_type=EventType.SERVICE_CLIENT_CREATED,
        actor=actor or Actor.system("api_keys"),
        origin=origin,
        details={"client_id": client.pk, "client": client.name, "scopes": valid_scopes},
    )
    return client


def _api_key_new(*, client: ServiceClient) -> tuple[str, ApiKey]:
    for _ in range(_PREFIX_ATTEMPTS):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(KEY_PREFIX_LENGTH))
        raw = f"sc_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                return raw, ApiKey.objects.create(client=client, prefix=prefix, key_hash=token_hash(raw))
        except IntegrityError:
            # 36^8 prefixes make a collision rare, not impossible.
            continue
    raise RuntimeError("Could not find a free API key prefix.")


@transaction.atomic
def api_key_create(
    *, client: ServiceClient, actor: Actor | None = None, origin: Origin | None = None
) -> tuple[str, ApiKey]:
    """A new key for `client`: (the raw key, to hand over once; the stored row)."""
    raw, key = _api_key_new(client=client)
    security_log_record(
        event_type=EventType.API_KEY_CREATED,
        actor=actor or Actor.system("api_keys"),
        origin=origin,
        details={"client_id": client.pk, "client": client.name, "key_prefix": key.prefix},
    )
    return raw, key


def _api_key_revoke(*, key: ApiKey, actor: Actor, origin: Origin | None, reason: str) -> bool:
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not revoked:
        return False
    key.refresh_from_db(fields=["revoked_at"])
    security_log_record(
        event_type=EventType.API_KEY_REVOKED,
        actor=actor,
        origin=origin,
        details={"client_id": key.client_id, "key_prefix": key.prefix, "reason": reason},
    )
    return True


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor | None = None, origin: Origin | None = None) -> bool:
    """Revoke `key` at once; True if this call revoked it (False if it already was)."""
    return _api_key_revoke(key=key, actor=actor or Actor.system("api_keys"), origin=origin, reason="revoked")


@transaction.atomic
def api_key_rotate(
    *, client: ServiceClient, revoke_old: bool = False, actor: Actor | None = None, origin: Origin | None = None
) -> tuple[str, ApiKey]:
    """A new key for `client`. Its other live keys keep working unless `revoke_old` (then they stop now)."""
    actor = actor or Actor.system("api_keys")
    # Lock the client so two rotations with revoke_old cannot each revoke the other's new key.
    ServiceClient.objects.select_for_update().filter(pk=client.pk).first()
    old_keys = list(ApiKey.objects.filter(client=client, revoked_at__isnull=True).order_by("pk"))
    raw, key = _api_key_new(client=client)
    security_log_record(
        event_type=EventType.API_KEY_ROTATED,
        actor=actor,
        origin=origin,
        details={
            "client_id": client.pk,
            "client": client.name,
            "key_prefix": key.prefix,
            "previous_prefixes": [old.prefix for old in old_keys],
            "previous_revoked": revoke_old,
        },
    )
    if revoke_old:
        for old in old_keys:
            _api_key_revoke(key=old, actor=actor, origin=origin, reason="rotated")
    return raw, key


@transaction.atomic
def webhook_secret_rotate(
    *, client: ServiceClient, overlap: timedelta, actor: Actor | None = None, origin: Origin | None = None
) -> str:
    """A new webhook secret for `client` (to hand over once); the current one keeps signing for `overlap`."""
    locked = ServiceClient.objects.select_for_update().get(pk=client.pk)
    if not locked.webhook_url:
        raise field_error("webhook_url", f"{locked.name} has no webhook URL to sign for.", "required")
    if overlap < timedelta(0):
        raise field_error("overlap", "The overlap cannot be negative.", "min_value")
    now = timezone.now()
    new = _webhook_secret_new()
    # The previous secret of an overlap still running is dropped: only the last two ever sign.
    locked.webhook_secret_previous = locked.webhook_secret if overlap and locked.webhook_secret else ""
    locked.webhook_secret_previous_until = now + overlap if locked.webhook_secret_previous else None
    locked.webhook_secret = new
    locked.save(update_fields=["webhook_secret", "webhook_secret_previous", "webhook_secret_previous_until"])
    security_log_record(
        event_type=EventType.WEBHOOK_SECRET_ROTATED,
        actor=actor or Actor.system("api_keys"),
        origin=origin,
        details={
            "client_id": locked.pk,
            "client": locked.name,
            "previous_signs_until": locked.webhook_secret_previous_until,
        },
    )
    client.refresh_from_db()
    return new


def api_key_list(*, client: ServiceClient | None = None) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("client").order_by("client__name", "created_at", "pk")
    return keys.filter(client=client) if client is not None else keys


def api_key_resolve(raw: str) -> ApiKey | None:
    """The live key for `raw` with its active client, or None."""
    try:
        key = ApiKey.objects.select_related("client").get(key_hash=token_hash(raw))
    except ApiKey.DoesNotExist:
        return None
    if key.revoked_at is not None or not key.client.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key

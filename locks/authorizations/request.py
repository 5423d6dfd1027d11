"""What the payment core sends: the authorization request, decoded and checked by msgspec, and its errors.

The same struct decodes requests and generates their OpenAPI schema (`locks.authorizations.openapi`).
"""

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Final

import msgspec
from django.utils import timezone

from locks.decision.patterns import whole
from locks.decision.policy import Channel, CountryCode, CurrencyCode, MerchantCategory, SubdivisionCode
from locks.decision.signals import DeviceSignals
from securitycenter.errors import Conflict, InvalidInput

MAX_CLOCK_SKEW: Final = timedelta(minutes=10)
MAX_AGE: Final = timedelta(hours=24)

TransactionId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=whole(r"[A-Za-z0-9._:\-]+"))]
# The normal form only (`securitycenter.account_numbers`): the payment core sends numbers as it stores them.
AccountNumber = Annotated[str, msgspec.Meta(min_length=8, max_length=34, pattern=whole("[0-9A-Z]+"))]


class AuthorizationRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    transaction_id: TransactionId
    amount: Annotated[int, msgspec.Meta(gt=0, le=10**15)]
    currency: CurrencyCode
    channel: Channel
    country: CountryCode
    initiated_at: Annotated[
        datetime,
        msgspec.Meta(
            tz=True,
            description="When the customer started the payment (RFC 3339 with an offset): within the last "
            "24 hours and at most 10 minutes ahead of the security center's clock; otherwise 400.",
        ),
    ]
    account_id: Annotated[int, msgspec.Meta(gt=0)] | None = None
    account_number: AccountNumber | None = None
    subdivision: SubdivisionCode | None = None
    mcc: MerchantCategory | None = None
    counterparty_account: AccountNumber | None = None
    transfer: bool = False
    # What the bank's app saw on the phone (on a call, screen sharing…): optional, never required.
    device_signals: DeviceSignals | None = None


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Up to AUTHORIZATION_BATCH_MAX requests; each item is decoded on its own, so one bad item fails alone."""

    transactions: list[msgspec.Raw]


class IdempotencyConflict(Conflict):
    """The transaction id was already decided, for a different body."""

    default_code = "idempotency_conflict"

    def __init__(self, transaction_id: str) -> None:
        super().__init__(f"Transaction {transaction_id} was already decided with a different body.")
        self.transaction_id = transaction_id


_decoder = msgspec.json.Decoder(AuthorizationRequest)
_canonical = msgspec.json.Encoder()


def _field_of(error: msgspec.ValidationError) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.amount`"
    text = str(error)
    return text.rsplit("at `$.", 1)[1].rstrip("`").replace("[", ".").replace("]", "") if "at `$." in text else ""


def request_decode(body: bytes) -> AuthorizationRequest:
    """The request in `body`; InvalidInput naming the field otherwise."""
    try:
        request = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        field = _field_of(exc)
        unknown = "Object contains unknown field" in str(exc)
        if unknown:
            # "Object contains unknown field `x` - at `$.device_signals`": name it device_signals.x
            name = str(exc).split("`")[1] if "`" in str(exc) else ""
            field = f"{field}.{name}" if field and name else name or field
        raise InvalidInput(
            str(exc).split(" - at ")[0], code="unknown_field" if unknown else "invalid", field=field
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError):
        # msgspec checks UTF-8 only when it builds a string: invalid bytes inside one raise UnicodeDecodeError.
        raise InvalidInput("The body is not valid JSON in UTF-8.", code="parse_error", field="") from None
    if (request.account_id is None) == (request.account_number is None):
        raise InvalidInput("Give exactly one of account_id and account_number.", code="required", field="account_id")
    if request.subdivision is not None and not request.subdivision.startswith(request.country + "-"):
        raise InvalidInput(f"Must be a subdivision of {request.country}.", field="subdivision")
    now = timezone.now()
    if request.initiated_at > now + MAX_CLOCK_SKEW or request.initiated_at < now - MAX_AGE:
        raise InvalidInput("Must be within the last 24 hours (and not in the future).", field="initiated_at")
    return request


def request_hash(request: AuthorizationRequest) -> str:
    """Same transaction, same body ⇔ same hash, whatever the JSON whitespace or key order."""
    return hashlib.blake2b(_canonical.encode(request), digest_size=16).hexdigest()

"""The compiled policy and the transaction data the decision engine reads, and their wire format.

Pure data: no Django, no I/O. The service compiles an account's lock settings into one `CompiledPolicy`
(bank maximums already applied), encodes it with `policy_encode` for Redis and keeps decoded policies in
process, keyed by version. The engine (`locks.decision.engine.decide`) reads only these structures.

Conventions the engine relies on:

- Amounts are integer minor units (fen) in the policy's currency; a limit of None means no limit.
- Times are UTC epoch seconds (`initiated_at`, travel window bounds). Time windows are local times in the
  policy's IANA time zone.
- A time window covers, for every day D in `days` (Monday=0 … Sunday=6), the local minutes
  [start_minute, end_minute) of D. If start_minute > end_minute the window crosses midnight and covers
  D start_minute to 24:00 plus D+1 00:00 to end_minute, so "Friday 22:00-02:00" includes Saturday 01:00 but
  not Friday 01:00; a Sunday window continues into Monday. end_minute may be 1440 (24:00). An empty
  `time_windows` tuple means any time is allowed.
- A region is an ISO 3166-1 alpha-2 country ("CN") or an ISO 3166-2 subdivision ("CN-AH"). A country entry
  matches every transaction in that country, with or without a subdivision; a subdivision entry matches
  only transactions reporting exactly that subdivision. A transaction's subdivision that does not belong
  to its country is ignored.
- A travel window is active while starts_at <= now < ends_at: it lapses by itself at ends_at.
"""

from functools import lru_cache
from typing import Annotated, Any, Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec.structs import force_setattr

from locks.decision.patterns import whole
from locks.decision.signals import DeviceSignals

Channel = Literal[
    "card_not_present",
    "atm",
    "pos",
    "contactless",
    "cross_border",
    "online_transfer",
    "quick_pay",
]
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)
CROSS_BORDER: Final = "cross_border"
ONLINE_TRANSFER: Final = "online_transfer"
# Third-party quick pay (快捷支付) charges a bound card without the card, so a card-not-present freeze
# covers it as well as online card payments. The channel switches themselves stay separate.
CARD_NOT_PRESENT_CHANNELS: Final[frozenset[str]] = frozenset({"card_not_present", "quick_pay"})

RegionMode = Literal["any", "allow", "block"]
PayeeRisk = Literal["medium", "high"]

MINUTES_PER_DAY: Final = 1440
ALL_DAYS: Final[tuple[int, ...]] = (0, 1, 2, 3, 4, 5, 6)

# ISO 3166-1 alpha-2 and ISO 3166-2 shapes; the service checks codes against the real list.
CountryCode = Annotated[str, msgspec.Meta(pattern=whole("[A-Z]{2}"))]
SubdivisionCode = Annotated[str, msgspec.Meta(pattern=whole("[A-Z]{2}-[A-Z0-9]{1,3}"))]
RegionCode = Annotated[str, msgspec.Meta(pattern=whole("[A-Z]{2}(-[A-Z0-9]{1,3})?"))]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=whole("[A-Z]{3}"))]
MerchantCategory = Annotated[str, msgspec.Meta(pattern=whole("[0-9]{4}"))]
Amount = Annotated[int, msgspec.Meta(ge=0)]
Minute = Annotated[int, msgspec.Meta(ge=0, le=MINUTES_PER_DAY)]

# Decoded policies are cached in process for up to a million accounts, so repeated values (time zone
# names, frozensets of regions, typical limit amounts) are shared instead of stored once per account.
# The tables are bounded: past the bound values are simply not shared.
_INTERN_MAX: Final = 65_536
_interned_ints: dict[int, int] = {}
_interned_sets: dict[frozenset[str], frozenset[str]] = {}
_interned_tuples: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_interned_strs: dict[str, str] = {}
_EMPTY_SET: Final[frozenset[Any]] = frozenset()
_interned_sets[_EMPTY_SET] = _EMPTY_SET


def _intern_int(value: int | None) -> int | None:
    if value is None or -6 < value < 257:  # CPython already shares small ints
        return value
    shared = _interned_ints.get(value)
    if shared is not None:
        return shared
    if len(_interned_ints) < _INTERN_MAX:
        _interned_ints[value] = value
    return value


def _intern_str(value: str) -> str:
    shared = _interned_strs.get(value)
    if shared is not None:
        return shared
    if len(_interned_strs) < _INTERN_MAX:
        _interned_strs[value] = value
    return value


def _intern_set(value: frozenset[str]) -> frozenset[str]:
    shared = _interned_sets.get(value)
    if shared is not None:
        return shared
    if len(_interned_sets) < _INTERN_MAX:
        _interned_sets[value] = value
    return value


def _intern_tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if not value:
        return ()
    shared = _interned_tuples.get(value)
    if shared is not None:
        return shared
    if len(_interned_tuples) < _INTERN_MAX:
        _interned_tuples[value] = value
    return value


@lru_cache(maxsize=1024)
def zone_info(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError if there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


def stricter_limit(a: int | None, b: int | None) -> int | None:
    """The stricter of two limits, where None is no limit (a customer's limit under the bank's ceiling, or
    the lower of an old and a new limit)."""
    if a is None:
        return b
    return a if b is None else min(a, b)


class TimeWindow(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """Allowed local time on some days of the week; see the module docstring for midnight crossing."""

    days: tuple[int, ...]
    start_minute: Minute
    end_minute: Minute

    def __post_init__(self) -> None:
        days = tuple(sorted(set(self.days)))
        if not days or days[0] < 0 or days[-1] > 6:
            raise ValueError("days must be a non-empty set of weekdays 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < MINUTES_PER_DAY or not 0 <= self.end_minute <= MINUTES_PER_DAY:
            raise ValueError("start_minute must be in 0..1439 and end_minute in 0..1440")
        if self.start_minute == self.end_minute:
            raise ValueError("a time window must not be empty")
        force_setattr(self, "days", _intern_tuple(days))


class ChannelLimits(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """Amount limits for one channel, in minor units and checked against that channel's own usage."""

    channel: Channel
    per_transaction: Amount | None = None
    daily: Amount | None = None
    monthly: Amount | None = None

    def __post_init__(self) -> None:
        force_setattr(self, "per_transaction", _intern_int(self.per_transaction))
        force_setattr(self, "daily", _intern_int(self.daily))
        force_setattr(self, "monthly", _intern_int(self.monthly))


class Ceilings(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """The bank's ceilings for the account's kind (personal, corporate), already folded into the policy's
    limits: kept so that a payment over one is told it is the bank's maximum, not a lock of the customer's."""

    per_transaction: Amount | None = None
    daily: Amount | None = None
    monthly: Amount | None = None


_interned_ceilings: dict[Ceilings, Ceilings] = {}


def _intern_ceilings(value: Ceilings | None) -> Ceilings | None:
    if value is None:
        return None
    shared = _interned_ceilings.get(value)
    if shared is not None:
        return shared
    if len(_interned_ceilings) < _INTERN_MAX:
        _interned_ceilings[value] = value
    return value


class TravelWindow(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A temporary allowance for regions, active while starts_at <= now < ends_at (UTC epoch seconds)."""

    regions: frozenset[RegionCode]
    starts_at: int
    ends_at: int

    def __post_init__(self) -> None:
        if self.starts_at >= self.ends_at:
            raise ValueError("a travel window must end after it starts")
        force_setattr(self, "regions", _intern_set(self.regions))


class CompiledPolicy(
    msgspec.Struct,
    frozen=True,
    omit_defaults=True,
    gc=False,
    rename={
        "account_id": "a",
        "version": "v",
        "currency": "c",
        "home_country": "h",
        "time_zone": "z",
        "per_transaction_limit": "p",
        "daily_limit": "d",
        "monthly_limit": "m",
        "channel_limits": "l",
        "channels_off": "o",
        "region_mode": "r",
        "regions": "R",
        "time_windows": "w",
        "travel_windows": "t",
        "freeze_card_not_present": "f",
        "freeze_all_outgoing": "F",
        "cooling_off_threshold": "k",
        "cooling_off_new_payee_threshold": "n",
        "ceilings": "b",
        "call_back_new_payee_threshold": "q",
    },
):
    """One account's locks, switches, freezes and thresholds, as the engine reads them.

    Encoded as a msgpack map with one-letter keys and defaults omitted: a policy with only the bank's
    limits and thresholds is about 40 bytes.
    """

    account_id: int
    version: int
    currency: CurrencyCode = "CNY"
    home_country: CountryCode = "CN"
    time_zone: str = "Asia/Shanghai"
    per_transaction_limit: Amount | None = None
    daily_limit: Amount | None = None
    monthly_limit: Amount | None = None
    # At most one entry per channel; a channel without an entry has no channel limits.
    channel_limits: tuple[ChannelLimits, ...] = ()
    channels_off: frozenset[Channel] = _EMPTY_SET
    region_mode: RegionMode = "any"
    regions: frozenset[RegionCode] = _EMPTY_SET
    time_windows: tuple[TimeWindow, ...] = ()
    travel_windows: tuple[TravelWindow, ...] = ()
    freeze_card_not_present: bool = False
    freeze_all_outgoing: bool = False
    # Transfers at or above this amount are held (冷静期); None means no cooling-off.
    cooling_off_threshold: Amount | None = None
    # The first transfer to a payee the customer has never paid is held at or above this amount.
    cooling_off_new_payee_threshold: Amount | None = None
    # The bank's ceilings that the limits above already respect (None: the policy names none).
    ceilings: Ceilings | None = None
    # A protected (elderly) customer's transfer to a new payee at or above this is held for a call-back.
    call_back_new_payee_threshold: Amount | None = None

    def __post_init__(self) -> None:
        zone_info(self.time_zone)  # the engine must be able to evaluate time windows
        channels = {c.channel for c in self.channel_limits}
        if len(channels) != len(self.channel_limits):
            raise ValueError("channel_limits has more than one entry for a channel")
        for name in ("currency", "home_country", "time_zone"):
            force_setattr(self, name, _intern_str(getattr(self, name)))
        for name in (
            "per_transaction_limit",
            "daily_limit",
            "monthly_limit",
            "cooling_off_threshold",
            "cooling_off_new_payee_threshold",
            "call_back_new_payee_threshold",
        ):
            force_setattr(self, name, _intern_int(getattr(self, name)))
        force_setattr(self, "channels_off", _intern_set(self.channels_off))
        force_setattr(self, "regions", _intern_set(self.regions))
        force_setattr(self, "channel_limits", _intern_tuple(self.channel_limits))
        force_setattr(self, "time_windows", _intern_tuple(self.time_windows))
        force_setattr(self, "travel_windows", _intern_tuple(self.travel_windows))
        force_setattr(self, "ceilings", _intern_ceilings(self.ceilings))

    def limits_for(self, channel: str) -> ChannelLimits | None:
        for limits in self.channel_limits:
            if limits.channel == channel:
                return limits
        return None


# msgspec omits a default only when the value is the default object itself, so interning must map equal
# values to the defaults.
for _field in msgspec.structs.fields(CompiledPolicy):
    if isinstance(_field.default, str):
        _interned_strs[_field.default] = _field.default


class Transaction(msgspec.Struct, frozen=True, gc=False):
    """One payment as the payment core describes it. `counterparty` is already a keyed hash."""

    transaction_id: str
    account_id: int
    amount: Annotated[int, msgspec.Meta(gt=0)]
    currency: CurrencyCode
    channel: Channel
    country: CountryCode
    initiated_at: Annotated[float, msgspec.Meta(ge=0)]  # UTC epoch seconds
    subdivision: SubdivisionCode | None = None
    mcc: MerchantCategory | None = None
    counterparty: str | None = None
    # A transfer to a person; online_transfer always is one, and the payment core may flag others.
    transfer: bool = False
    # What the customer's phone reported (locks.decision.signals); None when the app sent nothing.
    signals: DeviceSignals | None = None

    @property
    def is_transfer(self) -> bool:
        return self.transfer or self.channel == ONLINE_TRANSFER


class Usage(msgspec.Struct, frozen=True, gc=False):
    """What the account has already spent (in the customer's day and month) and what is known of the payee.

    The channel figures are for the transaction's own channel. `payee_known` is False unless the customer
    has paid this counterparty before, so a transfer with no payee history counts as a new payee.
    """

    spent_today: int = 0
    spent_this_month: int = 0
    channel_spent_today: int = 0
    channel_spent_this_month: int = 0
    payee_risk: PayeeRisk | None = None
    payee_known: bool = False


_encoder = msgspec.msgpack.Encoder(order="deterministic")
_decoder = msgspec.msgpack.Decoder(CompiledPolicy)


def policy_encode(policy: CompiledPolicy) -> bytes:
    """The compact msgpack form of a policy; equal policies give equal bytes."""
    # Rebuilt so that values equal to a default are the default object (msgspec compares defaults by
    # identity), also for policies made with msgspec.structs.replace, which skips __post_init__.
    return _encoder.encode(CompiledPolicy(*msgspec.structs.astuple(policy)))


def policy_decode(data: bytes) -> CompiledPolicy:
    """Decode and validate a policy; raises msgspec.ValidationError or msgspec.DecodeError on bad data."""
    return _decoder.decode(data)

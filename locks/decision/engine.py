"""The authorization decision: compiled policy + transaction + usage so far → decision with reasons.

Pure and deterministic: no Django, no I/O, no clock (the transaction carries its own time). It runs for
every payment, so an approval builds no reasons and returns the shared APPROVED decision, and the local
weekday and minute for time locks come from a per-zone cache keyed by UTC minute instead of datetimes.

A decision carries exactly the reasons that produced its outcome, the deciding one first. Outcome
precedence is decline > review > hold > approve: a decline lists every lock or rule that refuses the payment
(in the order of `Reason`, most fundamental first) and nothing else, so a refused payment never tells the
customer it can be cancelled while held; a hold or review lists only the reasons that hold it or send it to
review. Limits are reported as what they are: per transaction, daily, monthly, or the channel's own.
"""

from datetime import datetime, tzinfo
from typing import Final, Literal

import msgspec

from locks.decision.policy import (
    CARD_NOT_PRESENT_CHANNELS,
    CROSS_BORDER,
    ONLINE_TRANSFER,
    CompiledPolicy,
    Transaction,
    TravelWindow,
    Usage,
    zone_info,
)
from locks.decision.reasons import Reason, reasons_render
from locks.decision.signals import DEFAULT_SIGNAL_RULES, SignalRules

Outcome = Literal["approve", "decline", "hold", "review"]
APPROVE: Final = "approve"
DECLINE: Final = "decline"
HOLD: Final = "hold"
REVIEW: Final = "review"
OUTCOMES: Final[tuple[Outcome, ...]] = (APPROVE, DECLINE, HOLD, REVIEW)
# What counts against the daily and monthly limits: everything the money may still leave by. A held or
# reviewed payment is counted until it is released, or given back when it is stopped or declined.
COUNTED_OUTCOMES: Final[frozenset[str]] = frozenset({APPROVE, HOLD, REVIEW})


class Decision(msgspec.Struct, frozen=True, gc=False):
    outcome: Outcome
    reasons: tuple[Reason, ...] = ()

    def messages(self) -> list[dict[str, object]]:
        """[{code, message: {zh-Hans, en}}] per reason, most important first."""
        return reasons_render(self.reasons)


APPROVED: Final = Decision(APPROVE)

# Bound names: attribute look-ups on the enum cost more than a global read on the hot path.
_SCREEN_SHARING: Final = Reason.SCREEN_SHARING
_REMOTE_CONTROL: Final = Reason.REMOTE_CONTROL
_DEVICE_INTEGRITY_FAILED: Final = Reason.DEVICE_INTEGRITY_FAILED
_UNKNOWN_CALLER_NEW_PAYEE: Final = Reason.UNKNOWN_CALLER_NEW_PAYEE
_NEW_DEVICE_NEW_PAYEE: Final = Reason.NEW_DEVICE_NEW_PAYEE
_PROTECTED_NEW_PAYEE: Final = Reason.PROTECTED_NEW_PAYEE
_ACCOUNT_FROZEN: Final = Reason.ACCOUNT_FROZEN
_CARD_NOT_PRESENT_FROZEN: Final = Reason.CARD_NOT_PRESENT_FROZEN
_PAYEE_HIGH_RISK: Final = Reason.PAYEE_HIGH_RISK
_CHANNEL_OFF: Final = Reason.CHANNEL_OFF
_CROSS_BORDER_OFF: Final = Reason.CROSS_BORDER_OFF
_REGION_NOT_ALLOWED: Final = Reason.REGION_NOT_ALLOWED
_OUTSIDE_ALLOWED_TIME: Final = Reason.OUTSIDE_ALLOWED_TIME
_CURRENCY_MISMATCH: Final = Reason.CURRENCY_MISMATCH
_OVER_PER_TRANSACTION_LIMIT: Final = Reason.OVER_PER_TRANSACTION_LIMIT
_OVER_BANK_PER_TRANSACTION_LIMIT: Final = Reason.OVER_BANK_PER_TRANSACTION_LIMIT
_OVER_BANK_DAILY_LIMIT: Final = Reason.OVER_BANK_DAILY_LIMIT
_OVER_BANK_MONTHLY_LIMIT: Final = Reason.OVER_BANK_MONTHLY_LIMIT
_OVER_DAILY_LIMIT: Final = Reason.OVER_DAILY_LIMIT
_OVER_MONTHLY_LIMIT: Final = Reason.OVER_MONTHLY_LIMIT
_OVER_CHANNEL_PER_TRANSACTION_LIMIT: Final = Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT
_OVER_CHANNEL_DAILY_LIMIT: Final = Reason.OVER_CHANNEL_DAILY_LIMIT
_OVER_CHANNEL_MONTHLY_LIMIT: Final = Reason.OVER_CHANNEL_MONTHLY_LIMIT
_PAYEE_MEDIUM_RISK: Final = Reason.PAYEE_MEDIUM_RISK
_COOLING_OFF: Final = Reason.COOLING_OFF
_NEW_PAYEE_COOLING_OFF: Final = Reason.NEW_PAYEE_COOLING_OFF


def decide(
    policy: CompiledPolicy, txn: Transaction, usage: Usage, rules: SignalRules = DEFAULT_SIGNAL_RULES
) -> Decision:
    """The decision on one payment; `rules` say what to do with the transaction's device signals, if any."""
    # Reasons accumulate in a tuple: an approval, the common case, allocates nothing at all.
    reasons: tuple[Reason, ...] = ()
    channel = txn.channel
    amount = txn.amount
    signals = txn.signals  # None unless the app sent them: then nothing of the signal rules runs

    if signals is not None and (txn.transfer or channel == ONLINE_TRANSFER or channel in CARD_NOT_PRESENT_CHANNELS):
        if signals.screen_sharing and rules.screen_sharing_declines:
            reasons += (_SCREEN_SHARING,)
        if signals.remote_control and rules.remote_control_declines:
            reasons += (_REMOTE_CONTROL,)
        if signals.integrity_failed and rules.integrity_failed_declines:
            reasons += (_DEVICE_INTEGRITY_FAILED,)
    if policy.freeze_all_outgoing:
        reasons += (_ACCOUNT_FROZEN,)
    if policy.freeze_card_not_present and channel in CARD_NOT_PRESENT_CHANNELS:
        reasons += (_CARD_NOT_PRESENT_FROZEN,)
    payee_risk = usage.payee_risk
    if payee_risk == "high":
        reasons += (_PAYEE_HIGH_RISK,)

    channels_off = policy.channels_off
    cross_border_off = False
    if channels_off:
        if channel in channels_off and channel != CROSS_BORDER:
            reasons += (_CHANNEL_OFF,)
        # Cross-border is both a channel and a property of any payment outside the home country.
        cross_border_off = CROSS_BORDER in channels_off and (
            channel == CROSS_BORDER or txn.country != policy.home_country
        )
    region_mode = policy.region_mode
    if cross_border_off or region_mode != "any":
        reasons += _region_reasons(policy, txn, cross_border_off, region_mode)

    if policy.time_windows and not _within_time_windows(policy, txn.initiated_at):
        reasons += (_OUTSIDE_ALLOWED_TIME,)

    if txn.currency != policy.currency:
        # Limits are amounts in the account's currency: comparing another currency's amount is meaningless.
        reasons += (_CURRENCY_MISMATCH,)
    else:
        # A limit equal to the bank's ceiling is the bank's: the customer cannot raise it (only what is
        # looked at once a limit is exceeded, so an approval pays nothing for it).
        limit = policy.per_transaction_limit
        if limit is not None and amount > limit:
            bank = policy.ceilings is not None and limit == policy.ceilings.per_transaction
            reasons += (_OVER_BANK_PER_TRANSACTION_LIMIT if bank else _OVER_PER_TRANSACTION_LIMIT,)
        limit = policy.daily_limit
        if limit is not None and usage.spent_today + amount > limit:
            bank = policy.ceilings is not None and limit == policy.ceilings.daily
            reasons += (_OVER_BANK_DAILY_LIMIT if bank else _OVER_DAILY_LIMIT,)
        limit = policy.monthly_limit
        if limit is not None and usage.spent_this_month + amount > limit:
            bank = policy.ceilings is not None and limit == policy.ceilings.monthly
            reasons += (_OVER_BANK_MONTHLY_LIMIT if bank else _OVER_MONTHLY_LIMIT,)
        if policy.channel_limits:
            for channel_limits in policy.channel_limits:
                if channel_limits.channel == channel:
                    limit = channel_limits.per_transaction
                    if limit is not None and amount > limit:
                        reasons += (_OVER_CHANNEL_PER_TRANSACTION_LIMIT,)
                    limit = channel_limits.daily
                    if limit is not None and usage.channel_spent_today + amount > limit:
                        reasons += (_OVER_CHANNEL_DAILY_LIMIT,)
                    limit = channel_limits.monthly
                    if limit is not None and usage.channel_spent_this_month + amount > limit:
                        reasons += (_OVER_CHANNEL_MONTHLY_LIMIT,)
                    break

    if reasons:
        # A refused payment is not held as well: the hold's reasons would tell the customer to wait.
        return Decision(DECLINE, reasons)

    transfer = txn.transfer or channel == ONLINE_TRANSFER
    if not transfer:
        # A person checks a risky card payment at once; only transfers wait out a cooling-off period.
        return _REVIEW_MEDIUM_RISK if payee_risk == "medium" else APPROVED
    if payee_risk == "medium":
        # A risky transfer waits out the cooling-off period, during which the customer, the family or the
        # bank can stop it.
        reasons += (_PAYEE_MEDIUM_RISK,)
    if signals is not None and not usage.payee_known:
        floor = rules.unknown_caller_hold_floor
        if floor is not None and amount >= floor and signals.on_call and signals.caller_in_contacts is not True:
            # Told what to do by somebody on the phone whose number the customer does not even have.
            reasons += (_UNKNOWN_CALLER_NEW_PAYEE,)
    threshold = policy.call_back_new_payee_threshold
    if threshold is not None and amount >= threshold and not usage.payee_known:
        reasons += (_PROTECTED_NEW_PAYEE,)
    if signals is not None and not usage.payee_known:
        floor = rules.new_device_hold_floor
        seen = signals.device_first_seen_hours
        if floor is not None and amount >= floor and seen is not None and seen < rules.new_device_hours:
            reasons += (_NEW_DEVICE_NEW_PAYEE,)
    threshold = policy.cooling_off_threshold
    if threshold is not None and amount >= threshold:
        reasons += (_COOLING_OFF,)
    threshold = policy.cooling_off_new_payee_threshold
    if threshold is not None and amount >= threshold and not usage.payee_known:
        reasons += (_NEW_PAYEE_COOLING_OFF,)
    if not reasons:
        return APPROVED
    return Decision(HOLD, reasons)


_REVIEW_MEDIUM_RISK: Final = Decision(REVIEW, (_PAYEE_MEDIUM_RISK,))


def _running_limit_reasons(
    policy: CompiledPolicy, spent_today: int, spent_this_month: int, amount: int
) -> tuple[Reason, ...]:
    """The account's daily and monthly limits that this payment would exceed, the bank's named as such
    (`decide` has the same checks inline)."""
    reasons: tuple[Reason, ...] = ()
    daily = policy.daily_limit
    if daily is not None and spent_today + amount > daily:
        bank = policy.ceilings is not None and daily == policy.ceilings.daily
        reasons += (_OVER_BANK_DAILY_LIMIT if bank else _OVER_DAILY_LIMIT,)
    monthly = policy.monthly_limit
    if monthly is not None and spent_this_month + amount > monthly:
        bank = policy.ceilings is not None and monthly == policy.ceilings.monthly
        reasons += (_OVER_BANK_MONTHLY_LIMIT if bank else _OVER_MONTHLY_LIMIT,)
    return reasons


def usage_limit_reasons(policy: CompiledPolicy, txn: Transaction, usage: Usage) -> tuple[Reason, ...]:
    """The running limits (daily, monthly, the channel's daily and monthly) that `usage` plus this payment
    would exceed: what the authorization script checks before it reserves."""
    amount = txn.amount
    reasons = _running_limit_reasons(policy, usage.spent_today, usage.spent_this_month, amount)
    limits = policy.limits_for(txn.channel)
    if limits is not None:
        if limits.daily is not None and usage.channel_spent_today + amount > limits.daily:
            reasons += (_OVER_CHANNEL_DAILY_LIMIT,)
        if limits.monthly is not None and usage.channel_spent_this_month + amount > limits.monthly:
            reasons += (_OVER_CHANNEL_MONTHLY_LIMIT,)
    return reasons


def _region_reasons(
    policy: CompiledPolicy, txn: Transaction, cross_border_off: bool, region_mode: str
) -> tuple[Reason, ...]:
    country = txn.country
    subdivision = txn.subdivision
    if subdivision is not None and not (
        len(subdivision) > 3 and subdivision[2] == "-" and subdivision.startswith(country)
    ):
        subdivision = None
    region_refused = False
    if region_mode == "allow":
        regions = policy.regions
        region_refused = country not in regions and (subdivision is None or subdivision not in regions)
    elif region_mode == "block":
        regions = policy.regions
        region_refused = country in regions or (subdivision is not None and subdivision in regions)
    if not (region_refused or cross_border_off):
        return ()
    if policy.travel_windows and _travel_covers(policy.travel_windows, country, subdivision, txn.initiated_at):
        return ()
    if not cross_border_off:
        return _REGION_ONLY
    return _CROSS_BORDER_AND_REGION if region_refused else _CROSS_BORDER_ONLY


_REGION_ONLY: Final = (_REGION_NOT_ALLOWED,)
_CROSS_BORDER_ONLY: Final = (_CROSS_BORDER_OFF,)
_CROSS_BORDER_AND_REGION: Final = (_CROSS_BORDER_OFF, _REGION_NOT_ALLOWED)


def _travel_covers(windows: tuple[TravelWindow, ...], country: str, subdivision: str | None, now: float) -> bool:
    for window in windows:
        if window.starts_at <= now < window.ends_at and (
            country in window.regions or (subdivision is not None and subdivision in window.regions)
        ):
            return True
    return False


def _within_time_windows(policy: CompiledPolicy, now: float) -> bool:
    # local_weekday_minute, inlined for its cache hit: this runs for every policy with a time lock.
    by_minute = _local_by_zone.get(policy.time_zone)
    local = None if by_minute is None else by_minute.get(now // 60)
    weekday, minute = local if local is not None else _local_weekday_minute_compute(policy.time_zone, int(now))
    for window in policy.time_windows:
        start = window.start_minute
        end = window.end_minute
        if start < end:
            if start <= minute < end and weekday in window.days:
                return True
        elif minute >= start:
            if weekday in window.days:
                return True
        elif minute < end and (weekday + 6) % 7 in window.days:
            # The after-midnight part of a window that started the day before.
            return True
    return False


# Arithmetic on epoch seconds is the dearest part of a time-window check, so the local (weekday, minute)
# is cached per UTC minute: payments arrive at "now", so the working set is a few minutes per zone.
# zone name → {UTC minute number → (weekday, minute of the day)}
_local_by_zone: dict[str, dict[float, tuple[int, int]]] = {}
_LOCAL_CACHE_MAX: Final = 200_000


def local_weekday_minute(zone: str, now: float) -> tuple[int, int]:
    """Weekday (Monday=0) and minute of the day at UTC epoch second `now` (>= 0) in IANA zone `zone`."""
    by_minute = _local_by_zone.get(zone)
    if by_minute is not None:
        cached = by_minute.get(now // 60)
        if cached is not None:
            return cached
    return _local_weekday_minute_compute(zone, int(now))


def _local_weekday_minute_compute(zone: str, seconds: int) -> tuple[int, int]:
    tz = zone_info(zone)
    offset = _offset_at(tz, seconds)
    local = seconds + offset
    result = ((local // 86400 + 3) % 7, local // 60 % 1440)  # 1970-01-01 was a Thursday
    # Cache only if the whole UTC minute maps to the same local minute: the offset is a whole number of
    # minutes (true of every offset since 1972) and does not change within the minute.
    minute_start = seconds - seconds % 60
    if offset % 60 == 0 and _offset_at(tz, minute_start) == offset == _offset_at(tz, minute_start + 59):
        by_minute = _local_by_zone.setdefault(zone, {})
        if len(by_minute) >= _LOCAL_CACHE_MAX:
            by_minute.clear()
        by_minute[seconds // 60] = result
    return result


def _offset_at(tz: tzinfo, moment: int) -> int:
    offset = datetime.fromtimestamp(moment, tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset for an aware instant
    return int(offset.total_seconds())

"""How long a lock-out lasts: doubling with each repeat, up to a cap. Sign-in and one-time passwords both
lock out this way, each with its own base and count (see `accounts.signin` and `accounts.otp`)."""

from datetime import timedelta

LOCKOUT_CAP = timedelta(days=1)  # past a day a lock-out stops protecting and only annoys


def lockout_duration(*, base: timedelta, doublings: int, cap: timedelta = LOCKOUT_CAP) -> timedelta:
    # The exponent is bounded first: 2**doublings of a huge count would be computed before min() caps it.
    return min(base * 2 ** min(max(doublings, 0), 32), cap)

"""Daily and monthly spend: the Redis counters, and how they are given back and rebuilt.

The authorization script (`locks.authorizations.script`) checks and reserves against these counters in the
same round trip as everything else it does; this module owns their shape, gives amounts back (a decline
after a reservation, a reversal, a cancelled or stopped hold) and rebuilds them from the durable record.

Per account, `sc:usage:<account>` is a small hash: `d`/`m` (the customer's current day yyyymmdd and month
yyyymm), `da`/`ma` (spent today / this month) and `dc:<channel>`/`mc:<channel>` (the same per channel).
When the day or month changes the script resets those fields. When the hash is missing — a new account,
an expired key, or Redis lost its data — the script answers `rebuild` and the caller rebuilds it from the
`Authorization` rows (the durable record) before any decision is made on that account.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import redis
from django.db.models import Sum
from django.db.models.functions import Coalesce

from locks.decision.policy import zone_info
from locks.models import Authorization
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)

USAGE_KEY = "sc:usage:{}"
PAYEES_KEY = "sc:payees:{}"
USAGE_TTL = 40 * 86400  # an idle account's counters expire and are rebuilt from the database when needed

RELEASE_LUA = """
local u = redis.call('HMGET', KEYS[1], 'd', 'm')
local amount = -tonumber(ARGV[3])
if u[1] == ARGV[1] then
  redis.call('HINCRBY', KEYS[1], 'da', amount)
  redis.call('HINCRBY', KEYS[1], 'dc:' .. ARGV[4], amount)
end
if u[2] == ARGV[2] then
  redis.call('HINCRBY', KEYS[1], 'ma', amount)
  redis.call('HINCRBY', KEYS[1], 'mc:' .. ARGV[4], amount)
end
if ARGV[5] ~= '' and ARGV[6] == '0' then redis.call('SREM', KEYS[2], ARGV[5]) end
return 1
"""

INIT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class LocalPeriod:
    day: date
    day_key: int  # yyyymmdd
    month_key: int  # yyyymm

    @classmethod
    def of_day(cls, day: date) -> "LocalPeriod":
        return cls(day, day.year * 10000 + day.month * 100 + day.day, day.year * 100 + day.month)


@lru_cache(maxsize=65_536)
def _local_period(zone: str, hour_bucket: int) -> tuple[int, int, int, int]:
    """UTC offset (s) and local date of the start of a UTC hour; cached because offsets change rarely."""
    moment = datetime.fromtimestamp(hour_bucket * 3600, tz=zone_info(zone))
    offset = int(moment.utcoffset().total_seconds())  # type: ignore[union-attr]
    return offset, moment.year, moment.month, moment.day


def local_period(zone: str, epoch: float) -> LocalPeriod:
    """The customer's local day and month at `epoch` (offsets change only on hour boundaries in practice)."""
    offset = _local_period(zone, int(epoch // 3600))[0]
    local = datetime.utcfromtimestamp(epoch + offset)  # deliberately naive: local wall time
    return LocalPeriod(
        day=local.date(),
        day_key=local.year * 10000 + local.month * 100 + local.day,
        month_key=local.year * 100 + local.month,
    )


def usage_release(
    client: Any,
    *,
    account_id: int,
    period: LocalPeriod,
    amount: int,
    channel: str,
    counterparty: str = "",
    payee_was_known: bool = True,
) -> None:
    """Give `amount` back to the counters of the day and month it was counted in (the only builder of
    RELEASE_LUA's arguments). A payee first recorded by the reservation is forgotten again unless it was
    known before. `client` may be a pipeline."""
    client.eval(
        RELEASE_LUA,
        2,
        USAGE_KEY.format(account_id),
        PAYEES_KEY.format(account_id),
        str(period.day_key),
        str(period.month_key),
        str(amount),
        channel,
        counterparty,
        "1" if payee_was_known else "0",
    )


def counted_amount_give_back(row: Authorization) -> None:
    """Take a counted authorization's amount back out of the Redis counters (after its reversal commits).

    If Redis is unreachable the counters stay too high, the safe direction, until they are next rebuilt.
    """
    try:
        usage_release(
            redis_client(),
            account_id=row.account_id,
            period=LocalPeriod.of_day(row.local_day),
            amount=row.amount,
            channel=row.channel,
        )
    except redis.RedisError:
        logger.warning("could not release reversed amount of %s in Redis", row.transaction_id)


def _sum(queryset: Any) -> int:
    return int(queryset.aggregate(total=Coalesce(Sum("amount"), 0))["total"])


def usage_from_database(*, account_id: int, period: LocalPeriod, channel: str | None = None) -> dict[str, int]:
    """Spent today and this month (overall, and for `channel`) according to the durable record."""
    counted = Authorization.objects.filter(account_id=account_id, counted=True, reversed_at__isnull=True)
    month_start = period.day.replace(day=1)
    today = counted.filter(local_day=period.day)
    month = counted.filter(local_day__gte=month_start, local_day__lte=period.day)
    usage = {"da": _sum(today), "ma": _sum(month), "dc": 0, "mc": 0}
    if channel is not None:
        usage["dc"] = _sum(today.filter(channel=channel))
        usage["mc"] = _sum(month.filter(channel=channel))
    return usage


def usage_rebuild(client: redis.Redis, *, account_id: int, period: LocalPeriod) -> bool:
    """Recreate an account's usage hash and known-payee set from the database; False if another did."""
    counted = Authorization.objects.filter(account_id=account_id, counted=True, reversed_at__isnull=True)
    month_start = period.day.replace(day=1)
    fields: dict[str, int] = {"d": period.day_key, "m": period.month_key, "da": 0, "ma": 0}
    rows = (
        counted.filter(local_day__gte=month_start, local_day__lte=period.day)
        .values("channel", "local_day")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        fields["ma"] += row["total"]
        fields[f"mc:{row['channel']}"] = fields.get(f"mc:{row['channel']}", 0) + row["total"]
        if row["local_day"] == period.day:
            fields["da"] += row["total"]
            fields[f"dc:{row['channel']}"] = fields.get(f"dc:{row['channel']}", 0) + row["total"]
    payees = list(counted.exclude(counterparty="").values_list("counterparty", flat=True).distinct())
    args: list[Any] = [USAGE_TTL]
    for key, value in fields.items():
        args += [key, value]
    created = bool(client.eval(INIT_LUA, 1, USAGE_KEY.format(account_id), *args))
    if created and payees:
        client.sadd(PAYEES_KEY.format(account_id), *payees)
    return created


# Accounts this process decided from the database while Redis was unreachable: their Redis counters miss
# those amounts, so they are dropped (and rebuilt from the database) as soon as Redis answers again. The
# `degraded_counters_repair` sweep does the same from the database for processes that died meanwhile.
_degraded_accounts: set[int] = set()


def degraded_accounts_note(account_id: int) -> None:
    _degraded_accounts.add(account_id)


def degraded_accounts_forget(client: redis.Redis) -> None:
    if not _degraded_accounts:
        return
    ids = list(_degraded_accounts)
    client.delete(*(USAGE_KEY.format(i) for i in ids))
    _degraded_accounts.difference_update(ids)


def degraded_counters_repair(client: redis.Redis, *, since: datetime) -> int:
    """Drop the Redis counters of every account decided in degraded mode since `since`."""
    ids = list(
        Authorization.objects.filter(degraded=True, counted=True, created_at__gte=since)
        .values_list("account_id", flat=True)
        .distinct()
    )
    if ids:
        client.delete(*(USAGE_KEY.format(i) for i in ids))
    return len(ids)

"""Daily and monthly spend, checked and reserved atomically in one Redis round trip.

One Lua script per authorization does everything that must be atomic or that would otherwise cost a
round trip: the idempotency marker, the policy version check, the usage read, the limit check and the
reservation, the payee risk look-up and whether the customer has paid this payee before.

Per account, `sc:usage:<account>` is a small hash: `d`/`m` (the customer's current day yyyymmdd and month
yyyymm), `da`/`ma` (spent today / this month) and `dc:<channel>`/`mc:<channel>` (the same per channel).
When the day or month changes the script resets those fields. When the hash is missing — a new account,
an expired key, or Redis lost its data — the script answers `rebuild` and the caller rebuilds it from the
`Authorization` rows (the durable record) before any decision is made on that account.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import redis
from django.db.models import Sum
from django.db.models.functions import Coalesce

from locks.models import Authorization, PayeeRiskEntry
from locks.policy import zone_info

USAGE_KEY = "sc:usage:{}"
PAYEES_KEY = "sc:payees:{}"
TXN_KEY = "sc:txn:{}"
RISK_KEY = "sc:risk"
RISK_LOADED_FIELD = "__loaded__"
TXN_TTL = 3 * 86400  # the payment core retries within minutes; the database keeps the record for good
USAGE_TTL = 40 * 86400  # an idle account's counters expire and are rebuilt from the database when needed

AUTHORIZE_LUA = """
local idem = redis.call('GET', KEYS[2])
if idem then return {'dup', idem} end
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {'nopolicy'} end
if v ~= ARGV[1] then return {'policy', v, redis.call('HGET', KEYS[1], 'b')} end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'rebuild'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'norisk'} end
local ch = ARGV[4]
local day, month = ARGV[5], ARGV[6]
local u = redis.call('HMGET', KEYS[3], 'd', 'm')
if u[1] ~= day or u[2] ~= month then
  for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
    local p = string.sub(f, 1, 2)
    if (u[1] ~= day and (f == 'da' or p == 'dc')) or (u[2] ~= month and (f == 'ma' or p == 'mc')) then
      redis.call('HDEL', KEYS[3], f)
    end
  end
  redis.call('HSET', KEYS[3], 'd', day, 'm', month)
end
local s = redis.call('HMGET', KEYS[3], 'da', 'ma', 'dc:' .. ch, 'mc:' .. ch)
local da, ma, dc, mc = tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0), tonumber(s[4] or 0)
local amount = tonumber(ARGV[3])
local function over(spent, limit) limit = tonumber(limit); return limit >= 0 and spent + amount > limit end
local cp = ARGV[11]
local risk, known = '', 0
if cp ~= '' then
  risk = redis.call('HGET', KEYS[4], cp) or ''
  known = redis.call('SISMEMBER', KEYS[5], cp)
end
local reserved = 0
if ARGV[14] == '1' and not (over(da, ARGV[7]) or over(ma, ARGV[8]) or over(dc, ARGV[9]) or over(mc, ARGV[10])) then
  redis.call('HINCRBY', KEYS[3], 'da', amount)
  redis.call('HINCRBY', KEYS[3], 'ma', amount)
  redis.call('HINCRBY', KEYS[3], 'dc:' .. ch, amount)
  redis.call('HINCRBY', KEYS[3], 'mc:' .. ch, amount)
  if cp ~= '' and known == 0 then redis.call('SADD', KEYS[5], cp) end
  reserved = 1
end
redis.call('EXPIRE', KEYS[3], ARGV[13])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[12])
return {'ok', da, ma, dc, mc, reserved, risk, known}
"""

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
if ARGV[7] ~= '' then redis.call('DEL', ARGV[7]) end
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


def risk_list_publish(client: redis.Redis) -> int:
    """Mirror the payee risk list into Redis (replacing what is there); returns the number of entries."""
    entries = dict(PayeeRiskEntry.objects.values_list("counterparty", "severity"))
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(RISK_KEY)
        mapping: dict[str | bytes, str] = {RISK_LOADED_FIELD: "1"}
        mapping.update(entries.items())
        pipe.hset(RISK_KEY, mapping=mapping)
        pipe.execute()
    return len(entries)


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


def limits_args(limits: Iterable[int | None]) -> list[int]:
    return [-1 if value is None else value for value in limits]

"""The authorization script: one Redis round trip per payment, and the one place its keys and arguments
are built and its answer is read.

It does everything that must be atomic or would otherwise cost a round trip: the idempotency marker, the
policy version check, the usage read, the limit check and the reservation (`locks.counters` owns the
counters' shape), the payee risk look-up and whether the customer has paid this payee before.

Its answers: `ok` (decide), `dup` (the transaction id was seen: its request hash), `policy` (a newer policy,
with its bytes), `nopolicy` (publish one), `rebuild` (the usage counters are missing), `norisk` (the risk
list mirror is missing). Only `ok` is final; the caller acts on the others and calls again.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import redis
from redis.commands.core import Script

from locks.authorizations.context import Context
from locks.counters import PAYEES_KEY, USAGE_KEY, USAGE_TTL, LocalPeriod, usage_release
from locks.decision.policy import CompiledPolicy, Usage
from locks.risklist.services import RISK_KEY
from locks.rules.policies import POLICY_KEY
from securitycenter.redis import redis_client

# Per client: transaction ids are the payment core's own, and two cores may use the same ones.
TXN_KEY: Final = "sc:txn:{}:{}"
TXN_TTL: Final = 3 * 86400  # the payment core retries within minutes; the database keeps the record for good

AUTHORIZE_LUA: Final = """
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


def script_keys(ctx: Context) -> list[str]:
    return [
        POLICY_KEY.format(ctx.account_id),
        TXN_KEY.format(ctx.client_id, ctx.txn.transaction_id),
        USAGE_KEY.format(ctx.account_id),
        RISK_KEY,
        PAYEES_KEY.format(ctx.account_id),
    ]


def _limit(value: int | None) -> int:
    return -1 if value is None else value  # the script's "no limit"


def script_args(ctx: Context, policy: CompiledPolicy | None, period: LocalPeriod | None, reserve: bool) -> list[Any]:
    """ARGV of AUTHORIZE_LUA. Without a policy (none cached yet) the script stops at the version check and
    answers `nopolicy` or `policy`, so the usage and limit arguments are placeholders."""
    if policy is None or period is None:
        version: Any = ""
        day_key = month_key = 0
        limits = [-1, -1, -1, -1]
    else:
        version = policy.version
        day_key, month_key = period.day_key, period.month_key
        channel = policy.limits_for(ctx.txn.channel)
        limits = [
            _limit(policy.daily_limit),
            _limit(policy.monthly_limit),
            _limit(channel.daily if channel is not None else None),
            _limit(channel.monthly if channel is not None else None),
        ]
    return [
        version,
        ctx.hash,
        ctx.txn.amount,
        ctx.txn.channel,
        day_key,
        month_key,
        *limits,
        ctx.counterparty,
        TXN_TTL,
        USAGE_TTL,
        "1" if reserve else "0",
    ]


@dataclass
class Reservation:
    """The script's `ok`: usage before this payment, and whether the amount is now reserved against it."""

    usage: Usage
    reserved: bool
    payee_known: bool
    period: LocalPeriod
    policy: CompiledPolicy


def reservation_read(answer: list[Any], policy: CompiledPolicy, period: LocalPeriod) -> Reservation:
    """The `ok` answer as a Reservation."""
    _, da, ma, dc, mc, reserved, risk, known = answer
    usage = Usage(
        spent_today=int(da),
        spent_this_month=int(ma),
        channel_spent_today=int(dc),
        channel_spent_this_month=int(mc),
        payee_risk=risk.decode() if risk else None,
        payee_known=bool(known),
    )
    return Reservation(usage, bool(reserved), bool(known), period, policy)


def answer_kind(answer: list[Any]) -> str:
    kind = answer[0]
    return kind.decode() if isinstance(kind, bytes) else str(kind)


def reservation_release(client: Any, ctx: Context, res: Reservation) -> None:
    """Give a reservation back (the payment was not counted after all); `client` may be a pipeline."""
    usage_release(
        client,
        account_id=ctx.account_id,
        period=res.period,
        amount=ctx.txn.amount,
        channel=ctx.txn.channel,
        counterparty=ctx.counterparty,
        payee_was_known=res.payee_known,
    )


@lru_cache(maxsize=4)
def _script(client: redis.Redis) -> Script:
    # A Script hashes its source when built; `redis_client()` returns one client per URL, so this is one
    # registration per process and URL.
    return client.register_script(AUTHORIZE_LUA)


def redis_and_script() -> tuple[redis.Redis, Script]:
    """This process's client for settings.REDIS_URL and the authorization script registered with it."""
    client = redis_client()
    return client, _script(client)

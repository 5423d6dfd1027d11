"""Real-time authorization decisions for the payment core: the hot path.

Per request: decode with msgspec, one Redis round trip (`locks.counters.AUTHORIZE_LUA`: idempotency,
policy version, usage check-and-reserve, payee risk, known payee), the pure engine, one INSERT of the
durable record. No ORM and no DRF on the way; the rare paths (a policy not yet cached, counters to
rebuild, a duplicate request) may use the ORM.

If Redis is unreachable the configured degraded mode applies (settings.AUTHORIZATION_DEGRADED_MODE):
by default card-not-present payments and transfers are declined with `service_degraded` and the rest
are decided from the database, one account at a time under a row lock so limits still hold.
"""

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Annotated, Any, Final

import msgspec
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.commands.core import Script

from accounts.models import BankAccount
from locks.counters import (
    AUTHORIZE_LUA,
    PAYEES_KEY,
    RELEASE_LUA,
    RISK_KEY,
    TXN_KEY,
    TXN_TTL,
    USAGE_KEY,
    USAGE_TTL,
    LocalPeriod,
    degraded_accounts_forget,
    degraded_accounts_note,
    limits_args,
    local_period,
    risk_list_publish,
    usage_from_database,
    usage_rebuild,
)
from locks.engine import Decision, decide
from locks.models import Authorization, Hold, LockSettings, PayeeRiskEntry
from locks.models.security_log import EventType
from locks.policies import POLICY_KEY, live_travel_windows, policy_compile, policy_publish
from locks.policy import CARD_NOT_PRESENT_CHANNELS, Channel, CompiledPolicy, Transaction, Usage, policy_decode
from locks.reasons import CUSTOMER_LOCK_REASONS, Reason, reasons_render
from locks.securitylog import Actor, security_log_record
from securitycenter import crypto
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)

COUNTED_OUTCOMES: Final = frozenset({"approve", "hold", "review"})
MAX_CLOCK_SKEW = timedelta(minutes=10)
MAX_AGE = timedelta(hours=24)

TransactionId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")]
AccountNumber = Annotated[str, msgspec.Meta(min_length=8, max_length=34, pattern=r"^[0-9A-Z]+$")]


class AuthorizationRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    transaction_id: TransactionId
    amount: Annotated[int, msgspec.Meta(gt=0, le=10**15)]
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    channel: Channel
    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]
    initiated_at: Annotated[datetime, msgspec.Meta(tz=True)]
    account_id: Annotated[int, msgspec.Meta(gt=0)] | None = None
    account_number: AccountNumber | None = None
    subdivision: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}-[A-Z0-9]{1,3}$")] | None = None
    mcc: Annotated[str, msgspec.Meta(pattern="^[0-9]{4}$")] | None = None
    counterparty_account: AccountNumber | None = None
    transfer: bool = False


class RequestInvalid(Exception):
    """Bad input: becomes a 4xx problem document naming the field."""

    def __init__(self, field: str, message: str, *, code: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.field, self.message, self.code, self.status = field, message, code, status


class IdempotencyConflict(Exception):
    def __init__(self, transaction_id: str) -> None:
        super().__init__(transaction_id)
        self.transaction_id = transaction_id


@dataclass(frozen=True)
class Answer:
    """A recorded decision, as returned to the payment core."""

    decision_id: int
    transaction_id: str
    outcome: str
    reasons: tuple[str, ...]
    policy_version: int
    degraded: bool = False
    hold_id: int | None = None
    release_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "transaction_id": self.transaction_id,
            "decision": self.outcome,
            "reasons": _rendered(self.reasons),
            "policy_version": self.policy_version,
            "degraded": self.degraded,
            "hold": (
                {"id": self.hold_id, "release_at": self.release_at.isoformat() if self.release_at else None}
                if self.hold_id is not None
                else None
            ),
        }


@lru_cache(maxsize=256)
def _rendered(reasons: tuple[str, ...]) -> list[dict[str, object]]:
    return reasons_render(Reason(r) for r in reasons)


# --- request decoding ---------------------------------------------------------------------------------

_decoder = msgspec.json.Decoder(AuthorizationRequest)
_canonical = msgspec.json.Encoder()


def _field_of(error: msgspec.ValidationError) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.amount`"
    text = str(error)
    return text.rsplit("at `$.", 1)[1].rstrip("`").replace("[", ".").replace("]", "") if "at `$." in text else ""


def request_decode(body: bytes) -> AuthorizationRequest:
    try:
        request = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        field = _field_of(exc)
        unknown = "Object contains unknown field" in str(exc)
        if unknown:
            field = str(exc).split("`")[1] if "`" in str(exc) else field
        raise RequestInvalid(
            field, str(exc).split(" - at ")[0], code="unknown_field" if unknown else "invalid"
        ) from None
    except msgspec.DecodeError:
        raise RequestInvalid("", "The body is not valid JSON.", code="parse_error") from None
    if (request.account_id is None) == (request.account_number is None):
        raise RequestInvalid("account_id", "Give exactly one of account_id and account_number.", code="required")
    if request.subdivision is not None and not request.subdivision.startswith(request.country + "-"):
        raise RequestInvalid("subdivision", f"Must be a subdivision of {request.country}.")
    now = timezone.now()
    if request.initiated_at > now + MAX_CLOCK_SKEW or request.initiated_at < now - MAX_AGE:
        raise RequestInvalid("initiated_at", "Must be within the last 24 hours (and not in the future).")
    return request


def request_hash(request: AuthorizationRequest) -> str:
    """Same transaction, same body ⇔ same hash, whatever the JSON whitespace or key order."""
    return hashlib.blake2b(_canonical.encode(request), digest_size=16).hexdigest()


# --- in-process caches -----------------------------------------------------------------------------------

_ACCOUNT_CACHE_MAX: Final = 200_000
_account_ids: "OrderedDict[str, tuple[int, str]]" = OrderedDict()
# Decoded policies by account; an entry is only used when Redis confirms its version.
_policies: dict[int, CompiledPolicy] = {}


def caches_clear() -> None:
    _account_ids.clear()
    _policies.clear()


def account_resolve(request: AuthorizationRequest) -> tuple[int, str]:
    """(account id, currency) for the request's account reference; account numbers never change."""
    if request.account_id is not None:
        key = f"id:{request.account_id}"
        lookup: dict[str, Any] = {"pk": request.account_id}
    else:
        assert request.account_number is not None
        index = crypto.blind_index(request.account_number, purpose="account_number")
        key, lookup = index, {"number_index": index}
    hit = _account_ids.get(key)
    if hit is not None:
        return hit
    row = (
        BankAccount.objects.filter(**lookup)
        .exclude(status=BankAccount.Status.CLOSED)
        .values_list("pk", "currency")
        .first()
    )
    if row is None:
        field = "account_id" if request.account_id is not None else "account_number"
        raise RequestInvalid(field, "No such open account or card.", code="unknown_account", status=422)
    if len(_account_ids) >= _ACCOUNT_CACHE_MAX:
        _account_ids.popitem(last=False)
    _account_ids[key] = (row[0], row[1])
    return row[0], row[1]


# --- the decision -------------------------------------------------------------------------------------------


@dataclass
class _Context:
    request: AuthorizationRequest
    client_id: int
    account_id: int
    hash: str
    counterparty: str
    txn: Transaction


def _context(request: AuthorizationRequest, client_id: int) -> _Context:
    account_id, _currency = account_resolve(request)
    counterparty = (
        crypto.blind_index(request.counterparty_account, purpose="payee") if request.counterparty_account else ""
    )
    txn = Transaction(
        transaction_id=request.transaction_id,
        account_id=account_id,
        amount=request.amount,
        currency=request.currency,
        channel=request.channel,
        country=request.country,
        initiated_at=request.initiated_at.timestamp(),
        subdivision=request.subdivision,
        mcc=request.mcc,
        counterparty=counterparty or None,
        transfer=request.transfer,
    )
    return _Context(request, client_id, account_id, request_hash(request), counterparty, txn)


def _channel_limits(policy: CompiledPolicy, channel: str) -> tuple[int | None, int | None]:
    limits = policy.limits_for(channel)
    return (limits.daily, limits.monthly) if limits is not None else (None, None)


def _lua_args(ctx: _Context, policy: CompiledPolicy | None, period: LocalPeriod | None, reserve: bool) -> list[Any]:
    if policy is None or period is None:
        return [
            "",
            ctx.hash,
            ctx.txn.amount,
            ctx.txn.channel,
            0,
            0,
            -1,
            -1,
            -1,
            -1,
            ctx.counterparty,
            TXN_TTL,
            USAGE_TTL,
            "0",
        ]
    channel_daily, channel_monthly = _channel_limits(policy, ctx.txn.channel)
    return [
        policy.version,
        ctx.hash,
        ctx.txn.amount,
        ctx.txn.channel,
        period.day_key,
        period.month_key,
        *limits_args((policy.daily_limit, policy.monthly_limit, channel_daily, channel_monthly)),
        ctx.counterparty,
        TXN_TTL,
        USAGE_TTL,
        "1" if reserve else "0",
    ]


def _keys(ctx: _Context) -> list[str]:
    return [
        POLICY_KEY.format(ctx.account_id),
        TXN_KEY.format(ctx.txn.transaction_id),
        USAGE_KEY.format(ctx.account_id),
        RISK_KEY,
        PAYEES_KEY.format(ctx.account_id),
    ]


@dataclass
class _Reservation:
    usage: Usage
    reserved: bool
    payee_known: bool
    period: LocalPeriod
    policy: CompiledPolicy


def _prejudged_decline(policy: CompiledPolicy, txn: Transaction) -> bool:
    """A decline that no usage could change (frozen, channel off, region, time): don't reserve at all."""
    return decide(policy, txn, Usage(payee_known=True)).outcome == "decline"


def _resolve_script_answer(client: redis.Redis, ctx: _Context, answer: list[Any]) -> str | None:
    """Handle the script's non-final answers; returns "dup" for a duplicate, None to call again."""
    kind = answer[0].decode() if isinstance(answer[0], bytes) else answer[0]
    if kind == "policy":
        _policies[ctx.account_id] = policy_decode(answer[2])
    elif kind == "nopolicy":
        _ensure_lock_row(ctx.account_id)
        policy_publish(account_ids=[ctx.account_id])
        if not client.exists(POLICY_KEY.format(ctx.account_id)):
            raise redis.ConnectionError("policy could not be published")
    elif kind == "rebuild":
        policy = _policies[ctx.account_id]
        usage_rebuild(client, account_id=ctx.account_id, period=local_period(policy.time_zone, time.time()))
    elif kind == "norisk":
        risk_list_publish(client)
    elif kind == "dup":
        return "dup"
    return None


@lru_cache(maxsize=4)
def _script(client: redis.Redis) -> Script:
    # A Script hashes its source when built; `redis_client()` returns one client per URL, so this is one
    # registration per process and URL.
    return client.register_script(AUTHORIZE_LUA)


def _redis() -> tuple[redis.Redis, Script]:
    """This process's client for settings.REDIS_URL and the authorization script registered with it."""
    client = redis_client()
    return client, _script(client)


def _ensure_lock_row(account_id: int) -> None:
    LockSettings.objects.get_or_create(account_id=account_id)


def _reserve(client: redis.Redis, script: Script, ctx: _Context) -> _Reservation | str:
    seen: list[str] = []
    for _ in range(6):
        policy = _policies.get(ctx.account_id)
        period = local_period(policy.time_zone, time.time()) if policy is not None else None
        reserve = policy is not None and not _prejudged_decline(policy, ctx.txn)
        answer = script(keys=_keys(ctx), args=_lua_args(ctx, policy, period, reserve), client=client)
        if answer[0] == b"ok":
            assert policy is not None and period is not None
            _, da, ma, dc, mc, reserved, risk, known = answer
            usage = Usage(
                spent_today=int(da),
                spent_this_month=int(ma),
                channel_spent_today=int(dc),
                channel_spent_this_month=int(mc),
                payee_risk=risk.decode() if risk else None,
                payee_known=bool(known),
            )
            return _Reservation(usage, bool(reserved), bool(known), period, policy)
        seen.append(answer[0].decode())
        if _resolve_script_answer(client, ctx, answer) == "dup":
            return answer[1].decode()
    raise redis.RedisError(f"authorization script did not settle: {seen}")


def _release(client: redis.Redis, ctx: _Context, res: _Reservation, *, drop_marker: bool = False) -> None:
    client.eval(
        RELEASE_LUA,
        2,
        USAGE_KEY.format(ctx.account_id),
        PAYEES_KEY.format(ctx.account_id),
        str(res.period.day_key),
        str(res.period.month_key),
        str(ctx.txn.amount),
        ctx.txn.channel,
        ctx.counterparty,
        "1" if res.payee_known else "0",
        TXN_KEY.format(ctx.txn.transaction_id) if drop_marker else "",
    )


# The rows travel as one JSON document that PostgreSQL unpacks into the table's row type: the statement is
# constant (psycopg parses it once, not a 500-row VALUES list per batch) and there is one parameter to adapt
# instead of 19 a row. Building the 500-row VALUES statement took ~27 ms of client CPU, this takes ~2 ms.
_INSERT_SQL: Final = """
INSERT INTO locks_authorization (
    transaction_id, client_id, account_id, request_hash, outcome, reasons, policy_version, amount, currency,
    channel, country, subdivision, mcc, counterparty, initiated_at, local_day, counted, degraded, created_at
)
SELECT
    transaction_id, client_id, account_id, request_hash, outcome, reasons, policy_version, amount, currency,
    channel, country, subdivision, mcc, counterparty, initiated_at, local_day, counted, degraded, created_at
FROM json_populate_recordset(NULL::locks_authorization, %s::json)
ON CONFLICT (transaction_id) DO NOTHING
RETURNING id, transaction_id
"""
_rows_encoder = msgspec.json.Encoder()


def _insert_row(
    ctx: _Context, decision: Decision, policy_version: int, day: Any, counted: bool, degraded: bool, now: datetime
) -> dict[str, Any]:
    """One `_INSERT_SQL` row: the durable record of a decision."""
    r = ctx.request
    return {
        "transaction_id": r.transaction_id,
        "client_id": ctx.client_id,
        "account_id": ctx.account_id,
        "request_hash": ctx.hash,
        "outcome": decision.outcome,
        "reasons": [str(x) for x in decision.reasons],
        "policy_version": policy_version,
        "amount": r.amount,
        "currency": r.currency,
        "channel": r.channel,
        "country": r.country,
        "subdivision": r.subdivision or "",
        "mcc": r.mcc or "",
        "counterparty": ctx.counterparty,
        "initiated_at": r.initiated_at,
        "local_day": day,
        "counted": counted,
        "degraded": degraded,
        "created_at": now,
    }


def _insert(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the durable records; transaction id → id of those inserted (not of those already there)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_INSERT_SQL, [_rows_encoder.encode(rows).decode()])
        else:  # SQLite (development): a VALUES list, each value adapted by Django
            columns = list(rows[0])
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
            params = [msgspec.json.encode(v).decode() if k == "reasons" else v for row in rows for k, v in row.items()]
            cursor.execute(
                f"INSERT INTO locks_authorization ({', '.join(columns)}) VALUES {values}"  # noqa: S608 - no input
                " ON CONFLICT (transaction_id) DO NOTHING RETURNING id, transaction_id",
                params,
            )
        return {txn_id: pk for pk, txn_id in cursor.fetchall()}


def _record(
    ctx: _Context, decision: Decision, *, policy_version: int, day: Any, counted: bool, degraded: bool
) -> int | None:
    """Insert the durable record; None if this transaction id was already recorded (a duplicate)."""
    row = _insert_row(ctx, decision, policy_version, day, counted, degraded, datetime.now(UTC))
    return _insert([row]).get(ctx.request.transaction_id)


def recorded_answer(*, transaction_id: str, client_id: int | None = None, wait: float = 0.0) -> Answer | None:
    """The stored decision, waiting up to `wait` seconds for an in-flight twin to record it."""
    deadline = time.monotonic() + wait
    while True:
        qs = Authorization.objects.filter(transaction_id=transaction_id)
        if client_id is not None:
            qs = qs.filter(client_id=client_id)
        row = qs.values_list(
            "pk", "outcome", "reasons", "policy_version", "degraded", "hold", "hold__release_at"
        ).first()
        if row is not None:
            return Answer(row[0], transaction_id, row[1], tuple(row[2]), row[3], row[4], row[5], row[6])
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _duplicate(ctx: _Context, stored_hash: str) -> Answer:
    if stored_hash != ctx.hash:
        raise IdempotencyConflict(ctx.request.transaction_id)
    answer = recorded_answer(transaction_id=ctx.request.transaction_id, wait=2.0)
    if answer is None:
        raise redis.RedisError("duplicate of a request whose decision was never recorded")
    return answer


def _answer(
    ctx: _Context,
    decision_id: int,
    decision: Decision,
    policy_version: int,
    degraded: bool,
    declines: list[int] | None = None,
) -> Answer:
    """Finish a freshly recorded decision: place the hold, or log and announce a decline.

    With `declines` the decline's id is added to it for `_declines_record` instead of enqueued at once.
    """
    hold_id = release_at = None
    if decision.outcome == "hold":
        from locks.holds import hold_place

        hold = hold_place(authorization_id=decision_id)
        hold_id, release_at = hold.pk, hold.release_at
    elif decision.outcome == "decline":
        if declines is None:
            _after_decline(decision_id, decision)
        elif _announced(decision):
            declines.append(decision_id)
    reasons = tuple(map(str, decision.reasons))
    return Answer(
        decision_id,
        ctx.request.transaction_id,
        decision.outcome,
        reasons,
        policy_version,
        degraded,
        hold_id,
        release_at,
    )


def _announced(decision: Decision) -> bool:
    return any(r in CUSTOMER_LOCK_REASONS for r in decision.reasons)


def _after_decline(authorization_id: int, decision: Decision) -> None:
    """A decline for a customer-set lock is logged and announced by a task, off the hot path."""
    from locks.authorization_tasks import authorization_decline_record

    if _announced(decision):
        try:
            authorization_decline_record.delay(authorization_id)
        except Exception:  # noqa: BLE001 - the broker may be down; the sweep picks unlogged declines up
            logger.warning("could not enqueue decline record for authorization %s", authorization_id)


def _declines_record(authorization_ids: list[int]) -> None:
    """The declines of one batch go to the worker as one message (a Celery starmap of the same task).

    Enqueueing costs about half a millisecond a message (kombu builds a Redis client for every publish),
    which for a batch of 500 with a tenth declined was more than deciding the whole batch.
    """
    from locks.authorization_tasks import authorization_decline_record

    if not authorization_ids:
        return
    try:
        authorization_decline_record.starmap([(pk,) for pk in authorization_ids]).delay()
    except Exception:  # noqa: BLE001 - the broker may be down; the sweep picks unlogged declines up
        logger.warning("could not enqueue decline records for %d authorizations", len(authorization_ids))


def authorize(*, request: AuthorizationRequest, client_id: int) -> Answer:
    """Decide one payment. Raises RequestInvalid, IdempotencyConflict."""
    ctx = _context(request, client_id)
    try:
        return _authorize_fast(ctx)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        logger.warning(
            "Redis unreachable (%s): deciding %s in degraded mode", type(exc).__name__, request.transaction_id
        )
        return authorize_degraded(ctx)


def _authorize_fast(ctx: _Context) -> Answer:
    client, script = _redis()
    degraded_accounts_forget(client)
    res = _reserve(client, script, ctx)
    if isinstance(res, str):
        return _duplicate(ctx, res)
    decision = decide(res.policy, ctx.txn, res.usage)
    counted = res.reserved and decision.outcome in COUNTED_OUTCOMES
    if res.reserved and not counted:
        _release(client, ctx, res)
    elif not res.reserved and decision.outcome != "decline":
        # The script found a limit the engine did not: never approve money that was not reserved.
        logger.error("reservation refused but engine said %s for %s", decision.outcome, ctx.request.transaction_id)
        decision = Decision("decline", (Reason.OVER_DAILY_LIMIT,))
    decision_id = _record(
        ctx, decision, policy_version=res.policy.version, day=res.period.day, counted=counted, degraded=False
    )
    if decision_id is None:
        # Redis lost the idempotency marker but the database has the transaction: give back what we took.
        if counted:
            _release(client, ctx, res)
        stored = (
            Authorization.objects.filter(transaction_id=ctx.request.transaction_id)
            .values_list("request_hash", flat=True)
            .first()
        )
        return _duplicate(ctx, stored or "")
    return _answer(ctx, decision_id, decision, res.policy.version, degraded=False)


# --- degraded mode --------------------------------------------------------------------------------------------


def _degraded_refuses(txn: Transaction) -> bool:
    mode = settings.AUTHORIZATION_DEGRADED_MODE
    if mode == "decline_all":
        return True
    if mode == "database":
        return False
    return txn.channel in CARD_NOT_PRESENT_CHANNELS or txn.is_transfer


def authorize_degraded(ctx: _Context) -> Answer:
    """Decide from the database alone. The account's lock row is the mutex that keeps limits exact."""
    existing = (
        Authorization.objects.filter(transaction_id=ctx.request.transaction_id)
        .values_list("request_hash", flat=True)
        .first()
    )
    if existing is not None:
        return _duplicate(ctx, existing)
    with transaction.atomic():
        _ensure_lock_row(ctx.account_id)
        row = (
            LockSettings.objects.select_for_update().select_related("account__customer").get(account_id=ctx.account_id)
        )
        policy = policy_compile(row=row, travel_windows=live_travel_windows(ctx.account_id))
        period = local_period(policy.time_zone, time.time())
        if _degraded_refuses(ctx.txn):
            decision = Decision("decline", (Reason.SERVICE_DEGRADED,))
        else:
            spent = usage_from_database(account_id=ctx.account_id, period=period, channel=ctx.txn.channel)
            risk = (
                PayeeRiskEntry.objects.filter(counterparty=ctx.counterparty).values_list("severity", flat=True).first()
                if ctx.counterparty
                else None
            )
            known = (
                bool(ctx.counterparty)
                and Authorization.objects.filter(
                    account_id=ctx.account_id, counterparty=ctx.counterparty, counted=True, reversed_at__isnull=True
                ).exists()
            )
            usage = Usage(spent["da"], spent["ma"], spent["dc"], spent["mc"], risk, known)  # type: ignore[arg-type]
            decision = decide(policy, ctx.txn, usage)
        counted = decision.outcome in COUNTED_OUTCOMES
        decision_id = _record(
            ctx, decision, policy_version=policy.version, day=period.day, counted=counted, degraded=True
        )
        if decision_id is None:  # a twin got there first, in the same degraded state
            transaction.set_rollback(True)
        else:
            security_log_record(
                event_type=EventType.DEGRADED_MODE,
                actor=Actor.system("authorization"),
                customer=row.account.customer,
                details={
                    "transaction_id": ctx.request.transaction_id,
                    "account_id": ctx.account_id,
                    "mode": settings.AUTHORIZATION_DEGRADED_MODE,
                    "decision": decision.outcome,
                    "reasons": [str(r) for r in decision.reasons],
                },
            )
    if decision_id is None:
        stored = (
            Authorization.objects.filter(transaction_id=ctx.request.transaction_id)
            .values_list("request_hash", flat=True)
            .first()
        )
        return _duplicate(ctx, stored or "")
    if counted:
        degraded_accounts_note(ctx.account_id)
    return _answer(ctx, decision_id, decision, policy.version, degraded=True)


# --- reversal ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reversal:
    transaction_id: str
    amount_returned: int
    already_reversed: bool


def authorization_reverse(*, transaction_id: str, client_id: int) -> Reversal:
    """Give a counted amount back to the counters, once however often it is called.

    A transfer still held never leaves once the payment core gives up on it: its hold is withdrawn
    (cancelled, by the service), which gives the amount back and tells the payment core by webhook.
    """
    from locks.holds import hold_withdraw

    held = (
        Hold.objects.filter(authorization__transaction_id=transaction_id, client_id=client_id, status=Hold.Status.HELD)
        .values_list("pk", flat=True)
        .first()
    )
    if held is not None and (withdrawn := hold_withdraw(hold_id=held, client_id=client_id)) is not None:
        return Reversal(transaction_id, withdrawn.amount, False)
    now = timezone.now()
    with transaction.atomic():
        row = (
            Authorization.objects.select_for_update()
            .select_related("account__customer")
            .filter(transaction_id=transaction_id, client_id=client_id)
            .first()
        )
        if row is None:
            raise RequestInvalid(
                "transaction_id", "No decision was recorded for this transaction.", code="not_found", status=404
            )
        if row.reversed_at is not None or not row.counted:
            return Reversal(transaction_id, 0, row.reversed_at is not None)
        row.reversed_at = now
        row.save(update_fields=["reversed_at"])
        transaction.on_commit(partial(reserved_amount_give_back, row))
    return Reversal(transaction_id, row.amount, False)


def reserved_amount_give_back(row: Authorization) -> None:
    """Take a counted amount back out of the Redis counters of the day and month it was counted in."""
    day = row.local_day
    _reversal_release(row, LocalPeriod(day, day.year * 10000 + day.month * 100 + day.day, day.year * 100 + day.month))


def _reversal_release(row: Authorization, period: LocalPeriod) -> None:
    try:
        redis_client().eval(
            RELEASE_LUA,
            2,
            USAGE_KEY.format(row.account_id),
            PAYEES_KEY.format(row.account_id),
            str(period.day_key),
            str(period.month_key),
            str(row.amount),
            row.channel,
            "",
            "1",
            "",
        )
    except redis.RedisError:
        # The counters stay too high (the safe direction) until they are next rebuilt from the database.
        logger.warning("could not release reversed amount of %s in Redis", row.transaction_id)


# --- batch ------------------------------------------------------------------------------------------------------


def authorize_batch(*, items: list[AuthorizationRequest | RequestInvalid], client_id: int) -> list[Answer | Exception]:
    """Decide many payments with one pipelined Redis round trip and one multi-row INSERT.

    Items are reserved in order, so two items on one account see each other. An item whose script
    answer is not final (policy to fetch, counters to rebuild, a duplicate) is decided on its own
    afterwards through `authorize`.
    """
    results: list[Answer | Exception | None] = [None] * len(items)
    contexts: list[tuple[int, _Context]] = []
    for i, item in enumerate(items):
        if isinstance(item, Exception):
            results[i] = item
            continue
        try:
            contexts.append((i, _context(item, client_id)))
        except RequestInvalid as exc:
            results[i] = exc
    try:
        client, script = _redis()
        degraded_accounts_forget(client)
        _batch_fast(client, script, contexts, results)
    except (redis.ConnectionError, redis.TimeoutError):
        for i, ctx in contexts:
            if results[i] is None:
                results[i] = _safely(partial(authorize_degraded, ctx))
    for i, ctx in contexts:
        if results[i] is None:
            results[i] = _safely(partial(authorize, request=ctx.request, client_id=client_id))
    return [r for r in results if r is not None]


def _safely(call: Any) -> Answer | Exception:
    try:
        return call()
    except (RequestInvalid, IdempotencyConflict) as exc:
        return exc


def _batch_fast(client: redis.Redis, script: Script, contexts: list[tuple[int, _Context]], results: list[Any]) -> None:
    planned: list[tuple[int, _Context, CompiledPolicy, LocalPeriod]] = []
    now = time.time()
    with client.pipeline(transaction=False) as pipe:
        for i, ctx in contexts:
            policy = _policies.get(ctx.account_id)
            if policy is None:
                continue  # decided on its own: fetches and caches the policy
            period = local_period(policy.time_zone, now)
            reserve = not _prejudged_decline(policy, ctx.txn)
            script(keys=_keys(ctx), args=_lua_args(ctx, policy, period, reserve), client=pipe)
            planned.append((i, ctx, policy, period))
        answers = pipe.execute() if planned else []

    decided: list[tuple[int, _Context, Decision, _Reservation, bool]] = []
    with client.pipeline(transaction=False) as releases:
        for (i, ctx, policy, period), answer in zip(planned, answers, strict=True):
            if answer[0] != b"ok":
                if answer[0] == b"dup":
                    results[i] = _safely(partial(_duplicate, ctx, answer[1].decode()))
                continue
            _, da, ma, dc, mc, reserved, risk, known = answer
            usage = Usage(int(da), int(ma), int(dc), int(mc), risk.decode() if risk else None, bool(known))
            res = _Reservation(usage, bool(reserved), bool(known), period, policy)
            decision = decide(policy, ctx.txn, usage)
            counted = res.reserved and decision.outcome in COUNTED_OUTCOMES
            if res.reserved and not counted:
                _release(releases, ctx, res)
            elif not res.reserved and decision.outcome != "decline":
                decision = Decision("decline", (Reason.OVER_DAILY_LIMIT,))
            decided.append((i, ctx, decision, res, counted))
        releases.execute()
    if not decided:
        return
    ids = _record_many(decided)
    declines: list[int] = []
    try:
        for i, ctx, decision, res, counted in decided:
            decision_id = ids.get(ctx.request.transaction_id)
            if decision_id is None:
                if counted:
                    _release(client, ctx, res)
                stored = (
                    Authorization.objects.filter(transaction_id=ctx.request.transaction_id)
                    .values_list("request_hash", flat=True)
                    .first()
                )
                results[i] = _safely(partial(_duplicate, ctx, stored or ""))
                continue
            results[i] = _answer(ctx, decision_id, decision, res.policy.version, degraded=False, declines=declines)
    finally:
        _declines_record(declines)


def _record_many(decided: list[tuple[int, _Context, Decision, _Reservation, bool]]) -> dict[str, int]:
    now = datetime.now(UTC)
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for _, ctx, decision, res, counted in decided:
        r = ctx.request
        if r.transaction_id in seen:  # the same id twice in one batch: the second is a duplicate
            continue
        seen.add(r.transaction_id)
        rows.append(_insert_row(ctx, decision, res.policy.version, res.period.day, counted, False, now))
    return _insert(rows)

"""The durable record of each decision: what the counters are rebuilt from, and what a retry is answered with."""

import time
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

import msgspec
import redis
from django.conf import settings
from django.db import connection, transaction

from locks.authorizations.answers import AuthorizationDecision, decision_answer
from locks.authorizations.context import Context
from locks.authorizations.request import IdempotencyConflict
from locks.decision.engine import Decision
from locks.models import Authorization, Hold

# The rows travel as one JSON document that PostgreSQL unpacks into the table's row type: the statement is
# constant (psycopg parses it once, not a 500-row VALUES list per batch) and there is one parameter to adapt
# instead of 20 a row. Building the 500-row VALUES statement took ~27 ms of client CPU, this takes ~2 ms.
#
# A decision to hold gets its hold row in the same statement (the data-modifying CTE `held`), so the answer
# can name the hold and the record is the outbox: the hold's log entry and notifications, and a decline's,
# are written by the worker from committed rows (`locks.authorizations.outbox`), not on the request.
_INSERT_SQL: Final = """
WITH ins AS (
    INSERT INTO locks_authorization (
        transaction_id, client_id, account_id, request_hash, outcome, reasons, policy_version, amount, currency,
        channel, country, subdivision, mcc, counterparty, initiated_at, local_day, counted, degraded, created_at,
        device_signals
    )
    SELECT
        transaction_id, client_id, account_id, request_hash, outcome, reasons, policy_version, amount, currency,
        channel, country, subdivision, mcc, counterparty, initiated_at, local_day, counted, degraded, created_at,
        device_signals
    FROM json_populate_recordset(NULL::locks_authorization, %s::json)
    ON CONFLICT (client_id, transaction_id) DO NOTHING
    RETURNING id, transaction_id, outcome, account_id, client_id, amount, currency, reasons, created_at
), held AS (
    INSERT INTO locks_hold (
        authorization_id, account_id, client_id, amount, currency, reasons, status, release_at, created_at,
        resolved_by, stop_reason
    )
    SELECT id, account_id, client_id, amount, currency, reasons, 'held', created_at + %s * interval '1 second',
        created_at, '', ''
    FROM ins WHERE outcome = 'hold'
    RETURNING id, authorization_id, release_at
)
SELECT ins.id, ins.transaction_id, held.id, held.release_at FROM ins LEFT JOIN held ON held.authorization_id = ins.id
"""


class Recorded(NamedTuple):
    """A freshly inserted record: its id, and its hold's if the decision was to hold."""

    id: int
    hold_id: int | None
    release_at: datetime | None


_rows_encoder = msgspec.json.Encoder()
_JSON_COLUMNS: Final = frozenset({"reasons", "device_signals"})


def insert_row(
    ctx: Context, decision: Decision, policy_version: int, day: Any, counted: bool, degraded: bool, now: datetime
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
        "device_signals": signals_json(ctx),
    }


def signals_json(ctx: Context) -> dict[str, Any] | None:
    """The request's device signals as recorded with the decision (None when the app sent none)."""
    signals = ctx.request.device_signals
    if signals is None:
        return None
    recorded: dict[str, Any] = msgspec.to_builtins(signals)
    return recorded


def insert(rows: list[dict[str, Any]]) -> dict[str, Recorded]:
    """Insert the durable records (all of one client) and the holds of those decided `hold`, in one
    statement; transaction id → what was inserted (not for those already there)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cooling_off = settings.COOLING_OFF_PERIOD.total_seconds()
            cursor.execute(_INSERT_SQL, [_rows_encoder.encode(rows).decode(), cooling_off])
            return {txn_id: Recorded(pk, hold_id, release_at) for pk, txn_id, hold_id, release_at in cursor.fetchall()}
    # SQLite (development): a VALUES list, each value adapted by Django; the holds in a second statement
    with transaction.atomic(), connection.cursor() as cursor:
        columns = list(rows[0])
        values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
        params = [
            msgspec.json.encode(v).decode() if k in _JSON_COLUMNS and v is not None else v
            for row in rows
            for k, v in row.items()
        ]
        cursor.execute(
            f"INSERT INTO locks_authorization ({', '.join(columns)}) VALUES {values}"  # noqa: S608 - no input
            " ON CONFLICT (client_id, transaction_id) DO NOTHING RETURNING id, transaction_id",
            params,
        )
        inserted = {txn_id: pk for pk, txn_id in cursor.fetchall()}
        return _holds_insert(rows, inserted)


def _holds_insert(rows: list[dict[str, Any]], inserted: dict[str, int]) -> dict[str, Recorded]:
    recorded = {txn_id: Recorded(pk, None, None) for txn_id, pk in inserted.items()}
    held = [r for r in rows if r["outcome"] == "hold" and r["transaction_id"] in inserted]
    holds = Hold.objects.bulk_create(
        Hold(
            authorization_id=inserted[r["transaction_id"]],
            account_id=r["account_id"],
            client_id=r["client_id"],
            amount=r["amount"],
            currency=r["currency"],
            reasons=r["reasons"],
            release_at=r["created_at"] + settings.COOLING_OFF_PERIOD,
        )
        for r in held
    )
    for r, hold in zip(held, holds, strict=True):
        recorded[r["transaction_id"]] = Recorded(inserted[r["transaction_id"]], hold.pk, hold.release_at)
    return recorded


def record(
    ctx: Context, decision: Decision, *, policy_version: int, day: Any, counted: bool, degraded: bool
) -> Recorded | None:
    """Insert the durable record; None if this transaction id was already recorded (a duplicate)."""
    row = insert_row(ctx, decision, policy_version, day, counted, degraded, datetime.now(UTC))
    return insert([row]).get(ctx.request.transaction_id)


def stored_request_hash(ctx: Context) -> str | None:
    """The request hash recorded with the client's transaction id, if it was decided."""
    return (
        Authorization.objects.filter(client_id=ctx.client_id, transaction_id=ctx.request.transaction_id)
        .values_list("request_hash", flat=True)
        .first()
    )


def recorded_answer(*, transaction_id: str, client_id: int, wait: float = 0.0) -> AuthorizationDecision | None:
    """The client's stored decision, waiting up to `wait` seconds for an in-flight twin to record it.

    Transaction ids are the client's own: another client's decision under the same id is not an answer."""
    deadline = time.monotonic() + wait
    while True:
        qs = Authorization.objects.filter(transaction_id=transaction_id, client_id=client_id)
        row = qs.values_list(
            "pk", "outcome", "reasons", "policy_version", "degraded", "hold", "hold__release_at"
        ).first()
        if row is not None:
            return decision_answer(
                decision_id=row[0],
                transaction_id=transaction_id,
                outcome=row[1],
                reasons=tuple(row[2]),
                policy_version=row[3],
                degraded=row[4],
                hold_id=row[5],
                release_at=row[6],
            )
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def duplicate_answer(ctx: Context, stored_hash: str | None) -> AuthorizationDecision:
    """The answer to a transaction id seen before: the recorded decision if the body is the same."""
    if stored_hash != ctx.hash:
        raise IdempotencyConflict(ctx.request.transaction_id)
    answer = recorded_answer(transaction_id=ctx.request.transaction_id, client_id=ctx.client_id, wait=2.0)
    if answer is None:
        raise redis.RedisError("duplicate of a request whose decision was never recorded")
    return answer

"""Many payments at once: one pipelined Redis round trip and one multi-row INSERT for the whole batch."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import redis
from redis.commands.core import Script

from locks.authorizations.answers import AuthorizationDecision
from locks.authorizations.context import Context, context_build, policies
from locks.authorizations.degraded import authorize_degraded
from locks.authorizations.fastpath import authorize, prejudged_decline, settle
from locks.authorizations.finish import decision_finish
from locks.authorizations.record import Recorded, duplicate_answer, insert, insert_row, stored_request_hash
from locks.authorizations.request import AuthorizationRequest
from locks.authorizations.script import (
    Reservation,
    answer_kind,
    redis_and_script,
    reservation_read,
    reservation_release,
    script_args,
    script_keys,
)
from locks.counters import LocalPeriod, degraded_accounts_forget, local_period
from locks.decision.engine import Decision
from locks.decision.policy import CompiledPolicy
from securitycenter.errors import DomainError

BatchResult = AuthorizationDecision | DomainError
_Decided = tuple[int, Context, Decision, Reservation, bool]


def authorize_batch(*, items: list[AuthorizationRequest | DomainError], client_id: int) -> list[BatchResult]:
    """Decide many payments, one answer (or error) per item, in order.

    Items are reserved in order, so two items on one account see each other. An item whose script
    answer is not final (policy to fetch, counters to rebuild) is decided on its own afterwards through
    `authorize`, and so is every item if Redis is unreachable (degraded mode).
    """
    results: list[BatchResult | None] = [None] * len(items)
    contexts: list[tuple[int, Context]] = []
    for i, item in enumerate(items):
        if isinstance(item, DomainError):
            results[i] = item
            continue
        try:
            contexts.append((i, context_build(item, client_id)))
        except DomainError as exc:
            results[i] = exc
    try:
        client, script = redis_and_script()
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


def _safely(call: Callable[[], AuthorizationDecision]) -> BatchResult:
    try:
        return call()
    except DomainError as exc:
        return exc


def _batch_fast(client: redis.Redis, script: Script, contexts: list[tuple[int, Context]], results: list[Any]) -> None:
    planned: list[tuple[int, Context, CompiledPolicy, LocalPeriod]] = []
    now = time.time()
    with client.pipeline(transaction=False) as pipe:
        for i, ctx in contexts:
            policy = policies.get(ctx.account_id)
            if policy is None:
                continue  # decided on its own: fetches and caches the policy
            period = local_period(policy.time_zone, now)
            reserve = not prejudged_decline(policy, ctx)
            script(keys=script_keys(ctx), args=script_args(ctx, policy, period, reserve), client=pipe)
            planned.append((i, ctx, policy, period))
        answers = pipe.execute() if planned else []

    decided: list[_Decided] = []
    with client.pipeline(transaction=False) as releases:
        for (i, ctx, policy, period), answer in zip(planned, answers, strict=True):
            kind = answer_kind(answer)
            if kind == "dup":
                results[i] = _safely(partial(duplicate_answer, ctx, answer[1].decode()))
            if kind != "ok":
                continue
            res = reservation_read(answer, policy, period)
            decision, counted = settle(releases, ctx, res)
            decided.append((i, ctx, decision, res, counted))
        releases.execute()
    if not decided:
        return
    recorded = _record_many(decided)
    for i, ctx, decision, res, counted in decided:
        row = recorded.get(ctx.request.transaction_id)
        if row is None:
            if counted:
                reservation_release(client, ctx, res)
            stored = stored_request_hash(ctx)
            results[i] = _safely(partial(duplicate_answer, ctx, stored))
            continue
        results[i] = decision_finish(ctx, row, decision, res.policy.version, degraded=False)


def _record_many(decided: list[_Decided]) -> dict[str, Recorded]:
    now = datetime.now(UTC)
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for _, ctx, decision, res, counted in decided:
        transaction_id = ctx.request.transaction_id
        if transaction_id in seen:  # the same id twice in one batch: the second is a duplicate
            continue
        seen.add(transaction_id)
        rows.append(insert_row(ctx, decision, res.policy.version, res.period.day, counted, False, now))
    return insert(rows)

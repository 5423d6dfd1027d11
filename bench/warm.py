"""Fill a process's hot-path caches the way a long-running worker has them filled: account look-ups and policies.

A worker that has been serving for a while knows the accounts it has seen (`account_resolve`'s cache) and
holds their decoded policies (`policies`). A fresh worker learns each account on its first payment, which
costs a database query and a second Redis round trip. With 100,000 accounts and random payments a worker
needs several hundred thousand requests to get there, so for steady-state figures the benchmark warms the
gunicorn master once, before it forks: the workers inherit the caches. bench_http.py also measures
without this (`--cold`), which is what the first minutes after a deploy look like.

The entries are exactly those the hot path would store itself: `id:<pk>` and the number's blind index
→ (pk, currency), and the policy decoded from Redis's `sc:policy:<pk>` `b` field.
"""

import time
from pathlib import Path

ACCOUNTS_CSV = Path(__file__).resolve().parent.parent / "var" / "bench" / "accounts.csv"


def caches_warm(limit: int = 100_000) -> tuple[int, float]:
    """Warm this process's caches for up to `limit` bench accounts; returns (accounts, seconds)."""
    # Imported here: this module is imported by the WSGI entry after Django is set up, never before.
    from django.db import connections

    from accounts.models import BankAccount
    from locks.authorizations import context
    from locks.decision.policy import policy_decode
    from locks.rules.policies import POLICY_KEY
    from securitycenter.redis import redis_client

    started = time.monotonic()
    rows = list(
        BankAccount.objects.exclude(status=BankAccount.Status.CLOSED)
        .order_by("pk")
        .values_list("pk", "currency", "number_index")[:limit]
    )
    client = redis_client()
    for start in range(0, len(rows), 10_000):
        chunk = rows[start : start + 10_000]
        with client.pipeline(transaction=False) as pipe:
            for pk, _, _ in chunk:
                pipe.hget(POLICY_KEY.format(pk), "b")
            blobs = pipe.execute()
        for (pk, currency, number_index), blob in zip(chunk, blobs, strict=True):
            context.account_cache_put(account_id=pk, currency=currency, number_index=number_index)
            if blob is not None:
                context.policies[pk] = policy_decode(blob)
    # The master must not hand its connections to the workers it forks.
    connections.close_all()
    client.connection_pool.disconnect()
    return len(rows), time.monotonic() - started

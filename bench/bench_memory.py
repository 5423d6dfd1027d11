"""Memory of compiled policies for 1,000,000 accounts: in one worker process, and in Redis.

    . bench/env.sh
    .venv/bin/python bench/bench_memory.py --accounts 1000000

The policies are compiled by the real `policy_compile` from unsaved lock rows with the same varied locks
as the benchmark data (bench/setup_data.py `lock_fields`: limits, per-channel limits, region lists,
time windows, channels off, freezes, cooling-off thresholds; a few travel windows) and encoded with
`policy_encode`, the bytes Redis holds.

(a) worker: the bytes are decoded with `policy_decode` into a dict keyed by account id, exactly like the
    hot path's in-process cache (`locks.authorizations.context.policies`); the figure is the growth of the
    process's resident set (VmRSS in /proc/self/status) from before the first policy to after the last,
    measured in a fresh child process so nothing else is allocated meanwhile. The encoded bytes are
    produced one at a time and dropped, so only the cache remains.
(b) Redis: the same bytes are written as `HSET sc:policy:<id> v <version> b <bytes>` to the scratch
    database BENCH_SCRATCH_REDIS_URL (default Redis DB 3, which must be empty) and the figure is the
    growth of INFO memory used_memory; the scratch database is flushed afterwards.
"""

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIB = 1024 * 1024


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def policies(count: int, *, seed: int = 1):
    """(account id, version, encoded policy) for `count` accounts with the bench's varied locks."""
    import django

    django.setup()
    from accounts.models import BankAccount, Customer
    from bench.setup_data import ZONES, lock_fields
    from locks.decision.policy import policy_encode
    from locks.models import LockSettings
    from locks.models import TravelWindow as TravelWindowRow
    from locks.rules.policies import policy_compile

    rng = random.Random(seed)
    zones = [zone for zone, weight in ZONES for _ in range(weight)]
    now = datetime.now(UTC)
    for i in range(count):
        account_id = i + 1
        customer = Customer(time_zone=rng.choice(zones))
        account = BankAccount(pk=account_id, customer=customer, currency="USD" if i % 40 == 7 else "CNY")
        fields = lock_fields(i)
        row = LockSettings(account=account, **fields)
        travel = []
        if fields.get("region_mode") == "allow" and i % 10 == 0:
            window = TravelWindowRow(
                regions=["JP"], starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=300)
            )
            travel = [window]
        policy = policy_compile(row=row, travel_windows=travel)
        yield account_id, policy.version, policy_encode(policy)


def measure_worker(count: int) -> dict[str, float]:
    from locks.decision.policy import policy_decode

    stream = policies(count)
    first = next(stream)  # imports and Django set-up happen before the baseline
    gc.collect()
    cache = {}
    before = rss_bytes()
    started = time.monotonic()
    total_bytes = len(first[2])
    cache[first[0]] = policy_decode(first[2])
    for account_id, _, data in stream:
        total_bytes += len(data)
        cache[account_id] = policy_decode(data)
    gc.collect()
    after = rss_bytes()
    return {
        "policies": len(cache),
        "rss_growth_mib": (after - before) / MIB,
        "bytes_per_policy": (after - before) / len(cache),
        "mean_encoded_bytes": total_bytes / len(cache),
        "seconds": time.monotonic() - started,
    }


def measure_redis(count: int, url: str) -> dict[str, float]:
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize():
        raise SystemExit(f"the scratch Redis database {url} is not empty: refusing to use (and flush) it")
    gc.collect()
    try:
        before = int(client.info("memory")["used_memory"])
        batch = client.pipeline(transaction=False)
        total_bytes = 0
        for n, (account_id, version, data) in enumerate(policies(count), 1):
            total_bytes += len(data)
            batch.hset(f"sc:policy:{account_id}", mapping={"v": version, "b": data})
            if n % 10_000 == 0:
                batch.execute()
        batch.execute()
        keys = cast(int, client.dbsize())
        after = int(client.info("memory")["used_memory"])
    finally:
        client.flushdb()
    return {
        "keys": keys,
        "used_memory_growth_mib": (after - before) / MIB,
        "bytes_per_policy": (after - before) / keys,
        "mean_encoded_bytes": total_bytes / keys,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["worker", "redis"], help="run one part (used for the child process)")
    args = parser.parse_args()
    if args.only == "worker":
        print(json.dumps(measure_worker(args.accounts)))
        return
    if args.only == "redis":
        print(json.dumps(measure_redis(args.accounts, os.environ["BENCH_SCRATCH_REDIS_URL"])))
        return
    results = {}
    for part in ("worker", "redis"):
        output = subprocess.run(
            [sys.executable, __file__, "--accounts", str(args.accounts), "--only", part],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
        results[part] = json.loads(output.stdout.strip().splitlines()[-1])
        print(part, results[part], flush=True)
    w, r = results["worker"], results["redis"]
    print(
        f"\n{args.accounts:,} policies: worker cache {w['rss_growth_mib']:.0f} MiB"
        f" ({w['bytes_per_policy']:.0f} B each),"
        f" Redis {r['used_memory_growth_mib']:.0f} MiB ({r['bytes_per_policy']:.0f} B each);"
        f" mean encoded policy {w['mean_encoded_bytes']:.0f} B"
    )
    out = ROOT / "var" / "bench" / "results" / f"memory-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"accounts": args.accounts, **results}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

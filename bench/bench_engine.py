"""Benchmark of the pure decision engine (no Django, no Redis, no I/O).

Builds a realistic, varied set of compiled policies (bank defaults, custom limits, night protection,
region locks, elderly protection, travel windows, freezes; several time zones), round-trips them through
the msgpack wire format as the service does, then runs `decide()` over a mix of card payments and
transfers and prints throughput, ns per decision, latency percentiles, the outcome mix and the policy
sizes (encoded and in memory).

    .venv/bin/python bench/bench_engine.py                      # 10,000 policies, 1,000,000 decisions
    .venv/bin/python bench/bench_engine.py --decisions 5000000 --policies 100000

The process pins itself to one CPU when it can: the target is decisions per second on one core.
"""

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locks.decision.engine import decide
from locks.decision.policy import (
    ALL_DAYS,
    ChannelLimits,
    CompiledPolicy,
    TimeWindow,
    Transaction,
    TravelWindow,
    Usage,
    policy_decode,
    policy_encode,
)

YUAN = 100  # minor units (fen) per yuan
BANK_MAX = {"per_transaction_limit": 50_000 * YUAN, "daily_limit": 200_000 * YUAN, "monthly_limit": 1_000_000 * YUAN}
BANK_THRESHOLDS = {"cooling_off_threshold": 50_000 * YUAN, "cooling_off_new_payee_threshold": 10_000 * YUAN}
START = int(datetime(2024, 6, 1, tzinfo=UTC).timestamp())
SPAN = 30 * 86400
PROVINCES = ["CN-BJ", "CN-SH", "CN-GD", "CN-ZJ", "CN-JS", "CN-AH", "CN-SC", "CN-HB", "CN-HN", "CN-FJ", "CN-SD"]
PROVINCES += ["CN-YN", "CN-GX"]
ABROAD = [("HK", None), ("MO", None), ("US", "US-CA"), ("US", "US-NY"), ("JP", "JP-13"), ("GB", None), ("TH", None)]
ABROAD += [("SG", None)]
ZONES = ["Asia/Shanghai"] * 92 + ["America/New_York"] * 3 + ["Europe/London"] * 2 + ["Asia/Tokyo", "Australia/Sydney"]
ZONES += ["America/Los_Angeles"]
CHANNEL_WEIGHTS = {
    "quick_pay": 30,
    "card_not_present": 18,
    "pos": 20,
    "contactless": 12,
    "online_transfer": 12,
    "atm": 5,
    "cross_border": 3,
}
NIGHT_PROTECTION = TimeWindow(days=ALL_DAYS, start_minute=6 * 60, end_minute=24 * 60)
WORKDAY_HOURS = TimeWindow(days=(0, 1, 2, 3, 4), start_minute=8 * 60, end_minute=22 * 60)
WEEKEND_HOURS = TimeWindow(days=(5, 6), start_minute=9 * 60, end_minute=1 * 60)  # crosses midnight


def policy_make(rng: random.Random, account_id: int) -> CompiledPolicy:
    fields: dict = {"account_id": account_id, "version": rng.randint(1, 40), **BANK_MAX, **BANK_THRESHOLDS}
    fields["time_zone"] = rng.choice(ZONES)
    profile = rng.choices(
        ["default", "custom_limits", "night", "region_allow", "region_block", "elderly", "travel", "frozen"],
        weights=[45, 20, 15, 8, 3, 5, 3, 1],
    )[0]
    if profile in ("custom_limits", "night", "region_allow"):
        per_transaction = rng.choice([500, 1_000, 2_000, 5_000, 10_000, 20_000]) * YUAN
        fields["per_transaction_limit"] = per_transaction
        fields["daily_limit"] = per_transaction * rng.choice([2, 3, 5, 10])
        fields["monthly_limit"] = fields["daily_limit"] * rng.choice([5, 10, 20])
        if rng.random() < 0.4:
            fields["channel_limits"] = (
                ChannelLimits(channel="contactless", per_transaction=1_000 * YUAN),
                ChannelLimits(channel="atm", daily=5_000 * YUAN),
            )
        if rng.random() < 0.3:
            fields["cooling_off_threshold"] = rng.choice([5_000, 10_000, 20_000]) * YUAN
    if profile == "night":
        fields["time_windows"] = (NIGHT_PROTECTION,) if rng.random() < 0.8 else (WORKDAY_HOURS, WEEKEND_HOURS)
    elif profile == "region_allow":
        fields["region_mode"] = "allow"
        fields["regions"] = rng.choice([frozenset({"CN"}), frozenset({"CN", "HK", "MO"}), frozenset({"CN-GD", "HK"})])
        fields["channels_off"] = frozenset({"cross_border"})
    elif profile == "region_block":
        fields["region_mode"] = "block"
        fields["regions"] = rng.choice(
            [frozenset({"MM", "KH", "PH"}), frozenset({"CN-YN", "CN-GX"}), frozenset({"TH"})]
        )
    elif profile == "elderly":
        fields.update(per_transaction_limit=2_000 * YUAN, daily_limit=5_000 * YUAN, monthly_limit=20_000 * YUAN)
        fields["channels_off"] = frozenset({"card_not_present", "cross_border", "quick_pay"})
        fields["time_windows"] = (NIGHT_PROTECTION,)
        fields["cooling_off_threshold"] = 5_000 * YUAN
        fields["cooling_off_new_payee_threshold"] = 1_000 * YUAN
        fields["channel_limits"] = (ChannelLimits(channel="online_transfer", per_transaction=2_000 * YUAN),)
    elif profile == "travel":
        country = rng.choice(["US", "JP", "GB", "TH", "SG"])
        starts_at = START + rng.randint(-10, 20) * 86400
        fields["travel_windows"] = (
            TravelWindow(regions=frozenset({country}), starts_at=starts_at, ends_at=starts_at + 14 * 86400),
        )
        fields["channels_off"] = frozenset({"cross_border"})
        if rng.random() < 0.5:
            fields["region_mode"] = "allow"
            fields["regions"] = frozenset({"CN"})
    elif profile == "frozen":
        fields[rng.choice(["freeze_all_outgoing", "freeze_card_not_present"])] = True
    return CompiledPolicy(**fields)


def transaction_make(rng: random.Random, policy: CompiledPolicy, n: int) -> tuple[Transaction, Usage]:
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    transfer = channel == "online_transfer"
    if channel == "cross_border" or rng.random() < 0.05:
        country, subdivision = rng.choice(ABROAD)
    else:
        country = "CN"
        subdivision = None if channel in ("card_not_present", "quick_pay", "online_transfer") else rng.choice(PROVINCES)
    median = 2_000 * YUAN if transfer else 100 * YUAN
    amount = max(1, min(int(rng.lognormvariate(0, 1.5) * median), 500_000 * YUAN))
    txn = Transaction(
        transaction_id=f"t{n}",
        account_id=policy.account_id,
        amount=amount,
        currency="CNY" if rng.random() < 0.998 else "USD",
        channel=channel,
        country=country,
        subdivision=subdivision,
        initiated_at=START + rng.random() * SPAN,
        counterparty=f"payee{rng.randint(1, 50)}" if transfer else None,
    )
    risk_roll = rng.random()
    payee_risk = "high" if risk_roll < 0.003 else "medium" if risk_roll < 0.01 else None
    spent_today = int(rng.expovariate(1 / (300 * YUAN)))
    usage = Usage(
        spent_today=spent_today,
        spent_this_month=spent_today + int(rng.expovariate(1 / (5_000 * YUAN))),
        channel_spent_today=spent_today // 2,
        channel_spent_this_month=spent_today * 5,
        payee_risk=payee_risk,
        payee_known=rng.random() < 0.7,
    )
    return txn, usage


def pin_to_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned"


def percentile(sorted_values: list[int], fraction: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=200_000, help="distinct (policy, transaction, usage) triples")
    parser.add_argument("--samples", type=int, default=200_000, help="decisions timed one by one for percentiles")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    pinned = pin_to_one_cpu()
    rng = random.Random(args.seed)
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs ({pinned})")

    built = [policy_make(rng, 10_000_000 + i) for i in range(args.policies)]
    encoded = [policy_encode(policy) for policy in built]
    del built
    gc.collect()
    started = time.perf_counter()
    for data in encoded:
        policy_decode(data)
    decode_seconds = time.perf_counter() - started
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    policies = [policy_decode(data) for data in encoded]
    decoded, _ = tracemalloc.get_traced_memory()
    cache = {policy.account_id: policy for policy in policies}
    cached, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del cache
    sizes = [len(data) for data in encoded]
    per_policy = (decoded - before - sys.getsizeof(policies)) / len(policies)
    per_account = (cached - before - sys.getsizeof(policies)) / len(policies)
    mib_per_million = 1_000_000 / 2**20
    print(f"\npolicies: {len(policies):,}")
    print(
        f"  encoded: mean {statistics.fmean(sizes):.1f} B, median {statistics.median(sizes):.0f} B, max {max(sizes)} B"
        f" → {statistics.fmean(sizes) * mib_per_million:.0f} MiB of values per 1,000,000 accounts"
    )
    print(
        f"  decoded: {per_policy:.0f} B per policy; {per_account:.0f} B with a dict keyed by account id"
        f" → {per_account * mib_per_million:.0f} MiB per 1,000,000 accounts (tracemalloc; shared values counted once)"
    )
    print(f"  decode: {decode_seconds / len(policies) * 1e6:.2f} µs per policy")

    pool_size = min(args.pool, args.decisions)
    work = []
    for n in range(pool_size):
        policy = policies[rng.randrange(len(policies))]
        txn, usage = transaction_make(rng, policy, n)
        work.append((policy, txn, usage))

    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for policy, txn, usage in work:  # also warms the time-zone caches, as a running service would be
        decision = decide(policy, txn, usage)
        outcomes[decision.outcome] += 1
        reasons.update(str(reason) for reason in decision.reasons)

    passes, rest = divmod(args.decisions, pool_size)
    gc.disable()
    started = time.perf_counter()
    for _ in range(passes):
        for policy, txn, usage in work:
            decide(policy, txn, usage)
    for policy, txn, usage in work[:rest]:
        decide(policy, txn, usage)
    elapsed = time.perf_counter() - started

    def nothing(policy: object, txn: object, usage: object) -> None:
        return None

    started = time.perf_counter()
    for _ in range(passes):
        for policy, txn, usage in work:
            nothing(policy, txn, usage)
    for policy, txn, usage in work[:rest]:
        nothing(policy, txn, usage)
    loop_overhead = time.perf_counter() - started

    clock = time.perf_counter_ns
    timer_costs = []
    for _ in range(10_000):
        t0 = clock()
        timer_costs.append(clock() - t0)
    timer_cost = int(statistics.median(timer_costs))
    latencies = []
    for i in range(args.samples):
        policy, txn, usage = work[i % pool_size]
        t0 = clock()
        decide(policy, txn, usage)
        latencies.append(clock() - t0 - timer_cost)
    gc.enable()
    latencies.sort()

    total = args.decisions
    print(f"\ndecisions: {total:,} over {pool_size:,} distinct transactions on {len(policies):,} policies")
    print(f"  throughput: {total / elapsed:,.0f} decisions/s  ({elapsed * 1e9 / total:.0f} ns/decision, loop included)")
    net = (elapsed - loop_overhead) * 1e9 / total
    print(
        f"  decide() alone: {net:.0f} ns/decision → {1e9 / net:,.0f} decisions/s (a 3-argument no-op call costs "
        f"{loop_overhead * 1e9 / total:.0f} ns in the same loop)"
    )
    print(f"  target 500,000 decisions/s on one core: {'met' if total / elapsed >= 500_000 else 'NOT met'}")
    print(f"  latency of one call ({args.samples:,} timed, timer cost {timer_cost} ns subtracted):")
    print(
        "    "
        + ", ".join(
            f"p{label} {percentile(latencies, fraction):,} ns"
            for label, fraction in [("50", 0.5), ("90", 0.9), ("99", 0.99), ("99.9", 0.999)]
        )
        + f", max {latencies[-1]:,} ns"
    )
    print("\noutcomes: " + ", ".join(f"{k} {v / pool_size:.1%}" for k, v in outcomes.most_common()))
    print("reasons:  " + ", ".join(f"{k} {v / pool_size:.2%}" for k, v in reasons.most_common()))


if __name__ == "__main__":
    main()

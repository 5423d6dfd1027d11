"""Micro-benchmark: what device signals cost on the hot path (decode the request body + decide), with none,
with quiet signals and with signals that hold the transfer. Pure Python, no Django, no Redis, one core.

    .venv/bin/python bench/bench_signals.py              # 7 rounds of 200,000 calls per variant
    .venv/bin/python bench/bench_signals.py --tree DIR   # the same against another checkout (the code before)
    .venv/bin/python bench/bench_signals.py --instructions [--tree DIR]   # instructions per call (callgrind)

The figure that matters is "no signals": a request without `device_signals` must cost what it did before
the feature (run it with --tree on the previous commit to compare). Best of several rounds, so that other
processes on a shared machine disturb it as little as possible; not a load test. On a loaded machine the
wall-clock figures wander by ±40 %; `--instructions` counts instructions under valgrind's callgrind instead
(the difference between N calls and none, divided by N), which the load does not change.
"""

import argparse
import os
import re
import subprocess
import sys
import timeit
from datetime import UTC, datetime
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]), help="checkout to import from")
parser.add_argument("--number", type=int, default=200_000)
parser.add_argument("--rounds", type=int, default=7)
parser.add_argument("--instructions", action="store_true", help="count instructions per call with callgrind")
parser.add_argument("--loop", nargs=2, metavar=("VARIANT", "N"), help=argparse.SUPPRESS)  # callgrind's child
args = parser.parse_args()
sys.path.insert(0, args.tree)

import msgspec  # noqa: E402

from locks.decision.engine import decide  # noqa: E402
from locks.decision.policy import CompiledPolicy, Transaction, Usage  # noqa: E402

try:
    from locks.decision.signals import DeviceSignals

    HAS_SIGNALS = True
except ImportError:  # the code before the feature
    HAS_SIGNALS = False


class Request(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The authorization request's shape (locks.authorizations.request imports Django; this does not)."""

    transaction_id: str
    amount: int
    currency: str
    channel: str
    country: str
    initiated_at: datetime
    account_id: int | None = None
    counterparty_account: str | None = None
    transfer: bool = False
    if HAS_SIGNALS:
        device_signals: DeviceSignals | None = None


decoder = msgspec.json.Decoder(Request)
POLICY = CompiledPolicy(
    account_id=1,
    version=3,
    per_transaction_limit=100_000_000,
    daily_limit=500_000_000,
    monthly_limit=2_000_000_000,
    cooling_off_threshold=5_000_000,
    cooling_off_new_payee_threshold=1_000_000,
)
USAGE = Usage(spent_today=120_000, spent_this_month=900_000, payee_known=False)
BASE = {
    "transaction_id": "t-0001",
    "amount": 50_000,
    "currency": "CNY",
    "channel": "online_transfer",
    "country": "CN",
    "initiated_at": datetime(2026, 12, 2, 9, 30, tzinfo=UTC).isoformat(),
    "account_id": 1,
    "counterparty_account": "6222021234567890",
}
VARIANTS = {"no signals": BASE}
if HAS_SIGNALS:
    VARIANTS["quiet signals"] = {**BASE, "device_signals": {"on_call": False, "screen_sharing": False}}
    VARIANTS["unknown caller (held)"] = {**BASE, "device_signals": {"on_call": True, "caller_in_contacts": False}}


def decode_and_decide(body: bytes) -> str:
    request = decoder.decode(body)
    fields = {
        "transaction_id": request.transaction_id,
        "account_id": 1,
        "amount": request.amount,
        "currency": request.currency,
        "channel": request.channel,
        "country": request.country,
        "initiated_at": request.initiated_at.timestamp(),
        "counterparty": "payee-hash",
        "transfer": request.transfer,
    }
    if HAS_SIGNALS:
        fields["signals"] = request.device_signals
    return decide(POLICY, Transaction(**fields), USAGE).outcome


def instructions(variant: str, calls: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--tree",
        args.tree,
        "--loop",
        variant,
        str(calls),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found is not None, done.stderr
    return int(found.group(1))


if args.loop:
    variant, calls = args.loop[0], int(args.loop[1])
    raw = msgspec.json.encode(VARIANTS[variant])
    for _ in range(calls):
        decode_and_decide(raw)
    sys.exit(0)
if args.instructions:
    calls = 3000
    print(f"tree {args.tree}; instructions per call (callgrind, {calls:,} calls minus none)")
    for name in VARIANTS:
        per_call = (instructions(name, calls) - instructions(name, 0)) / calls
        print(f"  {name:24} {per_call:7.0f} instructions")
    sys.exit(0)
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
print(f"tree {args.tree}; {args.rounds} rounds of {args.number:,} calls; best round, ns per call")
for name, body in VARIANTS.items():
    raw = msgspec.json.encode(body)
    outcome = decode_and_decide(raw)
    best = min(timeit.repeat(lambda raw=raw: decode_and_decide(raw), number=args.number, repeat=args.rounds))
    print(f"  {name:24} {best / args.number * 1e9:7.0f} ns  ({outcome}, body {len(raw)} bytes)")

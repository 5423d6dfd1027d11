"""Realistic benchmark data: customers, accounts with varied locks, their published policies, a risk list.

Run with the bench environment (`. bench/env.sh`; it points at the sc_bench database and Redis DB 2):

    .venv/bin/python bench/setup_data.py --accounts 100000 --risk 5000

Idempotent: existing customers, accounts, lock rows and risk entries are kept, only what is missing is
created, and only policies Redis lacks (or holds at another version) are published. It also writes what
the load generators need into var/bench/: the API key, the accounts (id, number, currency) and the
risk-listed payee numbers. `--reset-activity` empties the recorded decisions and the Redis counters and
idempotency markers, so runs start from the same state.

Everything is derived from the account's index with a seeded RNG, so two setups give the same locks.
"""

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
BENCH_KEY_PREFIX = "benchpc1"
CUSTOMER_PREFIX = "B"
CHUNK = 5_000

ZONES = [("Asia/Shanghai", 88), ("Asia/Hong_Kong", 4), ("Asia/Tokyo", 2), ("Europe/London", 3), ("America/New_York", 3)]
SUBDIVISIONS = ["CN-BJ", "CN-SH", "CN-GD", "CN-ZJ", "CN-JS", "CN-AH", "CN-SC", "CN-HB"]


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def account_number(i: int) -> str:
    return f"62{i:017d}"


def lock_fields(i: int) -> dict[str, Any]:
    """The lock settings of account i: most accounts have none, the rest a realistic spread.

    Shares of accounts (independent, so some accounts combine several): limits 20 %, per-channel limits 8 %,
    region allow list 8 %, block list 4 %, time windows 6 %, channels off 8 %, card-not-present freeze 2 %,
    full freeze 1 %, a lower cooling-off threshold 5 %.
    """
    rng = random.Random(i * 7919 + 17)
    fields: dict[str, Any] = {"version": 1 + rng.randrange(5)}
    limits: dict[str, Any] = {}
    if rng.random() < 0.20:
        limits["per_transaction"] = rng.choice([200_000, 500_000, 1_000_000, 5_000_000])
        limits["daily"] = rng.choice([500_000, 1_000_000, 2_000_000, 10_000_000])
        limits["monthly"] = rng.choice([5_000_000, 20_000_000, 50_000_000])
    if rng.random() < 0.08:
        channels: dict[str, dict[str, int]] = {}
        for channel in rng.sample(["atm", "quick_pay", "card_not_present", "online_transfer", "pos"], 2):
            channels[channel] = {
                "per_transaction": rng.choice([100_000, 300_000, 1_000_000]),
                "daily": rng.choice([300_000, 1_000_000, 3_000_000]),
                "monthly": rng.choice([3_000_000, 10_000_000]),
            }
        limits["channels"] = channels
    if limits:
        fields["limits"] = limits
    draw = rng.random()
    if draw < 0.08:
        fields["region_mode"] = "allow"
        fields["regions"] = rng.choice([["CN"], ["CN-BJ", "CN-SH"], ["CN", "HK"], ["CN-GD", "HK", "MO"]])
    elif draw < 0.12:
        fields["region_mode"] = "block"
        fields["regions"] = rng.choice([["US"], ["RU", "KP"], ["CN-GD"], ["GB", "US", "JP"]])
    if rng.random() < 0.06:
        fields["time_windows"] = rng.choice(
            [
                [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "22:00"}],
                [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "07:00", "end": "23:30"}],
                [
                    {"days": [4, 5], "start": "20:00", "end": "02:00"},
                    {"days": [0, 1, 2, 3], "start": "09:00", "end": "18:00"},
                ],
            ]
        )
    if rng.random() < 0.08:
        fields["channels_off"] = rng.sample(
            ["cross_border", "card_not_present", "atm", "quick_pay", "contactless"], rng.randint(1, 2)
        )
    if rng.random() < 0.02:
        fields["freeze_card_not_present"] = True
    if rng.random() < 0.01:
        fields["freeze_all_outgoing"] = True
    if rng.random() < 0.05:
        fields["cooling_off_threshold"] = rng.choice([500_000, 1_000_000, 2_000_000])
    return fields


def _key_raw() -> str:
    # Derived from the bench secret so that setup and load generators agree without storing a new secret.
    secret = os.environ["SECRET_KEY"].encode()
    return f"sc_{BENCH_KEY_PREFIX}_" + hashlib.sha256(secret + b"bench-api-key").hexdigest()[:40]


def ensure_client() -> str:
    from accounts.models import ApiKey, ServiceClient
    from securitycenter.crypto import token_hash

    client, _ = ServiceClient.objects.get_or_create(
        name="bench-payment-core",
        defaults={"scopes": ["authorizations:write", "authorizations:read", "holds:read"]},
    )
    raw = _key_raw()
    ApiKey.objects.update_or_create(
        prefix=BENCH_KEY_PREFIX, defaults={"client": client, "key_hash": token_hash(raw), "revoked_at": None}
    )
    return raw


def ensure_accounts(count: int) -> None:
    from accounts.models import BankAccount, Customer
    from securitycenter.crypto import blind_index

    existing = set(
        Customer.objects.filter(customer_number__startswith=CUSTOMER_PREFIX).values_list("customer_number", flat=True)
    )
    missing = [i for i in range(count) if f"{CUSTOMER_PREFIX}{i:09d}" not in existing]
    started = time.monotonic()
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        customers = []
        for i in chunk:
            rng = random.Random(i)
            customers.append(
                Customer(
                    customer_number=f"{CUSTOMER_PREFIX}{i:09d}",
                    name=f"Bench customer {i}",
                    phone=f"+86139{i:08d}",
                    time_zone=_weighted(rng, ZONES),
                    language="zh-Hans" if rng.random() < 0.9 else "en",
                    password="!",  # unusable: bench customers never sign in
                )
            )
        Customer.objects.bulk_create(customers, batch_size=1000)
        ids = dict(
            Customer.objects.filter(customer_number__in=[c.customer_number for c in customers]).values_list(
                "customer_number", "pk"
            )
        )
        accounts = []
        for i in chunk:
            number = account_number(i)
            rng = random.Random(i + 1_000_003)
            accounts.append(
                BankAccount(
                    customer_id=ids[f"{CUSTOMER_PREFIX}{i:09d}"],
                    kind=rng.choice(["debit_card", "debit_card", "credit_card", "account"]),
                    currency="USD" if i % 40 == 7 else "CNY",
                    number=number,  # EncryptedTextField encrypts in get_prep_value, also for bulk_create
                    number_index=blind_index(number, purpose="account_number"),
                    masked_number=f"**** {number[-4:]}",
                )
            )
        BankAccount.objects.bulk_create(accounts, batch_size=1000)
        print(
            f"  accounts: {start + len(chunk)}/{len(missing)} created ({time.monotonic() - started:.0f} s)", flush=True
        )


def ensure_locks() -> None:
    from accounts.models import BankAccount
    from locks.models import LockSettings, TravelWindow

    have = set(LockSettings.objects.values_list("account_id", flat=True))
    rows = (
        BankAccount.objects.filter(customer__customer_number__startswith=CUSTOMER_PREFIX)
        .values_list("pk", "number_index", "customer__customer_number")
        .order_by("pk")
    )
    todo = [(pk, int(number[len(CUSTOMER_PREFIX) :])) for pk, _, number in rows if pk not in have]
    now = datetime.now(UTC)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        locks, travel = [], []
        for pk, i in chunk:
            fields = lock_fields(i)
            locks.append(LockSettings(account_id=pk, **fields))
            if fields.get("region_mode") == "allow" and i % 10 == 0:
                # A customer abroad for a while: a live travel window lets that country through.
                travel.append(
                    TravelWindow(
                        account_id=pk,
                        regions=["JP"],
                        starts_at=now - timedelta(days=1),
                        ends_at=now + timedelta(days=300),
                    )
                )
        LockSettings.objects.bulk_create(locks, batch_size=1000, ignore_conflicts=True)
        TravelWindow.objects.bulk_create(travel, batch_size=1000)
    if todo:
        print(f"  lock rows: {len(todo)} created", flush=True)


def publish_policies() -> None:
    """Compile with the real `policy_compile` and write the real format, `HSET sc:policy:<id> v <ver> b <bytes>`.

    Reads lock rows and travel windows in chunks instead of per account (policy_publish's two queries per
    account would take minutes for 100,000 accounts); only missing or outdated policies are written.
    """
    from django.db.models import F

    from locks.decision.policy import policy_encode
    from locks.models import LockSettings, TravelWindow
    from locks.rules.policies import POLICY_KEY, policy_compile
    from securitycenter.redis import redis_client

    client = redis_client()
    versions = list(LockSettings.objects.order_by("account_id").values_list("account_id", "version"))
    stale: list[int] = []
    for start in range(0, len(versions), 10_000):
        chunk = versions[start : start + 10_000]
        with client.pipeline(transaction=False) as pipe:
            for account_id, _ in chunk:
                pipe.hget(POLICY_KEY.format(account_id), "v")
            published = pipe.execute()
        stale += [a for (a, v), p in zip(chunk, published, strict=True) if p is None or int(p) != v]
    now = datetime.now(UTC)
    started = time.monotonic()
    for start in range(0, len(stale), CHUNK):
        ids = stale[start : start + CHUNK]
        windows: dict[int, list[TravelWindow]] = {}
        for window in TravelWindow.objects.filter(account_id__in=ids, cancelled_at__isnull=True, ends_at__gt=now):
            windows.setdefault(window.account_id, []).append(window)
        rows = LockSettings.objects.filter(account_id__in=ids).select_related("account__customer")
        with client.pipeline(transaction=False) as pipe:
            for row in rows:
                policy = policy_compile(row=row, travel_windows=windows.get(row.account_id, []))
                pipe.hset(POLICY_KEY.format(row.account_id), mapping={"v": policy.version, "b": policy_encode(policy)})
            pipe.execute()
    LockSettings.objects.exclude(published_version=F("version")).update(published_version=F("version"))
    print(f"  policies: {len(stale)} published ({time.monotonic() - started:.0f} s)", flush=True)


def risk_number(j: int) -> str:
    return f"6217{j:015d}"


def ensure_risk_list(count: int) -> None:
    from locks.models import PayeeRiskEntry
    from locks.risklist.services import risk_list_publish
    from securitycenter.crypto import blind_index
    from securitycenter.redis import redis_client

    have = PayeeRiskEntry.objects.filter(source="bench").count()
    if have < count:
        entries = [
            PayeeRiskEntry(
                counterparty=blind_index(risk_number(j), purpose="payee"),
                severity="high" if j % 3 == 0 else "medium",
                source="bench",
                note="bench entry",
            )
            for j in range(count)
        ]
        PayeeRiskEntry.objects.bulk_create(entries, batch_size=1000, ignore_conflicts=True)
    published = risk_list_publish(redis_client())
    print(f"  risk list: {published} entries published", flush=True)


def export(raw_key: str, risk: int) -> None:
    from accounts.models import BankAccount

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api_key").write_text(raw_key + "\n")
    rows = (
        BankAccount.objects.filter(customer__customer_number__startswith=CUSTOMER_PREFIX)
        .order_by("pk")
        .values_list("pk", "customer__customer_number", "currency")
    )
    with (OUT / "accounts.csv").open("w") as out:
        for pk, number, currency in rows:
            out.write(f"{pk},{account_number(int(number[len(CUSTOMER_PREFIX) :]))},{currency}\n")
    # The stored (encrypted) number of one account, decrypted, must be the number the generators will send.
    sample = BankAccount.objects.filter(customer__customer_number__startswith=CUSTOMER_PREFIX).order_by("pk").first()
    if sample is not None:
        index = int(sample.customer.customer_number[len(CUSTOMER_PREFIX) :])
        assert sample.number == account_number(index), "account numbers do not match the bench scheme"
    (OUT / "risky.csv").write_text("".join(f"{risk_number(j)}\n" for j in range(risk)))
    print(f"  exported {len(rows)} accounts to {OUT / 'accounts.csv'}", flush=True)


def reset_activity() -> None:
    """Forget every decision: recorded rows, Redis counters, idempotency markers, queued decline tasks."""
    from django.db import connection

    from securitycenter.redis import redis_client

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE locks_authorization CASCADE")  # and the holds placed on them
    client = redis_client()
    for pattern in ("sc:usage:*", "sc:payees:*", "sc:txn:*"):
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
    client.delete("celery")
    print("  activity reset: decisions, counters, markers and queued tasks removed", flush=True)
    counters_prime()


def counters_prime() -> None:
    """Give every account the usage hash `usage_rebuild` would build for it from an empty record.

    In production an active account's hash exists (it lives 40 days past the last payment), so only
    a new account, one idle for 40 days, or Redis losing its data makes a payment rebuild it from the
    database first. Without this every account's first payment in a run would take that rare path.
    """
    from accounts.models import BankAccount
    from locks.counters import INIT_LUA, USAGE_KEY, USAGE_TTL, local_period
    from securitycenter.redis import redis_client

    client = redis_client()
    init = client.register_script(INIT_LUA)
    now = time.time()
    rows = list(BankAccount.objects.values_list("pk", "customer__time_zone"))
    for start in range(0, len(rows), 10_000):
        with client.pipeline(transaction=False) as pipe:
            for pk, zone in rows[start : start + 10_000]:
                period = local_period(zone, now)
                args = [USAGE_TTL, "d", period.day_key, "m", period.month_key, "da", 0, "ma", 0]
                init(keys=[USAGE_KEY.format(pk)], args=args, client=pipe)
            pipe.execute()
    print(f"  counters primed for {len(rows)} accounts", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--risk", type=int, default=5_000)
    parser.add_argument("--reset-activity", action="store_true", help="only empty decisions and counters")
    args = parser.parse_args()
    if "sc_bench" not in os.environ.get("DATABASE_URL", "") and not os.environ.get("BENCH_ALLOW_ANY_DATABASE"):
        sys.exit("Refusing: DATABASE_URL is not the bench database. Source bench/env.sh first.")
    sys.path.insert(0, str(ROOT))
    django.setup()
    if args.reset_activity:
        reset_activity()
        return
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    raw = ensure_client()
    ensure_accounts(args.accounts)
    ensure_locks()
    publish_policies()
    ensure_risk_list(args.risk)
    export(raw, args.risk)
    print(f"setup done in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""The benchmark's payment mix in Python (the same mix as bench/wrk_authorize.lua; see its header).

Reads var/bench/{api_key,accounts.csv,risky.csv} written by bench/setup_data.py.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "var" / "bench"

CHANNELS = [
    ("pos", 35),
    ("quick_pay", 20),
    ("card_not_present", 12),
    ("online_transfer", 12),
    ("contactless", 10),
    ("atm", 6),
    ("cross_border", 5),
]
ABROAD = ["US", "HK", "JP", "GB", "SG", "TH", "KR", "FR"]
PROVINCES = ["CN-BJ", "CN-SH", "CN-GD", "CN-ZJ", "CN-JS", "CN-AH", "CN-SC", "CN-HB", "CN-FJ", "CN-HN"]
MCCS = ["5411", "5812", "5999", "4111", "5732", "7011", "5311", "5541", "5912", "4814"]


@dataclass(frozen=True)
class BenchData:
    api_key: str
    accounts: list[tuple[int, str, str]]  # (id, number, currency)
    risky: list[str]


def bench_data() -> BenchData:
    try:
        key = (DATA / "api_key").read_text().strip()
        accounts = []
        for line in (DATA / "accounts.csv").read_text().split():
            pk, number, currency = line.split(",")
            accounts.append((int(pk), number, currency))
        risky = (DATA / "risky.csv").read_text().split()
    except FileNotFoundError as exc:
        raise SystemExit(f"{exc.filename} is missing: run bench/setup_data.py first") from exc
    return BenchData(key, accounts, risky)


class PaymentMix:
    def __init__(self, data: BenchData, seed: int | None = None) -> None:
        self.data = data
        self.rng = random.Random(seed)
        self.channels = [c for c, weight in CHANNELS for _ in range(weight)]

    def payment(self, transaction_id: str, now: datetime | None = None) -> dict[str, Any]:
        rng = self.rng
        pk, number, currency = rng.choice(self.data.accounts)
        channel = rng.choice(self.channels)
        body: dict[str, Any] = {"transaction_id": transaction_id}
        if rng.random() < 0.9:
            body["account_id"] = pk
        else:
            body["account_number"] = number
        country, subdivision = "CN", None
        if channel == "cross_border" or rng.random() < 0.05:
            country = rng.choice(ABROAD)
        elif rng.random() < 0.6:
            subdivision = rng.choice(PROVINCES)
        body["amount"] = int(10 ** (2 + rng.random() * 4.2))
        body["currency"] = currency
        body["channel"] = channel
        body["country"] = country
        if subdivision:
            body["subdivision"] = subdivision
        if channel == "online_transfer" or (channel == "quick_pay" and rng.random() < 0.1):
            if rng.random() < 0.03:
                body["counterparty_account"] = rng.choice(self.data.risky)
            else:
                body["counterparty_account"] = f"6228{rng.randint(1, 200_000):015d}"
        elif channel != "atm":
            body["mcc"] = rng.choice(MCCS)
        moment = (now or datetime.now(UTC)) - timedelta(seconds=rng.randint(0, 3))
        body["initiated_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return body

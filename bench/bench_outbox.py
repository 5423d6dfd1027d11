"""Micro-measurement behind the hot path's outbox (issue 14): what a Celery publish on the request cost,
against the cheaper triggers, and what the beat sweep that replaced it costs when there is nothing to do.

    DEBUG=1 DATABASE_URL=… REDIS_URL=… CELERY_BROKER_URL=… .venv/bin/python bench/bench_outbox.py [-n 500]

Measured per call, CPU (process time) and wall time, medians of 5 rounds of `-n` calls:
- `authorization_decline_record.delay(id)`: one Celery publish to the Redis broker (what a decline cost);
- one `LPUSH` on the same Redis (the cheapest per-request trigger there would be);
- `outbox_drain()` with nothing to do: the beat sweep's two indexed look-ups, once a second.
Nothing is consumed: the published messages are purged from the broker at the end.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securitycenter.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def per_call(fn: Callable[[], object], n: int, rounds: int = 5) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        cpu.append((time.process_time() - c0) / n)
        wall.append((time.perf_counter() - w0) / n)
    return statistics.median(cpu) * 1e6, statistics.median(wall) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    # After django.setup(): the task modules import models.
    import redis
    from django.conf import settings

    from locks.authorizations.outbox import outbox_drain
    from locks.authorizations.tasks import authorization_decline_record
    from securitycenter.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    rows = [
        ("Celery publish (delay)", lambda: authorization_decline_record.delay(0)),
        ("Redis LPUSH", lambda: broker.lpush("i14:outbox:bench", 1)),
        ("outbox sweep, nothing to do", outbox_drain),
    ]
    print(f"{'call':<32}{'CPU µs':>10}{'wall µs':>10}")
    try:
        for name, fn in rows:
            fn()  # warm: connections, prepared plans
            cpu, wall = per_call(fn, args.n)
            print(f"{name:<32}{cpu:>10.0f}{wall:>10.0f}")
    finally:
        broker.delete("i14:outbox:bench")
        app.control.purge()


if __name__ == "__main__":
    main()

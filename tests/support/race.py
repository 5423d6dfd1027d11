"""Real threads racing on a real database: the one helper every concurrency test uses."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

RACE_TIMEOUT_SECONDS = 60


def run_at_once(count: int, work: Callable[[int], Any], *, timeout: float = RACE_TIMEOUT_SECONDS) -> list[Any]:
    """Run `work(i)` for i in range(count) in `count` threads released together by a barrier.

    Returns, per thread, what `work` returned or the exception it raised (never lost inside a thread).
    Each thread closes its own database connections. A thread still running after `timeout` seconds fails
    the test: a deadlock must fail CI, not hang it.
    """
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def thread(i: int) -> None:
        try:
            start.wait(timeout=timeout)
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    stuck = sum(t.is_alive() for t in threads)
    assert not stuck, f"{stuck} of {count} threads still running after {timeout} s: a deadlock?"
    return results


def errors_of(results: list[Any]) -> list[BaseException]:
    """The exceptions among `run_at_once` results."""
    return [r for r in results if isinstance(r, BaseException)]

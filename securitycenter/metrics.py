"""The service's Prometheus metrics, defined once and counted where the thing happens.

Under gunicorn and Celery's prefork pool every process writes its own values to files in
`PROMETHEUS_MULTIPROC_DIR` (set by scripts/serve.sh and scripts/worker.sh before anything imports
prometheus_client); `/metrics` adds them up (`securitycenter.operations.collector`). Labels are small fixed
sets (outcomes, reason codes, statuses, channels): never an account, a client or a path, so the hot path pays a
dictionary look-up and an add, a few microseconds, and the series do not grow with traffic.
"""

from collections.abc import Iterable

from prometheus_client import Counter, Histogram

DECISIONS = Counter(
    "securitycenter_decisions",
    "Authorization decisions by outcome and first reason (empty for an approval without one).",
    ["outcome", "reason"],
)
DEGRADED_DECISIONS = Counter(
    "securitycenter_degraded_decisions",
    "Authorization decisions made in degraded mode (Redis unreachable), by outcome.",
    ["outcome"],
)
AUTHORIZATION_SECONDS = Histogram(
    "securitycenter_authorization_seconds",
    "Time the hot path took to answer the payment core, by endpoint (single or batch).",
    ["endpoint"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5),
)
HOLDS_PLACED = Counter("securitycenter_holds_placed", "Cooling-off holds placed.")
HOLDS_RESOLVED = Counter(
    "securitycenter_holds_resolved", "Holds that left 'held', by the status they went to.", ["status"]
)
WEBHOOK_ATTEMPTS = Counter(
    "securitycenter_webhook_attempts",
    "Hold webhook attempts by result: acknowledged (2xx), refused (another status) or unreachable.",
    ["result"],
)
NOTIFICATION_FAILURES = Counter(
    "securitycenter_notification_failures", "Notifications given up on (failed), by channel.", ["channel"]
)

SINGLE_SECONDS = AUTHORIZATION_SECONDS.labels("single")
BATCH_SECONDS = AUTHORIZATION_SECONDS.labels("batch")
# Bound children by label values: `labels()` parses and locks each time, a dict look-up does not.
_decision_children: dict[tuple[str, str], Counter] = {}
_degraded_children: dict[str, Counter] = {}


def decision_count(outcome: str, reasons: Iterable[str], *, degraded: bool) -> None:
    reason = next(iter(reasons), "")
    key = (outcome, reason)
    child = _decision_children.get(key)
    if child is None:
        child = _decision_children[key] = DECISIONS.labels(outcome, reason)
    child.inc()
    if degraded:
        degraded_child = _degraded_children.get(outcome)
        if degraded_child is None:
            degraded_child = _degraded_children[outcome] = DEGRADED_DECISIONS.labels(outcome)
        degraded_child.inc()


def webhook_attempt_count(status_code: int | None) -> None:
    if status_code is None:
        result = "unreachable"
    elif 200 <= status_code < 300:
        result = "acknowledged"
    else:
        result = "refused"
    WEBHOOK_ATTEMPTS.labels(result).inc()

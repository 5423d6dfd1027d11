"""What `/metrics` adds at scrape time: every process's own counters, and what only the database and the broker
know (holds due and overdue, queue depths, the oldest open call-back case, heartbeats, beat's last runs)."""

import glob
import os
from collections.abc import Iterator
from typing import Any

from amqp import ChannelError  # type: ignore[attr-defined]  # kombu raises it for a missing queue, any transport
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from kombu import Connection
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from locks.models import Case, Hold
from securitycenter.operations.heartbeats import heartbeats_seen


class ProcessFilesCollector(Collector):
    """The counters every web and worker process on this host wrote under METRICS_DIR/<kind>/."""

    def collect(self) -> Iterator[Metric]:
        files = glob.glob(os.path.join(settings.METRICS_DIR, "*", "*.db"))
        yield from MultiProcessCollector.merge(files, accumulate=True)


def queue_depths() -> dict[str, int]:
    depths = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=0, timeout=1)
        for queue in settings.CELERY_TASK_QUEUES:
            channel: Any = conn.channel()
            try:
                _, depths[queue.name], _ = channel.queue_declare(queue=queue.name, passive=True)
            except ChannelError:
                depths[queue.name] = 0  # never declared, or (Redis) empty: no list exists
            finally:
                channel.close()
    return depths


class OperationsCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        held = Hold.objects.filter(status=Hold.Status.HELD)
        due = GaugeMetricFamily("securitycenter_holds_due", "Held transfers whose release time has passed.")
        due.add_metric([], held.filter(release_at__lte=now).count())
        yield due
        overdue = GaugeMetricFamily(
            "securitycenter_holds_overdue",
            "Held transfers still held HOLD_OVERDUE_SECONDS after their release time (the release sweep is behind).",
        )
        overdue.add_metric([], held.filter(release_at__lte=now - settings.HOLD_OVERDUE_AFTER).count())
        yield overdue
        holding = GaugeMetricFamily("securitycenter_holds_held", "Transfers held now.")
        holding.add_metric([], held.count())
        yield holding

        oldest = Case.objects.filter(kind=Case.Kind.HOLD_CALLBACK, status=Case.Status.OPEN).aggregate(
            at=Min("opened_at")
        )["at"]
        age = GaugeMetricFamily(
            "securitycenter_callback_case_oldest_age_seconds", "Age of the oldest open hold call-back case (0: none)."
        )
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield age

        broker_up = GaugeMetricFamily("securitycenter_broker_up", "1 if the broker answered this scrape.")
        depth = GaugeMetricFamily(
            "securitycenter_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        try:
            depths = queue_depths()
        except Exception:  # noqa: BLE001 - an unreachable broker is a metric, not a failed scrape
            broker_up.add_metric([], 0)
        else:
            broker_up.add_metric([], 1)
            for name, count in sorted(depths.items()):
                depth.add_metric([name], count)
        yield broker_up
        yield depth

        seen = heartbeats_seen()
        beat = GaugeMetricFamily(
            "securitycenter_beat_last_run_timestamp_seconds", "When beat last sent each entry.", labels=["task"]
        )
        worker = GaugeMetricFamily(
            "securitycenter_worker_last_seen_timestamp_seconds",
            "When a worker last ran the heartbeat sent to each queue.",
            labels=["queue"],
        )
        for name, at in sorted(seen.items()):
            kind, _, what = name.partition(":")
            if kind == "beat" and what:
                beat.add_metric([what], at.timestamp())
            elif kind == "worker":
                worker.add_metric([what], at.timestamp())
        yield beat
        yield worker

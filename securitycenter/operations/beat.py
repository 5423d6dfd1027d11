"""Beat's scheduler, which also records when it sent each entry (readiness, and the metrics' last run per task)."""

import logging
from typing import Any

from celery.beat import PersistentScheduler
from django.db import close_old_connections

from securitycenter.operations.heartbeats import BEAT, beat_entry_heartbeat_name, heartbeat_record

logger = logging.getLogger(__name__)


class RecordingScheduler(PersistentScheduler):
    # celery-types describes neither apply_entry nor the entry's fields.
    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        super().apply_entry(entry, producer=producer)  # type: ignore[misc]
        try:
            # Beat lives for weeks: a connection the database closed meanwhile is replaced, not failed on.
            close_old_connections()
            heartbeat_record(BEAT, beat_entry_heartbeat_name(entry.name))
        except Exception as exc:  # noqa: BLE001 - a database outage must not stop beat sending the sweeps
            logger.warning("could not record beat's run of %s: %s", entry.name, type(exc).__name__)

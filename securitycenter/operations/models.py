"""Heartbeats: when each background process was last seen doing its work.

In the database, not Redis: readiness must keep telling the truth while Redis is lost (the hot path has a
degraded mode for that), and a flushed Redis must not make a dead beat look alive or a live one dead.
"""

from django.db import models


class Heartbeat(models.Model):
    # "worker:<queue>" (a worker ran the heartbeat task from that queue), "beat" (beat sent any entry),
    # "beat:<entry>" (beat sent that entry of the schedule).
    name = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

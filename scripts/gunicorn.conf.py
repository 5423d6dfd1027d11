"""Gunicorn settings for production (`scripts/serve.sh`), the configuration the benchmarks chose.

docs/performance.md compared sync, gthread and granian workers on the 2-core machine: sync workers, one per
core, gave the lowest p99 with throughput within the noise of the best. Workers, threads, bind address and
timeout come from the environment (WEB_WORKERS, WEB_THREADS, WEB_BIND, WEB_TIMEOUT_SECONDS); more than one
thread switches to gthread workers.
"""

import os
from typing import Any

from prometheus_client import multiprocess

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 2)
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# The payment core keeps connections open; sync workers ignore this (they close after each response).
keepalive = 75
backlog = 2048
# No access log: each line costs a write a request, and the hot path records every decision anyway. The
# service's own log lines (JSON, with the request id) go to stderr with gunicorn's errors.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "warning")
# Import the application once in the master: workers fork with Django loaded and share its pages.
preload_app = True
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT_SECONDS", "20"))
# A worker that has served this many requests is replaced (jittered so they do not all restart at once).
# Off by default: each new worker writes a new set of metrics files.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10


def child_exit(server: Any, worker: Any) -> None:
    """A worker that is gone no longer counts in the live gauges of prometheus_client's multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)

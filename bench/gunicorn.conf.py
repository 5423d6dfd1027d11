"""Gunicorn settings for the authorization benchmark (and a starting point for production).

    .venv/bin/gunicorn -c bench/gunicorn.conf.py securitycenter.wsgi:application

Every value can be overridden by environment (BENCH_BIND, BENCH_WORKERS, BENCH_THREADS,
BENCH_WORKER_CLASS) or on the command line. bench/bench_http.py compares several combinations;
docs/performance.md says which one won on the 2-core machine and why.
"""

import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:18765")
workers = int(os.environ.get("BENCH_WORKERS", "2"))
worker_class = os.environ.get("BENCH_WORKER_CLASS", "sync")
threads = int(os.environ.get("BENCH_THREADS", "1"))
# The payment core keeps connections open; sync workers ignore this (they close after each response).
keepalive = 75
backlog = 2048
# Access logging costs a write and formatting per request; the hot path records every decision anyway.
accesslog = None
errorlog = "-"
loglevel = "warning"
# Import the application once in the master: workers fork with Django already loaded.
preload_app = True
timeout = 30
graceful_timeout = 5

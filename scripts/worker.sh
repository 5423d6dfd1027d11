#!/usr/bin/env bash
# The Celery worker for production: scripts/worker.sh [extra celery worker arguments]
#
# WORKER_CONCURRENCY (default: one process per core), WORKER_QUEUES (default: all three; hold work has
# queues of its own so a notification backlog never delays a release), WORKER_NAME. Time limits, acks_late,
# reject-on-worker-lost and the per-child task limit are in the settings (CELERY_TASK_*), so every way of
# starting a worker gets them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

settings_check
metrics_dir_prepare worker
exec "$(project_bin celery)" -A securitycenter worker \
    --queues "${WORKER_QUEUES:-celery,holds,webhooks}" \
    --concurrency "${WORKER_CONCURRENCY:-$(nproc)}" \
    --hostname "${WORKER_NAME:-worker@%h}" \
    --loglevel "${LOG_LEVEL:-INFO}" \
    "$@"

#!/usr/bin/env bash
# Celery beat for production: exactly one per deployment (two would run every sweep twice; the sweeps
# are idempotent, but the 12-hour release depends on one running). scripts/beat.sh [extra beat arguments]
#
# BEAT_SCHEDULE_FILE (default var/celerybeat-schedule): where beat keeps the last run of each entry.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

settings_check
mkdir -p "$(dirname "${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}")"
exec "$(project_bin celery)" -A securitycenter beat \
    --schedule "${BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}" \
    --loglevel "${LOG_LEVEL:-INFO}" \
    "$@"

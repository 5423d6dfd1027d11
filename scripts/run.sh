#!/usr/bin/env bash
# Sets up and runs the service on its embedded SQLite database with demo data:
# web server, Celery worker and Celery beat. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_venv
ensure_catalogues
export DEBUG=${DEBUG:-1}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
PORT=${PORT:-8000}
ensure_redis "$REDIS_URL"

say "migrating the database (${DATABASE_URL:-sqlite: var/securitycenter.sqlite3})"
.venv/bin/python manage.py migrate --no-input -v 0
say "loading demo data"
.venv/bin/python manage.py seed_demo

pids=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

mkdir -p var
say "starting Celery worker and beat (logs: var/celery-worker.log, var/celery-beat.log)"
.venv/bin/celery -A securitycenter worker --loglevel INFO --concurrency 2 >var/celery-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A securitycenter beat --loglevel INFO --schedule var/celerybeat-schedule >var/celery-beat.log 2>&1 &
pids+=($!)

cat <<MSG

  Security Center is starting on http://127.0.0.1:$PORT
    Agent console:          http://127.0.0.1:$PORT/console/
    API docs (Swagger UI):  http://127.0.0.1:$PORT/api/docs/
    API docs (ReDoc):       http://127.0.0.1:$PORT/api/redoc/
    OpenAPI schema:         http://127.0.0.1:$PORT/api/schema/
    Health:                 http://127.0.0.1:$PORT/healthz/ready (live: /healthz/live)
  Demo sign-in details are printed above. Ctrl-C stops the web server, worker and beat.

MSG
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"

#!/usr/bin/env bash
# Runs the whole test suite against PostgreSQL and Redis (started here if they are not running).
# Extra arguments go to pytest, e.g. scripts/test.sh -k otp -x
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_venv
ensure_catalogues
ensure_chromium
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
# The broker of the real Celery workers some tests start (flushed by them); another test run on the same
# machine sets both to databases of its own.
export TEST_BROKER_REDIS_URL=${TEST_BROKER_REDIS_URL:-redis://127.0.0.1:6379/14}
ensure_redis "$REDIS_URL"
if [ -z "${DATABASE_URL:-}" ]; then
    if ensure_postgres; then
        export DATABASE_URL=postgres://postgres@127.0.0.1:5432/securitycenter
    else
        say "PostgreSQL is not available: running on SQLite; tests that need real row locks are skipped"
    fi
fi
# RabbitMQ, the production broker option: the end-to-end broker tests run against it too; CI must have it.
if ! ensure_rabbitmq && [ -n "${CI:-}" ]; then
    echo "CI runs the RabbitMQ tests and RabbitMQ could not be started." >&2; exit 1
fi
say "pytest (database: ${DATABASE_URL:-sqlite})"
exec .venv/bin/python -m pytest "$@"

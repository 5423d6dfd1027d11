#!/usr/bin/env bash
# Every authorization benchmark, in order, on loopback. Results: var/bench/results/*.json; see
# docs/performance.md for what the figures mean and the ones measured on the 2-core machine.
#
#   bench/run_all.sh            # full run: 100,000 accounts, 3 runs of each measurement (~20 minutes)
#   BENCH_QUICK=1 bench/run_all.sh   # one short run of each, to check the set-up (~5 minutes)
#   BENCH_SMOKE=1 bench/run_all.sh   # a few seconds of each, only to check the harness (no figures)
#
# The HTTP benchmarks serve the stack under test (BENCH_APP: payments, the payment core's own, by default;
# service for every endpoint and middleware) with the floors F0bare, F0, F1, F2 and F1b (bench/floors.py)
# beside it, interleaved in each round, and report the hot path's ratio to each from the same run.
#
# Needs PostgreSQL and Redis running locally (scripts/test.sh starts them) and wrk (apt-get install wrk).
# Uses the database sc_bench (created here) and Redis DB 2 (and DB 3 for the memory benchmark, flushed
# after it); the tests' and development's databases are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_venv
. bench/env.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
ensure_redis "$REDIS_URL"
ensure_postgres || { echo "PostgreSQL is not running on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'sc_bench'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE sc_bench"

if [ -n "${BENCH_SMOKE:-}" ]; then
    repeat=1; duration=2; single=1; warmup=0; batches=4; memory=1000
elif [ -n "${BENCH_QUICK:-}" ]; then
    repeat=1; duration=8; single=5; warmup=3; batches=40; memory=100000
else
    repeat=3; duration=20; single=10; warmup=10; batches=200; memory=1000000
fi
# The best server on the 2-core machine (docs/performance.md compares the others); override to compare.
servers=${BENCH_SERVERS:-gunicorn:sync:2}
server_args=()
for s in $servers; do server_args+=(--server "$s"); done
server_args+=(--app "${BENCH_APP:-payments}")

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -m | awk '/Mem:/ {print $2}') MiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
say "data: accounts, locks, policies, risk list (idempotent)"
.venv/bin/python bench/setup_data.py --accounts "${BENCH_ACCOUNTS:-100000}" --risk 5000

if [ -f bench/bench_engine.py ]; then
    say "pure engine (one core)"
    .venv/bin/python bench/bench_engine.py
fi
say "single-transaction endpoint over HTTP"
.venv/bin/python bench/bench_http.py "${server_args[@]}" --repeat "$repeat" --duration "$duration" \
    --single-duration "$single" --warmup "$warmup"
say "batch endpoint over HTTP (500 a request)"
.venv/bin/python bench/bench_batch.py "${server_args[@]}" --repeat "$repeat" --batches "$batches"
say "memory of compiled policies ($memory accounts)"
.venv/bin/python bench/bench_memory.py --accounts "$memory"

"""The hot path's own cost, without an HTTP server: the WSGI application called in this process.

    . bench/env.sh
    .venv/bin/python bench/bench_inprocess.py single --requests 3000
    .venv/bin/python bench/bench_inprocess.py batch --requests 20
    .venv/bin/python bench/bench_inprocess.py single --requests 1000 --profile tottime

Reports wall time and CPU time (this process only: Django, the view, redis-py, psycopg; Redis's and
PostgreSQL's own work is in their processes) per decision, median of --repeat runs. --profile prints a
cProfile of one more run, timed by CPU time, sorted by the given key. Caches are warmed first
(bench/warm.py) and the payments are the benchmark mix (bench/load.py).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_WARM", "1")

from bench.load import PaymentMix, bench_data
from bench.wsgi_warm import application

PATHS = {"single": "/api/v1/authorizations", "batch": "/api/v1/authorizations/batch"}


def environ(path: str, key: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "18765",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"ApiKey {key}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoint", choices=sorted(PATHS))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--size", type=int, default=500, help="payments per batch request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", metavar="SORT", help="also profile one run (e.g. tottime, cumulative)")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    data = bench_data()
    mix = PaymentMix(data, seed=time.time_ns())
    path = PATHS[args.endpoint]
    per_request = args.size if args.endpoint == "batch" else 1
    run_id = f"inproc-{os.getpid()}-{time.time_ns()}"

    def bodies(tag: str) -> list[bytes]:
        if args.endpoint == "single":
            return [orjson.dumps(mix.payment(f"{run_id}-{tag}-{n}")) for n in range(args.requests)]
        return [
            orjson.dumps({"transactions": [mix.payment(f"{run_id}-{tag}-{n}-{i}") for i in range(args.size)]})
            for n in range(args.requests)
        ]

    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def run(tag: str) -> tuple[float, float]:
        prepared = [environ(path, data.api_key, body) for body in bodies(tag)]
        wall, cpu = time.perf_counter(), time.process_time()
        for env in prepared:
            b"".join(application(env, start_response))
        return time.perf_counter() - wall, time.process_time() - cpu

    run("warm")
    walls, cpus = [], []
    for n in range(args.repeat):
        wall, cpu = run(f"r{n}")
        decisions = args.requests * per_request
        walls.append(wall / decisions * 1e6)
        cpus.append(cpu / decisions * 1e6)
        print(
            f"run {n + 1}: {decisions / wall:.0f} decisions/s;"
            f" per decision {walls[-1]:.0f} µs wall, {cpus[-1]:.0f} µs CPU"
        )
    bad = [s for s in statuses if not s.startswith("200")]
    print(
        f"median ({args.endpoint}): {1e6 / statistics.median(walls):.0f} decisions/s in one process;"
        f" {statistics.median(walls):.0f} µs wall, {statistics.median(cpus):.0f} µs CPU per decision;"
        f" non-200 answers: {len(bad)}"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        prepared = [environ(path, data.api_key, body) for body in bodies("profile")]
        profiler.enable()
        for env in prepared:
            b"".join(application(env, start_response))
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.profile).print_stats(args.lines)


if __name__ == "__main__":
    main()

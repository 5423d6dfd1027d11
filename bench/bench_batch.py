"""Decisions per second through POST /api/v1/authorizations/batch (500 payments a request) on loopback.

    . bench/env.sh
    .venv/bin/python bench/bench_batch.py --server gunicorn:sync:2 --clients 2

The request bodies are generated before the clock starts (bench/load.py, the same mix as the wrk script),
so the client costs only sending and receiving. Each run sends --batches requests from --clients
threads over keep-alive connections; the figure is decisions answered per second of wall time, median of
--repeat runs, with the request latency percentiles and the cores used by server, Redis, PostgreSQL
and the client. Each round runs the hot path's batch and then its floor F1b (bench/floors.py: decode,
one pipelined EVALSHA of a one-command script per item, answer) on the same server, and the ratio of
the medians is reported. Results go to var/bench/results/batch-<time>.json.
"""

import argparse
import http.client
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_http import RESULTS, ROOT, VENV, cpu_by_group, port_free, server_command, wait_ready
from bench.load import PaymentMix, bench_data

TARGETS = {"hot path": "/api/v1/authorizations/batch", "F1b": "/floors/f1b"}


def bodies(mix: PaymentMix, prefix: str, batches: int, size: int) -> list[bytes]:
    now = datetime.now(UTC)
    return [
        orjson.dumps({"transactions": [mix.payment(f"{prefix}-{b}-{i}", now) for i in range(size)]})
        for b in range(batches)
    ]


def send_all(
    port: int, key: str, payloads: list[bytes], clients: int, path: str = TARGETS["hot path"]
) -> tuple[float, list[float], int, int]:
    """Send every payload; returns (wall seconds, request latencies, decisions answered, errors)."""
    latencies: list[float] = []
    answered = [0]
    errors = [0]
    lock = threading.Lock()
    queue = list(reversed(payloads))
    headers = {"Content-Type": "application/json", "Authorization": f"ApiKey {key}"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status == 200:
                    answered[0] += data.count(b'"ok":true')
                    errors[0] += data.count(b'"ok":false')
                else:
                    errors[0] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, answered[0], errors[0]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", help="server spec as for bench_http.py; default gunicorn:sync:2")
    parser.add_argument("--clients", type=int, default=2, help="concurrent connections")
    parser.add_argument("--batches", type=int, default=200, help="requests per run")
    parser.add_argument("--size", type=int, default=500, help="payments per request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--no-reset", action="store_true")
    parser.add_argument("--app", choices=["payments", "service"], default="payments", help="the stack under test")
    parser.add_argument("--no-floors", action="store_true", help="the hot path only, without F1b")
    args = parser.parse_args()
    if "sc_bench" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Source bench/env.sh first (DATABASE_URL must be the bench database).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    if not args.no_reset:
        subprocess.run([str(VENV / "python"), "bench/setup_data.py", "--reset-activity"], cwd=ROOT, check=True)
    data = bench_data()
    mix = PaymentMix(data, seed=42)
    results = []
    for spec in args.server or ["gunicorn:sync:2"]:
        if not port_free(args.port):
            raise SystemExit(f"port {args.port} is in use by another process: pick another with --port")
        command = server_command(spec, args.port)
        print(f"\n=== {spec}: {shlex.join(command)}", flush=True)
        log = open(RESULTS / f"server-{stamp}.log", "a")  # noqa: SIM115 - closed below
        env = dict(os.environ, BENCH_APP=args.app)
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        targets = {k: v for k, v in TARGETS.items() if not (args.no_floors and k != "hot path")}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        try:
            wait_ready(args.port)
            tag = f"{stamp}-{spec.replace(':', '_')}"
            for name, path in targets.items():
                warm = bodies(mix, f"{tag}-w{name[0]}", max(4, args.batches // 10), args.size)
                send_all(args.port, data.api_key, warm, args.clients, path)
            for n in range(args.repeat):
                for name, path in targets.items():
                    payloads = bodies(mix, f"{tag}-{n}{'' if name == 'hot path' else 'f'}", args.batches, args.size)
                    before, self_before = cpu_by_group(server.pid), resource.getrusage(resource.RUSAGE_SELF)
                    wall, latencies, answered, errors = send_all(args.port, data.api_key, payloads, args.clients, path)
                    after, self_after = cpu_by_group(server.pid), resource.getrusage(resource.RUSAGE_SELF)
                    del before["wrk"], after["wrk"]
                    before["client"] = self_before.ru_utime + self_before.ru_stime
                    after["client"] = self_after.ru_utime + self_after.ru_stime
                    cores = {k: round((after[k] - before[k]) / wall, 2) for k in after}
                    per_decision = {k: round((after[k] - before[k]) / max(answered, 1) * 1e6, 1) for k in after}
                    run = {
                        "decisions_per_s": answered / wall,
                        "answered": answered,
                        "errors": errors,
                        "seconds": wall,
                        "request_p50_ms": percentile(latencies, 50) * 1000,
                        "request_p99_ms": percentile(latencies, 99) * 1000,
                        "cores_used": cores,
                        "cpu_us_per_decision": per_decision,
                    }
                    runs[name].append(run)
                    print(
                        f"  {name} round {n + 1}: {run['decisions_per_s']:.0f} decisions/s ({answered} answered,"
                        f" {errors} errors, {wall:.1f} s); request p50 {run['request_p50_ms']:.1f} ms,"
                        f" p99 {run['request_p99_ms']:.1f} ms; cores used {cores}; CPU µs per decision {per_decision}",
                        flush=True,
                    )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()
        medians = {name: statistics.median(r["decisions_per_s"] for r in rs) for name, rs in runs.items()}
        ratio = round(medians["hot path"] / medians["F1b"], 3) if medians.get("F1b") else None
        print(f"  median: {medians}; hot path / F1b {ratio}", flush=True)
        results.append(
            {
                "server": spec,
                "app": args.app,
                "command": shlex.join(command),
                "median_decisions_per_s": medians["hot path"],
                "runs": runs["hot path"],
                "floors": {"F1b": {"median_decisions_per_s": medians.get("F1b"), "runs": runs.get("F1b", [])}},
                "ratios": {"decisions/s / F1b": ratio},
            }
        )
    out = RESULTS / f"batch-{stamp}.json"
    out.write_text(
        json.dumps(
            {"date": stamp, "load_average_at_end": os.getloadavg(), "args": vars(args), "results": results}, indent=2
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

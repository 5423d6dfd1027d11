"""Throughput and latency of POST /api/v1/authorizations over real HTTP on loopback, driven by wrk.

    . bench/env.sh
    .venv/bin/python bench/bench_http.py --server gunicorn:sync:2 --server gunicorn:gthread:2x8

For each server spec it starts the server (DEBUG off, bench database and Redis DB 2, caches warmed unless
--cold), warms up, then runs `wrk` --repeat times at --connections connections and --repeat times at one
connection, and reports the median of each figure. It also reports how the two cores were shared
between the server, Redis, PostgreSQL and wrk itself during the loaded runs, and the decision mix that
was recorded. Results go to var/bench/results/http-<time>.json.

Server specs:
  gunicorn:sync:W          W sync workers (bench/gunicorn.conf.py)
  gunicorn:gthread:WxT     W gthread workers with T threads each (keep-alive)
  granian:W[xT]            granian's WSGI interface, W workers, T blocking threads (if granian is installed)
"""

import argparse
import json
import os
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RESULTS = ROOT / "var" / "bench" / "results"
HZ = os.sysconf("SC_CLK_TCK")


def server_command(spec: str, port: int) -> list[str]:
    kind, _, rest = spec.partition(":")
    bind = f"127.0.0.1:{port}"
    if kind == "gunicorn":
        worker_class, _, shape = rest.partition(":")
        workers, _, threads = shape.partition("x")
        command = [str(VENV / "gunicorn"), "-c", "bench/gunicorn.conf.py", "-b", bind, "-w", workers]
        command += ["-k", worker_class]
        if threads:
            command += ["--threads", threads]
        return [*command, "bench.wsgi_warm:application"]
    if kind == "granian":
        if not (VENV / "granian").exists():
            raise SystemExit("granian is not installed (it is not a requirement): .venv/bin/pip install granian")
        workers, _, threads = rest.partition("x")
        command = [str(VENV / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", workers, "--log-level", "warning", "--no-access-log"]
        if threads:
            command += ["--blocking-threads", threads]
        return [*command, "bench.wsgi_warm:application"]
    raise SystemExit(f"unknown server spec {spec!r}")


def wait_ready(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not become ready in {timeout:.0f} s")


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(command name, parent pid, utime, stime in ticks) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[1]), int(fields[11]), int(fields[12])


def cpu_by_group(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server's process tree, redis-server, postgres and wrk.

    `server_kernel` is the part of the server's time spent in the kernel (sockets, mostly).
    """
    stats: dict[int, tuple[str, int, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    tree = {server_pid}
    changed = True
    while changed:
        changed = False
        for pid, (_, ppid, _, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    groups = {"server": 0.0, "server_kernel": 0.0, "redis": 0.0, "postgres": 0.0, "wrk": 0.0}
    for pid, (name, _, user, kernel) in stats.items():
        ticks = user + kernel
        if pid in tree:
            groups["server"] += ticks / HZ
            groups["server_kernel"] += kernel / HZ
        elif name.startswith("redis-server"):
            groups["redis"] += ticks / HZ
        elif name.startswith("postgres"):
            groups["postgres"] += ticks / HZ
        elif name == "wrk":
            groups["wrk"] += ticks / HZ
    return groups


def run_wrk(port: int, connections: int, seconds: int, run_id: str) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", "bench/wrk_authorize.lua"]
    command += [f"http://127.0.0.1:{port}", "--", run_id, "var/bench"]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in reversed(output.stdout.splitlines()) if x.startswith("{"))
    return json.loads(line)


def decision_mix(run_prefix: str) -> dict[str, int]:
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT outcome, count(*) FROM locks_authorization WHERE transaction_id LIKE %s GROUP BY outcome",
            [run_prefix + "%"],
        ).fetchall()
    return dict(rows)


def median_of(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = ["rps", "p50_us", "p90_us", "p99_us", "p999_us", "mean_us", "non_2xx", "socket_errors"]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def bench_server(spec: str, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is in use by another process: pick another with --port")
    env = dict(os.environ, BENCH_WARM="0" if args.cold else "1")
    env.update(item.split("=", 1) for item in args.server_env)
    command = server_command(spec, args.port)
    print(f"\n=== {spec}: {shlex.join(command)}", flush=True)
    log = open(RESULTS / f"server-{stamp}.log", "a")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_ready(args.port)
        tag = f"{stamp}-{spec.replace(':', '_')}"
        if args.warmup:
            warm = run_wrk(args.port, args.connections, args.warmup, f"{tag}-w")
            print(f"  warm-up {args.warmup} s: {warm['rps']:.0f} req/s", flush=True)
        loaded, cpu_shares, cpu_costs = [], [], []
        for n in range(args.repeat):
            before, started = cpu_by_group(server.pid), time.monotonic()
            wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = run_wrk(args.port, args.connections, args.duration, f"{tag}-c{n}")
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            after, wall = cpu_by_group(server.pid), time.monotonic() - started
            # wrk has exited by now: its CPU time is in this process's children's usage.
            after["wrk"] = before["wrk"] + (wrk_after.ru_utime + wrk_after.ru_stime)
            after["wrk"] -= wrk_before.ru_utime + wrk_before.ru_stime
            share = {k: round((after[k] - before[k]) / wall, 2) for k in after}
            per_decision = {k: round((after[k] - before[k]) / result["requests"] * 1e6) for k in after}
            cpu_shares.append(share)
            cpu_costs.append(per_decision)
            loaded.append(result)
            print(
                f"  c={args.connections} run {n + 1}: {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.2f} ms,"
                f" p90 {result['p90_us'] / 1000:.2f} ms, p99 {result['p99_us'] / 1000:.2f} ms,"
                f" non-2xx {result['non_2xx']}, cores used {share}, CPU µs per decision {per_decision}",
                flush=True,
            )
        single = []
        for n in range(args.repeat):
            result = run_wrk(args.port, 1, args.single_duration, f"{tag}-s{n}")
            single.append(result)
            print(
                f"  c=1 run {n + 1}: {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.3f} ms,"
                f" p99 {result['p99_us'] / 1000:.3f} ms",
                flush=True,
            )
        mix = decision_mix(f"{tag}-c")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    summary = {
        "server": spec,
        "command": shlex.join(command),
        "cold": args.cold,
        "server_env": args.server_env,
        "loaded": {"connections": args.connections, "median": median_of(loaded), "runs": loaded},
        "single": {"median": median_of(single), "runs": single},
        "cores_used": {k: statistics.median(s[k] for s in cpu_shares) for k in cpu_shares[0]},
        "cpu_us_per_decision": {k: statistics.median(c[k] for c in cpu_costs) for k in cpu_costs[0]},
        "decision_mix": mix,
    }
    m, s = summary["loaded"]["median"], summary["single"]["median"]
    print(
        f"  median: {m['rps']:.0f} decisions/s at c={args.connections} (p50 {m['p50_us'] / 1000:.2f} ms,"
        f" p90 {m['p90_us'] / 1000:.2f} ms, p99 {m['p99_us'] / 1000:.2f} ms); unloaded p50"
        f" {s['p50_us'] / 1000:.3f} ms; CPU µs per decision {summary['cpu_us_per_decision']}; mix {mix}",
        flush=True,
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", help="server spec (repeatable); default gunicorn:sync:2")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=20, help="seconds per loaded run")
    parser.add_argument("--single-duration", type=int, default=10, help="seconds per one-connection run")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before measuring (0: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--cold", action="store_true", help="do not pre-warm the worker caches")
    parser.add_argument("--no-reset", action="store_true", help="keep earlier decisions and counters")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server, e.g. PGOPTIONS='-c synchronous_commit=off' (an experiment)",
    )
    args = parser.parse_args()
    if "sc_bench" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Source bench/env.sh first (DATABASE_URL must be the bench database).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    if not args.no_reset:
        subprocess.run([str(VENV / "python"), "bench/setup_data.py", "--reset-activity"], cwd=ROOT, check=True)
    results = [bench_server(spec, args, stamp) for spec in args.server or ["gunicorn:sync:2"]]
    out = RESULTS / f"http-{stamp}.json"
    out.write_text(
        json.dumps(
            {"date": stamp, "load_average_at_end": os.getloadavg(), "args": vars(args), "results": results}, indent=2
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

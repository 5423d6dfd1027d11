"""Throughput and latency of POST /api/v1/authorizations over real HTTP on loopback, driven by wrk.

    . bench/env.sh
    .venv/bin/python bench/bench_http.py --server gunicorn:sync:2 --server gunicorn:gthread:2x8

For each server spec it starts the server (DEBUG off, bench database and Redis DB 2, caches warmed unless
--cold) with the stack under test (--app: the payment core's own, bench/settings_floors.py) and the floors
of bench/floors.py beside it, warms up, then runs `wrk` --repeat rounds; each round runs the hot path and
each floor (F0bare, F0, F1, F2) in turn at --connections connections, then the hot path and F2 at one
connection. It reports the median of each figure and each ratio to the floors from the same run, how the
two cores were shared between the server, Redis, PostgreSQL and wrk itself during the loaded runs, and
the decision mix that was recorded. Results go to var/bench/results/http-<time>.json.

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


HOT_PATH = "/api/v1/authorizations"
FLOORS = {"F0bare": "/floors/f0bare", "F0": "/floors/f0", "F1": "/floors/f1", "F2": "/floors/f2"}
APP = "bench.wsgi_floors:application"


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
        return [*command, APP]
    if kind == "granian":
        if not (VENV / "granian").exists():
            raise SystemExit("granian is not installed (it is not a requirement): .venv/bin/pip install granian")
        workers, _, threads = rest.partition("x")
        command = [str(VENV / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", workers, "--log-level", "warning", "--no-access-log"]
        if threads:
            command += ["--blocking-threads", threads]
        return [*command, APP]
    raise SystemExit(f"unknown server spec {spec!r}")


def wait_ready(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/live", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not become ready in {timeout:.0f} s")


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(command name, parent pid, user ticks, kernel ticks) of a process, or None if it is gone.

    The ticks include those of its children that exited and were waited for (cutime, cstime): a PostgreSQL
    backend that ends (a connection replaced after CONN_MAX_AGE) or a gunicorn worker that is replaced
    leaves its CPU time in its parent's, so it stays in the sum instead of dropping out of it.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[1]), int(fields[11]) + int(fields[13]), int(fields[12]) + int(fields[14])


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


def run_wrk(port: int, connections: int, seconds: int, run_id: str, path: str = HOT_PATH) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", "bench/wrk_authorize.lua"]
    command += [f"http://127.0.0.1:{port}", "--", run_id, "var/bench", path]
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


def measured_run(server_pid: int, port: int, connections: int, seconds: int, run_id: str, path: str) -> dict[str, Any]:
    """One wrk run with the cores each group used and its CPU per request."""
    before, started = cpu_by_group(server_pid), time.monotonic()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_wrk(port, connections, seconds, run_id, path)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after, wall = cpu_by_group(server_pid), time.monotonic() - started
    # wrk has exited by now: its CPU time is in this process's children's usage.
    after["wrk"] = before["wrk"] + (wrk_after.ru_utime + wrk_after.ru_stime)
    after["wrk"] -= wrk_before.ru_utime + wrk_before.ru_stime
    result["cores_used"] = {k: round((after[k] - before[k]) / wall, 2) for k in after}
    result["cpu_us_per_request"] = {k: round((after[k] - before[k]) / max(result["requests"], 1) * 1e6) for k in after}
    return result


def _line(name: str, connections: int, result: dict[str, Any]) -> str:
    return (
        f"  {name:<8} c={connections}: {result['rps']:>8.0f} req/s, p50 {result['p50_us'] / 1000:.2f} ms,"
        f" p99 {result['p99_us'] / 1000:.2f} ms, non-2xx {result['non_2xx']},"
        f" CPU µs a request {result.get('cpu_us_per_request', {})}"
    )


def ratios(loaded: dict[str, dict[str, float]], single: dict[str, dict[str, float]]) -> dict[str, float]:
    """The hot path's figures against each floor's, from the same run."""
    hot = loaded["hot path"]
    out = {
        f"rps / {name}": round(hot["rps"] / m["rps"], 3)
        for name, m in loaded.items()
        if name != "hot path" and m["rps"]
    }
    if "F1" in loaded and loaded["F1"]["p99_us"]:
        out["p99 / F1 p99"] = round(hot["p99_us"] / loaded["F1"]["p99_us"], 2)
    if "F2" in single and single["F2"]["p50_us"]:
        out["unloaded p50 / F2 unloaded p50"] = round(single["hot path"]["p50_us"] / single["F2"]["p50_us"], 2)
    return out


def bench_server(spec: str, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is in use by another process: pick another with --port")
    env = dict(os.environ, BENCH_WARM="0" if args.cold else "1", BENCH_APP=args.app)
    env.update(item.split("=", 1) for item in args.server_env)
    command = server_command(spec, args.port)
    targets = {"hot path": HOT_PATH, **({} if args.no_floors else FLOORS)}
    single_targets = {k: v for k, v in targets.items() if k in ("hot path", "F2")}
    print(f"\n=== {spec} ({args.app} stack): {shlex.join(command)}", flush=True)
    log = open(RESULTS / f"server-{stamp}.log", "a")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    loaded: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    single: dict[str, list[dict[str, Any]]] = {name: [] for name in single_targets}
    try:
        wait_ready(args.port)
        tag = f"{stamp}-{spec.replace(':', '_')}"
        if args.warmup:
            for name, path in targets.items():
                warm = run_wrk(args.port, args.connections, args.warmup, f"{tag}-w", path)
                print(f"  warm-up {name} {args.warmup} s: {warm['rps']:.0f} req/s", flush=True)
        # Rounds interleave the hot path and the floors, so that a change of the machine's load during the
        # run falls on all of them alike.
        for n in range(args.repeat):
            for name, path in targets.items():
                result = measured_run(server.pid, args.port, args.connections, args.duration, f"{tag}-c{n}", path)
                loaded[name].append(result)
                print(_line(name, args.connections, result) + f" (round {n + 1})", flush=True)
            for name, path in single_targets.items():
                result = run_wrk(args.port, 1, args.single_duration, f"{tag}-s{n}", path)
                single[name].append(result)
                print(_line(name, 1, result) + f" (round {n + 1})", flush=True)
        mix = decision_mix(f"{tag}-c")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    loaded_median = {name: median_of(runs) for name, runs in loaded.items()}
    single_median = {name: median_of(runs) for name, runs in single.items()}
    cores = {
        name: {k: statistics.median(r["cores_used"][k] for r in runs) for k in runs[0]["cores_used"]}
        for name, runs in loaded.items()
    }
    cpu = {
        name: {k: statistics.median(r["cpu_us_per_request"][k] for r in runs) for k in runs[0]["cpu_us_per_request"]}
        for name, runs in loaded.items()
    }
    summary = {
        "server": spec,
        "app": args.app,
        "command": shlex.join(command),
        "cold": args.cold,
        "server_env": args.server_env,
        "loaded": {"connections": args.connections, "median": loaded_median["hot path"], "runs": loaded["hot path"]},
        "single": {"median": single_median["hot path"], "runs": single["hot path"]},
        "cores_used": cores["hot path"],
        "cpu_us_per_decision": cpu["hot path"],
        "floors": {
            "loaded": {k: v for k, v in loaded_median.items() if k != "hot path"},
            "single": {k: v for k, v in single_median.items() if k != "hot path"},
            "cores_used": {k: v for k, v in cores.items() if k != "hot path"},
            "cpu_us_per_request": {k: v for k, v in cpu.items() if k != "hot path"},
            "runs": {k: v for k, v in loaded.items() if k != "hot path"},
        },
        "ratios": ratios(loaded_median, single_median) if not args.no_floors else {},
        "decision_mix": mix,
    }
    m, s1 = summary["loaded"]["median"], summary["single"]["median"]
    print(
        f"  median: {m['rps']:.0f} decisions/s at c={args.connections} (p50 {m['p50_us'] / 1000:.2f} ms,"
        f" p90 {m['p90_us'] / 1000:.2f} ms, p99 {m['p99_us'] / 1000:.2f} ms); unloaded p50"
        f" {s1['p50_us'] / 1000:.3f} ms; CPU µs per decision {summary['cpu_us_per_decision']}; mix {mix}",
        flush=True,
    )
    for name, f in loaded_median.items():
        print(f"  {name:<8} median {f['rps']:>8.0f} req/s, p99 {f['p99_us'] / 1000:.2f} ms", flush=True)
    print(f"  ratios: {summary['ratios']}", flush=True)
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
    parser.add_argument(
        "--app",
        choices=["payments", "service"],
        default="payments",
        help="the stack under test (bench/settings_floors.py)",
    )
    parser.add_argument("--no-floors", action="store_true", help="the hot path only, without F0bare … F2")
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

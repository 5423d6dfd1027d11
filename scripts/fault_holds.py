#!/usr/bin/env python
"""Fault test for cooling-off holds: nothing is lost, released twice, released early or after a cancel.

Creates 1,000 real holds (Authorization rows + locks.holds.services.hold_place) with periods of 5-20 seconds over
40 seconds, cancels and stops 10% each (locks.holds.services.hold_cancel / hold_stop) while real Celery worker and
beat processes release the rest. At the first burst of due holds it pauses the worker (SIGSTOP) the moment a
release transaction is open (the hold updated and its log entry written, not committed), notes which releases
are in flight, SIGKILLs it, checks that PostgreSQL rolled them back, empties the Redis databases it uses (broker
and cache) and restarts the worker; a little later it SIGKILLs beat and restarts it too. It waits until every
hold is due (plus a margin) and every webhook is acknowledged, then checks the invariants (each release in
flight at the kill redone exactly once; the worst release lag within a bound computed from the outages) and
prints the figures (docs/reliability.md explains them). Exits 1 if an invariant fails, 2
if the run itself could not be carried out. About two minutes; --timeout bounds it.

    .venv/bin/python scripts/fault_holds.py                 # 1,000 holds on database sc_fault
    .venv/bin/python scripts/fault_holds.py --holds 200 --create-seconds 8 --min-period 2 --max-period 10

It needs PostgreSQL and Redis on loopback (scripts/test.sh starts both). The default database sc_fault is
dropped and created afresh; one given with --database-url is created if missing and never dropped, and
every check is scoped to the service client the run creates. Redis DBs --broker-db and --cache-db
(default 12 and 13) are flushed: do not point them at anything you keep.
"""

import argparse
import contextlib
import heapq
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sc_fault"
WEBHOOK_SECRET = "whsec-fault-test"  # noqa: S105 - a loopback receiver's key, made for this run only
UNUSABLE_PASSWORD = "!"  # noqa: S105 - Django's mark for "cannot sign in": these customers never do
DRIVER_APP = "fault-driver"
WORKER_APP = "fault-worker"
BEAT_SCHEDULE_NAME = "celerybeat-schedule"


@dataclass
class Config:
    holds: int = 1000
    create_seconds: float = 40.0
    min_period: float = 5.0
    max_period: float = 20.0
    bursts: int = 2
    burst_share: float = 0.3
    cancel_share: float = 0.1
    stop_share: float = 0.1
    customers: int = 50
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = "redis://127.0.0.1:6379"
    broker_db: int = 12
    cache_db: int = 13
    concurrency: int = 2
    sweep_seconds: int = 1
    requeue_seconds: int = 10
    margin: float = 15.0
    settle: float = 60.0
    down: float = 1.0
    webhook_failures: int = -1
    kill_wait: float = 10.0
    beat_down: float = 3.0
    lag_slack: float = 10.0
    timeout: float = 290.0
    seed: int = 0
    log_dir: str = ""
    json_path: str = ""


@dataclass
class Planned:
    index: int
    create_at: float
    release_offset: float
    action: str = ""
    action_at: float = 0.0
    customer_index: int = 0
    hold_id: int = 0
    release_at: datetime | None = None
    action_result: str = ""
    acted_at: float = 0.0


@dataclass
class Kill:
    at: float = 0.0
    released_before: int = 0
    due_unreleased: int = 0
    mid_sweep: bool = False
    mid_webhook: bool = False
    sweep_query: str = ""
    # The releases whose transaction was open when the worker was paused (their hold rows locked by it), and
    # how many of them were still held once PostgreSQL had ended the killed worker's sessions.
    in_flight: list[int] = field(default_factory=list)
    pauses: int = 0
    rolled_back: int = 0
    worker_down_seconds: float = 0.0


@dataclass
class BeatKill:
    at: float = 0.0
    beat_down_seconds: float = 0.0


@dataclass
class Report:
    seed: int = 0
    holds: int = 0
    rows_found: int = 0
    released: int = 0
    cancelled: int = 0
    stopped: int = 0
    still_held: int = 0
    cancel_refused: int = 0
    refused: list[str] = field(default_factory=list)
    stop_refused: int = 0
    lost: int = 0
    missing_rows: int = 0
    released_twice: int = 0
    released_early: int = 0
    released_after_cancel_or_stop: int = 0
    more_than_one_transition: int = 0
    transition_without_log: int = 0
    deliveries: int = 0
    deliveries_delivered: int = 0
    deliveries_twice: int = 0
    transitions_without_delivery: int = 0
    deliveries_for_wrong_event: int = 0
    deliveries_not_received: int = 0
    received_payload_mismatch: int = 0
    bad_signatures: int = 0
    received: int = 0
    duplicates_received: int = 0
    attempts: int = 0
    attempt_rows: int = 0
    failed_attempts: int = 0
    security_log_breaks: int = 0
    lag_worst_s: float = 0.0
    lag_bound_s: float = 0.0
    in_flight_redone_once: int = 0
    lag_p99_s: float = 0.0
    lag_p50_s: float = 0.0
    place_worst_s: float = 0.0
    place_p99_s: float = 0.0
    act_worst_s: float = 0.0
    notifications: dict[str, int] = field(default_factory=dict)
    kill: Kill = field(default_factory=Kill)
    beat_kill: BeatKill = field(default_factory=BeatKill)
    run_seconds: float = 0.0
    worker_errors: int = 0
    worker_error_samples: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# --- environment -----------------------------------------------------------------------------------------


def _with_app_name(database_url: str, app_name: str) -> str:
    """The URL with application_name set, so pg_stat_activity tells the worker's sessions from ours."""
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    query["application_name"] = app_name
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redis_url(base: str, db: int) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{db}"))


def service_env(config: Config, app_name: str) -> dict[str, str]:
    """Environment of the worker, the beat and this process: one database, one broker, one cache."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "securitycenter.settings",
            "DEBUG": env.get("DEBUG", "1"),
            "DATABASE_URL": _with_app_name(config.database_url, app_name),
            "REDIS_URL": _redis_url(config.redis_url, config.cache_db),
            "CELERY_BROKER_URL": _redis_url(config.redis_url, config.broker_db),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "HOLD_SWEEP_SECONDS": str(config.sweep_seconds),
            "WEBHOOK_REQUEUE_SECONDS": str(config.requeue_seconds),
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def database_prepare(database_url: str, *, fresh: bool) -> None:
    """Create the database if missing; `fresh` drops it first (only ever the script's own sc_fault), so
    no notification left queued by an earlier run loads this one's worker."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redis_flush(config: Config) -> None:
    """Empty the broker and cache databases: every queued, reserved and unacknowledged message is gone."""
    import redis

    for db in (config.broker_db, config.cache_db):
        client = redis.Redis.from_url(_redis_url(config.redis_url, db))
        client.flushdb()
        client.close()


# --- Celery processes ------------------------------------------------------------------------------------


class CeleryProcess:
    """A worker or beat in its own process group, so a kill takes the prefork children with it."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_dir = log_dir
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None
        self.log_path = log_dir / f"{name}.log"

    def start(self) -> None:
        self.starts += 1
        self.log_path = self.log_dir / f"{self.name}-{self.starts}.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's celery with fixed arguments
            self.args, env=self.env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, marker: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log_path.read_text(errors="replace"):
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def signal_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        # A warm shutdown: the main process lets running tasks finish, then stops its children.
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        # Whatever is left of the group goes too.
        self.kill()

    def errors(self) -> list[str]:
        lines: list[str] = []
        for n in range(1, self.starts + 1):
            path = self.log_dir / f"{self.name}-{n}.log"
            if path.exists():
                lines += [line for line in path.read_text(errors="replace").splitlines() if "ERROR" in line]
        return lines


def celery_worker(config: Config, log_dir: Path, node: str) -> CeleryProcess:
    args = [
        str(REPO / ".venv" / "bin" / "celery"),
        "-A",
        "securitycenter",
        "worker",
        "--concurrency",
        str(config.concurrency),
        "-l",
        "INFO",
        "-n",
        f"{node}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    return CeleryProcess("worker", args, service_env(config, WORKER_APP), log_dir)


def celery_beat(config: Config, log_dir: Path) -> CeleryProcess:
    args = [
        str(REPO / ".venv" / "bin" / "celery"),
        "-A",
        "securitycenter",
        "beat",
        "-s",
        str(log_dir / BEAT_SCHEDULE_NAME),
        "-l",
        "INFO",
    ]
    return CeleryProcess("beat", args, service_env(config, WORKER_APP), log_dir)


# --- the plan ----------------------------------------------------------------------------------------------


def plan_make(config: Config, rng: random.Random) -> list[Planned]:
    """When each hold is created, when it falls due, and which are cancelled or stopped, and when.

    Most release times are spread evenly; a share falls due together in bursts after the last hold is
    created, so one sweep has many holds to work through: the worker is killed during the first burst.
    """
    plan: list[Planned] = []
    burst_times = [config.create_seconds + config.min_period + 7.0 * n for n in range(config.bursts)]
    for index in range(config.holds):
        create_at = config.create_seconds * index / config.holds
        if burst_times and rng.random() < config.burst_share:
            release = burst_times[index % len(burst_times)]
        else:
            release = create_at + rng.uniform(config.min_period, config.max_period)
        plan.append(
            Planned(
                index=index,
                create_at=create_at,
                release_offset=release,
                customer_index=index % config.customers,
            )
        )
    actioned = rng.sample(plan, round(config.holds * (config.cancel_share + config.stop_share)))
    cancels = round(config.holds * config.cancel_share)
    for n, item in enumerate(actioned):
        item.action = "cancel" if n < cancels else "stop"
        # Most act well before release; about one in twenty races the sweep just after the release time.
        item.action_at = item.create_at + (item.release_offset - item.create_at) * rng.uniform(0.1, 1.05)
    return plan


# --- the run -------------------------------------------------------------------------------------------


class Run:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.seed = config.seed or random.SystemRandom().randrange(1, 2**31)
        self.rng = random.Random(self.seed)
        self.log_dir = Path(config.log_dir or REPO / "var" / "fault" / time.strftime("%Y%m%d-%H%M%S"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.kill = Kill()
        self.beat_kill = BeatKill()
        self.plan: list[Planned] = []
        self.t0 = 0.0
        self.finished = threading.Event()
        # Held by the driver while it places, cancels or stops a hold, and by the killer while the worker is
        # paused: the hold rows locked then are the worker's alone.
        self.quiet = threading.Lock()
        self.place_seconds: list[float] = []
        self.act_seconds: list[float] = []
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def deadline_left(self) -> float:
        return self.config.timeout - (time.monotonic() - self.started)

    def setup(self) -> None:
        from django.contrib.auth.models import User

        from accounts.models import BankAccount, Customer, ServiceClient
        from securitycenter import crypto

        stamp = f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        self.client = ServiceClient.objects.create(
            name=f"fault-{stamp}",
            scopes=["authorizations:write", "holds:read"],
            webhook_url=self.receiver.url,
            webhook_secret=WEBHOOK_SECRET,
        )
        tag = self.client.pk % 100_000
        self.customers: list[Customer] = []
        self.accounts: list[BankAccount] = []
        for n in range(self.config.customers):
            customer = Customer.objects.create(
                customer_number=f"F{tag:05d}{n:06d}",
                name=f"Fault customer {n}",
                phone=f"+8619{tag:05d}{n:05d}",
                password=UNUSABLE_PASSWORD,
            )
            number = f"6222{tag:05d}{n:010d}"
            self.accounts.append(
                BankAccount.objects.create(
                    customer=customer,
                    kind=BankAccount.Kind.DEBIT_CARD,
                    number=number,
                    number_index=crypto.blind_index(number, purpose="account_number"),
                    masked_number=f"**** {number[-4:]}",
                )
            )
            self.customers.append(customer)
        self.agent = User.objects.create(username=f"fault-agent-{stamp}", is_staff=True)

    def hold_create(self, item: Planned) -> None:
        from django.db import transaction
        from django.utils import timezone

        from locks.holds.services import hold_place
        from locks.models import Authorization

        started = time.monotonic()
        now = timezone.now()
        account = self.accounts[item.customer_index]
        with transaction.atomic():
            authorization = Authorization.objects.create(
                transaction_id=f"{self.client.name}-{item.index}",
                client=self.client,
                account=account,
                request_hash="fault",
                outcome=Authorization.Outcome.HOLD,
                reasons=["cooling_off"],
                policy_version=1,
                amount=6_000_000,
                currency="CNY",
                channel="online_transfer",
                country="CN",
                initiated_at=now,
                local_day=now.date(),
                counted=True,
                created_at=now,
            )
            # A driver running late still gives each hold at least the shortest period.
            period = max(item.release_offset - self.elapsed(), self.config.min_period)
            hold = hold_place(authorization_id=authorization.pk, release_at=now + timedelta(seconds=period))
        item.hold_id = hold.pk
        item.release_at = hold.release_at
        item.release_offset = self.elapsed() + period
        self.place_seconds.append(time.monotonic() - started)

    def hold_act(self, item: Planned) -> None:
        from locks.holds.services import hold_cancel, hold_stop
        from securitycenter.errors import Conflict
        from securitycenter.securitylog.record import Origin

        started = time.monotonic()
        item.acted_at = self.elapsed()
        try:
            if item.action == "cancel":
                hold_cancel(
                    customer=self.customers[item.customer_index], hold_id=item.hold_id, origin=Origin(device="fault")
                )
            else:
                hold_stop(
                    agent=self.agent,
                    hold_id=item.hold_id,
                    reason="Fault test: customer confirmed a fraud call",
                    origin=Origin(ip_address="127.0.0.1"),
                )
        except Conflict as exc:
            item.action_result = f"refused: already {exc.extra.get('status')}"
        else:
            item.action_result = "done"
        self.act_seconds.append(time.monotonic() - started)

    # The kill: wait for a release sweep with its transaction open, then SIGKILL the worker's process group.

    def _open_sweep(self) -> tuple[int, str] | None:
        """A worker session inside a release: it has changed a hold and written its log entry, uncommitted."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT a.pid, a.query FROM pg_stat_activity a
                WHERE a.application_name = %s AND a.datname = current_database() AND a.xact_start IS NOT NULL
                  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.mode = 'RowExclusiveLock'
                              AND l.relation = 'locks_hold'::regclass)
                  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.mode = 'RowExclusiveLock'
                              AND l.relation = 'locks_securityevent'::regclass)
                LIMIT 1
                """,
                [WORKER_APP],
            )
            row = cursor.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def _locked_due_holds(self) -> list[int]:
        """Due holds of this run whose rows another session holds locked: with the worker paused, its releases
        in flight. (SKIP LOCKED leaves exactly those out; our own transaction is rolled back at once.)"""
        from django.db import transaction
        from django.utils import timezone

        from locks.models import Hold

        due = Hold.objects.filter(client=self.client, status=Hold.Status.HELD, release_at__lte=timezone.now())
        with transaction.atomic():
            every = set(due.values_list("pk", flat=True))
            free = set(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
            transaction.set_rollback(True)
        return sorted(every - free)

    def _sessions_gone(self, timeout: float) -> bool:
        """Wait until PostgreSQL has ended every session of the killed worker (and so rolled back its work)."""
        from django.db import connection

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()"
                    " AND xact_start IS NOT NULL",
                    [WORKER_APP],
                )
                if cursor.fetchone()[0] == 0:
                    return True
            time.sleep(0.05)
        return False

    def _released_logged(self, hold_ids: list[int]) -> int:
        from securitycenter.securitylog.models import EventType, SecurityEvent

        details = SecurityEvent.objects.filter(event_type=EventType.HOLD_RELEASED, customer__in=self.customers)
        return sum(1 for d in details.values_list("details", flat=True) if d.get("hold_id") in hold_ids)

    def _webhook_in_flight(self) -> bool:
        """A worker session in webhook_send between claiming a delivery and recording the answer."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT 1 FROM pg_stat_activity
                WHERE application_name = %s AND datname = current_database() AND state = 'idle in transaction'
                  AND query LIKE %s
                LIMIT 1
                """,
                [WORKER_APP, '%FROM "locks_webhookdelivery" INNER JOIN "accounts_serviceclient"%FOR UPDATE%'],
            )
            return cursor.fetchone() is not None

    def _counts(self) -> tuple[int, int]:
        from django.utils import timezone

        from locks.models import Hold

        holds = Hold.objects.filter(client=self.client)
        released = holds.filter(status=Hold.Status.RELEASED).count()
        due = holds.filter(status=Hold.Status.HELD, release_at__lte=timezone.now()).count()
        return released, due

    def killer(self, worker: CeleryProcess, beat: CeleryProcess, kill_at: float) -> None:
        from django.db import connection

        from locks.models import Hold

        try:
            while self.elapsed() < kill_at - 0.3:
                time.sleep(0.05)
            give_up = time.monotonic() + self.config.kill_wait
            found: tuple[int, str] | None = None
            posting = False
            # Hold the receiver's lock: a webhook POST arriving now is read but not answered, so a worker killed
            # in it dies after the payment core has the event and before it records the acknowledgement. The
            # sweep sends that delivery again: the receiver must see a duplicate and acknowledge it.
            with self.receiver.lock:
                while time.monotonic() < give_up:
                    found = self._open_sweep()
                    if found is None:
                        time.sleep(0.002)
                        continue
                    # Freeze the worker inside the release: its transaction stays open while it is stopped. The
                    # driver waits meanwhile, so no cancel or stop reaches a hold in flight before the kill.
                    self.quiet.acquire()
                    worker.signal_group(signal.SIGSTOP)
                    self.kill.pauses += 1
                    self.kill.in_flight = self._locked_due_holds()
                    if self.kill.in_flight:
                        break
                    # It committed between the look and the pause: let it go on and look again.
                    found = None
                    worker.signal_group(signal.SIGCONT)
                    self.quiet.release()
                posting = self._webhook_in_flight()
                self.kill.released_before, self.kill.due_unreleased = self._counts()
                worker.kill()  # SIGKILL reaches stopped processes too
            self.kill.at = self.elapsed()
            self.kill.mid_sweep = found is not None
            self.kill.mid_webhook = posting
            self.kill.sweep_query = (found[1] if found else "")[:200]
            if self.kill.in_flight:
                try:
                    if self._sessions_gone(timeout=10.0) and self._released_logged(self.kill.in_flight) == 0:
                        held = Hold.objects.filter(pk__in=self.kill.in_flight, status=Hold.Status.HELD)
                        self.kill.rolled_back = held.count()
                finally:
                    self.quiet.release()
            redis_flush(self.config)
            time.sleep(self.config.down)
            worker.start()
            worker.wait_ready(" ready.", timeout=60.0)
            self.kill.worker_down_seconds = self.elapsed() - self.kill.at

            # Then beat dies: nothing sweeps until it is back; the holds due meanwhile wait for it.
            time.sleep(2.0)
            beat.kill()
            self.beat_kill.at = self.elapsed()
            time.sleep(self.config.beat_down)
            beat.start()
            beat.wait_ready("beat: Starting...", timeout=60.0)
            self.beat_kill.beat_down_seconds = self.elapsed() - self.beat_kill.at
        finally:
            connection.close()

    def progress(self) -> None:
        """A line on stderr every few seconds, so a slow run shows where it is."""
        import redis
        from django.db import connection

        from locks.models import Hold

        broker = redis.Redis.from_url(_redis_url(self.config.redis_url, self.config.broker_db))
        try:
            while not self.finished.wait(5.0):
                statuses = Counter(Hold.objects.filter(client=self.client).values_list("status", flat=True))
                lists = [key for key in broker.scan_iter() if broker.type(key) == b"list"]
                queued = sum(cast(int, broker.llen(key)) for key in lists)
                print(
                    f"t+{self.elapsed():5.1f}s  holds {dict(statuses)}  due unreleased {self._counts()[1]}  "
                    f"broker queue {queued}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            broker.close()
            connection.close()

    def execute(self) -> Report:
        from tests.locks.holds.webhook_receiver import Receiver

        config = self.config
        self.plan = plan_make(config, self.rng)
        redis_flush(config)
        with Receiver(WEBHOOK_SECRET) as receiver:
            self.receiver = receiver
            self.setup()
            # The payment core's endpoint is down for the first deliveries: they must be retried.
            with receiver.lock:
                receiver.fail_first = config.webhook_failures if config.webhook_failures >= 0 else config.holds // 20
            worker = celery_worker(config, self.log_dir, f"fault-{os.getpid()}")
            beat = celery_beat(config, self.log_dir)
            try:
                worker.start()
                beat.start()
                worker.wait_ready(" ready.", timeout=min(60.0, self.deadline_left()))
                self.t0 = time.monotonic()
                self.drive(worker, beat)
                self.settle()
                report = self.verify()
            finally:
                self.finished.set()
                worker.stop()
                beat.stop()
            errors = worker.errors()
            report.worker_errors = len(errors)
            report.worker_error_samples = sorted({line.split("]", 1)[-1].strip()[:160] for line in errors})[:5]
        report.run_seconds = round(time.monotonic() - self.started, 1)
        return report

    def drive(self, worker: CeleryProcess, beat: CeleryProcess) -> None:
        """Create the holds and cancel or stop the chosen ones on time, while the killer does its work."""
        events: list[tuple[float, int, str, Planned]] = []
        for item in self.plan:
            heapq.heappush(events, (item.create_at, item.index, "create", item))
            if item.action:
                heapq.heappush(events, (item.action_at, item.index, "act", item))
        # At the first burst (see plan_make): one sweep then has many due holds to work through.
        kill_at = self.config.create_seconds + self.config.min_period
        killer = threading.Thread(target=self.killer, args=(worker, beat, kill_at), daemon=True)
        killer.start()
        threading.Thread(target=self.progress, daemon=True).start()
        while events:
            at, _, kind, item = heapq.heappop(events)
            pause = at - self.elapsed()
            if pause > 0:
                time.sleep(pause)
            if self.deadline_left() < 0:
                raise RuntimeError("the run took longer than --timeout")
            with self.quiet:
                if kind == "create":
                    self.hold_create(item)
                else:
                    self.hold_act(item)
        killer.join(timeout=max(1.0, kill_at - self.elapsed() + self.config.kill_wait + self.config.beat_down + 150))
        if killer.is_alive():
            raise RuntimeError("the worker and beat were not killed and restarted in time")

    def settle(self) -> None:
        """Wait until every hold is resolved (at most until the last is due + margin), then until every
        webhook is acknowledged (at most --settle seconds more)."""
        from django.utils import timezone

        from locks.models import Hold, WebhookDelivery

        holds = Hold.objects.filter(client=self.client)
        last_due = max(p.release_offset for p in self.plan)
        while self.elapsed() < last_due + self.config.margin and self.deadline_left() > 0:
            quiet = last_due + 3 * self.config.sweep_seconds  # a few more sweeps that must change nothing
            if self.elapsed() > quiet and not holds.filter(status=Hold.Status.HELD).exists():
                break
            time.sleep(0.5)
        self.checked_at = timezone.now()
        give_up = time.monotonic() + min(self.config.settle, max(0.0, self.deadline_left()))
        deliveries = WebhookDelivery.objects.filter(client=self.client)
        while time.monotonic() < give_up:
            pending = deliveries.exclude(status=WebhookDelivery.Status.DELIVERED).exists()
            seen = set(self.receiver.unique_deliveries())
            ids = {str(pk) for pk in deliveries.values_list("pk", flat=True)}
            if not pending and ids <= seen:
                break
            time.sleep(0.5)

    # --- the checks -------------------------------------------------------------------------------------

    def verify(self) -> Report:
        from accounts.models import Notification
        from locks.models import Hold, WebhookAttempt, WebhookDelivery
        from securitycenter.securitylog.models import EventType, SecurityEvent
        from securitycenter.securitylog.record import chain_name
        from securitycenter.securitylog.verify import security_log_verify

        r = Report(holds=len(self.plan), kill=self.kill, beat_kill=self.beat_kill, seed=self.seed)
        created = {p.hold_id for p in self.plan if p.hold_id}
        holds = {h.pk: h for h in Hold.objects.filter(client=self.client)}
        r.rows_found = len(holds)
        r.missing_rows = len(created - set(holds)) + (len(self.plan) - len(created))
        by_status = Counter(h.status for h in holds.values())
        r.released = by_status[Hold.Status.RELEASED]
        r.cancelled = by_status[Hold.Status.CANCELLED]
        r.stopped = by_status[Hold.Status.STOPPED]
        r.still_held = by_status[Hold.Status.HELD]
        # `settle` waited until the last hold was due plus the margin unless none was held any more, so a
        # hold still held now is one the sweep failed to release within the margin.
        r.lost = r.still_held + r.missing_rows

        transitions = {
            EventType.HOLD_RELEASED: Hold.Status.RELEASED,
            EventType.HOLD_CANCELLED: Hold.Status.CANCELLED,
            EventType.HOLD_STOPPED: Hold.Status.STOPPED,
        }
        events: dict[int, list[tuple[str, datetime]]] = {pk: [] for pk in holds}
        for event_type, details, occurred_at in SecurityEvent.objects.filter(
            event_type__in=list(transitions), customer__in=self.customers
        ).values_list("event_type", "details", "occurred_at"):
            hold_id = details.get("hold_id")
            if hold_id in events:
                events[hold_id].append((transitions[EventType(event_type)], occurred_at))
        # A hold both released and cancelled or stopped, in either order, by any evidence: the log, the
        # webhooks, or a cancel or stop that succeeded on a hold that ended released.
        released_and_stopped: set[int] = set()
        for pk, hold in holds.items():
            statuses = [status for status, _ in events[pk]]
            released_logged = statuses.count(Hold.Status.RELEASED)
            r.released_twice += released_logged > 1
            r.more_than_one_transition += len(statuses) > 1
            if released_logged and (hold.status != Hold.Status.RELEASED or len(statuses) > released_logged):
                released_and_stopped.add(pk)
            if hold.status == Hold.Status.RELEASED:
                assert hold.resolved_at is not None
                early = hold.resolved_at < hold.release_at or any(
                    at < hold.release_at for status, at in events[pk] if status == Hold.Status.RELEASED
                )
                r.released_early += early
            if hold.status != Hold.Status.HELD and hold.status not in statuses:
                r.transition_without_log += 1
        for item in self.plan:
            if item.action_result == "done" and holds[item.hold_id].status != (
                Hold.Status.CANCELLED if item.action == "cancel" else Hold.Status.STOPPED
            ):
                released_and_stopped.add(item.hold_id)
        r.cancel_refused = sum(1 for p in self.plan if p.action == "cancel" and p.action_result != "done")
        r.stop_refused = sum(1 for p in self.plan if p.action == "stop" and p.action_result != "done")
        r.refused = [
            f"{p.action} of hold {p.hold_id} at {p.acted_at - p.release_offset:+.2f}s from its release time: "
            f"{p.action_result}"
            for p in self.plan
            if p.action and p.action_result != "done"
        ]

        deliveries = list(WebhookDelivery.objects.filter(client=self.client))
        r.deliveries = len(deliveries)
        r.deliveries_delivered = sum(1 for d in deliveries if d.status == WebhookDelivery.Status.DELIVERED)
        per_transition = Counter((d.hold_id, d.event) for d in deliveries)
        r.deliveries_twice = sum(1 for n in per_transition.values() if n > 1)
        for pk, hold in holds.items():
            if hold.status != Hold.Status.HELD and (pk, f"hold.{hold.status}") not in per_transition:
                r.transitions_without_delivery += 1
        # Review-outcome deliveries (the call-back queue) have no hold; this script only places holds.
        hold_deliveries = [(d, d.hold_id) for d in deliveries if d.hold_id is not None]
        wrong = {hold_id for d, hold_id in hold_deliveries if d.event != f"hold.{holds[hold_id].status}"}
        r.deliveries_for_wrong_event = len(wrong)
        released_and_stopped |= {
            hold_id for d, hold_id in hold_deliveries if d.event == "hold.released" and hold_id in wrong
        }
        r.released_after_cancel_or_stop = len(released_and_stopped)
        r.attempts = sum(d.attempts for d in deliveries)
        attempt_rows = list(
            WebhookAttempt.objects.filter(delivery__client=self.client).values_list("status_code", flat=True)
        )
        r.attempt_rows = len(attempt_rows)
        r.failed_attempts = sum(1 for code in attempt_rows if code is None or not 200 <= code < 300)

        with self.receiver.lock:
            received = list(self.receiver.requests)
            r.bad_signatures = self.receiver.bad_signatures
        r.received = len(received)
        received_ids = Counter(body["delivery"] for body in received)
        r.duplicates_received = sum(n - 1 for n in received_ids.values())
        by_id = {str(d.pk): d for d in deliveries}
        r.deliveries_not_received = sum(1 for pk in by_id if pk not in received_ids)
        for body in received:
            delivery = by_id.get(body["delivery"])
            r.received_payload_mismatch += (
                delivery is None
                or body["event"] != delivery.event
                or body["hold"]["hold_id"] != delivery.hold_id
                or body["delivery_id"] != delivery.pk
                or f"hold.{body['hold']['status']}" != delivery.event
            )

        lags = sorted(
            (h.resolved_at - h.release_at).total_seconds()
            for h in holds.values()
            if h.status == Hold.Status.RELEASED and h.resolved_at is not None
        )
        if lags:
            r.lag_worst_s = round(lags[-1], 3)
            r.lag_p99_s = round(lags[max(0, math.ceil(0.99 * len(lags)) - 1)], 3)
            r.lag_p50_s = round(lags[len(lags) // 2], 3)
        # A hold due while nothing could release it waits for the outage, then for the next sweep and its turn
        # in the burst: the bound is the outages (worker paused, killed and booted; beat killed and booted)
        # plus a sweep interval and a slack for the burst on a shared machine.
        r.lag_bound_s = round(
            self.kill.worker_down_seconds
            + self.beat_kill.beat_down_seconds
            + 2 * self.config.sweep_seconds
            + self.config.lag_slack,
            3,
        )
        released_once = {
            pk for pk in self.kill.in_flight if [s for s, _ in events.get(pk, [])] == [Hold.Status.RELEASED]
        }
        r.in_flight_redone_once = sum(1 for pk in released_once if holds[pk].status == Hold.Status.RELEASED)
        place = sorted(self.place_seconds)
        if place:
            r.place_worst_s = round(place[-1], 3)
            r.place_p99_s = round(place[max(0, math.ceil(0.99 * len(place)) - 1)], 3)
        r.act_worst_s = round(max(self.act_seconds, default=0.0), 3)
        r.security_log_breaks = sum(len(security_log_verify(chain=chain_name(c.pk))) for c in self.customers)
        notifications = Notification.objects.filter(customer__in=self.customers)
        r.notifications = {
            f"{status}": notifications.filter(status=status).count() for status in Notification.Status.values
        }

        checks = {
            "holds lost": r.lost,
            "released twice": r.released_twice + r.deliveries_twice,
            "released early": r.released_early,
            "released after cancel or stop": r.released_after_cancel_or_stop,
            "more than one transition": r.more_than_one_transition,
            "transitions without a security-log entry": r.transition_without_log,
            "transitions without a webhook delivery": r.transitions_without_delivery,
            "deliveries for the wrong event": r.deliveries_for_wrong_event,
            "deliveries not acknowledged": r.deliveries - r.deliveries_delivered,
            "deliveries never received": r.deliveries_not_received,
            "received payloads not matching their delivery": r.received_payload_mismatch,
            "bad signatures": r.bad_signatures,
            "security-log chain breaks": r.security_log_breaks,
        }
        r.failures = [f"{name}: {count}" for name, count in checks.items() if count]
        if not self.kill.at:
            r.failures.append("the worker was never killed")
        if not self.kill.in_flight:
            r.failures.append("the worker was never caught inside a release transaction")
        if self.kill.rolled_back != len(self.kill.in_flight):
            r.failures.append(f"releases in flight {len(self.kill.in_flight)}, rolled back {self.kill.rolled_back}")
        if r.in_flight_redone_once != len(self.kill.in_flight):
            r.failures.append(
                f"releases in flight {len(self.kill.in_flight)}, redone exactly once {r.in_flight_redone_once}"
            )
        if not self.beat_kill.at:
            r.failures.append("beat was never killed")
        if r.lag_worst_s > r.lag_bound_s:
            r.failures.append(f"release lag {r.lag_worst_s:.3f}s over the bound {r.lag_bound_s:.3f}s")
        return r


def report_print(report: Report, config: Config) -> None:
    k = report.kill
    lines = [
        f"holds created            {report.holds} (rows found {report.rows_found})",
        f"released / cancelled / stopped / still held   "
        f"{report.released} / {report.cancelled} / {report.stopped} / {report.still_held}",
        f"cancels / stops refused (the hold had already moved on)   {report.cancel_refused} / {report.stop_refused}",
        f"worker SIGKILLed at      t+{k.at:.1f}s, mid-sweep: {'yes' if k.mid_sweep else 'no'}, "
        f"mid-webhook: {'yes' if k.mid_webhook else 'no'}; "
        f"{k.released_before} released before, {k.due_unreleased} due but unreleased; "
        f"Redis DBs {config.broker_db} and {config.cache_db} flushed; worker back after {k.worker_down_seconds:.1f}s",
        f"releases in flight       {len(k.in_flight)} {k.in_flight[:10]} (paused {k.pauses}x to catch one); "
        f"rolled back {k.rolled_back}, redone exactly once {report.in_flight_redone_once}",
        f"beat SIGKILLed at        t+{report.beat_kill.at:.1f}s, back after {report.beat_kill.beat_down_seconds:.1f}s",
        f"lost                     {report.lost}",
        f"released twice           {report.released_twice} (log), {report.deliveries_twice} (deliveries)",
        f"released early           {report.released_early}",
        f"released after cancel    {report.released_after_cancel_or_stop}",
        f"webhook deliveries       {report.deliveries}, delivered {report.deliveries_delivered}, "
        f"never received {report.deliveries_not_received}",
        f"received by the receiver {report.received}, duplicates {report.duplicates_received} (acknowledged)",
        f"attempts                 {report.attempts} ({report.attempt_rows} attempt rows, "
        f"{report.failed_attempts} failed)",
        f"bad signatures           {report.bad_signatures}",
        f"security-log breaks      {report.security_log_breaks}",
        f"release lag              worst {report.lag_worst_s:.3f}s (bound {report.lag_bound_s:.3f}s), "
        f"p99 {report.lag_p99_s:.3f}s, p50 {report.lag_p50_s:.3f}s",
        f"placing a hold took      worst {report.place_worst_s:.3f}s, p99 {report.place_p99_s:.3f}s; "
        f"a cancel or stop worst {report.act_worst_s:.3f}s",
        f"notifications            {report.notifications}",
        f"worker log errors        {report.worker_errors} {report.worker_error_samples}",
        f"run time                 {report.run_seconds:.1f}s (seed {report.seed})",
    ]
    print("\n".join(lines))
    if report.failures:
        print("FAILED: " + "; ".join(report.failures))
    else:
        print("OK: every invariant holds")


def parse_args(argv: list[str] | None) -> Config:
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--holds", type=int, default=defaults.holds, help="holds to create (default %(default)s)")
    add("--create-seconds", type=float, default=defaults.create_seconds, help="spread creation over this long")
    add("--min-period", type=float, default=defaults.min_period, help="shortest cooling-off period, seconds")
    add("--max-period", type=float, default=defaults.max_period, help="longest cooling-off period, seconds")
    add("--customers", type=int, default=defaults.customers)
    add(
        "--database-url",
        default=defaults.database_url,
        help="default: %(default)s, dropped and created afresh each run; any other is used as it is",
    )
    add("--redis-url", default=defaults.redis_url, help="Redis server, without a database number")
    add("--broker-db", type=int, default=defaults.broker_db, help="Redis DB of the broker (flushed)")
    add("--cache-db", type=int, default=defaults.cache_db, help="Redis DB of the cache (flushed)")
    add("--concurrency", type=int, default=defaults.concurrency, help="worker processes")
    add("--margin", type=float, default=defaults.margin, help="a hold still held this long after it is due is lost")
    add("--settle", type=float, default=defaults.settle, help="how long to wait for webhooks after the last hold")
    add("--requeue-seconds", type=int, default=defaults.requeue_seconds, help="WEBHOOK_REQUEUE_SECONDS")
    add("--webhook-failures", type=int, default=defaults.webhook_failures, help="503 the first N posts (-1: 5%%)")
    add("--beat-down", type=float, default=defaults.beat_down, help="seconds beat stays dead")
    add("--lag-slack", type=float, default=defaults.lag_slack, help="added to the outages in the lag bound")
    add("--timeout", type=float, default=defaults.timeout, help="bound on the whole run, seconds")
    add("--seed", type=int, default=defaults.seed)
    add("--log-dir", default="", help="worker and beat logs (default var/fault/<time>)")
    add("--json", dest="json_path", default="", help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    return Config(**vars(args))


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    if config.holds < 10 or config.customers < 1 or config.min_period <= 0 or config.max_period < config.min_period:
        print("need --holds ≥ 10, --customers ≥ 1 and 0 < --min-period ≤ --max-period", file=sys.stderr)
        return 2
    # A SIGTERM (a CI timeout) unwinds like Ctrl-C, so the worker and beat are stopped, not orphaned.
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.update(service_env(config, DRIVER_APP))
    database_prepare(config.database_url, fresh=config.database_url == DEFAULT_DATABASE_URL)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    run = Run(config)
    try:
        report = run.execute()
    except RuntimeError as exc:
        print(f"run failed: {exc}", file=sys.stderr)
        return 2
    report_print(report, config)
    if config.json_path:
        Path(config.json_path).write_text(json.dumps(asdict(report), indent=2, default=str))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())

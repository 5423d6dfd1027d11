"""The fault script at CI size: 200 holds, the worker paused and SIGKILLed inside a release, Redis flushed, beat
SIGKILLed, nothing lost.

scripts/fault_holds.py runs as a subprocess on this test's database (rows committed: transaction=True)
with the broker on Redis DB 14 and the cache on DB 15; docs/reliability.md has the full-size runs.
"""

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import ServiceClient
from locks.holds.services import hold_cancel, hold_place, hold_release, hold_stop
from securitycenter.errors import Conflict
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import AuthorizationFactory, BankAccountFactory, StaffUserFactory
from tests.support.services import broker_redis_url, cache_redis_url, redis_db

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[3]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.integration
def test_no_hold_is_lost_released_twice_early_or_after_a_cancel_when_the_worker_dies(tmp_path):
    figures = tmp_path / "figures.json"
    command = [
        sys.executable,
        str(REPO / "scripts" / "fault_holds.py"),
        "--holds=200",
        "--customers=20",
        "--create-seconds=8",
        "--min-period=2",
        "--max-period=10",
        f"--database-url={database_url()}",
        f"--broker-db={redis_db(broker_redis_url())}",
        f"--cache-db={redis_db(cache_redis_url())}",
        "--timeout=150",
        f"--log-dir={tmp_path}",
        f"--json={figures}",
    ]
    script = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = script.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        script.send_signal(signal.SIGTERM)  # the script stops its worker and beat on the way out
        output, _ = script.communicate(timeout=30)
        pytest.fail(f"the fault script overran\n{output}")
    assert script.returncode == 0, output
    report = json.loads(figures.read_text())

    assert report["failures"] == [], output
    assert report["rows_found"] == report["holds"] == 200
    assert report["lost"] == report["missing_rows"] == report["still_held"] == 0
    assert report["released_twice"] == report["deliveries_twice"] == 0
    assert report["released_early"] == 0
    assert report["released_after_cancel_or_stop"] == report["more_than_one_transition"] == 0
    assert report["released"] + report["cancelled"] + report["stopped"] == 200
    assert report["cancelled"] > 0 and report["stopped"] > 0
    # One delivery per transition, every one acknowledged and seen by the receiver, signatures valid.
    assert report["deliveries"] == report["deliveries_delivered"] == 200
    assert report["deliveries_not_received"] == report["bad_signatures"] == 0
    assert report["received"] == 200 + report["duplicates_received"]
    # The receiver refused the first posts: they were retried, each attempt recorded.
    assert report["failed_attempts"] >= 10
    assert report["attempts"] == report["attempt_rows"]
    assert report["security_log_breaks"] == 0
    # The worker was paused inside a release transaction, then killed: each release in flight was rolled
    # back by PostgreSQL and redone exactly once by the restarted worker.
    kill = report["kill"]
    assert kill["at"] > 0 and kill["released_before"] > 0
    assert kill["mid_sweep"] and kill["in_flight"], kill
    assert kill["rolled_back"] == len(kill["in_flight"]) == report["in_flight_redone_once"], kill
    # Beat was killed and restarted after the worker; no hold waited longer than the outages allow.
    assert report["beat_kill"]["at"] > kill["at"]
    assert report["lag_worst_s"] <= report["lag_bound_s"], report


def _due_hold():
    core = ServiceClient.objects.create(name="core-race", scopes=["authorizations:write"])  # no webhook URL
    account = BankAccountFactory()
    now = timezone.now()
    authorization = AuthorizationFactory(
        transaction_id="race-1",
        client=core,
        account=account,
        outcome="hold",
        reasons=["cooling_off"],
        amount=6_000_000,
        channel="online_transfer",
    )
    return hold_place(authorization_id=authorization.pk, release_at=now - timedelta(seconds=1))


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("first", "second"), [("release", "cancel"), ("release", "stop"), ("cancel", "release"), ("stop", "cancel")]
)
def test_a_transition_waiting_for_another_to_commit_changes_nothing(first, second):
    """The second actor's UPDATE waits on the row the first has changed but not committed; once the first
    commits, the second must find the hold no longer held (PostgreSQL re-checks the new row version)."""
    hold = _due_hold()
    customer = hold.account.customer
    agent = StaffUserFactory()
    acts = {
        "release": lambda: hold_release(hold_id=hold.pk),
        "cancel": lambda: hold_cancel(customer=customer, hold_id=hold.pk, origin=Origin()),
        "stop": lambda: hold_stop(agent=agent, hold_id=hold.pk, reason="call-back confirmed fraud", origin=Origin()),
    }
    outcome: dict[str, object] = {}
    first_done, commit_first = threading.Event(), threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                outcome[first] = acts[first]()
                first_done.set()
                commit_first.wait(10)
        finally:
            connections.close_all()

    def run_second():
        try:
            outcome[second] = acts[second]()
        except Conflict as exc:
            outcome[second] = exc.extra["hold_status"]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    threads[0].start()
    assert first_done.wait(10)
    threads[1].start()
    deadline = time.monotonic() + 10
    while _lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    commit_first.set()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)

    status = {"release": "released", "cancel": "cancelled", "stop": "stopped"}
    hold.refresh_from_db()
    assert hold.status == status[first]
    assert outcome[second] in (False, status[first])  # hold_release says False; cancel and stop a 409
    transitions = SecurityEvent.objects.filter(
        event_type__in=[EventType.HOLD_RELEASED, EventType.HOLD_CANCELLED, EventType.HOLD_STOPPED]
    )
    assert [e.event_type for e in transitions] == [f"hold.{status[first]}"]

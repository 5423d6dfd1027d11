"""The embedded SQLite default (a local run) takes several writing processes: worker, beat and web."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
WRITERS = 3
TRANSACTIONS = 60


def test_local_processes_writing_sqlite_at_once_never_see_database_is_locked(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "securitycenter.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'local.sqlite3'}",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)

    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.sqlite_writer", str(TRANSACTIONS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    outputs = [w.communicate(timeout=300) for w in writers]

    assert [w.returncode for w in writers] == [0] * WRITERS, outputs
    assert [out.strip() for out, _ in outputs] == ["0"] * WRITERS, [err[-2000:] for _, err in outputs]

"""One of several processes writing the embedded SQLite default at once, as a Celery worker's processes do.

Run as `python -m tests.support.sqlite_writer N` with DATABASE_URL pointing at a migrated SQLite file. Each
transaction reads before it writes (what a task does: re-read the row, then act), the pattern that an
SQLite transaction in the default deferred mode cannot upgrade while another process writes. Prints the
number of transactions that failed.
"""

import os
import sys

import django


def main(count: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securitycenter.settings")
    django.setup()
    from django.db import OperationalError, transaction

    from accounts.models import Customer
    from securitycenter.securitylog.models import EventType
    from securitycenter.securitylog.record import Actor, security_log_record

    failed = 0
    for _ in range(count):
        try:
            with transaction.atomic():
                Customer.objects.count()
                security_log_record(event_type=EventType.API_KEY_CREATED, actor=Actor.system(f"pid-{os.getpid()}"))
        except OperationalError as exc:
            print(f"failed: {exc}", file=sys.stderr)
            failed += 1
    print(failed)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))

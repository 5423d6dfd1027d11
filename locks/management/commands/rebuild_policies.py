from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import BankAccount
from locks.rules.policies import policy_publish
from securitycenter.redis import redis_client

BATCH_SIZE = 1000


class Command(BaseCommand):
    help = (
        "Recompile every account's policy from the database and publish it to Redis: after Redis lost its "
        "data, or the bank's maximums or home country changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="Rebuild only this account (by id)")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = BankAccount.objects.order_by("pk")
        if options["account"] is not None:
            accounts = accounts.filter(pk=options["account"])
            if not accounts.exists():
                raise CommandError(f"No account with id {options['account']}.")
        try:
            redis_client().ping()
        except redis.RedisError as exc:
            raise CommandError(f"Redis is unreachable: {exc}") from exc

        published = 0
        last_id = 0
        while True:
            # Keyset pagination: stable while accounts are added during the run, and no OFFSET scans.
            ids = list(accounts.filter(pk__gt=last_id).values_list("pk", flat=True)[:BATCH_SIZE])
            if not ids:
                break
            count = policy_publish(account_ids=ids)
            if count == 0:
                # policy_publish swallows Redis errors (the sweep retries); here an operator is waiting.
                raise CommandError(f"Publishing failed after {published} policies: Redis write error.")
            published += count
            last_id = ids[-1]
        self.stdout.write(self.style.SUCCESS(f"Published {published} policies."))

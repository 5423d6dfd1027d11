"""Compiled policies: built from the lock rows, published to Redis, read back without the ORM.

The database is the truth. Redis holds `sc:policy:<account id>` → a hash {v: version, b: msgpack policy},
written after the change commits; if Redis is down or loses its data, `policy_publish` (run by a sweep and by
`manage.py rebuild_policies`) writes it again from the rows.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import BankAccount
from locks.decision.policy import (
    Ceilings,
    ChannelLimits,
    CompiledPolicy,
    TimeWindow,
    TravelWindow,
    policy_encode,
    stricter_limit,
)
from locks.models import LockSettings
from locks.models import TravelWindow as TravelWindowRow
from locks.rules.documents import LIMIT_KINDS, minute_of_day
from locks.rules.kinds import account_kind
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)

POLICY_KEY = "sc:policy:{}"
# Two publishes of one account may finish in either order (each compiles after its own commit): a late
# one must not put back an older policy, e.g. a loosening over the tightening that followed it. The same
# version is written again, so a rebuild picks up changed bank settings.
_PUBLISH_SCRIPT = """
local current = tonumber(redis.call('HGET', KEYS[1], 'v'))
if current and current > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'b', ARGV[2])
return 1
"""


def policy_compile(*, row: LockSettings, travel_windows: Iterable[TravelWindowRow]) -> CompiledPolicy:
    """The engine's view of one account's locks, with the bank's ceilings applied."""
    account = row.account
    kind = account_kind(account)
    ceilings: dict[str, int] = kind.ceilings or {}
    limits: dict[str, Any] = row.limits or {}
    channel_limits = tuple(
        ChannelLimits(channel, *(values.get(kind) for kind in LIMIT_KINDS))
        for channel, values in sorted(limits.get("channels", {}).items())
    )
    threshold = row.cooling_off_threshold
    return CompiledPolicy(
        account_id=account.pk,
        version=row.version,
        currency=account.currency,
        home_country=settings.HOME_COUNTRY,
        time_zone=account.customer.time_zone,
        per_transaction_limit=stricter_limit(limits.get("per_transaction"), ceilings.get("per_transaction")),
        daily_limit=stricter_limit(limits.get("daily"), ceilings.get("daily")),
        monthly_limit=stricter_limit(limits.get("monthly"), ceilings.get("monthly")),
        channel_limits=channel_limits,
        channels_off=frozenset(row.channels_off),
        # str(): a row just created holds the TextChoices member, which msgpack cannot encode.
        region_mode=str(row.region_mode),  # type: ignore[arg-type]
        regions=frozenset(row.regions),
        time_windows=tuple(
            TimeWindow(tuple(w["days"]), minute_of_day(w["start"]), minute_of_day(w["end"])) for w in row.time_windows
        ),
        travel_windows=tuple(
            TravelWindow(frozenset(t.regions), int(t.starts_at.timestamp()), int(t.ends_at.timestamp()))
            for t in travel_windows
        ),
        freeze_card_not_present=row.freeze_card_not_present,
        freeze_all_outgoing=row.freeze_all_outgoing,
        cooling_off_threshold=threshold if threshold is not None else kind.cooling_off_threshold,
        cooling_off_new_payee_threshold=kind.cooling_off_new_payee_threshold,
        # The ceilings themselves, so that a payment over one is told it is the bank's, not the customer's.
        call_back_new_payee_threshold=settings.ELDERLY_CALL_BACK_THRESHOLD if elderly_protected(row) else None,
        ceilings=Ceilings(ceilings.get("per_transaction"), ceilings.get("daily"), ceilings.get("monthly"))
        if ceilings
        else None,
    )


def elderly_protected(row: LockSettings) -> bool:
    """Whether the account has elderly protection: the preset's switch, or the customer's age."""
    if row.elderly_protection:
        return True
    age_limit = settings.ELDERLY_PROTECTION_AGE
    born = row.account.customer.date_of_birth
    if not age_limit or born is None:
        return False
    today = timezone.localdate()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age >= age_limit


def live_travel_windows(account_id: int, *, now: datetime | None = None) -> QuerySet[TravelWindowRow]:
    """Travel windows that have not lapsed or been cancelled (lapsed ones no longer matter to anyone)."""
    return TravelWindowRow.objects.filter(
        account_id=account_id, cancelled_at__isnull=True, ends_at__gt=now or timezone.now()
    ).order_by("starts_at", "id")


def lock_settings_for(account: BankAccount) -> LockSettings:
    """The account's lock row, created with the defaults (no customer locks) the first time."""
    row, _ = LockSettings.objects.get_or_create(account=account)
    row.account = account
    return row


def policy_compile_account(account: BankAccount) -> CompiledPolicy:
    return policy_compile(row=lock_settings_for(account), travel_windows=live_travel_windows(account.pk))


def policy_publish(*, account_ids: Iterable[int]) -> int:
    """Compile the accounts' policies from the database and write them to Redis; returns how many.

    Never raises for Redis trouble: the database already holds the change, and the sweep retries.
    """
    ids = list(account_ids)
    if not ids:
        return 0
    accounts = BankAccount.objects.filter(pk__in=ids).select_related("customer")
    compiled = [policy_compile_account(account) for account in accounts]
    try:
        client = redis_client()
        write = client.register_script(_PUBLISH_SCRIPT)
        with client.pipeline(transaction=False) as pipe:
            for policy in compiled:
                key = POLICY_KEY.format(policy.account_id)
                write(keys=[key], args=[policy.version, policy_encode(policy)], client=pipe)
            pipe.execute()
    except redis.RedisError:
        logger.warning("policy publish failed for %d account(s); the sweep will retry", len(compiled))
        return 0
    for policy in compiled:
        LockSettings.objects.filter(account_id=policy.account_id, version=policy.version).update(
            published_version=policy.version
        )
    return len(compiled)


def policy_publish_stale(*, batch_size: int = 1000) -> int:
    """Republish every account whose published version lags the database (a lost publish)."""
    stale = LockSettings.objects.exclude(published_version=F("version")).values_list("account_id", flat=True)
    return policy_publish(account_ids=list(stale[:batch_size]))

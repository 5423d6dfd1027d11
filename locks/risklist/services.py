"""The payee risk list (融安e信): counterparty accounts known to be used by fraudsters.

Accounts are stored only as keyed hashes (`blind_index(number, purpose="payee")`), the same hash the
authorization path computes for a transfer's counterparty. High severity declines, medium holds a
transfer or sends another payment to review. The list is mirrored into Redis for the hot path.
"""

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from locks.models import PayeeRiskEntry
from securitycenter.account_numbers import account_number_normalize, account_number_valid, payee_index
from securitycenter.errors import TooManyAttempts
from securitycenter.redis import redis_client
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, security_log_record

logger = logging.getLogger(__name__)

# The Redis mirror of the list: counterparty hash → severity, plus a marker that the mirror is complete, so
# that a missing key (Redis lost it) is told apart from an empty list.
RISK_KEY = "sc:risk"
RISK_LOADED_FIELD = "__loaded__"
PAYEE_CHECKS_PER_MINUTE = 10
PAYEE_CHECKS_PER_DAY = 100


class RiskListError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def payee_hash(number: str) -> str:
    return payee_index(number)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int


def risk_list_publish(client: redis.Redis) -> int:
    """Mirror the payee risk list into Redis (replacing what is there); returns the number of entries."""
    entries = dict(PayeeRiskEntry.objects.values_list("counterparty", "severity"))
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(RISK_KEY)
        mapping: dict[str | bytes, str] = {RISK_LOADED_FIELD: "1"}
        mapping.update(entries.items())
        pipe.hset(RISK_KEY, mapping=mapping)
        pipe.execute()
    return len(entries)


def risk_list_publish_quietly() -> None:
    try:
        risk_list_publish(redis_client())
    except redis.RedisError:
        # The hot path notices the missing mirror and republishes it itself.
        logger.warning("risk list changed but could not be mirrored to Redis")


def risk_list_load(*, rows: Iterable[dict[str, str]], default_source: str, actor: Actor) -> LoadResult:
    """Upsert risk entries from CSV-like rows (account, severity[, source][, note]); all or nothing."""
    parsed: dict[str, tuple[str, str, str]] = {}
    for line, row in enumerate(rows, start=2):
        number = account_number_normalize(row.get("account") or "")
        if not account_number_valid(number):
            raise RiskListError(line, "account must be 8 to 34 digits or capital letters")
        severity = (row.get("severity") or "").strip().lower()
        if severity not in PayeeRiskEntry.Severity.values:
            raise RiskListError(line, "severity must be medium or high")
        source = (row.get("source") or default_source).strip()[:64]
        parsed[payee_index(number)] = (severity, source, (row.get("note") or "").strip()[:200])
    created = updated = 0
    with transaction.atomic():
        existing = set(PayeeRiskEntry.objects.filter(counterparty__in=parsed).values_list("counterparty", flat=True))
        for counterparty, (severity, source, note) in parsed.items():
            PayeeRiskEntry.objects.update_or_create(
                counterparty=counterparty, defaults={"severity": severity, "source": source, "note": note}
            )
            if counterparty in existing:
                updated += 1
            else:
                created += 1
        security_log_record(
            event_type=EventType.RISK_LIST_CHANGED,
            actor=actor,
            details={"created": created, "updated": updated, "source": default_source},
        )
        transaction.on_commit(risk_list_publish_quietly)
    return LoadResult(created, updated)


def risk_list_load_csv(*, text: str, default_source: str, actor: Actor) -> LoadResult:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"account", "severity"} <= {f.strip() for f in reader.fieldnames}:
        raise RiskListError(1, "the header must name at least: account,severity")
    return risk_list_load(rows=reader, default_source=default_source, actor=actor)


ADVICE = {
    None: {
        "zh-Hans": "该账户暂未发现风险记录。转账前请再次核实对方身份,切勿向陌生账户转账。",
        "en": "No risk record for this account. Still confirm who you are paying before you transfer.",
    },
    "medium": {
        "zh-Hans": "该账户存在风险提示。转账将被暂缓处理,请先通过可靠渠道核实对方身份,如有疑问请拨打95588。",
        "en": "This account has a risk warning. A transfer to it will be held; confirm who it belongs to "
        "through a channel you trust, and call 95588 if in doubt.",
    },
    "high": {
        "zh-Hans": "该账户涉嫌诈骗,转账将被拒绝。请勿转账,如有人催促您转账请立即拨打110或95588。",
        "en": "This account is linked to fraud and transfers to it are refused. Do not pay; if someone is "
        "pressing you to, call 110 or 95588 now.",
    },
}


class PayeeCheckRateLimited(TooManyAttempts):
    default_code = "rate_limited"
    default_detail = "Too many payee checks; try again later."


def _rate_limit(customer: Customer) -> None:
    now = int(timezone.now().timestamp())
    minute_key = f"sc:payeecheck:{customer.pk}:m:{now // 60}"
    day_key = f"sc:payeecheck:{customer.pk}:d:{now // 86400}"
    try:
        with redis_client().pipeline(transaction=True) as pipe:
            pipe.incr(minute_key)
            pipe.expire(minute_key, 120)
            pipe.incr(day_key)
            pipe.expire(day_key, 2 * 86400)
            per_minute, _, per_day, _ = pipe.execute()
    except redis.RedisError:
        logger.warning("payee-check rate limit unavailable (Redis); allowing the check")
        return
    if per_minute > PAYEE_CHECKS_PER_MINUTE:
        raise PayeeCheckRateLimited(retry_after=60 - now % 60)
    if per_day > PAYEE_CHECKS_PER_DAY:
        raise PayeeCheckRateLimited(retry_after=86400 - now % 86400)


def payee_check(*, customer: Customer, account_number: str) -> dict[str, Any]:
    """Is this counterparty on the risk list, and what should the customer do? Rate-limited."""
    _rate_limit(customer)
    severity = (
        PayeeRiskEntry.objects.filter(counterparty=payee_hash(account_number))
        .values_list("severity", flat=True)
        .first()
    )
    return {"listed": severity is not None, "severity": severity, "advice": ADVICE[severity]}

"""The checks: each reads the customer's own data and returns findings. A finding's id names the check and
its subject ("channel_unused.atm:account:12"), so the same weakness has the same id from scan to scan; that is
what a fix names and what the weekly scan remembers having told the customer.

| check | severity | from | one-tap fix |
|---|---|---|---|
| sms_only | medium | no confirmed authenticator app | — |
| stale_devices | medium | devices signed in but unused for 90 days | remove them |
| recent_new_device | medium | a device first seen in the last 7 days | remove it (not the phone in hand) |
| no_daily_limit | medium | an account without a daily limit | a daily limit from 90 days of spending |
| daily_limit_far_above_spending | low | a daily limit over 10 times the busiest day of 90 days | lower it |
| channel_unused.card_not_present / .cross_border | medium | switched on, unused for 90 days | switch it off |
| channel_unused.atm / .contactless | low | switched on, unused for 90 days | switch it off |
| elderly_without_protection | high | aged 65 or more, elderly protection not on | apply it (only if it tightens) |
| no_night_protection | low | no time lock | night protection |
| cooling_off_raised | low | cooling-off threshold above the bank's default | back to the default |
| loosening_waiting | high | a loosening waiting out its delay | cancel it |
| recent_lock_declines | medium | declines for the customer's own locks in 30 days | — |
| risky_recent_payee | high | a payee of the last 90 days now on the risk list | — |
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import BankAccount, Customer, Device, OtpDevice
from accounts.selectors import customer_accounts
from locks.decision.reasons import CUSTOMER_LOCK_REASONS
from locks.lessons.fit import lesson_for_reasons
from locks.models import Authorization, LockSettings, PayeeRiskEntry, PendingLoosening
from locks.rules.changes import Proposal, proposal_tightens
from locks.rules.policies import lock_settings_for
from locks.rules.presets import Preset, preset_proposal

UNUSED_FOR = timedelta(days=90)
RECENT_DEVICE = timedelta(days=7)
RECENT_DECLINES = timedelta(days=30)
ELDERLY_AGE = 65
# A suggested daily limit: twice the busiest day of the last 90 days, rounded up to 1,000 yuan, at least 5,000.
SUGGESTED_DAILY_MIN = 500_000
SUGGESTED_DAILY_STEP = 100_000
FAR_ABOVE_FACTOR = 10
FAR_ABOVE_FLOOR = 5_000_000

SEVERITY_WEIGHT = {"high": 25, "medium": 10, "low": 5}


@dataclass
class Finding:
    id: str
    check: str
    severity: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: dict[str, Any] | None = None
    lesson_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check": self.check,
            "severity": self.severity,
            "params": self.params,
            "evidence": self.evidence,
            "fix": self.fix,
            "lesson_id": self.lesson_id,
        }


@dataclass
class Scan:
    """What the checks share: read once per scan."""

    customer: Customer
    now: datetime
    current_device: Device | None = None
    accounts: list[BankAccount] = field(default_factory=list)
    rows: dict[int, LockSettings] = field(default_factory=dict)

    @classmethod
    def of(cls, customer: Customer, *, current_device: Device | None = None) -> "Scan":
        accounts = list(customer_accounts(customer=customer).select_related("customer"))
        return cls(
            customer=customer,
            now=timezone.now(),
            current_device=current_device,
            accounts=accounts,
            rows={a.pk: lock_settings_for(a) for a in accounts},
        )

    def since(self, delta: timedelta) -> datetime:
        return self.now - delta

    def old_accounts(self) -> list[BankAccount]:
        """Accounts open long enough for "unused for 90 days" to mean something."""
        return [a for a in self.accounts if a.created_at <= self.since(UNUSED_FOR)]


def _account_params(account: BankAccount) -> dict[str, Any]:
    return {"account": account.masked_number, "account_id": account.pk}


def check_sms_only(scan: Scan) -> list[Finding]:
    if OtpDevice.objects.filter(customer=scan.customer, confirmed_at__isnull=False).exists():
        return []
    return [Finding("sms_only", "sms_only", "medium", lesson_id="sms_code_requests")]


def _devices(scan: Scan) -> Any:
    devices = Device.objects.filter(customer=scan.customer, revoked_at__isnull=True)
    if scan.current_device is not None:
        devices = devices.exclude(pk=scan.current_device.pk)
    return devices


def check_stale_devices(scan: Scan) -> list[Finding]:
    stale = list(_devices(scan).filter(last_seen_at__lt=scan.since(UNUSED_FOR)).order_by("pk"))
    if not stale:
        return []
    return [
        Finding(
            "stale_devices",
            "stale_devices",
            "medium",
            params={"count": len(stale), "devices": ", ".join(d.name or d.platform for d in stale)},
            evidence={
                "devices": [{"id": d.pk, "name": d.name, "last_seen_at": d.last_seen_at.isoformat()} for d in stale]
            },
            fix={"code": "revoke_devices", "device_ids": [d.pk for d in stale]},
            lesson_id="lost_phone",
        )
    ]


def check_recent_new_device(scan: Scan) -> list[Finding]:
    return [
        Finding(
            f"recent_new_device:device:{device.pk}",
            "recent_new_device",
            "medium",
            params={"device": device.name or device.platform},
            evidence={"device_id": device.pk, "first_seen_at": device.first_seen_at.isoformat()},
            fix={"code": "revoke_devices", "device_ids": [device.pk]},
            lesson_id="sms_code_requests",
        )
        for device in _devices(scan).filter(first_seen_at__gte=scan.since(RECENT_DEVICE)).order_by("pk")
    ]


def _busiest_day(account: BankAccount, scan: Scan) -> int:
    per_day = (
        Authorization.objects.filter(
            account=account, counted=True, reversed_at__isnull=True, created_at__gte=scan.since(UNUSED_FOR)
        )
        .values("local_day")
        .annotate(total=Sum("amount"))
        .aggregate(busiest=Max("total"))
    )
    return int(per_day["busiest"] or 0)


def _suggested_daily(account: BankAccount, busiest: int) -> int:
    step = SUGGESTED_DAILY_STEP
    suggested = max(SUGGESTED_DAILY_MIN, -(-2 * busiest // step) * step)
    ceiling = settings.BANK_MAX_LIMITS.get(account.currency, {}).get("daily")
    return min(suggested, ceiling) if ceiling else suggested


def daily_limit_proposal(row: LockSettings, daily: int) -> Proposal:
    limits = dict(row.limits or {})
    per_transaction = limits.get("per_transaction")
    monthly = limits.get("monthly")
    # per-transaction ≤ daily ≤ monthly must still hold after the fix.
    return Proposal(
        changes={
            "limits": {
                "per_transaction": min(per_transaction, daily) if per_transaction is not None else None,
                "daily": daily if monthly is None else min(daily, monthly),
                "monthly": monthly,
                "channels": dict(limits.get("channels", {})),
            }
        },
        limits_tighten_only=True,
    )


def check_daily_limits(scan: Scan) -> list[Finding]:
    findings = []
    for account in scan.accounts:
        row = scan.rows[account.pk]
        daily = (row.limits or {}).get("daily")
        busiest = _busiest_day(account, scan)
        suggested = _suggested_daily(account, busiest)
        evidence = {"daily_limit": daily, "busiest_day_90d": busiest, "suggested": suggested}
        fix = {"code": "set_daily_limit", "account_id": account.pk, "daily": suggested}
        if daily is None:
            findings.append(
                Finding(
                    f"no_daily_limit:account:{account.pk}",
                    "no_daily_limit",
                    "medium",
                    params={**_account_params(account), "suggested": suggested},
                    evidence=evidence,
                    fix=fix,
                    lesson_id="fake_police_safe_account",
                )
            )
        elif daily > max(FAR_ABOVE_FACTOR * busiest, FAR_ABOVE_FLOOR) and suggested < daily:
            findings.append(
                Finding(
                    f"daily_limit_far_above_spending:account:{account.pk}",
                    "daily_limit_far_above_spending",
                    "low",
                    params={**_account_params(account), "daily": daily, "busiest": busiest, "suggested": suggested},
                    evidence=evidence,
                    fix=fix,
                    lesson_id="fake_police_safe_account",
                )
            )
    return findings


_CHANNEL_SEVERITY = {"card_not_present": "medium", "cross_border": "medium", "atm": "low", "contactless": "low"}
_CHANNEL_LESSON = {
    "card_not_present": "card_details_phishing",
    "cross_border": "cross_border_card_fraud",
    "atm": "lost_card",
    "contactless": "lost_card",
}


def _channel_used(account: BankAccount, channel: str, scan: Scan) -> bool:
    recent = Authorization.objects.filter(account=account, created_at__gte=scan.since(UNUSED_FOR))
    if channel == "cross_border":
        return recent.exclude(country=settings.HOME_COUNTRY).exists()
    return recent.filter(channel=channel).exists()


def check_unused_channels(scan: Scan) -> list[Finding]:
    findings = []
    for account in scan.old_accounts():
        row = scan.rows[account.pk]
        for channel, severity in _CHANNEL_SEVERITY.items():
            if channel in row.channels_off:
                continue
            if channel == "card_not_present" and row.freeze_card_not_present:
                continue
            if _channel_used(account, channel, scan):
                continue
            findings.append(
                Finding(
                    f"channel_unused.{channel}:account:{account.pk}",
                    f"channel_unused.{channel}",
                    severity,
                    params={**_account_params(account), "channel": channel},
                    evidence={"channel": channel, "unused_since": scan.since(UNUSED_FOR).isoformat()},
                    fix={"code": "channel_off", "account_id": account.pk, "channel": channel},
                    lesson_id=_CHANNEL_LESSON[channel],
                )
            )
    return findings


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_elderly_protection(scan: Scan) -> list[Finding]:
    born = scan.customer.date_of_birth
    if born is None or _age(born, scan.now.date()) < ELDERLY_AGE:
        return []
    proposal = preset_proposal(Preset.ELDERLY_PROTECTION)
    return [
        Finding(
            f"elderly_without_protection:account:{account.pk}",
            "elderly_without_protection",
            "high",
            params={**_account_params(account), "age": _age(born, scan.now.date())},
            evidence={"age": _age(born, scan.now.date())},
            fix={"code": "preset", "account_id": account.pk, "preset": Preset.ELDERLY_PROTECTION.value},
            lesson_id="million_insurance_cancellation",
        )
        for account in scan.accounts
        if proposal_tightens(account=account, proposal=proposal)
    ]


def check_night_protection(scan: Scan) -> list[Finding]:
    return [
        Finding(
            f"no_night_protection:account:{account.pk}",
            "no_night_protection",
            "low",
            params=_account_params(account),
            fix={"code": "preset", "account_id": account.pk, "preset": Preset.NIGHT_PROTECTION.value},
            lesson_id="night_protection",
        )
        for account in scan.accounts
        if not scan.rows[account.pk].time_windows
    ]


def check_cooling_off(scan: Scan) -> list[Finding]:
    default = settings.COOLING_OFF_DEFAULT_THRESHOLD
    return [
        Finding(
            f"cooling_off_raised:account:{account.pk}",
            "cooling_off_raised",
            "low",
            params={**_account_params(account), "threshold": row.cooling_off_threshold, "default": default},
            evidence={"threshold": row.cooling_off_threshold, "default": default},
            fix={"code": "cooling_off_default", "account_id": account.pk},
            lesson_id="fake_police_safe_account",
        )
        for account in scan.accounts
        if (row := scan.rows[account.pk]).cooling_off_threshold is not None and row.cooling_off_threshold > default
    ]


def check_pending_loosenings(scan: Scan) -> list[Finding]:
    pending = PendingLoosening.objects.filter(
        account__in=scan.accounts, status=PendingLoosening.Status.PENDING
    ).select_related("account")
    return [
        Finding(
            f"loosening_waiting:pending:{p.pk}",
            "loosening_waiting",
            "high",
            params={"account": p.account.masked_number, "account_id": p.account_id},
            evidence={"pending_id": p.pk, "loosens": p.summary, "effective_at": p.effective_at.isoformat()},
            fix={"code": "cancel_pending", "pending_id": p.pk},
            lesson_id="screen_sharing",
        )
        for p in pending
    ]


def check_recent_declines(scan: Scan) -> list[Finding]:
    findings = []
    lock_reasons = {str(r) for r in CUSTOMER_LOCK_REASONS}
    for account in scan.accounts:
        declines = [
            a
            for a in Authorization.objects.filter(
                account=account, outcome=Authorization.Outcome.DECLINE, created_at__gte=scan.since(RECENT_DECLINES)
            ).order_by("-created_at")[:50]
            if lock_reasons & set(a.reasons)
        ]
        if declines:
            findings.append(
                Finding(
                    f"recent_lock_declines:account:{account.pk}",
                    "recent_lock_declines",
                    "medium",
                    params={**_account_params(account), "count": len(declines)},
                    evidence={
                        "count": len(declines),
                        "last_at": declines[0].created_at.isoformat(),
                        "transaction_ids": [a.transaction_id for a in declines[:5]],
                    },
                    lesson_id=lesson_for_reasons(declines[0].reasons) or "card_details_phishing",
                )
            )
    return findings


def check_risky_payees(scan: Scan) -> list[Finding]:
    recent = Authorization.objects.filter(
        account__in=scan.accounts, created_at__gte=scan.since(UNUSED_FOR), counted=True
    ).exclude(counterparty="")
    risky = set(
        PayeeRiskEntry.objects.filter(counterparty__in=recent.values("counterparty")).values_list(
            "counterparty", flat=True
        )
    )
    if not risky:
        return []
    paid = list(recent.filter(counterparty__in=risky).order_by("-created_at").select_related("account")[:20])
    return [
        Finding(
            f"risky_recent_payee:authorization:{a.pk}",
            "risky_recent_payee",
            "high",
            params={"account": a.account.masked_number, "amount": a.amount, "currency": a.currency},
            evidence={"transaction_id": a.transaction_id, "at": a.created_at.isoformat(), "amount": a.amount},
            lesson_id="fraud_risk_payee",
        )
        for a in paid
    ]


CHECKS: tuple[Callable[[Scan], list[Finding]], ...] = (
    check_sms_only,
    check_stale_devices,
    check_recent_new_device,
    check_daily_limits,
    check_unused_channels,
    check_elderly_protection,
    check_night_protection,
    check_cooling_off,
    check_pending_loosenings,
    check_recent_declines,
    check_risky_payees,
)

# Every check id a finding may carry (the table above): 15.
CHECK_IDS = (
    "sms_only",
    "stale_devices",
    "recent_new_device",
    "no_daily_limit",
    "daily_limit_far_above_spending",
    "channel_unused.card_not_present",
    "channel_unused.cross_border",
    "channel_unused.atm",
    "channel_unused.contactless",
    "elderly_without_protection",
    "no_night_protection",
    "cooling_off_raised",
    "loosening_waiting",
    "recent_lock_declines",
    "risky_recent_payee",
)


def findings_of(scan: Scan) -> list[Finding]:
    order = {"high": 0, "medium": 1, "low": 2}
    findings = [f for check in CHECKS for f in check(scan)]
    return sorted(findings, key=lambda f: (order[f.severity], f.id))


def score_of(findings: list[Finding]) -> int:
    return max(0, 100 - sum(SEVERITY_WEIGHT[f.severity] for f in findings))

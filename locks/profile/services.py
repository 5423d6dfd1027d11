"""`profile_change`: the customer's language (at once) and time zone (a loosening while time locks are set)."""

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import F

from accounts.models import Customer
from accounts.notifications.queue import notification_queue
from accounts.otp import otp_step_up_verify
from accounts.selectors import customer_accounts
from locks.decision.loosening import loosened_fields
from locks.models import LockSettings
from locks.rules.policies import live_travel_windows, lock_settings_for, policy_compile, policy_publish
from securitycenter.errors import field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


@dataclass(frozen=True)
class ProfileChange:
    customer: Customer
    loosened: list[str]


def _time_zone_loosens(customer: Customer, time_zone: str) -> list[str]:
    """The loosened parts, over all the customer's accounts, of moving their policies to `time_zone`."""
    loosened: set[str] = set()
    for account in customer_accounts(customer=customer).select_related("customer"):
        row = lock_settings_for(account)
        travel = list(live_travel_windows(account.pk))
        old = policy_compile(row=row, travel_windows=travel)
        account.customer = Customer(time_zone=time_zone)
        row.account = account
        new = policy_compile(row=row, travel_windows=travel)
        loosened.update(loosened_fields(old, new))
    return sorted(loosened)


def profile_change(
    *,
    customer: Customer,
    origin: Origin,
    language: str | None = None,
    time_zone: str | None = None,
    otp: str | None = None,
) -> ProfileChange:
    """Change the language and/or time zone. A time zone that loosens a time lock needs `otp`."""
    if language is not None and language not in Customer.Language.values:
        raise field_error("language", f"One of {', '.join(Customer.Language.values)}.", "invalid_choice")
    changes: dict[str, str] = {}
    if language is not None and language != customer.language:
        changes["language"] = language
    if time_zone is not None and time_zone != customer.time_zone:
        changes["time_zone"] = time_zone
    loosened = _time_zone_loosens(customer, time_zone) if "time_zone" in changes and time_zone else []
    if loosened:
        # Outside the transaction: a wrong code counts against the customer although this request fails.
        otp_step_up_verify(customer=customer, code=otp, origin=origin)
    if not changes:
        return ProfileChange(customer=customer, loosened=[])
    with transaction.atomic():
        old = {key: getattr(customer, key) for key in changes}
        Customer.objects.filter(pk=customer.pk).update(**changes)
        for key, value in changes.items():
            setattr(customer, key, value)
        security_log_record(
            event_type=EventType.PROFILE_CHANGED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"fields": sorted(changes), "loosened": loosened},
            old_value=old,
            new_value=changes,
        )
        if "time_zone" in changes:
            # Every policy embeds the time zone: a new version, so the hot path's per-version caches let go.
            accounts = list(customer_accounts(customer=customer))
            for account in accounts:
                lock_settings_for(account)  # an account without a row gets one, so its version moves too
            account_ids = [a.pk for a in accounts]
            LockSettings.objects.filter(account_id__in=account_ids).update(version=F("version") + 1)
            transaction.on_commit(partial(policy_publish, account_ids=account_ids))
            notification_queue(
                customer=customer,
                template="lock_changed",
                params={"account": "*", "summary": f"time_zone: {changes['time_zone']}"},
                channels=["push", "sms"] if loosened else ["push"],
            )
    return ProfileChange(customer=customer, loosened=loosened)

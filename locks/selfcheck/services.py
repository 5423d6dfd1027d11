"""Running the self-check, keeping its results, applying a fix, and the weekly scan's one-time notice.

A fix is only ever a tightening, applied through the same paths as the customer's own change
(`lock_change`, `device_revoke`, `pending_loosening_cancel`): security-logged, version bumped, announced.
Before applying one the scan runs again, so a fix acts on the data as it is now, not as it was when the
finding was shown; a lock fix that would no longer only tighten is refused.
"""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Customer, Device
from accounts.notifications.queue import notification_queue
from accounts.selectors import customer_account_get
from accounts.signin import device_revoke
from locks.models import SelfCheckNotice, SelfCheckRun
from locks.rules.changes import Proposal, lock_change, pending_loosening_cancel, proposal_tightens
from locks.rules.policies import lock_settings_for
from locks.rules.presets import Preset, preset_proposal
from locks.selfcheck.checks import Finding, Scan, daily_limit_proposal, findings_of, score_of
from locks.selfcheck.texts import finding_title
from securitycenter.errors import Conflict, NotFound
from securitycenter.securitylog.record import Actor, Origin


def self_check_run(
    *,
    customer: Customer,
    trigger: str = SelfCheckRun.Trigger.CUSTOMER,
    current_device: Device | None = None,
    week: str = "",
) -> SelfCheckRun:
    """Run every check on the customer's data now and keep the result."""
    findings = findings_of(Scan.of(customer, current_device=current_device))
    return SelfCheckRun.objects.create(
        customer=customer,
        trigger=trigger,
        week=week,
        score=score_of(findings),
        findings=[f.as_json() for f in findings],
    )


@dataclass(frozen=True)
class FixOutcome:
    finding: dict[str, Any]
    run: SelfCheckRun


def self_check_fix(
    *, customer: Customer, finding_id: str, origin: Origin, current_device: Device | None = None
) -> FixOutcome:
    """Apply the fix of one finding of the customer's as the data stands now; returns the scan after it."""
    findings = {f.id: f for f in findings_of(Scan.of(customer, current_device=current_device))}
    finding = findings.get(finding_id)
    if finding is None:
        raise NotFound(_("No such finding now: it may be fixed already."), code="finding_not_found", field="finding_id")
    if finding.fix is None:
        raise Conflict(_("This finding has no one-tap fix; its explanation says what to do."), code="no_fix")
    with transaction.atomic():
        _apply(finding, customer=customer, origin=origin, current_device=current_device)
    return FixOutcome(finding=finding.as_json(), run=self_check_run(customer=customer, current_device=current_device))


def _fix_proposal(fix: dict[str, Any], account: Any) -> Proposal:
    code = fix["code"]
    if code == "channel_off":
        return Proposal(changes={"channels": {fix["channel"]: False}})
    if code == "set_daily_limit":
        return daily_limit_proposal(lock_settings_for(account), fix["daily"])
    if code == "preset":
        return preset_proposal(Preset(fix["preset"]))
    if code == "cooling_off_default":
        return Proposal(changes={"cooling_off": {"threshold": None}})
    raise ValueError(code)


def _apply(finding: Finding, *, customer: Customer, origin: Origin, current_device: Device | None) -> None:
    fix = finding.fix
    assert fix is not None
    actor = Actor.customer(customer)
    if fix["code"] == "revoke_devices":
        devices = Device.objects.filter(customer=customer, pk__in=fix["device_ids"], revoked_at__isnull=True)
        for device in devices:
            if current_device is None or device.pk != current_device.pk:
                device_revoke(device=device, actor=actor, origin=origin)
        return
    if fix["code"] == "cancel_pending":
        pending_loosening_cancel(customer=customer, pending_id=fix["pending_id"], origin=origin)
        return
    account = customer_account_get(customer=customer, account_id=fix["account_id"])
    proposal = _fix_proposal(fix, account)
    # Never a loosening, whatever changed since the scan: a one-tap fix asks for no proof.
    if not proposal_tightens(account=account, proposal=proposal):
        raise Conflict(
            _("This fix would no longer only tighten your locks; change them yourself."), code="not_tightening"
        )
    lock_change(customer=customer, accounts=[account], proposal=proposal, origin=origin, actor=actor)


def iso_week(moment: Any = None) -> str:
    year, week, _ = (moment or timezone.now()).isocalendar()
    return f"{year}-W{week:02d}"


def self_check_weekly(*, customer_id: int, week: str | None = None) -> bool:
    """The weekly scan of one customer: kept once per week; a high finding the customer was never told about
    is announced once. True when a notification was queued. Safe to run any number of times."""
    customer = Customer.objects.filter(pk=customer_id, is_active=True).first()
    if customer is None:
        return False
    week = week or iso_week()
    with transaction.atomic():
        if SelfCheckRun.objects.filter(customer=customer, trigger=SelfCheckRun.Trigger.WEEKLY, week=week).exists():
            return False
        try:
            with transaction.atomic():
                run = self_check_run(customer=customer, trigger=SelfCheckRun.Trigger.WEEKLY, week=week)
        except IntegrityError:
            return False  # another worker ran this week's scan at the same moment
        new_high = []
        for finding in run.findings:
            if finding["severity"] != "high":
                continue
            try:
                with transaction.atomic():
                    SelfCheckNotice.objects.create(customer=customer, finding_id=finding["id"])
            except IntegrityError:
                continue  # told before
            new_high.append(finding)
        if not new_high:
            return False
        with override(customer.language):
            titles = "; ".join(finding_title(f) for f in new_high)
        notification_queue(
            customer=customer, template="self_check_finding", params={"title": titles}, channels=["push", "sms"]
        )
    return True


def customers_for_weekly_scan(*, after_id: int = 0, limit: int = 1000) -> list[int]:
    return list(
        Customer.objects.filter(is_active=True, pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:limit]
    )

"""Changing an account's locks: tighten at once, loosen with proof.

Every change — an edit of the settings document, a freeze or its lifting, a preset, a travel window —
goes through `lock_change`. It compiles the old and the new policy of each account and asks
`locks.decision.loosening.loosened_fields` whether anything loosens; that one comparison decides whether a
one-time password is needed and whether the loosening delay applies. Endpoints never decide it.

A change to several accounts ("apply to all my accounts") is all or nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import BankAccount, Customer
from accounts.notifications.queue import notification_queue
from accounts.otp import otp_step_up_verify
from locks.decision.loosening import loosened_fields
from locks.decision.policy import stricter_limit
from locks.models import ContactConfirmation, LockSettings, PendingLoosening, TrustedContact
from locks.models import TravelWindow as TravelWindowRow
from locks.rules.documents import (
    LIMIT_KINDS,
    document_from_row,
    document_merge,
    document_validate_limits,
    row_apply_document,
)
from locks.rules.kinds import account_kind
from locks.rules.policies import live_travel_windows, lock_settings_for, policy_compile, policy_publish
from locks.trusted.services import confirmation_request, trusted_contact_verified
from securitycenter.errors import Conflict
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

_DOCUMENT_COLUMNS = (
    "region_mode",
    "regions",
    "time_windows",
    "limits",
    "channels_off",
    "freeze_card_not_present",
    "freeze_all_outgoing",
    "cooling_off_threshold",
    "elderly_protection",
)


@dataclass(frozen=True)
class TravelWindowSpec:
    regions: list[str]
    starts_at: datetime
    ends_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"regions": self.regions, "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TravelWindowSpec":
        return cls(
            regions=list(data["regions"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
        )


@dataclass(frozen=True)
class Proposal:
    """What a request asks for, the same for each account it names.

    `changes` are document sections (see `locks.rules.documents.LockChangesSerializer`); `travel_add` adds a
    travel window; `travel_cancel` cancels travel windows by id.
    """

    changes: dict[str, Any] = field(default_factory=dict)
    travel_add: TravelWindowSpec | None = None
    travel_cancel: tuple[int, ...] = ()
    event_type: EventType = EventType.LOCK_CHANGED
    # Presets such as elderly protection must never raise a limit the customer already set lower.
    limits_tighten_only: bool = False
    # Added to each account's security-log entry (e.g. the remote freeze and its reason code).
    log_details: dict[str, Any] = field(default_factory=dict)
    # False when the caller sends a notification of its own (one that names the 95588 agent, say).
    announce: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "travel_add": self.travel_add.as_json() if self.travel_add else None,
            "travel_cancel": list(self.travel_cancel),
            "event_type": str(self.event_type),
            "limits_tighten_only": self.limits_tighten_only,
            "log_details": self.log_details,
            "announce": self.announce,
        }

    def sections(self) -> set[str]:
        touched = set(self.changes)
        if self.travel_add is not None or self.travel_cancel:
            touched.add("travel_windows")
        return touched

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Proposal":
        travel = data.get("travel_add")
        return cls(
            changes=data.get("changes", {}),
            travel_add=TravelWindowSpec.from_json(travel) if travel else None,
            travel_cancel=tuple(data.get("travel_cancel", ())),
            event_type=EventType(data.get("event_type", EventType.LOCK_CHANGED)),
            limits_tighten_only=bool(data.get("limits_tighten_only", False)),
            log_details=dict(data.get("log_details", {})),
            announce=bool(data.get("announce", True)),
        )


@dataclass
class AccountChange:
    account: BankAccount
    row: LockSettings
    old_document: dict[str, Any]
    new_document: dict[str, Any]
    travel: list[TravelWindowRow]
    new_travel: list[TravelWindowRow]
    loosened: list[str]


@dataclass(frozen=True)
class LooseningApproval:
    """What stands in for the customer's one-time password when a loosening is not the customer's own act.

    Only `locks.agents.freezes` passes one, to lift a freeze the bank placed: `four_eyes` (an agent asked, a
    different supervisor approved), `expiry` (the freeze's own end), or `customer_otp` (the customer proved
    a code, checked before the transaction as every code is). Four eyes and expiry apply at once; the
    customer's own proof waits out the loosening delay as any customer loosening does.
    """

    kind: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def delayed(self) -> bool:
        return self.kind == "customer_otp"


@dataclass(frozen=True)
class ChangeOutcome:
    """Per account: applied at once (`version` is the new one) or waiting as `pending`."""

    account: BankAccount
    version: int
    loosened: list[str]
    applied: bool
    pending: PendingLoosening | None = None


def _plan(account: BankAccount, row: LockSettings, proposal: Proposal, now: datetime) -> AccountChange:
    old_document = document_from_row(row)
    new_document = document_merge(old_document, proposal.changes)
    if proposal.limits_tighten_only:
        new_document["limits"] = limitsstricter_limit(old_document["limits"], new_document["limits"])
    document_validate_limits(new_document, currency=account.currency, ceilings=account_kind(account).ceilings)

    travel = list(live_travel_windows(account.pk, now=now))
    new_travel = [t for t in travel if t.pk not in proposal.travel_cancel]
    if proposal.travel_add is not None:
        spec = proposal.travel_add
        new_travel.append(
            TravelWindowRow(account=account, regions=spec.regions, starts_at=spec.starts_at, ends_at=spec.ends_at)
        )

    new_row = LockSettings(account=account, version=row.version)
    row_apply_document(new_row, new_document)
    old_policy = policy_compile(row=row, travel_windows=travel)
    new_policy = policy_compile(row=new_row, travel_windows=new_travel)
    return AccountChange(
        account=account,
        row=row,
        old_document=old_document,
        new_document=new_document,
        travel=travel,
        new_travel=new_travel,
        loosened=loosened_fields(old_policy, new_policy),
    )


def limitsstricter_limit(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Each limit at the lower of the two (None is no limit); channel limits of either side are kept."""
    merged: dict[str, Any] = {**new, **{k: stricter_limit(old.get(k), new.get(k)) for k in LIMIT_KINDS}}
    channels = {**old.get("channels", {}), **new.get("channels", {})}
    merged["channels"] = {
        ch: {
            k: stricter_limit(old.get("channels", {}).get(ch, {}).get(k), new.get("channels", {}).get(ch, {}).get(k))
            for k in LIMIT_KINDS
        }
        for ch in channels
    }
    return merged


def _is_noop(plan: "AccountChange") -> bool:
    same_travel = len(plan.new_travel) == len(plan.travel) and all(t.pk is not None for t in plan.new_travel)
    return plan.new_document == plan.old_document and same_travel


def _conflict(row: LockSettings) -> Conflict:
    return Conflict(
        f"The locks of account {row.account.masked_number} changed since you read them (now version {row.version}).",
        code="version_conflict",
        extra={"account_id": row.account_id, "current": {"version": row.version, **document_from_row(row)}},
    )


def _summary(change: AccountChange) -> str:
    changed = sorted(k for k in change.new_document if change.new_document[k] != change.old_document[k])
    if len(change.new_travel) != len(change.travel) or any(t.pk is None for t in change.new_travel):
        changed.append("travel_windows")
    return ", ".join(changed) or "no change"


def proposal_tightens(*, account: BankAccount, proposal: Proposal) -> bool:
    """Whether applying `proposal` to the account now changes something and loosens nothing: lets a service
    offer or apply only tightenings, with the same comparison `lock_change` makes."""
    plan = _plan(account, lock_settings_for(account), proposal, timezone.now())
    return not _is_noop(plan) and not plan.loosened


def lock_change(
    *,
    customer: Customer,
    accounts: Sequence[BankAccount],
    proposal: Proposal,
    origin: Origin,
    otp: str | None = None,
    expected_versions: dict[int, int] | None = None,
    actor: Actor | None = None,
    approval: LooseningApproval | None = None,
) -> list[ChangeOutcome]:
    """Apply `proposal` to each of `accounts` (all or nothing), asking for an OTP only if it loosens.

    `expected_versions` maps account id → the version the caller read; a mismatch is a 409 with the
    current state. Tightenings take effect at once and need neither an OTP nor Redis.
    """
    actor = actor or Actor.customer(customer)
    now = timezone.now()
    accounts = sorted(accounts, key=lambda a: a.pk)  # one lock order everywhere: no deadlocks
    rows = {account.pk: lock_settings_for(account) for account in accounts}
    for account in accounts:
        expected = (expected_versions or {}).get(account.pk)
        if expected is not None and expected != rows[account.pk].version:
            raise _conflict(rows[account.pk])
    plans = [_plan(account, rows[account.pk], proposal, now) for account in accounts]

    loosens = any(plan.loosened for plan in plans if not _is_noop(plan))
    contact = None
    if loosens and approval is None:
        # Outside the transaction below: a wrong code must count against the customer even though this
        # request fails, and a right one is used up by this request alone.
        otp_step_up_verify(customer=customer, code=otp, origin=origin)
        # With a trusted contact, a loosening also waits for them (however short the loosening delay).
        contact = trusted_contact_verified(customer)

    with transaction.atomic():
        locked = {
            row.account_id: row
            for row in LockSettings.objects.select_for_update().filter(account__in=accounts).order_by("account_id")
        }
        for plan in plans:
            current = locked[plan.account.pk]
            if current.version != plan.row.version:
                current.account = plan.account
                raise _conflict(current)
        delay = settings.LOOSENING_DELAY if approval is None or approval.delayed else timedelta(0)
        if approval is not None:
            proposal = replace(
                proposal, log_details={**proposal.log_details, "approval": {"kind": approval.kind, **approval.details}}
            )
        waits = bool(delay) or contact is not None
        outcomes = [
            ChangeOutcome(account=plan.account, version=plan.row.version, loosened=[], applied=True)
            if _is_noop(plan)
            else _pend(plan, proposal, actor=actor, origin=origin, effective_at=now + delay, contact=contact)
            if plan.loosened and waits
            else _apply(plan, proposal, actor=actor, origin=origin, supersede=True)
            for plan in plans
        ]
        applied = [o.account.pk for o in outcomes if o.applied]
        if applied:
            transaction.on_commit(partial(policy_publish, account_ids=applied))
    return outcomes


def _apply(
    plan: AccountChange, proposal: Proposal, *, actor: Actor, origin: Origin, supersede: bool = False
) -> ChangeOutcome:
    if supersede:
        _supersede_pending(plan.account, proposal, actor=actor, origin=origin)
    row = plan.row
    row_apply_document(row, plan.new_document)
    row.version += 1
    # Not published_version: the publisher owns it and may have moved it since this row was read.
    row.save(update_fields=[*_DOCUMENT_COLUMNS, "version", "updated_at"])
    now = timezone.now()
    if proposal.travel_cancel:
        TravelWindowRow.objects.filter(
            account=plan.account, pk__in=proposal.travel_cancel, cancelled_at__isnull=True
        ).update(cancelled_at=now)
    for window in plan.new_travel:
        if window.pk is None:
            window.save()
    old_travel = [_travel_json(t) for t in plan.travel]
    new_travel = [_travel_json(t) for t in plan.new_travel]
    security_log_record(
        event_type=proposal.event_type,
        actor=actor,
        customer=plan.account.customer,
        origin=origin,
        details={
            **proposal.log_details,
            "account_id": plan.account.pk,
            "version": row.version,
            "loosened": plan.loosened,
        },
        old_value={**plan.old_document, "travel_windows": old_travel},
        new_value={**plan.new_document, "travel_windows": new_travel},
    )
    if not proposal.announce:
        return ChangeOutcome(account=plan.account, version=row.version, loosened=plan.loosened, applied=True)
    template = "loosening_applied" if plan.loosened else "lock_changed"
    notification_queue(
        customer=plan.account.customer,
        template=template,
        params={"account": plan.account.masked_number, "summary": _summary(plan)},
        channels=["push", "sms"] if plan.loosened else ["push"],
    )
    return ChangeOutcome(account=plan.account, version=row.version, loosened=plan.loosened, applied=True)


def _supersede_pending(account: BankAccount, proposal: Proposal, *, actor: Actor, origin: Origin) -> None:
    """A newer change to a section wins over a loosening of it still waiting out the delay; otherwise the
    delayed loosening would later undo, say, a freeze or a lowered limit the customer set meanwhile."""
    touched = proposal.sections()
    now = timezone.now()
    for pending in PendingLoosening.objects.select_for_update().filter(
        account=account, status=PendingLoosening.Status.PENDING
    ):
        if not touched & Proposal.from_json(pending.document).sections():
            continue
        pending.status = PendingLoosening.Status.SUPERSEDED
        pending.resolved_at = now
        pending.save(update_fields=["status", "resolved_at"])
        security_log_record(
            event_type=EventType.LOOSENING_CANCELLED,
            actor=actor,
            customer=account.customer,
            origin=origin,
            details={"account_id": account.pk, "pending_id": pending.pk, "why": "superseded by a newer change"},
        )


def _pend(
    plan: AccountChange,
    proposal: Proposal,
    *,
    actor: Actor,
    origin: Origin,
    effective_at: datetime,
    contact: TrustedContact | None = None,
) -> ChangeOutcome:
    pending = PendingLoosening.objects.create(
        account=plan.account,
        document=proposal.as_json(),
        summary=plan.loosened,
        effective_at=effective_at,
        awaiting_contact=contact is not None,
    )
    if contact is not None:
        confirmation_request(
            contact=contact,
            action=ContactConfirmation.Action.LOOSENING,
            summary=[f"{plan.account.masked_number}: {part}" for part in plan.loosened],
            pending_loosening=pending,
        )
    security_log_record(
        event_type=EventType.LOOSENING_REQUESTED,
        actor=actor,
        customer=plan.account.customer,
        origin=origin,
        details={"account_id": plan.account.pk, "pending_id": pending.pk, "effective_at": effective_at},
        old_value=plan.old_document,
        new_value=proposal.as_json(),
    )
    # A loosening is announced on a second channel: if somebody else holds the phone, the SMS still warns.
    notification_queue(
        customer=plan.account.customer,
        template="loosening_pending",
        params={
            "account": plan.account.masked_number,
            "summary": ", ".join(plan.loosened),
            "effective_at": effective_at.isoformat(timespec="minutes"),
        },
        channels=["push", "sms"],
    )
    return ChangeOutcome(
        account=plan.account, version=plan.row.version, loosened=plan.loosened, applied=False, pending=pending
    )


def _travel_json(window: TravelWindowRow) -> dict[str, Any]:
    return {
        "id": window.pk,
        "regions": list(window.regions),
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
    }


def pending_loosening_cancel(*, customer: Customer, pending_id: int, origin: Origin) -> PendingLoosening:
    """Cancel a waiting loosening (a tightening: no OTP)."""
    with transaction.atomic():
        pending = (
            PendingLoosening.objects.select_for_update()
            .select_related("account__customer")
            .get(pk=pending_id, account__customer=customer)
        )
        if pending.status != PendingLoosening.Status.PENDING:
            raise Conflict(f"This change is already {pending.status}.", code="not_pending")
        pending.status = PendingLoosening.Status.CANCELLED
        pending.resolved_at = timezone.now()
        pending.save(update_fields=["status", "resolved_at"])
        security_log_record(
            event_type=EventType.LOOSENING_CANCELLED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"account_id": pending.account_id, "pending_id": pending.pk},
        )
    return pending


def pending_loosening_apply(*, pending_id: int) -> bool:
    """Apply one due loosening; idempotent (False if it is not pending, not due, or gone).

    The stored proposal is applied on top of the account's locks as they are now, so a tightening the
    customer made meanwhile in another section is kept.
    """
    with transaction.atomic():
        pending = (
            PendingLoosening.objects.select_for_update(skip_locked=True)
            .select_related("account__customer")
            .filter(
                pk=pending_id,
                status=PendingLoosening.Status.PENDING,
                effective_at__lte=timezone.now(),
                awaiting_contact=False,
            )
            .first()
        )
        if pending is None:
            return False
        account = pending.account
        row = LockSettings.objects.select_for_update().get(account=account)
        row.account = account
        proposal = Proposal.from_json(pending.document)
        plan = _plan(account, row, proposal, timezone.now())
        _apply(plan, proposal, actor=Actor.system("loosening_delay"), origin=Origin())
        pending.status = PendingLoosening.Status.APPLIED
        pending.resolved_at = timezone.now()
        pending.save(update_fields=["status", "resolved_at"])
        security_log_record(
            event_type=EventType.LOOSENING_APPLIED,
            actor=Actor.system("loosening_delay"),
            customer=account.customer,
            details={"account_id": account.pk, "pending_id": pending.pk, "version": row.version},
        )
        transaction.on_commit(partial(policy_publish, account_ids=[account.pk]))
    return True


def pending_loosenings_due(*, limit: int = 500) -> list[int]:
    return list(
        PendingLoosening.objects.filter(
            status=PendingLoosening.Status.PENDING, effective_at__lte=timezone.now(), awaiting_contact=False
        ).values_list("pk", flat=True)[:limit]
    )

# ruff: noqa: RUF001 - Chinese text is punctuated with full-width marks, as Chinese readers expect.
"""Remote freezes: an agent freezes at once; lifting takes the customer's OTP, four eyes, or the expiry.

A freeze goes through the customer's own change path (`locks.rules.changes.lock_change`), with the agent as
actor: it is a tightening, so it applies at once, needs no OTP and no Redis, and the policy the hot path reads
is republished on commit. Lifting is a loosening. An agent can never lift alone: `freeze_lift_request` only
asks, and `freeze_lift_approve` by a different staff member holding approve_unfreeze lifts it. Lifting gives
back what this freeze switched on and nothing more: a switch the customer had set already, or that another
active freeze also holds, stays.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import BankAccount, Customer
from accounts.notifications.queue import notification_queue
from accounts.otp import otp_step_up_verify
from accounts.roles import staff_number, staff_require
from accounts.selectors import customer_accounts_pick
from locks.agents.sessions import service_session_live, session_log_details
from locks.decision.policy import CHANNELS
from locks.models import FreezeLiftRequest, LockSettings, RemoteFreeze
from locks.rules.changes import LooseningApproval, Proposal, lock_change
from securitycenter.errors import Conflict, NotFound, NotPermitted, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

FREEZE_FLAGS = {"all_outgoing": "freeze_all_outgoing", "card_not_present": "freeze_card_not_present"}
REASON_TEXT = {
    "lost_phone": ("手机丢失", "lost phone"),
    "lost_card": ("银行卡丢失", "lost card"),
    "suspected_fraud": ("疑似诈骗", "suspected fraud"),
    "scam_in_progress": ("正在被骗", "a scam in progress"),
    "customer_request": ("客户申请", "your request"),
    "fraud_confirmed": ("确认诈骗", "confirmed fraud"),
    "other": ("其他", "other"),
}


class FreezeNotActive(Conflict):
    default_code = "freeze_not_active"
    default_detail = "This freeze is no longer in place."


class OwnRequest(NotPermitted):
    default_code = "own_request"
    default_detail = "Four eyes: somebody else must decide on your own request."


def _actor_label(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}"


def _wanted(scope: str, channels: Iterable[str]) -> tuple[list[str], list[str]]:
    """(freeze switches, channels to switch off) the scope asks for."""
    if scope == RemoteFreeze.Scope.CHANNELS:
        return [], sorted(set(channels))
    return [scope], []


def _validated(scope: str, channels: list[str], reason_code: str, expires_at: datetime | None) -> None:
    if scope not in RemoteFreeze.Scope.values:
        raise field_error("scope", f"One of {', '.join(RemoteFreeze.Scope.values)}.", "invalid_choice")
    if scope == RemoteFreeze.Scope.CHANNELS:
        if not channels:
            raise field_error("channels", "Name the channels to switch off.", "required")
        unknown = sorted(set(channels) - set(CHANNELS))
        if unknown:
            raise field_error("channels", f"Unknown channel(s) {', '.join(unknown)}.", "invalid_choice")
    if reason_code not in RemoteFreeze.ReasonCode.values:
        raise field_error("reason_code", f"One of {', '.join(RemoteFreeze.ReasonCode.values)}.", "invalid_choice")
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error("expires_at", "Must be in the future.", "in_the_past")


def _what_is_new(row: LockSettings, freezes: list[str], channels_off: list[str]) -> dict[str, list[str]]:
    return {
        "freeze": [f for f in freezes if not getattr(row, FREEZE_FLAGS[f])],
        "channels_off": [c for c in channels_off if c not in row.channels_off],
    }


def remote_freeze_place(
    *,
    agent: Any,
    customer: Customer,
    scope: str,
    reason_code: str,
    origin: Origin,
    channels: list[str] | None = None,
    account_ids: list[int] | None = None,
    note: str = "",
    expires_at: datetime | None = None,
    session_id: int | None = None,
) -> RemoteFreeze:
    """Freeze `scope` (all outgoing, card-not-present, or the named channels) on the customer's accounts
    (`account_ids` None: all of them), at once. The customer is told which agent did it and what."""
    staff_require(agent, "accounts.freeze_features")
    channels = list(channels or [])
    _validated(scope, channels, reason_code, expires_at)
    session = service_session_live(agent=agent, session_id=session_id) if session_id is not None else None
    if session is not None and session.customer_id != customer.pk:
        raise NotFound("No such service session.", code="unknown_session")
    accounts = customer_accounts_pick(customer=customer, account_ids=account_ids)
    if not accounts:
        raise field_error("accounts", "The customer has no open account to freeze.", "no_accounts")
    freezes, channels_off = _wanted(scope, channels)
    changes: dict[str, Any] = {}
    if freezes:
        changes["freeze"] = dict.fromkeys(freezes, True)
    if channels_off:
        changes["channels"] = dict.fromkeys(channels_off, False)
    actor = Actor.agent(agent)
    with transaction.atomic():
        rows = {
            row.account_id: row
            for row in LockSettings.objects.select_for_update().filter(account__in=accounts).order_by("account_id")
        }
        applied = {
            str(a.pk): _what_is_new(rows[a.pk], freezes, channels_off)
            if a.pk in rows
            else {"freeze": freezes, "channels_off": channels_off}
            for a in accounts
        }
        freeze = RemoteFreeze.objects.create(
            customer=customer,
            session=session,
            placed_by=agent,
            scope=scope,
            channels=channels_off,
            account_ids=[a.pk for a in accounts],
            applied=applied,
            reason_code=reason_code,
            note=note,
            expires_at=expires_at,
            placed_at=timezone.now(),
        )
        log_details = {
            "remote_freeze_id": freeze.pk,
            "reason_code": reason_code,
            "note": note,
            "expires_at": expires_at,
            **(session_log_details(session) if session is not None else {}),
        }
        lock_change(
            customer=customer,
            accounts=accounts,
            proposal=Proposal(
                changes=changes, event_type=EventType.FREEZE_PLACED, log_details=log_details, announce=False
            ),
            origin=origin,
            actor=actor,
        )
        _announce_placed(freeze, agent, accounts)
    return freeze


def _scope_text(freeze: RemoteFreeze, language_index: int) -> str:
    if freeze.scope == RemoteFreeze.Scope.ALL_OUTGOING:
        return ("全部支出交易", "all outgoing payments")[language_index]
    if freeze.scope == RemoteFreeze.Scope.CARD_NOT_PRESENT:
        return ("无卡支付（网上及快捷支付）", "card-not-present (online and quick) payments")[language_index]
    return ", ".join(freeze.channels)


def _announce_placed(freeze: RemoteFreeze, agent: Any, accounts: list[BankAccount]) -> None:
    customer = freeze.customer
    zh = customer.language == "zh-Hans"
    index = 0 if zh else 1
    until = ""
    if freeze.expires_at is not None:
        until = (
            f"冻结将于{freeze.expires_at:%Y-%m-%d %H:%M} UTC自动解除。"
            if zh
            else f"It ends by itself at {freeze.expires_at:%Y-%m-%d %H:%M} UTC. "
        )
    notification_queue(
        customer=customer,
        template="agent_freeze_placed",
        params={
            "agent": staff_number(agent),
            "accounts": ", ".join(a.masked_number for a in accounts),
            "scope": _scope_text(freeze, index),
            "reason": REASON_TEXT[freeze.reason_code][index],
            "until": until,
        },
        channels=["push", "sms"],
    )


def _still_held(freeze: RemoteFreeze) -> dict[str, set[str]]:
    """Per account id, the switches other active freezes of the customer ask for (whether or not they were
    the ones that switched them on: a later freeze of the same thing must keep holding it)."""
    held: dict[str, set[str]] = {}
    for other in RemoteFreeze.objects.filter(customer_id=freeze.customer_id, status=RemoteFreeze.Status.ACTIVE).exclude(
        pk=freeze.pk
    ):
        freezes, channels_off = _wanted(other.scope, other.channels)
        for account_id in other.account_ids:
            marks = held.setdefault(str(account_id), set())
            marks.update(f"freeze:{f}" for f in freezes)
            marks.update(f"channel:{c}" for c in channels_off)
    return held


def _lift(
    *, freeze: RemoteFreeze, approval: LooseningApproval, actor: Actor, origin: Origin, status: str, why: str
) -> RemoteFreeze:
    """Give back what `freeze` switched on; inside the caller's transaction, with `freeze` locked."""
    held = _still_held(freeze)
    accounts = {a.pk: a for a in BankAccount.objects.select_related("customer").filter(pk__in=freeze.account_ids)}
    changes_by_account: dict[int, dict[str, Any]] = {}
    for account_id, applied in freeze.applied.items():
        marks = held.get(account_id, set())
        free = [f for f in applied.get("freeze", []) if f"freeze:{f}" not in marks]
        on = [c for c in applied.get("channels_off", []) if f"channel:{c}" not in marks]
        changes: dict[str, Any] = {}
        if free:
            changes["freeze"] = dict.fromkeys(free, False)
        if on:
            changes["channels"] = dict.fromkeys(on, True)
        if changes and int(account_id) in accounts:
            changes_by_account[int(account_id)] = changes
    # One lock change per distinct set of changes (usually one for every account).
    groups: dict[str, tuple[dict[str, Any], list[BankAccount]]] = {}
    for account_id, changes in changes_by_account.items():
        key = repr(sorted((k, sorted(v.items())) for k, v in changes.items()))
        groups.setdefault(key, (changes, []))[1].append(accounts[account_id])
    for changes, group in groups.values():
        lock_change(
            customer=freeze.customer,
            accounts=group,
            proposal=Proposal(
                changes=changes,
                event_type=EventType.FREEZE_LIFTED,
                log_details={"remote_freeze_id": freeze.pk, "why": why},
                announce=False,
            ),
            origin=origin,
            actor=actor,
            approval=approval,
        )
    freeze.status = status
    freeze.ended_at = timezone.now()
    freeze.ended_by = _actor_label(actor)
    freeze.end_reason = why
    freeze.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    # A request still waiting has nothing left to ask for.
    FreezeLiftRequest.objects.filter(freeze=freeze, status=FreezeLiftRequest.Status.PENDING).update(
        status=FreezeLiftRequest.Status.WITHDRAWN, decided_at=timezone.now(), decision_note="freeze ended"
    )
    if not changes_by_account:
        security_log_record(
            event_type=EventType.FREEZE_LIFTED,
            actor=actor,
            customer=freeze.customer,
            origin=origin,
            details={"remote_freeze_id": freeze.pk, "why": why, "released": "nothing: other freezes still hold it"},
        )
    language_index = 0 if freeze.customer.language == "zh-Hans" else 1
    how = {
        "four_eyes": ("经客服主管复核", "approved by a 95588 supervisor"),
        "expiry": ("到期自动解除", "it expired"),
        "customer_otp": ("您已验证身份", "you confirmed it with a one-time password"),
    }[approval.kind][language_index]
    notification_queue(
        customer=freeze.customer,
        template="agent_freeze_lifted",
        params={
            "accounts": ", ".join(a.masked_number for a in accounts.values()),
            "scope": _scope_text(freeze, language_index),
            "how": how,
        },
        channels=["push", "sms"],
    )
    return freeze


def _freeze_locked(freeze_id: int, customer: Customer | None = None) -> RemoteFreeze:
    freezes = RemoteFreeze.objects.select_for_update().select_related("customer")
    if customer is not None:
        freezes = freezes.filter(customer=customer)
    freeze = freezes.filter(pk=freeze_id).first()
    if freeze is None:
        raise NotFound("No such freeze.", code="unknown_freeze")
    return freeze


def remote_freeze_lift_by_customer(
    *, customer: Customer, freeze_id: int, otp: str | None, origin: Origin
) -> RemoteFreeze:
    """The customer lifts a freeze the bank placed, in the app, with a one-time password."""
    with transaction.atomic():
        if _freeze_locked(freeze_id, customer).status != RemoteFreeze.Status.ACTIVE:
            raise FreezeNotActive()
    # Outside any transaction, as every code check: a wrong code counts even though this request fails.
    otp_step_up_verify(customer=customer, code=otp, origin=origin)
    with transaction.atomic():
        freeze = _freeze_locked(freeze_id, customer)
        if freeze.status != RemoteFreeze.Status.ACTIVE:
            raise FreezeNotActive()
        return _lift(
            freeze=freeze,
            approval=LooseningApproval("customer_otp"),
            actor=Actor.customer(customer),
            origin=origin,
            status=RemoteFreeze.Status.LIFTED,
            why="lifted by the customer with a one-time password",
        )


def remote_freeze_expire(*, freeze_id: int) -> bool:
    """End one freeze whose expiry has come; idempotent (False if it is not active or not due)."""
    with transaction.atomic():
        freeze = (
            RemoteFreeze.objects.select_for_update(skip_locked=True)
            .select_related("customer")
            .filter(pk=freeze_id, status=RemoteFreeze.Status.ACTIVE, expires_at__lte=timezone.now())
            .first()
        )
        if freeze is None:
            return False
        _lift(
            freeze=freeze,
            approval=LooseningApproval("expiry", {"expires_at": freeze.expires_at}),
            actor=Actor.system("freeze_expiry"),
            origin=Origin(),
            status=RemoteFreeze.Status.EXPIRED,
            why="expired",
        )
    return True


def remote_freezes_due(*, limit: int = 500) -> list[int]:
    return list(
        RemoteFreeze.objects.filter(status=RemoteFreeze.Status.ACTIVE, expires_at__lte=timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- four eyes ------------------------------------------------------------------------------------------


def freeze_lift_request(
    *, agent: Any, session_id: int, freeze_id: int, reason: str, origin: Origin
) -> FreezeLiftRequest:
    """An agent asks, for a verified caller, for a remote freeze to be lifted. Nothing loosens yet."""
    staff_require(agent, "accounts.unfreeze_features")
    session = service_session_live(agent=agent, session_id=session_id)
    try:
        with transaction.atomic():
            freeze = _freeze_locked(freeze_id, session.customer)
            if freeze.status != RemoteFreeze.Status.ACTIVE:
                raise FreezeNotActive()
            request = FreezeLiftRequest.objects.create(
                freeze=freeze, session=session, requested_by=agent, reason=reason, requested_at=timezone.now()
            )
            security_log_record(
                event_type=EventType.FREEZE_LIFT_REQUESTED,
                actor=Actor.agent(agent),
                customer=freeze.customer,
                origin=origin,
                details={
                    "remote_freeze_id": freeze.pk,
                    "lift_request_id": request.pk,
                    "reason": reason,
                    **session_log_details(session),
                },
            )
    except IntegrityError:
        raise Conflict("A request to lift this freeze is already waiting.", code="lift_already_requested") from None
    return request


def _request_locked(request_id: int) -> FreezeLiftRequest:
    request = (
        FreezeLiftRequest.objects.select_for_update()
        .select_related("freeze__customer", "requested_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound("No such lift request.", code="unknown_lift_request")
    if request.status != FreezeLiftRequest.Status.PENDING:
        raise Conflict(f"This request is already {request.status}.", code="lift_request_decided")
    return request


def freeze_lift_approve(*, supervisor: Any, request_id: int, note: str, origin: Origin) -> FreezeLiftRequest:
    """A different staff member with approve_unfreeze approves: the freeze is lifted at once."""
    staff_require(supervisor, "accounts.approve_unfreeze")
    with transaction.atomic():
        request = _request_locked(request_id)
        if request.requested_by_id == supervisor.pk:
            raise OwnRequest()
        freeze = RemoteFreeze.objects.select_for_update().select_related("customer").get(pk=request.freeze_id)
        if freeze.status != RemoteFreeze.Status.ACTIVE:
            raise FreezeNotActive()
        request.status = FreezeLiftRequest.Status.APPROVED
        request.decided_by = supervisor
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        security_log_record(
            event_type=EventType.FREEZE_LIFT_APPROVED,
            actor=Actor.agent(supervisor),
            customer=freeze.customer,
            origin=origin,
            details={
                "remote_freeze_id": freeze.pk,
                "lift_request_id": request.pk,
                "requested_by": request.requested_by_id,
                "approved_by": supervisor.pk,
                "note": note,
            },
        )
        _lift(
            freeze=freeze,
            approval=LooseningApproval(
                "four_eyes", {"requested_by": request.requested_by_id, "approved_by": supervisor.pk}
            ),
            actor=Actor.agent(supervisor),
            origin=origin,
            status=RemoteFreeze.Status.LIFTED,
            why=f"four eyes: requested by staff {request.requested_by_id}, approved by staff {supervisor.pk}",
        )
    return request


def freeze_lift_reject(*, supervisor: Any, request_id: int, note: str, origin: Origin) -> FreezeLiftRequest:
    staff_require(supervisor, "accounts.approve_unfreeze")
    with transaction.atomic():
        request = _request_locked(request_id)
        if request.requested_by_id == supervisor.pk:
            raise OwnRequest()
        request.status = FreezeLiftRequest.Status.REJECTED
        request.decided_by = supervisor
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        security_log_record(
            event_type=EventType.FREEZE_LIFT_REJECTED,
            actor=Actor.agent(supervisor),
            customer=request.freeze.customer,
            origin=origin,
            details={"remote_freeze_id": request.freeze_id, "lift_request_id": request.pk, "note": note},
        )
    return request


def freeze_lift_requests_pending() -> Any:
    return (
        FreezeLiftRequest.objects.filter(status=FreezeLiftRequest.Status.PENDING)
        .select_related("freeze__customer", "requested_by")
        .order_by("requested_at", "pk")
    )

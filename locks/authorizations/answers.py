"""What the payment core gets back, described once: these structs render the answers and generate their
OpenAPI schema (`locks.authorizations.openapi`)."""

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

import msgspec

from locks.decision.engine import Outcome
from locks.decision.reasons import LESSONS, Reason, reason_message


class LocalizedText(msgspec.Struct, frozen=True, rename={"zh_hans": "zh-Hans"}):
    zh_hans: str
    en: str


class ReasonMessage(msgspec.Struct, frozen=True, omit_defaults=True):
    """One reason for the outcome, with what to tell the customer and, for a scam pattern, the id of the
    lesson (in the security center's lesson catalogue) that explains it."""

    code: Reason
    message: LocalizedText
    lesson: str | None = None


class HoldRef(msgspec.Struct, frozen=True):
    """The cooling-off hold of a held transfer: the payment core waits for its webhook, or reads it."""

    id: int
    release_at: Annotated[datetime, msgspec.Meta(tz=True, description="When the hold releases the payment")]


class AuthorizationDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded decision for one payment. Every member is always present (`hold` is null unless held)."""

    decision_id: int
    transaction_id: str
    decision: Outcome
    reasons: tuple[ReasonMessage, ...]
    policy_version: int
    degraded: bool
    hold: HoldRef | None

    @property
    def outcome(self) -> str:
        return self.decision

    def as_json(self) -> dict[str, Any]:
        """The answer as plain JSON types (for an answer inside another, such as a batch result)."""
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result


@lru_cache(maxsize=512)
def reason_messages(codes: tuple[str, ...]) -> tuple[ReasonMessage, ...]:
    """The rendered reasons of a decision; cached, since a few combinations make up nearly every answer."""
    messages = []
    for code in codes:
        reason = Reason(code)
        text = reason_message(reason)
        messages.append(ReasonMessage(reason, LocalizedText(text["zh-Hans"], text["en"]), LESSONS.get(reason)))
    return tuple(messages)


def decision_answer(
    *,
    decision_id: int,
    transaction_id: str,
    outcome: str,
    reasons: tuple[str, ...],
    policy_version: int,
    degraded: bool = False,
    hold_id: int | None = None,
    release_at: datetime | None = None,
) -> AuthorizationDecision:
    return AuthorizationDecision(
        decision_id=decision_id,
        transaction_id=transaction_id,
        decision=outcome,  # type: ignore[arg-type]  # an Outcome: stored and decided only as one
        reasons=reason_messages(reasons),
        policy_version=policy_version,
        degraded=degraded,
        hold=HoldRef(hold_id, release_at) if hold_id is not None and release_at is not None else None,
    )


class ReversalAnswer(msgspec.Struct, frozen=True):
    """What a reversal did. A declined payment was never counted, so it has nothing to be reversed from."""

    transaction_id: str
    reversed: bool
    amount_returned: int  # minor units; 0 when nothing was counted or it was already given back
    already_reversed: bool

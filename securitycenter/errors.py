"""Domain errors: what a service raises when it refuses on purpose. No HTTP, no DRF.

A service says *what kind* of refusal it is (invalid input, not permitted, not found, a conflict with the
current state, too many attempts, …) with a stable `code`, a `detail` for people, optionally the input
`field` it is about and `extra` members for the caller (`current` on a version conflict, `retry_after`
on a lock-out). The edge turns each kind into a problem document and an HTTP status, in one place:
`securitycenter.problems` (HackSoft's ApplicationError pattern, with the kinds spelled out).
"""

from collections.abc import Iterable
from typing import Any


class DomainError(Exception):
    default_code = "bad_request"
    default_detail = "The request cannot be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        self.field = field
        self.extra = dict(extra or {})
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """The request is wrong in itself: retrying it unchanged fails again."""

    default_code = "invalid"
    default_detail = "The request is invalid."


class ValidationFailed(InvalidInput):
    """Input rules a service checks (beyond the shape a serializer checks): one or more fields, each with a
    code and a message, reported exactly like a serializer's errors."""

    default_code = "validation_error"

    def __init__(self, errors: Iterable[tuple[str, str, str]]) -> None:
        self.errors = [{"field": field, "code": code, "message": message} for field, code, message in errors]
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in self.errors) or "Invalid input."
        super().__init__(detail)


def field_error(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A validation failure of one field."""
    return ValidationFailed([(field, code, message)])


class NotAuthenticated(DomainError):
    """The caller did not prove who they are; `challenge` names the credential that would."""

    default_code = "not_authenticated"
    default_detail = "Authentication is required."
    challenge = 'Bearer realm="securitycenter"'


class NotPermitted(DomainError):
    default_code = "permission_denied"
    default_detail = "You are not allowed to do this."


class NotFound(DomainError):
    """No such thing, or not the caller's: the two are indistinguishable on purpose."""

    default_code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    default_code = "conflict"
    default_detail = "The resource changed since you read it."


class Unprocessable(DomainError):
    """Well-formed, but it names something that cannot be acted on (an unknown or closed account)."""

    default_code = "unprocessable"
    default_detail = "The request cannot be processed."


class TooManyAttempts(DomainError):
    """Refused until later; `retry_after` (seconds) says when."""

    default_code = "locked_out"
    default_detail = "Too many failed attempts; try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        if retry_after is not None:
            self.extra["retry_after"] = retry_after

    @property
    def retry_after(self) -> int | None:
        value = self.extra.get("retry_after")
        return int(value) if value is not None else None


class Unavailable(DomainError):
    """A dependency is down and this act cannot be done safely without it."""

    default_code = "unavailable"
    default_detail = "A dependency is unavailable; try again later."

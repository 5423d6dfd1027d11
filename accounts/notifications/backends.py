"""How a notification leaves: the backend protocol, its errors, and the two development backends.

`ConsoleBackend` prints each message (one-time codes included) to the console, as Django's console email
backend does, so a developer can sign up without reading the database; `RecordingBackend` keeps them in
SentMessage (the tests' outbox). Neither delivers anything: with DEBUG off the settings refuse both.
"""

import logging
import sys
from dataclasses import dataclass
from typing import Protocol, TextIO

from accounts.models import SentMessage

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A backend could not deliver. The message goes to `last_error`: it must never contain the body."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: a timeout, a gateway's 5xx, a rate limit."""


class PermanentDeliveryError(DeliveryError):
    """Will fail again however often it is tried: no recipient, a number the gateway rejects."""


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: int
    channel: str
    template: str
    recipient: str
    subject: str
    body: str


class NotificationBackend(Protocol):
    def send(self, message: OutboundMessage) -> None:
        """Deliver `message`, or raise TransientDeliveryError / PermanentDeliveryError."""


def recipient_masked(recipient: str) -> str:
    """Enough of a phone number or address to tell messages apart in a log, not enough to contact anyone."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) > 8:
        return f"{recipient[:5]}****{recipient[-4:]}"
    return "****"


class ConsoleBackend:
    """Development only: writes each message, body and all, to stdout."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: OutboundMessage) -> None:
        self.stream.write(
            f"--- {message.channel} to {message.recipient} ({message.template}, notification "
            f"{message.notification_id})\n{message.subject + chr(10) if message.subject else ''}{message.body}\n---\n"
        )
        self.stream.flush()


class RecordingBackend:
    """Sends nothing: writes what it would have sent to SentMessage, the demo's outbox."""

    def send(self, message: OutboundMessage) -> None:
        SentMessage.objects.create(
            notification_id=message.notification_id,
            channel=message.channel,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
        )
        # Never the subject or body: an SMS body may be a one-time code.
        logger.info(
            "recorded %s notification %s (%s) for %s",
            message.channel,
            message.notification_id,
            message.template,
            recipient_masked(message.recipient),
        )

"""A stand-in for the bank's SMS gateway client: what production settings are configured with in tests."""

from accounts.notifications.backends import OutboundMessage, TransientDeliveryError


class GatewayBackend:
    def send(self, message: OutboundMessage) -> None:
        raise TransientDeliveryError("no SMS gateway in tests")

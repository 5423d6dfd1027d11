from locks.models.authorizations import Authorization, PayeeRiskEntry
from locks.models.holds import Hold, WebhookAttempt, WebhookDelivery
from locks.models.locks import LockSettings, PendingLoosening, TravelWindow
from locks.models.security_log import SecurityEvent, SecurityLogHead

__all__ = [
    "Authorization",
    "Hold",
    "LockSettings",
    "PayeeRiskEntry",
    "PendingLoosening",
    "SecurityEvent",
    "SecurityLogHead",
    "TravelWindow",
    "WebhookAttempt",
    "WebhookDelivery",
]

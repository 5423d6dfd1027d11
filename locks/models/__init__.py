"""The locks app's models, one module per concept: the floor every room of locks stands on (it imports none of them)."""

from locks.models.agents import BankCall, FreezeLiftRequest, RemoteFreeze, ServiceSession
from locks.models.authorizations import Authorization
from locks.models.callbacks import CaseWork
from locks.models.cases import Case
from locks.models.holds import Hold, WebhookAttempt, WebhookDelivery
from locks.models.lock_settings import LockSettings, PendingLoosening, TravelWindow
from locks.models.notme import NotMeReport
from locks.models.risklist import PayeeRiskEntry, RiskEntryProposal
from locks.models.selfcheck import SelfCheckNotice, SelfCheckRun
from locks.models.trusted import ContactConfirmation, TrustedContact

__all__ = [
    "Authorization",
    "BankCall",
    "Case",
    "CaseWork",
    "ContactConfirmation",
    "FreezeLiftRequest",
    "Hold",
    "LockSettings",
    "NotMeReport",
    "PayeeRiskEntry",
    "PendingLoosening",
    "RemoteFreeze",
    "RiskEntryProposal",
    "SelfCheckNotice",
    "SelfCheckRun",
    "ServiceSession",
    "TravelWindow",
    "TrustedContact",
    "WebhookAttempt",
    "WebhookDelivery",
]

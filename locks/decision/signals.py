"""What the customer's phone says about the moment of a payment, and the rules the engine applies to it.

Most losses are customers talked into paying while the fraudster is on the phone or watching their screen
(seed 001: "refunding" a tax at an ATM, phone in hand; seed 002: screen sharing in a "video meeting" app).
The bank's app reports these signals with the payment; the payment core passes them on in
`device_signals`. They are optional: a payment without them is decided exactly as before, and nothing of
this module runs for it.

Pure data, no Django: the service builds `SignalRules` from settings (`DEVICE_SIGNAL_RULES`).
"""

from typing import Annotated, Final

import msgspec


class DeviceSignals(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True, omit_defaults=True):
    """The app's view of the phone while the customer pays. Every member is optional."""

    # A phone call is in progress, and whether its number is in the phone's contacts (null: unknown).
    on_call: bool = False
    caller_in_contacts: bool | None = None
    # Screen sharing or screen recording is running: somebody else may be watching or steering.
    screen_sharing: bool = False
    # A remote-control or remote-assistance app is running (AnyDesk-like apps, accessibility abuse).
    remote_control: bool = False
    # The app's integrity check (attestation) failed: a tampered app or a rooted, hooked phone.
    integrity_failed: bool = False
    # Hours since the bank first saw this device for the customer (0 = within the last hour).
    device_first_seen_hours: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class SignalRules(msgspec.Struct, frozen=True, gc=False):
    """What the engine does with the signals; from settings.DEVICE_SIGNAL_RULES (docs in settings.py)."""

    # Screen sharing / remote control during a transfer or card-not-present payment declines it.
    screen_sharing_declines: bool = True
    remote_control_declines: bool = True
    # A failed integrity check declines a transfer or card-not-present payment (off: only recorded).
    integrity_failed_declines: bool = False
    # A transfer to a new payee during a call from a number not in the contacts is held for a call-back
    # at or above this amount (minor units; None: the rule is off).
    unknown_caller_hold_floor: int | None = 0
    # A transfer to a new payee from a device first seen less than `new_device_hours` ago is held at or
    # above `new_device_hold_floor` (None: the rule is off).
    new_device_hours: int = 24
    new_device_hold_floor: int | None = 100_000


DEFAULT_SIGNAL_RULES: Final = SignalRules()

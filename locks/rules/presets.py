"""Presets that set several locks at once. Each builds a `Proposal`; `lock_change` decides whether it
tightens (applied at once) or loosens (needs an OTP), exactly as for a hand-made change."""

from datetime import datetime
from enum import StrEnum

from django.conf import settings

from locks.decision.policy import CHANNELS
from locks.rules.changes import Proposal, TravelWindowSpec
from securitycenter.securitylog.models import EventType


class Preset(StrEnum):
    NIGHT_PROTECTION = "night_protection"
    TRAVEL_MODE = "travel_mode"
    ELDERLY_PROTECTION = "elderly_protection"
    STUDENT_ABROAD = "student_abroad"


# 夜间保护: no payments between 00:00 and 06:00 local time, every day.
NIGHT_PROTECTION_WINDOWS = [{"days": list(range(7)), "start": "06:00", "end": "24:00"}]

# 老年人保护: small limits, no card-not-present or quick pay, nothing abroad, an earlier cooling-off.
ELDERLY_LIMITS = {"per_transaction": 200_000, "daily": 500_000, "monthly": 2_000_000}
ELDERLY_COOLING_OFF = 1_000_000


def preset_proposal(
    preset: Preset,
    *,
    country: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    regions: list[str] | None = None,
) -> Proposal:
    if preset is Preset.NIGHT_PROTECTION:
        return Proposal(changes={"time": {"windows": NIGHT_PROTECTION_WINDOWS}})
    if preset is Preset.ELDERLY_PROTECTION:
        return Proposal(
            limits_tighten_only=True,
            changes={
                "limits": dict(ELDERLY_LIMITS),
                "channels": {"card_not_present": False, "quick_pay": False, "cross_border": False},
                "cooling_off": {"threshold": ELDERLY_COOLING_OFF},
                "protection": {"elderly": True},
            },
        )
    if preset is Preset.TRAVEL_MODE:
        assert regions and starts_at and ends_at, "validated by the caller"
        return Proposal(
            travel_add=TravelWindowSpec(regions=regions, starts_at=starts_at, ends_at=ends_at),
            event_type=EventType.TRAVEL_WINDOW_ADDED,
        )
    assert country, "validated by the caller"
    # 留学: the card works at home and in the country of study, including online and cross-border.
    return Proposal(
        changes={
            "region": {"mode": "allow", "regions": sorted({settings.HOME_COUNTRY, country})},
            "channels": {name: True for name in ("cross_border", "card_not_present") if name in CHANNELS},
        }
    )

"""The lock-settings document: its shape, its validation, and conversion from and to the database row.

The same document is what the app reads (`GET …/locks`), what it sends back partially (`PATCH`), what a
pending loosening stores and what the security log records as old and new values.
"""

import re
from itertools import pairwise
from typing import Any

import pycountry
from django.conf import settings
from rest_framework import serializers

from locks.models import LockSettings
from locks.policy import CHANNELS

LIMIT_KINDS = ("per_transaction", "daily", "monthly")
SECTIONS = ("region", "time", "limits", "channels", "freeze", "cooling_off")
# Whatever the currency: an account in a currency without bank maximums must still not store an amount
# the compiled policy cannot encode (msgpack stops at 2**64).
MAX_AMOUNT = 10**15
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently ignored: a typo must not look like a saved lock."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer and nothing that merely converts to one (no "100", 100.0 or true)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


def region_code_validate(code: str) -> str:
    code = code.strip().upper()
    if "-" in code:
        if pycountry.subdivisions.get(code=code) is None:
            raise serializers.ValidationError(f"{code!r} is not an ISO 3166-2 subdivision.", code="unknown_region")
    elif len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise serializers.ValidationError(f"{code!r} is not an ISO 3166-1 alpha-2 country.", code="unknown_region")
    return code


class RegionCodeField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=6, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return region_code_validate(super().to_internal_value(data))


class RegionSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=LockSettings.RegionMode.choices)
    regions = serializers.ListField(child=RegionCodeField(), max_length=300, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        regions = sorted(set(attrs.get("regions", [])))
        if attrs["mode"] == LockSettings.RegionMode.ANY and regions:
            raise serializers.ValidationError({"regions": ["Must be empty when mode is 'any'."]}, code="invalid")
        if attrs["mode"] != LockSettings.RegionMode.ANY and not regions:
            raise serializers.ValidationError({"regions": ["Name at least one region."]}, code="required")
        return {"mode": attrs["mode"], "regions": regions}


def minute_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class TimeWindowSerializer(StrictSerializer):
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 = Monday … 6 = Sunday, in the customer's time zone",
    )
    start = serializers.RegexField(_HHMM, help_text="HH:MM local time")
    end = serializers.RegexField(_HHMM, help_text="HH:MM local time; earlier than start = crosses midnight")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(set(attrs["days"])) != len(attrs["days"]):
            raise serializers.ValidationError({"days": ["Each day may appear once."]})
        start, end = minute_of_day(attrs["start"]), minute_of_day(attrs["end"])
        if start == 1440:
            raise serializers.ValidationError({"start": ["A window cannot start at 24:00."]}, code="invalid")
        if start == end:
            raise serializers.ValidationError({"end": ["A window must not be empty."]}, code="empty_window")
        return {"days": sorted(attrs["days"]), "start": attrs["start"], "end": attrs["end"]}


class TimeSerializer(StrictSerializer):
    windows = serializers.ListField(
        child=TimeWindowSerializer(), max_length=28, help_text="Allowed windows; an empty list allows any time"
    )


class LimitSetSerializer(StrictSerializer):
    per_transaction = StrictIntegerField(
        min_value=0, max_value=MAX_AMOUNT, allow_null=True, required=False, default=None
    )
    daily = StrictIntegerField(min_value=0, max_value=MAX_AMOUNT, allow_null=True, required=False, default=None)
    monthly = StrictIntegerField(min_value=0, max_value=MAX_AMOUNT, allow_null=True, required=False, default=None)


class LimitsSerializer(LimitSetSerializer):
    currency = serializers.CharField(max_length=3, required=False)
    channels = serializers.DictField(child=LimitSetSerializer(), required=False, default=dict)

    def validate_channels(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(CHANNELS))
        if unknown:
            raise serializers.ValidationError(f"Unknown channel(s): {', '.join(unknown)}.", code="unknown_channel")
        return value


class ChannelsSerializer(StrictSerializer):
    """Channel switches (交易权限管理): true = on."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: serializers.BooleanField(required=False) for name in CHANNELS}


class FreezeSerializer(StrictSerializer):
    card_not_present = serializers.BooleanField(required=False)
    all_outgoing = serializers.BooleanField(required=False)


class CoolingOffSerializer(StrictSerializer):
    threshold = StrictIntegerField(
        min_value=1, max_value=MAX_AMOUNT, allow_null=True, help_text="Transfers at or above it are held"
    )


class LockChangesSerializer(StrictSerializer):
    """A partial document: the sections present replace the account's; the others stay as they are."""

    region = RegionSerializer(required=False)
    time = TimeSerializer(required=False)
    limits = LimitsSerializer(required=False)
    channels = ChannelsSerializer(required=False)
    freeze = FreezeSerializer(required=False)
    cooling_off = CoolingOffSerializer(required=False)


def document_from_row(row: LockSettings) -> dict[str, Any]:
    limits = row.limits or {}
    return {
        "region": {"mode": row.region_mode, "regions": list(row.regions)},
        "time": {"windows": list(row.time_windows)},
        "limits": {
            "currency": row.account.currency,
            **{k: limits.get(k) for k in LIMIT_KINDS},
            "channels": dict(limits.get("channels", {})),
        },
        "channels": {name: name not in row.channels_off for name in CHANNELS},
        "freeze": {"card_not_present": row.freeze_card_not_present, "all_outgoing": row.freeze_all_outgoing},
        "cooling_off": {"threshold": row.cooling_off_threshold},
    }


def document_merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`current` with the sections in `changes` replaced (channels and freeze merge switch by switch)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    for section, value in changes.items():
        if section in ("channels", "freeze"):
            merged[section] = {**merged[section], **value}
        elif section == "limits":
            merged["limits"] = {
                # Kept as given, so that document_validate_limits can refuse limits in another currency.
                "currency": value.get("currency") or merged["limits"]["currency"],
                **{k: value.get(k) for k in LIMIT_KINDS},
                "channels": {ch: dict(v) for ch, v in value.get("channels", {}).items()},
            }
        else:
            merged[section] = value
    return merged


def document_validate_limits(document: dict[str, Any], *, currency: str) -> None:
    """Cross-field rules: the account's currency, per-transaction ≤ daily ≤ monthly, the bank's ceilings."""
    limits = document["limits"]
    given_currency = limits.get("currency") or currency
    if given_currency != currency:
        raise serializers.ValidationError(
            {"limits": {"currency": [f"This account is in {currency}; limits must be in {currency}."]}},
            code="currency_mismatch",
        )
    ceilings = settings.BANK_MAX_LIMITS.get(currency)
    sets: list[tuple[str, dict[str, Any]]] = [("limits", limits)]
    sets += [(f"limits.channels.{ch}", v) for ch, v in limits.get("channels", {}).items()]
    for prefix, limit_set in sets:
        for kind in LIMIT_KINDS:
            value = limit_set.get(kind)
            if value is not None and ceilings and value > ceilings[kind]:
                raise _limit_error(prefix, kind, f"At most {ceilings[kind]} (the bank's maximum).", "above_bank_max")
        ordered = [(k, limit_set.get(k)) for k in LIMIT_KINDS if limit_set.get(k) is not None]
        for (lower_kind, lower), (higher_kind, higher) in pairwise(ordered):
            if lower is not None and higher is not None and lower > higher:
                raise _limit_error(
                    prefix, lower_kind, f"Must not exceed the {higher_kind.replace('_', '-')} limit.", "limit_order"
                )


def _limit_error(prefix: str, kind: str, message: str, code: str) -> serializers.ValidationError:
    # Field names in the error body are dotted paths, e.g. "limits.channels.atm.daily".
    return serializers.ValidationError({f"{prefix}.{kind}": [serializers.ErrorDetail(message, code=code)]})


def row_apply_document(row: LockSettings, document: dict[str, Any]) -> None:
    row.region_mode = document["region"]["mode"]
    row.regions = list(document["region"]["regions"])
    row.time_windows = list(document["time"]["windows"])
    limits = document["limits"]
    row.limits = {
        **{k: limits.get(k) for k in LIMIT_KINDS},
        "channels": {
            ch: {k: v.get(k) for k in LIMIT_KINDS}
            for ch, v in limits.get("channels", {}).items()
            if any(v.get(k) is not None for k in LIMIT_KINDS)
        },
    }
    row.channels_off = sorted(name for name, on in document["channels"].items() if not on)
    row.freeze_card_not_present = bool(document["freeze"]["card_not_present"])
    row.freeze_all_outgoing = bool(document["freeze"]["all_outgoing"])
    row.cooling_off_threshold = document["cooling_off"]["threshold"]

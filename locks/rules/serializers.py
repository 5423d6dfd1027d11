"""The serializers of the lock-settings document: the shape of what the app sends.

Cross-field rules (currency, limit order, the bank's ceilings) are checked by `locks.rules.documents`
on every change path, not here.
"""

from typing import Any

from rest_framework import serializers

from locks.decision.policy import CHANNELS
from locks.models import LockSettings
from locks.rules.documents import HHMM, MAX_AMOUNT, minute_of_day, region_code_normalize
from securitycenter.serializers import StrictIntegerField, StrictSerializer


class RegionCodeField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=6, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        try:
            return region_code_normalize(super().to_internal_value(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="unknown_region") from None


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


class TimeWindowSerializer(StrictSerializer):
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 = Monday … 6 = Sunday, in the customer's time zone",
    )
    start = serializers.RegexField(HHMM, help_text="HH:MM local time")
    end = serializers.RegexField(HHMM, help_text="HH:MM local time; earlier than start = crosses midnight")

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


class ProtectionSerializer(StrictSerializer):
    elderly = serializers.BooleanField(
        help_text="Elderly protection: a large transfer to a new payee waits for the bank to call you back"
    )


class LockChangesSerializer(StrictSerializer):
    """A partial document: the sections present replace the account's; the others stay as they are."""

    region = RegionSerializer(required=False)
    time = TimeSerializer(required=False)
    limits = LimitsSerializer(required=False)
    channels = ChannelsSerializer(required=False)
    freeze = FreezeSerializer(required=False)
    cooling_off = CoolingOffSerializer(required=False)
    protection = ProtectionSerializer(required=False)


# --- The read: what `GET …/locks` answers, field by field -----------------------------------------------


class RegionReadSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=LockSettings.RegionMode.choices)
    regions = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 or 3166-2 codes")


class TimeWindowReadSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday … 6 = Sunday")
    start = serializers.CharField(help_text="HH:MM local time")
    end = serializers.CharField(help_text="HH:MM local time; earlier than start = crosses midnight")


class TimeReadSerializer(serializers.Serializer):
    windows = TimeWindowReadSerializer(many=True, help_text="Allowed windows; an empty list allows any time")


class LimitSetReadSerializer(serializers.Serializer):
    per_transaction = serializers.IntegerField(allow_null=True, help_text="Minor units; null: no limit of yours")
    daily = serializers.IntegerField(allow_null=True)
    monthly = serializers.IntegerField(allow_null=True)


class LimitsReadSerializer(LimitSetReadSerializer):
    currency = serializers.CharField()
    channels = serializers.DictField(child=LimitSetReadSerializer(), help_text="Limits of one channel, by channel")


class ChannelsReadSerializer(serializers.Serializer):
    """Channel switches (交易权限管理): true = on; every channel is present."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: serializers.BooleanField() for name in CHANNELS}


class FreezeReadSerializer(serializers.Serializer):
    card_not_present = serializers.BooleanField()
    all_outgoing = serializers.BooleanField()


class CoolingOffReadSerializer(serializers.Serializer):
    threshold = serializers.IntegerField(allow_null=True, help_text="Transfers at or above it are held")


class ProtectionReadSerializer(serializers.Serializer):
    elderly = serializers.BooleanField(help_text="The elderly-protection switch (the customer's age may also apply)")


class LockSettingsDocumentSerializer(serializers.Serializer):
    """The lock-settings document (`locks.rules.documents`): the sections a PATCH replaces."""

    region = RegionReadSerializer()
    time = TimeReadSerializer()
    limits = LimitsReadSerializer()
    channels = ChannelsReadSerializer()
    freeze = FreezeReadSerializer()
    cooling_off = CoolingOffReadSerializer()
    protection = ProtectionReadSerializer()


class TravelWindowReadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    active = serializers.BooleanField()


class PendingLooseningReadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    changes = serializers.DictField(help_text="The full settings document that applies at effective_at")
    loosens = serializers.ListField(child=serializers.CharField(), help_text="What loosens")
    effective_at = serializers.DateTimeField()


class EffectiveLimitsSerializer(LimitSetReadSerializer):
    """The limits in force: the customer's, capped by the bank's maximums."""

    currency = serializers.CharField()
    bank_maximums = LimitSetReadSerializer(allow_null=True, help_text="The bank's ceilings in this currency")

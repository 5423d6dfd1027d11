"""Serializer building blocks shared by every DRF view: strict about what they accept."""

from typing import Any

from rest_framework import serializers


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


class StrictCharField(serializers.CharField):
    """A string and nothing that merely converts to one (DRF's CharField takes 0 as "0")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


def invalid_field(field: str, message: str, code: str = "invalid") -> serializers.ValidationError:
    """A serializer's validation error on one field (inside `validate()`, where DRF collects them)."""
    return serializers.ValidationError({field: [serializers.ErrorDetail(message, code=code)]})

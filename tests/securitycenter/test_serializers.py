"""The strict building blocks refuse what DRF would quietly convert (found by the schemathesis suite: a
fake-call report with `"note": 0` was accepted as the note "0")."""

import pytest

from securitycenter.serializers import StrictCharField, StrictSerializer


class NoteSerializer(StrictSerializer):
    note = StrictCharField(max_length=10, required=False, allow_blank=True, default="")


@pytest.mark.parametrize("value", [0, 1.5, True, ["x"], {"x": 1}])
def test_a_strict_char_field_takes_only_strings(value):
    serializer = NoteSerializer(data={"note": value})
    assert not serializer.is_valid()
    assert serializer.errors["note"][0].code == "invalid"


def test_a_strict_char_field_keeps_the_char_field_rules():
    assert NoteSerializer(data={"note": "call me"}).is_valid()
    assert NoteSerializer(data={}).is_valid()
    assert not NoteSerializer(data={"note": "x" * 11}).is_valid()

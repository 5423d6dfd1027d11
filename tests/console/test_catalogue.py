"""The console's own zh-Hans catalogue (console/locale/): complete, placeholders kept, served; and the choice
lists the console shows name exactly the values the services accept."""

import re
from pathlib import Path

import polib  # type: ignore[import-untyped, unused-ignore]
from django.utils import translation

from console import labels
from locks.models import RemoteFreeze, ServiceSession

CATALOGUE = Path(__file__).resolve().parents[2] / "console" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_console_message_has_a_chinese_translation_with_its_placeholders():
    catalogue = polib.pofile(str(CATALOGUE))
    for entry in catalogue:
        if entry.obsolete:
            continue
        assert entry.translated(), entry.msgid
        assert "fuzzy" not in entry.flags, entry.msgid
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(text)), entry.msgid


def test_the_compiled_console_catalogue_is_served():
    with translation.override("zh-hans"):
        assert translation.gettext("Call-back queue") == "回访队列"
    with translation.override("en"):
        assert translation.gettext("Call-back queue") == "Call-back queue"


def test_the_choices_shown_are_the_values_the_services_accept():
    assert {v for v, _ in labels.VERIFICATION_METHODS} == set(ServiceSession.Verification.values)
    assert {v for v, _ in labels.FREEZE_SCOPES} == set(RemoteFreeze.Scope.values)
    assert {v for v, _ in labels.FREEZE_REASONS} == set(RemoteFreeze.ReasonCode.values)
    assert set(labels.FREEZE_STATUSES) == set(RemoteFreeze.Status.values)

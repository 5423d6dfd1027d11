"""The gettext catalogues: every message the code marks has a zh-Hans translation, and the compiled
catalogue is what Django serves."""

from pathlib import Path

import polib  # type: ignore[import-untyped]
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    assert untranslated == []
    assert not [e.msgid for e in catalogue.fuzzy_entries()]


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(CATALOGUE)):
        for name in ("%(amount)s", "%(account)s", "%(count)s", "%(name)s", "%(regions)s", "%(device)s"):
            assert (name in entry.msgid) == (name in entry.msgstr), entry.msgid


def test_the_compiled_catalogue_is_served():
    with translation.override("zh-hans"):
        assert translation.gettext("Lost phone") == "手机丢失"
        # DRF's own messages come along.
        assert translation.gettext("This field is required.") == "该字段是必填项。"
    with translation.override("en"):
        assert translation.gettext("Lost phone") == "Lost phone"

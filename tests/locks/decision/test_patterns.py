import re

import pytest

from accounts.signin import PHONE_E164
from locks.decision.patterns import whole
from locks.rules.documents import HHMM
from securitycenter.account_numbers import account_number_normalize, account_number_valid


@pytest.mark.parametrize("text", ["AB\n", "AB\n\n", "\nAB", "ABC", "A"])
def test_whole_matches_only_the_whole_string(text):
    assert re.search(whole("[A-Z]{2}"), text) is None


def test_whole_still_matches_a_right_value():
    assert re.search(whole("[A-Z]{2}|[0-9]{3}"), "123")
    assert re.search(whole("[A-Z]{2}|[0-9]{3}"), "AB")


@pytest.mark.parametrize("text", ["12:00\n", "24:00\n", "1\u0662:00"])
def test_a_time_of_day_ends_at_the_end(text):
    assert HHMM.search(text) is None


@pytest.mark.parametrize("text", ["+8613800000000\n", "+86138\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660"])
def test_a_phone_number_is_ascii_digits_to_the_end(text):
    assert PHONE_E164.fullmatch(text) is None


def test_account_numbers_have_one_normal_form():
    assert account_number_normalize(" 6222-0200 0000 9999\n") == "6222020000009999"
    assert account_number_normalize("gb82 west 1234") == "GB82WEST1234"
    assert account_number_valid("6222020000009999")
    assert not account_number_valid("6222020000009999\n")
    assert not account_number_valid("622202")

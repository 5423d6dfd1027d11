"""Account and card numbers: one normal form, and the keyed hashes that find them.

A number is only ever looked up by a keyed hash (`securitycenter.crypto.blind_index`), so two spellings of
one number must hash alike or a listed payee slips through as "unknown". Every caller that hashes a number
goes through here: the hot path (the paying account and the counterparty), the risk-list load, the
customer's payee check, and whoever creates an account.
"""

import re
from typing import Final

from securitycenter import crypto

# 8 to 34 digits or capital letters (a card number, a domestic account, an IBAN), nothing else.
ACCOUNT_NUMBER: Final = re.compile(r"[0-9A-Z]{8,34}")
_SEPARATORS: Final = re.compile(r"[\s-]")


def account_number_normalize(number: str) -> str:
    """The number as stored and hashed: spaces, newlines and dashes dropped, letters upper-cased."""
    return _SEPARATORS.sub("", number).upper()


def account_number_valid(number: str) -> bool:
    """Whether `number` (normalised) is an account or card number at all."""
    return ACCOUNT_NUMBER.fullmatch(number) is not None


def account_number_index(number: str) -> str:
    """The keyed hash a bank account is found by (`BankAccount.number_index`)."""
    return crypto.blind_index(account_number_normalize(number), purpose="account_number")


def payee_index(number: str) -> str:
    """The keyed hash of a counterparty, as on the payee risk list."""
    return crypto.blind_index(account_number_normalize(number), purpose="payee")

"""Field encryption at rest and keyed blind indexes.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). Several keys may be configured: the
first encrypts, every key decrypts, so a key can be rotated by adding a new one in front and running
`manage.py rotate_encryption_keys`. A blind index is a keyed hash that lets us find a row by its exact
plaintext (an account number) without storing or decrypting that plaintext.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A ciphertext could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key.") from exc


def _cipher() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    try:
        return _cipher().decrypt(ciphertext.encode("ascii")).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def reencrypt(ciphertext: str) -> str:
    """Return the value encrypted under the first (current) key."""
    try:
        return _cipher().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def encrypted_with_current_key(ciphertext: str) -> bool:
    current = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
    try:
        current.decrypt(ciphertext.encode("ascii"))
    except InvalidToken:
        return False
    return True


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of a normalised value. `purpose` separates the index spaces of different fields."""
    key = hmac.new(settings.BLIND_INDEX_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """Hash of a high-entropy bearer secret (token, API key). Fast on purpose: it is on every request."""
    return hashlib.sha256(token.encode()).hexdigest()

"""Password hashing with argon2id; clear passwords are never stored."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's recommended costs


def hash_password(password: str) -> str:
    """The argon2id hash to store for `password`."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; False when there is no hash.

    Without a stored hash a dummy one is checked anyway, so that the time a
    login takes does not tell whether the account exists.
    """
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not a password of anyone")

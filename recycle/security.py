"""Password hashing (argon2id) and the rules a password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile by default

# Passwords Thai users pick most, per public leak lists; refused outright.
COMMON = {
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "qwertyui",
    "11111111",
    "00000000",
    "87654321",
    "password1",
    "abcd1234",
    "iloveyou",
    "88888888",
    "99999999",
    "12341234",
}


def use_hasher(hasher: PasswordHasher) -> None:
    """Tests swap in cheap parameters; production keeps the default."""
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = None


def burn_time(password: str) -> None:
    """Verify against a dummy hash so an unknown phone takes as long as a wrong password."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _hasher.hash("not-a-real-password-0")
    verify_password(_DUMMY, password)


def password_problems(password: str, phone: str | None = None) -> list[str]:
    problems = []
    if len(password) < 8:
        problems.append("must be at least 8 characters")
    if len(password) > 128:
        problems.append("must be at most 128 characters")
    if password.lower() in COMMON or len(set(password)) < 4:
        problems.append("is too easy to guess")
    if phone and phone in password.replace("-", ""):
        problems.append("must not contain the phone number")
    return problems

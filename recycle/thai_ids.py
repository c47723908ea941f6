"""Thai identifiers a waste bank stores and pays to: mobile numbers, national ids, PromptPay ids.

Members type these in many shapes ("081-234-5678", "+66 81 234 5678", "1-1017-00230-70-8"), and
a payout to a mistyped id is money sent to a stranger, so everything is reduced to one canonical
form here and rejected early with a message that says which rule failed. Messages never echo the
input: citizen ids are personal data and errors end up in logs.
"""

from __future__ import annotations

import re

__all__ = [
    "InvalidId",
    "normalize_phone",
    "is_valid_citizen_id",
    "normalize_citizen_id",
    "normalize_promptpay_id",
]

# ASCII only: str.isdigit() would also accept Thai (๐-๙) and other Unicode digits.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_CITIZEN_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = re.compile(r"[0-9]+")
_MOBILE = re.compile(r"0[689][0-9]{8}")
_CITIZEN = re.compile(r"[0-9]{13}")

PHONE_RULE = "not a Thai mobile number (expected 10 digits starting 06, 08 or 09)"


class InvalidId(ValueError):
    """An identifier that cannot be used; str(e) / e.message is a human-readable English reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _require_str(raw: object, what: str) -> str:
    if not isinstance(raw, str):
        # An int would already have lost leading zeros (0812345678 -> 812345678).
        raise InvalidId(f"{what} must be given as text, not {type(raw).__name__}")
    return raw


def normalize_phone(raw: str) -> str:
    """Canonical 10-digit Thai mobile number (0812345678) from the usual local/+66 spellings."""
    s = _PHONE_SEPARATORS.sub("", _require_str(raw, "phone number"))
    if not s:
        raise InvalidId(f"{PHONE_RULE}: it is empty")
    international = s.startswith("+")
    if international:
        s = s[1:]
        if not s.startswith("66"):
            raise InvalidId(f"{PHONE_RULE}: only Thai +66 numbers are accepted")
    if not _DIGITS.fullmatch(s):
        raise InvalidId(f"{PHONE_RULE}: it contains characters other than digits")
    if s.startswith("66") and (international or len(s) == 11):
        s = "0" + s[2:]  # +66 81 234 5678 -> 081 234 5678: the country code replaces the trunk 0
    if not _MOBILE.fullmatch(s):
        raise InvalidId(PHONE_RULE)
    return s


def _citizen_check_digit(first12: str) -> int:
    """Mod-11 check digit of the Thai national id: weights 13..2, check = (11 - sum % 11) % 10."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def normalize_citizen_id(raw: str) -> str:
    """The 13 digits of a Thai national (or juristic tax) id, check digit verified."""
    s = _CITIZEN_SEPARATORS.sub("", _require_str(raw, "citizen id"))
    if not s:
        raise InvalidId("citizen id is empty")
    if not _DIGITS.fullmatch(s):
        raise InvalidId("citizen id must contain only digits (dashes and spaces are allowed)")
    if not _CITIZEN.fullmatch(s):
        raise InvalidId(f"citizen id must have 13 digits, not {len(s)}")
    if _citizen_check_digit(s[:12]) != int(s[12]):
        raise InvalidId("citizen id check digit is wrong")
    return s


def is_valid_citizen_id(s: str) -> bool:
    """True if `s` (dashes/spaces allowed) is a 13-digit id with a correct check digit."""
    try:
        normalize_citizen_id(s)
    except InvalidId:
        return False
    return True


def normalize_promptpay_id(raw: str) -> tuple[str, str]:
    """("mobile", "0812345678") or ("citizen_id", 13 digits): the two proxies PromptPay pays to.

    13 digits means a citizen id (its check digit must hold); anything else must be a mobile.
    """
    s = _require_str(raw, "PromptPay id")
    digits = _PHONE_SEPARATORS.sub("", s)
    if _CITIZEN.fullmatch(digits):
        return "citizen_id", normalize_citizen_id(s)
    try:
        return "mobile", normalize_phone(s)
    except InvalidId as e:
        raise InvalidId(f"not a PromptPay id: {e.message}, nor a 13-digit citizen id") from None

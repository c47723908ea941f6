"""The token printed on a member's QR card: opaque, signed, versioned, short.

`TN2-` + base32(tenant id, household id, card version, key id, 10-byte HMAC), signed with the card key
`kid` (CARD_SECRET_KEY), never with the login key: rotating SECRET_KEY leaves every card working, and a
new card key signs new cards while older kids still verify until they are retired. `TN1-` cards (no key
id, from before card keys) verify with card key 0 when configured, otherwise with the login key. No personal data: a lost card
reveals nothing, and reissuing bumps the version so the old card stops working at once. Upper-case
base32 stays inside the QR alphanumeric set, so the code is a small version-2 symbol.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

PREFIX = "TN1-"
PREFIX2 = "TN2-"
_LAYOUT = struct.Struct(">IIH")  # tenant, household, version
_LAYOUT2 = struct.Struct(">IIHB")  # tenant, household, version, key id
_MAC_LEN = 10


@dataclass(frozen=True)
class CardKeys:
    """The card keys by id; `current` signs new cards, the others only verify (until removed: retired)."""

    keys: dict[int, str]
    current: int
    legacy: str | None = None  # verifies TN1 cards when no key 0 is configured (the old login key)

    @classmethod
    def parse(cls, text: str, legacy: str | None = None) -> CardKeys:
        """`"2:secret-two,1:secret-one"` (the first signs) or a bare secret (key id 1)."""
        keys: dict[int, str] = {}
        order = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            kid_text, sep, secret = part.partition(":")
            if not sep or not kid_text.strip().isdigit():
                kid, secret = 1, part
            else:
                kid = int(kid_text)
            if not 0 <= kid <= 255 or kid in keys:
                raise ValueError(f"card key id {kid} must be 0-255 and appear once")
            keys[kid] = secret.strip()
            order.append(kid)
        if not keys:
            raise ValueError("no card key given")
        return cls(keys=keys, current=order[0], legacy=legacy)


class BadToken(ValueError):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class CardToken:
    tenant_id: int
    household_id: int
    version: int


def _mac(secret: str, body: bytes) -> bytes:
    key = hashlib.sha256(b"qr-card|" + secret.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_LEN]


def issue(secret: str | CardKeys, tenant_id: int, household_id: int, version: int) -> str:
    if isinstance(secret, CardKeys):
        body = _LAYOUT2.pack(tenant_id, household_id, version, secret.current)
        return PREFIX2 + base64.b32encode(body + _mac(secret.keys[secret.current], body)).decode().rstrip("=")
    body = _LAYOUT.pack(tenant_id, household_id, version)
    return PREFIX + base64.b32encode(body + _mac(secret, body)).decode().rstrip("=")


def read(secret: str | CardKeys, text: str) -> CardToken:
    """Parse and check the signature; the caller checks tenant and version against the database."""
    raw = (text or "").strip().upper()
    if isinstance(secret, CardKeys):
        if raw.startswith(PREFIX2):
            return _read2(secret, raw[len(PREFIX2) :])
        legacy = secret.keys.get(0) or secret.legacy
        if legacy is None:
            raise BadToken("forged", "The member card QR code is not genuine")
        secret = legacy
    if not raw.startswith(PREFIX):
        raise BadToken("malformed", "This is not a member card QR code")
    payload = raw[len(PREFIX) :]
    try:
        blob = base64.b32decode(payload + "=" * (-len(payload) % 8))
    except (ValueError, base64.binascii.Error):
        raise BadToken("malformed", "The member card QR code is damaged or incomplete") from None
    if len(blob) != _LAYOUT.size + _MAC_LEN:
        raise BadToken("malformed", "The member card QR code is damaged or incomplete")
    body, mac = blob[: _LAYOUT.size], blob[_LAYOUT.size :]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadToken("forged", "The member card QR code is not genuine")
    return CardToken(*_LAYOUT.unpack(body))


def _read2(keys: CardKeys, payload: str) -> CardToken:
    try:
        blob = base64.b32decode(payload + "=" * (-len(payload) % 8))
    except (ValueError, base64.binascii.Error):
        raise BadToken("malformed", "The member card QR code is damaged or incomplete") from None
    if len(blob) != _LAYOUT2.size + _MAC_LEN:
        raise BadToken("malformed", "The member card QR code is damaged or incomplete")
    body, mac = blob[: _LAYOUT2.size], blob[_LAYOUT2.size :]
    tenant_id, household_id, version, kid = _LAYOUT2.unpack(body)
    secret = keys.keys.get(kid)
    if secret is None or not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadToken("forged", "The member card QR code is not genuine (or its card key was retired)")
    return CardToken(tenant_id, household_id, version)

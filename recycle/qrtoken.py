"""The token printed on a member's QR card: opaque, signed, versioned, short.

`TN1-` + base32(tenant id, household id, card version, 10-byte HMAC). No personal data: a lost card
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
_LAYOUT = struct.Struct(">IIH")  # tenant, household, version
_MAC_LEN = 10


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


def issue(secret: str, tenant_id: int, household_id: int, version: int) -> str:
    body = _LAYOUT.pack(tenant_id, household_id, version)
    return PREFIX + base64.b32encode(body + _mac(secret, body)).decode().rstrip("=")


def read(secret: str, text: str) -> CardToken:
    """Parse and check the signature; the caller checks tenant and version against the database."""
    raw = (text or "").strip().upper()
    if not raw.startswith(PREFIX):
        raise BadToken("malformed", "This is not a member card QR code")
    payload = raw[len(PREFIX):]
    try:
        blob = base64.b32decode(payload + "=" * (-len(payload) % 8))
    except (ValueError, base64.binascii.Error):
        raise BadToken("malformed", "The member card QR code is damaged or incomplete") from None
    if len(blob) != _LAYOUT.size + _MAC_LEN:
        raise BadToken("malformed", "The member card QR code is damaged or incomplete")
    body, mac = blob[: _LAYOUT.size], blob[_LAYOUT.size:]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadToken("forged", "The member card QR code is not genuine")
    return CardToken(*_LAYOUT.unpack(body))

"""PromptPay QR payloads: EMVCo merchant-presented QR as profiled by the Bank of Thailand.

Why here: the waste bank pays members (and takes payments) by PromptPay. Banking apps reject a
payload that is off by one byte, so the layout follows the reference `promptpay-qr` library
(tags 00, 01, 29, 58, 53, 54, 63) exactly. Money stays in integer satang end to end: no float
ever touches an amount, so 0.1 + 0.2 rounding can never change what a member is paid.
"""

from __future__ import annotations

import re

from recycle.thai_ids import normalize_promptpay_id

__all__ = ["PROMPTPAY_AID", "crc16_ccitt_false", "build_payload", "parse_payload"]

PROMPTPAY_AID = "A000000677010111"  # merchant-presented PromptPay credit transfer (tag 29/00)
_STATIC, _DYNAMIC = "11", "12"  # tag 01: reusable QR vs. one with a fixed amount
_THB, _TH = "764", "TH"  # ISO 4217 / ISO 3166
_MAX_AMOUNT_CHARS = 13  # EMVCo limit for tag 54
_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
_TWO_DIGITS = re.compile(r"[0-9]{2}")
_CRC_HEX = re.compile(r"[0-9A-F]{4}")
_MOBILE_PROXY = re.compile(r"0066[0-9]{9}")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout), EMVCo tag 63."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"tag {tag} value is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _format_amount(amount_satang: object) -> str:
    """12345 -> "123.45" with integer arithmetic only (bool is an int but never an amount)."""
    if type(amount_satang) is not int or amount_satang <= 0:
        raise ValueError("amount_satang must be a positive int (satang), or None for no amount")
    baht, satang = divmod(amount_satang, 100)
    text = f"{baht}.{satang:02d}"
    if len(text) > _MAX_AMOUNT_CHARS:
        raise ValueError(f"amount is too large for a PromptPay QR ({_MAX_AMOUNT_CHARS} characters max)")
    return text


def build_payload(promptpay_id: str, amount_satang: int | None = None) -> str:
    """The text to encode in the QR; amount None gives a static (reusable) QR, else a dynamic one."""
    kind, value = normalize_promptpay_id(promptpay_id)
    if kind == "mobile":
        account = _tlv("01", ("0066" + value[1:]).rjust(13, "0"))  # 0812345678 -> 0066812345678
    else:
        account = _tlv("02", value)
    amount = None if amount_satang is None else _format_amount(amount_satang)
    body = (
        _tlv("00", "01")
        + _tlv("01", _STATIC if amount is None else _DYNAMIC)
        + _tlv("29", _tlv("00", PROMPTPAY_AID) + account)
        + _tlv("58", _TH)
        + _tlv("53", _THB)
        + (_tlv("54", amount) if amount is not None else "")
        + "6304"
    )
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _read_tlv(text: str, where: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if not (_TWO_DIGITS.fullmatch(tag) and _TWO_DIGITS.fullmatch(length)):
            raise ValueError(f"malformed {where} field at offset {i}")
        value = text[i + 4 : i + 4 + int(length)]
        if len(value) != int(length):
            raise ValueError(f"{where} tag {tag} is truncated")
        if tag in fields:
            raise ValueError(f"{where} tag {tag} appears twice")
        fields[tag] = value
        i += 4 + len(value)
    return fields


def _parse_amount(text: str) -> int:
    m = _AMOUNT.fullmatch(text)
    if not m:
        raise ValueError("amount (tag 54) is not a THB amount with at most 2 decimals")
    satang = int(m.group(1)) * 100 + int((m.group(2) or "").ljust(2, "0"))
    if satang <= 0:
        raise ValueError("amount (tag 54) must be positive")
    return satang


def parse_payload(payload: str) -> dict:
    """Decode and verify a PromptPay payload: CRC, PromptPay AID, THB, and the id's own rules.

    Returns {"promptpay_id", "kind", "amount_satang" (int or None), "dynamic" (bool)}. Raises
    ValueError (InvalidId, a subclass, when the embedded id itself is invalid).
    """
    if not isinstance(payload, str) or not payload.isascii():
        raise ValueError("payload must be ASCII text")
    if len(payload) < 8 or payload[-8:-4] != "6304" or not _CRC_HEX.fullmatch(payload[-4:]):
        raise ValueError("payload does not end with a CRC field (6304 + 4 uppercase hex digits)")
    if crc16_ccitt_false(payload[:-4].encode("ascii")) != int(payload[-4:], 16):
        raise ValueError("payload CRC does not match: the QR is damaged or was altered")
    fields = _read_tlv(payload[:-8], "payload")
    if fields.get("00") != "01":
        raise ValueError("payload format indicator (tag 00) must be 01")
    if fields.get("01", _STATIC) not in (_STATIC, _DYNAMIC):
        raise ValueError("point of initiation (tag 01) must be 11 or 12")
    if fields.get("53") != _THB or fields.get("58", _TH) != _TH:
        raise ValueError("not a Thai baht payment (tag 53 must be 764, tag 58 TH)")
    account = _read_tlv(fields.get("29", ""), "merchant account")
    if account.get("00") != PROMPTPAY_AID:
        raise ValueError("not a PromptPay credit transfer (tag 29 lacks AID A000000677010111)")
    proxies = {tag: account[tag] for tag in ("01", "02", "03", "04") if tag in account}
    if set(proxies) == {"01"}:
        if not _MOBILE_PROXY.fullmatch(proxies["01"]):
            raise ValueError("mobile proxy (tag 29/01) must be 0066 followed by 9 digits")
        kind, value = normalize_promptpay_id("0" + proxies["01"][4:])
        expected_kind = "mobile"
    elif set(proxies) == {"02"}:
        kind, value = normalize_promptpay_id(proxies["02"])
        expected_kind = "citizen_id"
    else:
        raise ValueError("tag 29 must hold exactly one mobile (01) or citizen id (02) proxy")
    if kind != expected_kind:
        raise ValueError(f"tag 29 proxy is not a valid {expected_kind.replace('_', ' ')}")
    amount = fields.get("54")
    return {
        "promptpay_id": value,
        "kind": kind,
        "amount_satang": None if amount is None else _parse_amount(amount),
        "dynamic": fields.get("01") == _DYNAMIC,
    }

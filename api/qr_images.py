"""QR images of member cards. Level M survives a scuffed, laminated card; the box size suits a phone camera."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _qr(text: str, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(text.upper(), optimize=0)
    qr.make(fit=True)
    return qr


def png(text: str, box_size: int = 10) -> bytes:
    buf = io.BytesIO()
    _qr(text, box_size).make_image().save(buf, format="PNG")
    return buf.getvalue()


def svg(text: str) -> str:
    img = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return img.to_string(encoding="unicode")

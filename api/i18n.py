"""Thai or English, from Accept-Language (Thai when the phone says nothing)."""
from __future__ import annotations

from flask import request


def lang() -> str:
    return request.accept_languages.best_match(["th", "en"], default="th") or "th"


def pick(th: str, en: str) -> str:
    return en if lang() == "en" else th

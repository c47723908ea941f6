"""Thai or English, from Accept-Language (Thai when the phone says nothing, or says something unreadable).

Messages are written once, in English, where the error is raised; the Thai lives in one Babel catalog,
`api/translations/th/LC_MESSAGES/messages.po`, read with Babel's PO reader when first needed (no
compiled .mo to build or ship). Translation happens at the boundary (api.problems): an exact msgid
first, then msgids with `{placeholders}` used as patterns ("ticket is {status}"), whose captured values
are translated too when the catalog knows them ("voided" -> "ถูกยกเลิกแล้ว").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import has_request_context, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES = ("th", "en")
DEFAULT = "th"
CATALOG_PATH = Path(__file__).parent / "translations" / "th" / "LC_MESSAGES" / "messages.po"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def lang() -> str:
    """The caller's language; a malformed header or an unknown language falls back to Thai."""
    if not has_request_context():
        return DEFAULT
    return _best_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))


@lru_cache(maxsize=256)
def _best_language(header: str) -> str:
    """Phones send the same few headers: each is parsed once per worker (a view may ask per row, via `pick`)."""
    if not header:
        return DEFAULT
    try:
        return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES, default=DEFAULT) or DEFAULT
    except Exception:  # noqa: BLE001 - a header we cannot parse is not the caller's error to pay for
        return DEFAULT


def pick(th: str, en: str) -> str:
    return en if lang() == "en" else th


@lru_cache(maxsize=1)
def catalog() -> dict[str, str]:
    """msgid -> Thai, from the PO file; untranslated entries are left out (the English shows)."""
    from babel.messages.pofile import read_po

    with CATALOG_PATH.open("rb") as f:
        cat = read_po(f, locale="th")
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string}


def _pattern(msgid: str) -> re.Pattern[str]:
    parts, pos = [], 0
    for m in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[pos : m.start()].replace("{{", "{").replace("}}", "}")))
        # a value inside a sentence never holds "; " (that joins messages); only a trailing one may ("...: {reasons}")
        parts.append(f"(?P<{m.group(1)}>.+?)" if m.end() == len(msgid) else f"(?P<{m.group(1)}>(?:(?!; ).)+?)")
        pos = m.end()
    parts.append(re.escape(msgid[pos:].replace("{{", "{").replace("}}", "}")))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for msgid, msgstr in catalog().items():
        if _PLACEHOLDER.search(msgid):
            try:
                out.append((len(_PLACEHOLDER.sub("", msgid)), _pattern(msgid), msgstr))
            except re.error:  # a placeholder repeated: name them differently in the catalog
                continue
    # the most specific (longest fixed text) first, so "is {status}" does not swallow everything
    out.sort(key=lambda p: -p[0])
    return [(pattern, msgstr) for _n, pattern, msgstr in out]


def _fill(msgstr: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), msgstr)


def to_thai(text: str, _depth: int = 0) -> str:
    cat = catalog()
    if text in cat:
        return cat[text]
    if _depth > 2 or not text:
        return text
    for pattern, msgstr in _patterns():
        m = pattern.match(text)
        if m:
            values = {k: to_thai(v, _depth + 1) for k, v in m.groupdict().items()}
            return _fill(msgstr, values)
    if ": " in text:  # "field: message" whose message itself has a "; " (InvalidInput.field)
        head, tail = text.split(": ", 1)
        if " " not in head.strip() and tail in cat:
            return f"{head}: {cat[tail]}"
    if "; " in text:  # several messages joined
        return "; ".join(to_thai(p, _depth + 1) for p in text.split("; "))
    if ": " in text:  # "field: message"
        head, tail = text.split(": ", 1)
        if " " not in head.strip():
            return f"{head}: {to_thai(tail, _depth + 1)}"
    return text


def translate(text: str, language: str | None = None) -> str:
    """`text` (English, as raised) in the caller's language."""
    if not isinstance(text, str):
        return text
    return to_thai(text) if (language or lang()) == "th" else text

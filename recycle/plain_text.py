"""Control characters in people's text, defined once: refused on input, stripped from printer output.

C0 controls (ESC starts ESC/POS printer commands; CR and LF forge lines), DEL, C1 controls, and the
bidi overrides that make a name read backwards on a receipt or a screen.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LOG_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_control(text: str) -> bool:
    return bool(CONTROL.search(text))


def for_printer(text: str) -> str:
    """A receipt for a thermal printer: its own line breaks kept, any other control character dropped
    (text stored before names were checked cannot cut the paper or switch the printer's code page)."""
    return _CONTROL_BUT_NEWLINE.sub("", text)


def for_log(text: str) -> str:
    """One log record, one line: a control character (a `%0A` in a URL path) is written as `\\xNN`/`\\uNNNN`."""
    return _LOG_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}", text)

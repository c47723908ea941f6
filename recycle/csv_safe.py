"""CSV that a spreadsheet opens as data, never as formulas (CWE-1236, "CSV injection").

A member types their own name; the treasurer opens the bank file in Excel or LibreOffice. A cell that
starts with = + - @, a tab or a carriage return may be run as a formula (`=HYPERLINK(...)`,
`+cmd|'/c calc'!A0`), so such a cell is prefixed with an apostrophe, which spreadsheets show as text.
Plain numbers ("-12.50") stay numbers. Every export goes through `writer`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should see it: a formula-looking text gets a leading apostrophe."""
    if not isinstance(value, str) or not value.startswith(_DANGEROUS_START) or _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


class SafeWriter:
    """`csv.writer` whose every cell went through `safe_cell`."""

    def __init__(self, out: Any, **kw: Any) -> None:
        self._w = csv.writer(out, **kw)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **kw: Any) -> SafeWriter:
    return SafeWriter(out, **kw)

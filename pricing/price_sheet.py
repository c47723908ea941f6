"""Parse the price sheet CSV that waste-bank staff upload (often from Thai Excel).

The import is all-or-nothing: every problem in the file is collected and
reported at once, so staff can fix the sheet in one pass.  Money goes through
Decimal to integer satang only, because floats would silently round prices.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from recycle.errors import FieldErrors
from recycle.thai_dates import ce_year

BANGKOK = ZoneInfo("Asia/Bangkok")
MAX_ROWS = 5_000
MAX_BAHT = Decimal("100000")  # per kg; anything above is a unit or typing mistake

# Header name (lower-cased, stripped) -> canonical column.  Thai Excel users
# often keep the Thai headings from the template.
_ALIASES = {
    "material_code": "รหัสวัสดุ",
    "grade": "เกรด",
    "buy_price_thb": "ราคารับซื้อ",
    "ref_sale_price_thb": "ราคาขาย",
    "effective_from": "มีผล",
}
_COLUMNS = {
    **{n: n for n in (*_ALIASES, "name_th", "name_en")},  # name_*: ignored
    **{th: n for n, th in _ALIASES.items()},
}
_REQUIRED = ("material_code", "grade", "buy_price_thb")
_DELIMITERS = (",", ";", "\t")
_DECIMAL_COMMA = re.compile(r"-?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+),[0-9]{1,2}")  # 9,50 1.250,5
_NEGATIVE = re.compile(r"-[0-9.,]+|\([0-9.,]+\)")  # -9.50, accounting (9.50)
_NUMBER = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")


@dataclass(frozen=True)
class PriceSheetRow:
    line: int
    material_code: str
    grade: str
    buy_price_satang: int
    ref_sale_price_satang: int | None
    effective_from: datetime | None


class PriceSheetError(ValueError):
    """All problems of one upload: {"file" | "header" | "line N": [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' / '.join(v)}" for k, v in errors.items()))


def decode_bytes(data: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-874 which Thai Excel writes by default.

    UTF-8 first: cp874 Thai text is practically never valid UTF-8, whereas UTF-8
    bytes would often "decode" as cp874 mojibake."""
    if not data.strip():
        raise PriceSheetError({"file": ["the file is empty"]})
    text = None
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            pass
    if text is None or "\ufffd" in text or any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
        raise PriceSheetError(
            {
                "file": [
                    "the file is not UTF-8 or Windows-874 (TIS-620) text; in Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'"
                ]
            }
        )
    if not text.strip():
        raise PriceSheetError({"file": ["the file is empty"]})
    return text


def baht_to_satang(text: str) -> int:
    """'1,250.50' -> 125050, exactly (Decimal, no float); ValueError explains why not."""
    s = text.strip()
    if _DECIMAL_COMMA.fullmatch(s):
        raise ValueError(f"{s!r} has a decimal comma; use a dot as the decimal separator: {s.replace('.', '').replace(',', '.')}")
    if _NEGATIVE.fullmatch(s):
        raise ValueError(f"{s!r} is negative; a price must be 0 or more")
    m = _NUMBER.fullmatch(s)
    if not m:
        raise ValueError(f"{s!r} is not a price in baht such as 9.50 or 1,250.00")
    if m.group(2) and len(m.group(2)) > 2:
        raise ValueError(f"{s!r} has more than 2 decimals; the smallest unit is 1 satang")
    baht = Decimal(s.replace(",", ""))
    if baht > MAX_BAHT:
        raise ValueError(f"{s!r} is over {MAX_BAHT:,} THB/kg; check the unit")
    return int(baht * 100)


_THAI_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?:\s+([0-9]{1,2})[:.]([0-9]{2}))?")


def _parse_thai_date(s: str) -> datetime | None:
    """dd/mm/yyyy[ HH:MM] as Thai Excel shows it: a year from 2400 is Buddhist era (2569 = 2026)."""
    m = _THAI_DATE.fullmatch(s)
    if not m:
        return None
    day, month, year = int(m.group(1)), int(m.group(2)), ce_year(int(m.group(3)))
    hour, minute = int(m.group(4) or 0), int(m.group(5) or 0)
    try:
        return datetime(year, month, day, hour, minute, tzinfo=BANGKOK)
    except ValueError:
        raise ValueError(f"{s!r} is not a real date (day/month/year)") from None


def parse_when(s: str) -> datetime:
    """dd/mm/yyyy (B.E. or C.E.) or ISO 8601; naive values are Bangkok local time."""
    thai = _parse_thai_date(s.strip())
    if thai is not None:
        return thai
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a date such as 01/06/2569 (day/month/year, B.E. or C.E.) or 2026-06-01") from None
    if dt.year > 2400:  # Thai Excel may show Buddhist-era years (2567 = 2024)
        raise ValueError(f"{s!r} looks like a Buddhist-era year; use {dt.year - 543}")
    return dt if dt.tzinfo else dt.replace(tzinfo=BANGKOK)


def _header_key(cell: str) -> str:
    return cell.replace("\ufeff", "").replace("\u200b", "").strip().lower()


def _pick_delimiter(header_line: str) -> str:
    """Delimiter giving the most known header names (csv.Sniffer guesses badly)."""

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=d), [])
        return sum(_header_key(c) in _COLUMNS for c in cells), len(cells)

    return max(_DELIMITERS, key=score)


def _read_header(cells: list[str], errors: dict[str, list[str]]) -> dict[str, int]:
    cols: dict[str, int] = {}
    unknown, dupes = [], []
    for i, cell in enumerate(cells):
        key = _header_key(cell)
        if not key:
            continue  # empty heading; values under it are refused per line
        if key not in _COLUMNS:
            unknown.append(cell.strip())
        elif _COLUMNS[key] in cols:
            dupes.append(cell.strip())
        else:
            cols[_COLUMNS[key]] = i
    missing = [c for c in _REQUIRED if c not in cols]
    msgs = [
        f"{what} column(s): {', '.join(names)}"
        for what, names in (("missing required", missing), ("unknown", unknown), ("duplicate", dupes))
        if names
    ]
    msgs += [f"allowed columns: {', '.join(_COLUMNS)}"] if unknown else []
    if msgs:
        errors["header"] = msgs
    return cols


def _read_row(
    line: int, cells: list[str], cols: dict[str, int], header: list[str], default_from: datetime | None, msgs: list[str]
) -> PriceSheetRow | None:
    """One data row, or None after appending its problems to msgs."""
    # Excel writes every row as wide as the header, so a wider row (even with empty extras) is
    # almost always an unquoted decimal comma: "9,50" read as 9 baht and 50 in the next column.
    if len(cells) > len(header) or any(v and not _header_key(header[i]) for i, v in enumerate(cells)):
        msgs.append(
            "more values than named columns; quote numbers that contain a comma "
            '("1,250.00") and use a dot as the decimal separator: 9.50'
        )
        return None
    get = {name: cells[i] if i < len(cells) else "" for name, i in cols.items()}.get
    code, grade = get("material_code", "").upper(), get("grade", "").upper()
    if not code:
        msgs.append("material_code is blank")
    if any(c in "\r\n\t" for c in code + grade):  # Alt+Enter inside an Excel cell
        msgs.append("material_code and grade must not contain line breaks or tabs")
    prices: dict[str, int | None] = {"buy_price_thb": None, "ref_sale_price_thb": None}
    for name in prices:
        try:
            if value := get(name, ""):
                prices[name] = baht_to_satang(value)
            elif name == "buy_price_thb":
                msgs.append("buy_price_thb is blank")
        except ValueError as exc:
            msgs.append(f"{name}: {exc}")
    when = default_from
    if raw_when := get("effective_from", ""):
        try:
            when = parse_when(raw_when)
        except ValueError as exc:
            msgs.append(f"effective_from: {exc}")
    return None if msgs else PriceSheetRow(line, code, grade, prices["buy_price_thb"], prices["ref_sale_price_thb"], when)


def parse_price_sheet(data: bytes, *, default_effective_from: datetime | None = None) -> list[PriceSheetRow]:
    """Parse and validate the whole sheet; raise one PriceSheetError listing everything."""
    text = decode_bytes(data)
    if default_effective_from is not None and default_effective_from.tzinfo is None:
        default_effective_from = default_effective_from.replace(tzinfo=BANGKOK)
    header_line = next(ln for ln in text.splitlines() if ln.strip(' \t,;"'))
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_pick_delimiter(header_line), skipinitialspace=True, strict=True
    )  # an unclosed quote must not swallow rows
    errors = FieldErrors()
    rows: list[PriceSheetRow] = []
    seen: dict[tuple, int] = {}
    cols: dict[str, int] | None = None
    header: list[str] = []
    prev_end = count = 0
    try:
        for record in reader:
            line, prev_end = prev_end + 1, reader.line_num
            cells = [c.strip() for c in record]
            if not any(cells):
                continue  # blank line, or a row of empty cells from Excel
            if cols is None:
                cols, header = _read_header(record, errors), record
                if any(c not in cols for c in _REQUIRED):
                    break
                continue
            count += 1
            if count > MAX_ROWS:
                errors.add("file", f"more than {MAX_ROWS:,} price rows")
                break
            msgs: list[str] = []
            row = _read_row(line, cells, cols, header, default_effective_from, msgs)
            if row is not None:
                key = (row.material_code, row.grade, row.effective_from)
                if key in seen:
                    msgs.append(f"duplicate of line {seen[key]} (same material_code, grade and effective_from)")
                else:
                    seen[key] = line
                    rows.append(row)
            if msgs:
                errors[f"line {line}"] = msgs
    except csv.Error as exc:
        errors.add(f"line {prev_end + 1}", f"malformed CSV (check the quotes): {exc}")
    if not errors and not rows:
        errors["file"] = ["no price rows below the header"]
    if errors:
        raise PriceSheetError(errors)
    return rows

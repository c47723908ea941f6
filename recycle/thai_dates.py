"""Dates as a Thai reader expects them: Buddhist-era years (พ.ศ. = ค.ศ. + 543) and Thai month names.

Written once here and used by every page, printout, report and notice (English alongside uses C.E.).
"""

from __future__ import annotations

import datetime as dt

BE_OFFSET = 543
MONTHS_TH = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_TH_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def be_year(year: int) -> int:
    return year + BE_OFFSET


def ce_year(year: int) -> int:
    """A year someone typed: 2400 and later are taken as B.E. (no waste bank deals in years before 1857 C.E.)."""
    return year - BE_OFFSET if year >= 2400 else year


def format_date(day: dt.date | dt.datetime | None, lang: str = "th", style: str = "short") -> str:
    """`25 พ.ย. 2569` (short), `25 พฤศจิกายน 2569` (long), `25/11/2569` (numeric); English: `25 Nov 2026`."""
    if day is None:
        return ""
    if lang != "th":
        return day.strftime({"long": "%d %B %Y", "numeric": "%d/%m/%Y"}.get(style, "%d %b %Y")).lstrip("0")
    if style == "numeric":
        return f"{day.day:02d}/{day.month:02d}/{be_year(day.year)}"
    names = MONTHS_TH if style == "long" else MONTHS_TH_SHORT
    return f"{day.day} {names[day.month - 1]} {be_year(day.year)}"


def format_datetime(instant: dt.datetime | None, tz: dt.tzinfo, lang: str = "th") -> str:
    """A stored UTC instant in the tenant's zone: `25 พ.ย. 2569 14:05 น.` / `25 Nov 2026 14:05`."""
    if instant is None:
        return ""
    local = instant.astimezone(tz)
    suffix = " น." if lang == "th" else ""
    return f"{format_date(local, lang)} {local:%H:%M}{suffix}"


def format_month(year: int, month: int, lang: str = "th") -> str:
    """`พฤศจิกายน 2569` / `November 2026`."""
    if lang == "th":
        return f"{MONTHS_TH[month - 1]} {be_year(year)}"
    return f"{MONTHS_EN[month - 1]} {year}"

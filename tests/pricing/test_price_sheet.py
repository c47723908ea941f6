"""Price sheet CSV import: encodings Thai Excel produces, exact satang, all-or-nothing errors."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing.price_sheet import (
    MAX_ROWS,
    PriceSheetError,
    PriceSheetRow,
    baht_to_satang,
    decode_bytes,
    parse_price_sheet,
)

BKK = ZoneInfo("Asia/Bangkok")

THAI_SHEET = (
    "รหัสวัสดุ,เกรด,ราคารับซื้อ,ราคาขาย,มีผล,name_th\r\n"
    "pet, a ,9.5,12,2024-06-01,ขวดพลาสติกใส\r\n"
    "\r\n"
    'alu,B,"1,250.00",,2024-06-01T08:30,กระป๋องอะลูมิเนียม\r\n'
)
EXPECTED = [
    PriceSheetRow(2, "PET", "A", 950, 1200, datetime(2024, 6, 1, tzinfo=BKK)),
    PriceSheetRow(4, "ALU", "B", 125000, None, datetime(2024, 6, 1, 8, 30, tzinfo=BKK)),
]


def errors_of(data: bytes, **kw) -> dict[str, list[str]]:
    with pytest.raises(PriceSheetError) as info:
        parse_price_sheet(data, **kw)
    return info.value.errors


def test_utf8_with_thai_header_aliases():
    rows = parse_price_sheet(THAI_SHEET.encode("utf-8"))
    assert rows == EXPECTED
    assert all(r.effective_from.utcoffset() == timedelta(hours=7) for r in rows)


def test_cp874_bytes_import_identically():
    data = THAI_SHEET.encode("cp874")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really exercises the Windows-874 fallback
    assert decode_bytes(data) == THAI_SHEET
    assert parse_price_sheet(data) == parse_price_sheet(THAI_SHEET.encode("utf-8"))


def test_utf8_with_bom():
    assert parse_price_sheet(THAI_SHEET.encode("utf-8-sig")) == EXPECTED


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(delimiter):
    text = f" Material_Code {delimiter}GRADE{delimiter}buy_price_thb\nPET{delimiter}A{delimiter}9.50\n"
    assert parse_price_sheet(text.encode()) == [PriceSheetRow(2, "PET", "A", 950, None, None)]


def test_decimal_comma_refused_with_line_number():
    data = b"material_code;grade;buy_price_thb\nPET;A;9.50\nALU;A;9,50\n"
    errors = errors_of(data)
    assert list(errors) == ["line 3"]
    assert "use a dot as the decimal separator: 9.50" in errors["line 3"][0]


def test_decimal_comma_in_comma_file_never_read_as_950():
    quoted = errors_of(b'material_code,grade,buy_price_thb\nPET,A,"9,50"\n')
    assert "use a dot as the decimal separator: 9.50" in quoted["line 2"][0]
    unquoted = errors_of(b"material_code,grade,buy_price_thb\nPET,A,9,50\n")
    assert "use a dot as the decimal separator" in unquoted["line 2"][0]


def test_wrong_header_names_unknown_and_missing_columns():
    errors = errors_of(b"material_code,grade,price,colour\nPET,A,9,red\n")
    assert set(errors) == {"header"}
    text = " ".join(errors["header"])
    assert "buy_price_thb" in text and "price" in text and "colour" in text


def test_bad_rows_among_good_rows_give_all_errors_and_no_rows():
    data = (
        b"material_code,grade,buy_price_thb,ref_sale_price_thb,effective_from\n"
        b"PET,A,9.50,,\n"
        b"PET,B,-1,,\n"
        b"ALU,A,,,\n"
        b"ALU,B,1.234,,\n"
        b"GLS,A,100000.01,,\n"
        b"GLS,B,5,,31/2/2567\n"  # dd/mm/yyyy B.E. is accepted, but not 31 February
        b"CAN,A,2,,\n"
        b"pet,a,3,,\n"
    )
    errors = errors_of(data)
    assert sorted(errors, key=lambda k: int(k.split()[1])) == ["line 3", "line 4", "line 5", "line 6", "line 7", "line 9"]
    assert "line 2" in errors["line 9"][0]  # duplicate names the first occurrence


def test_neither_utf8_nor_cp874_is_a_file_error():
    data = b"material_code,grade,buy_price_thb\n\x81\x8d\xff,\xdb,1\n"
    for b in (0x81, 0x8D, 0xFF, 0xDB):
        with pytest.raises(UnicodeDecodeError):
            bytes([b]).decode("cp874")
    errors = errors_of(data)
    assert list(errors) == ["file"]
    assert "not UTF-8 or Windows-874" in errors["file"][0]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n \r\n", b"a,b\x00c\n"])
def test_empty_or_binary_file_is_refused(data):
    assert list(errors_of(data)) == ["file"]


def test_effective_from_dates_and_default():
    default = datetime(2025, 1, 1)  # naive -> Bangkok
    data = b"material_code,grade,buy_price_thb,effective_from\nA,A,1,\nA,A,1,2024-06-01\nA,A,1,2024-06-01T00:00:00Z\n"
    rows = parse_price_sheet(data, default_effective_from=default)
    assert [r.effective_from for r in rows] == [
        datetime(2025, 1, 1, tzinfo=BKK),
        datetime(2024, 6, 1, tzinfo=BKK),
        datetime(2024, 6, 1, tzinfo=UTC),
    ]
    same_instant = data + b"A,A,2,2024-06-01T07:00+07:00\n"  # == 00:00Z
    assert "line 4" in errors_of(same_instant)["line 5"][0]


def test_row_limit():
    head = b"material_code,grade,buy_price_thb\n"
    body = b"".join(b"M%d,A,1\n" % i for i in range(MAX_ROWS))
    assert len(parse_price_sheet(head + body)) == MAX_ROWS
    assert "file" in errors_of(head + body + b"X,A,1\n")


@pytest.mark.parametrize(
    "text,satang", [("9", 900), ("9.5", 950), ("9.50", 950), ("0", 0), ("1,250.00", 125000), ("100000", 10_000_000)]
)
def test_baht_to_satang(text, satang):
    assert baht_to_satang(text) == satang


@given(satang=st.integers(min_value=0, max_value=10_000_000), grouped=st.booleans(), delimiter=st.sampled_from([",", ";", "\t"]))
def test_baht_with_dot_round_trips_to_exact_satang(satang, grouped, delimiter):
    baht = f"{satang // 100:,}" if grouped else str(satang // 100)
    d = delimiter
    text = f'material_code{d}grade{d}buy_price_thb\nPET{d}A{d}"{baht}.{satang % 100:02d}"\n'
    [row] = parse_price_sheet(text.encode())
    assert row.buy_price_satang == satang


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1/6/2567", (2024, 6, 1, 0, 0)),
        ("01/06/2024", (2024, 6, 1, 0, 0)),
        ("15-12-2569 08:30", (2026, 12, 15, 8, 30)),
        ("2024-06-01", (2024, 6, 1, 0, 0)),
    ],
)
def test_thai_excel_dates_day_first_in_buddhist_or_common_era(text, expected):
    data = ("material_code,grade,buy_price_thb,effective_from\nPET,A,9.50," + text + "\n").encode()
    (row,) = parse_price_sheet(data)
    when = row.effective_from
    assert (when.year, when.month, when.day, when.hour, when.minute) == expected and when.utcoffset().seconds == 7 * 3600

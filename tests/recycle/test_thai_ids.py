import pytest
from hypothesis import given
from hypothesis import strategies as st

from recycle.thai_ids import (
    InvalidId,
    is_valid_citizen_id,
    normalize_citizen_id,
    normalize_phone,
    normalize_promptpay_id,
)

# 1101700230708, by hand: digits 1,1,0,1,7,0,0,2,3,0,7,0 x weights 13..2
# = 13+12+0+10+63+0+0+12+15+0+21+0 = 146; 146 % 11 = 3; (11 - 3) % 10 = 8 -> last digit 8.
VALID_CITIZEN = "1101700230708"
# 1111111111111 (used by the promptpay-qr test suite): sum of 13..2 = 90; 90 % 11 = 2; check 9.
VALID_ONES = "1111111111119"


@pytest.mark.parametrize(
    "raw",
    [
        "081-234-5678",
        "081 234 5678",
        "+66812345678",
        "66812345678",
        "+66 81 234 5678",
        "0812345678",
        "(081) 234-5678",
        "081.234.5678",
        " 0812345678 ",
        "+66-81-234-5678",
    ],
)
def test_phone_formats_normalise(raw):
    assert normalize_phone(raw) == "0812345678"


@pytest.mark.parametrize("raw", ["0612345678", "0912345678", "+66 61 234 5678", "66912345678"])
def test_all_mobile_prefixes(raw):
    assert normalize_phone(raw)[:2] in {"06", "08", "09"}


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "021234567",  # Bangkok landline, 9 digits
        "0212345678",  # 10 digits but 02 is not mobile
        "+6621234567",  # landline in international form
        "0712345678",  # 07 is not a mobile prefix
        "081234567",  # too short
        "08123456789",  # too long
        "+6681234567",  # +66 with too few digits
        "660812345678",  # trunk 0 kept after the country code
        "08l2345678",  # letter l instead of 1
        "phone",
        "+1 812 345 6789",  # not Thai
        "+0812345678",
        "081+2345678",
        "๐๘๑๒๓๔๕๖๗๘",  # Thai digits are not accepted
        "081/234/5678",
    ],
)
def test_phone_rejects(raw):
    with pytest.raises(InvalidId, match="not a Thai mobile number"):
        normalize_phone(raw)


@pytest.mark.parametrize("raw", [None, 812345678, 8.1])
def test_phone_rejects_non_text(raw):
    with pytest.raises(InvalidId, match="text"):
        normalize_phone(raw)


def test_invalid_id_is_value_error_with_message():
    with pytest.raises(ValueError) as info:
        normalize_phone("02")
    assert info.value.message == str(info.value)
    assert "06, 08 or 09" in info.value.message


def test_error_does_not_echo_input():
    with pytest.raises(InvalidId) as info:
        normalize_citizen_id("1101700230707")
    assert "1101700230707" not in str(info.value)


@pytest.mark.parametrize("raw", [VALID_CITIZEN, "1-1017-00230-70-8", "1 1017 00230 70 8", VALID_ONES])
def test_valid_citizen_ids(raw):
    assert is_valid_citizen_id(raw)
    assert normalize_citizen_id(raw) == raw.replace("-", "").replace(" ", "")


@pytest.mark.parametrize(
    "raw, message",
    [
        ("1101700230707", "check digit is wrong"),
        ("1111111111111", "check digit is wrong"),
        ("110170023070", "13 digits"),
        ("11017002307080", "13 digits"),
        ("1101700230A08", "only digits"),
        ("", "empty"),
        ("---", "empty"),
        ("1.1017.00230.70.8", "only digits"),
    ],
)
def test_invalid_citizen_ids(raw, message):
    assert not is_valid_citizen_id(raw)
    with pytest.raises(InvalidId, match=message):
        normalize_citizen_id(raw)


def test_citizen_id_rejects_int():
    assert not is_valid_citizen_id(1101700230708)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_exactly_one_check_digit_per_prefix(prefix):
    assert sum(is_valid_citizen_id(prefix + d) for d in "0123456789") == 1


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digit_matches_formula(prefix):
    check = (11 - sum(int(d) * (13 - i) for i, d in enumerate(prefix)) % 11) % 10
    assert is_valid_citizen_id(prefix + str(check))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("081-234-5678", ("mobile", "0812345678")),
        ("+66 81 234 5678", ("mobile", "0812345678")),
        ("1-1017-00230-70-8", ("citizen_id", VALID_CITIZEN)),
        (VALID_CITIZEN, ("citizen_id", VALID_CITIZEN)),
    ],
)
def test_promptpay_ids(raw, expected):
    assert normalize_promptpay_id(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("1101700230707", "citizen id check digit is wrong"),
        ("0212345678", "not a PromptPay id: not a Thai mobile number"),
        ("12345", "nor a 13-digit citizen id"),
        ("", "not a PromptPay id"),
        ("abc", "not a PromptPay id"),
    ],
)
def test_promptpay_id_rejects(raw, message):
    with pytest.raises(InvalidId, match=message):
        normalize_promptpay_id(raw)

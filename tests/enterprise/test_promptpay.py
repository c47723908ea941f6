import pytest
from hypothesis import given
from hypothesis import strategies as st

from enterprise.promptpay import build_payload, crc16_ccitt_false, parse_payload
from recycle.thai_ids import InvalidId

# Vectors from the test suite of the reference JS library `promptpay-qr` by dtinth
# (github.com/dtinth/promptpay-qr, index.test.js at commit 904f90d555ce82dd002ab2161d86a4a317006955).
DTINTH_MOBILE = [
    ("0801234567", "00020101021129370016A000000677010111011300668012345675802TH530376463046197"),
    ("080-123-4567", "00020101021129370016A000000677010111011300668012345675802TH530376463046197"),
    ("+66-89-123-4567", "00020101021129370016A000000677010111011300668912345675802TH5303764630429C1"),
]
# Same suite; ids that fail our stricter rules (bad check digit / not a mobile), so only the CRC
# and our rejection are checked.
DTINTH_REJECTED = [
    "00020101021129370016A000000677010111021311111111111115802TH530376463047B5A",  # 1111111111111
    "00020101021129370016A000000677010111021301234567890125802TH530376463040CBD",  # tax id 0123456789012
    "00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469",  # 000-000-0000, 4.22
]
# 0812345678: the brief's payload prefix, CRCs computed here and matching values that appear in the
# tests of several independent public PromptPay projects.
STATIC_0812345678 = "00020101021129370016A000000677010111011300668123456785802TH530376463045D82"
DYNAMIC_0812345678_100 = "00020101021229370016A000000677010111011300668123456785802TH53037645406100.006304BB8A"


def _with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.parametrize("promptpay_id, expected", DTINTH_MOBILE)
def test_dtinth_vectors(promptpay_id, expected):
    assert build_payload(promptpay_id, None) == expected
    parsed = parse_payload(expected)
    assert parsed["kind"] == "mobile" and parsed["amount_satang"] is None and not parsed["dynamic"]


@pytest.mark.parametrize("payload", DTINTH_REJECTED)
def test_dtinth_vectors_with_ids_we_reject(payload):
    assert crc16_ccitt_false(payload[:-4].encode()) == int(payload[-4:], 16)
    with pytest.raises(InvalidId):
        parse_payload(payload)


def test_mobile_static_and_dynamic():
    assert build_payload("081-234-5678", None) == STATIC_0812345678
    assert build_payload("0812345678") == STATIC_0812345678
    assert build_payload("+66812345678", 10000) == DYNAMIC_0812345678_100
    assert parse_payload(DYNAMIC_0812345678_100) == {
        "promptpay_id": "0812345678",
        "kind": "mobile",
        "amount_satang": 10000,
        "dynamic": True,
    }


def test_citizen_id_payload():
    payload = build_payload("1-1017-00230-70-8", 12345)
    assert payload.startswith("00020101021229370016A000000677010111021311017002307085802TH5303764")
    assert "5406123.45" in payload
    assert parse_payload(payload)["promptpay_id"] == "1101700230708"


@pytest.mark.parametrize(
    "satang, text",
    [(1, "54040.01"), (50, "54040.50"), (100, "54041.00"), (12345, "5406123.45"), (999_999_999_999, "54139999999999.99")],
)
def test_amount_formatting_is_exact(satang, text):
    payload = build_payload("0812345678", satang)
    assert text + "6304" in payload
    assert parse_payload(payload)["amount_satang"] == satang


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, 100.0, "100", 10**12])
def test_bad_amounts(amount):
    with pytest.raises(ValueError):
        build_payload("0812345678", amount)


@pytest.mark.parametrize("bad_id", ["0212345678", "1101700230707", "", "abc"])
def test_bad_ids(bad_id):
    with pytest.raises(InvalidId):
        build_payload(bad_id, None)


@pytest.mark.parametrize("amount, satang", [("4.22", 422), ("4.2", 420), ("100", 10000), ("0.01", 1), ("007.00", 700)])
def test_parse_amount_spellings(amount, satang):
    head = "000201010212" + "29370016A00000067701011101130066812345678" + "5802TH5303764"
    assert parse_payload(_with_crc(head + f"54{len(amount):02d}{amount}"))["amount_satang"] == satang


@pytest.mark.parametrize(
    "payload, message",
    [
        (STATIC_0812345678[:-1] + "3", "CRC does not match"),
        (STATIC_0812345678[:-4] + "5d82", "CRC field"),
        (STATIC_0812345678[:-8], "CRC field"),
        ("", "CRC field"),
        (STATIC_0812345678.replace("TH", "ไท"), "ASCII"),
        (_with_crc("000201010211" + "29370016A00000067701011101130066812345678" + "5802TH5303840"), "baht"),
        (_with_crc("000201010211" + "29370016A00000067701011401130066812345678" + "5802TH5303764"), "AID"),
        (_with_crc("000201010211" + "5802TH5303764"), "AID"),
        (_with_crc("000201010211" + "29200016A000000677010111" + "5802TH5303764"), "exactly one"),
        (_with_crc("000201010211" + "29370016A00000067701011101136681234567800" + "5802TH5303764"), "0066"),
        (_with_crc("000201010211" + "29340016A00000067701011102100812345678" + "5802TH5303764"), "citizen id"),
        (_with_crc("000201010212" + "29370016A00000067701011101130066812345678" + "5802TH53037645405" + "1.234"), "2 decimals"),
        (_with_crc("000201010212" + "29370016A00000067701011101130066812345678" + "5802TH530376454040.00"), "positive"),
        (_with_crc("000201010213" + "29370016A00000067701011101130066812345678" + "5802TH5303764"), "tag 01"),
        (_with_crc("000202010211" + "29370016A00000067701011101130066812345678" + "5802TH5303764"), "tag 00"),
        (_with_crc("000201010211" + "29370016A00000067701011101130066812345678" + "5802TH5309764"), "truncated"),
        (_with_crc("000201010211" + "5802TH5802TH5303764"), "twice"),
        (_with_crc("000201010211" + "58xxTH5303764"), "malformed"),
    ],
)
def test_parse_rejects(payload, message):
    with pytest.raises(ValueError, match=message):
        parse_payload(payload)


_mobiles = st.builds(
    lambda p, rest: "0" + p + rest, st.sampled_from("689"), st.text(alphabet="0123456789", min_size=8, max_size=8)
)


def _citizen(prefix: str) -> str:  # independent of the module: same published formula
    return prefix + str((11 - sum(int(d) * (13 - i) for i, d in enumerate(prefix)) % 11) % 10)


_citizens = st.text(alphabet="0123456789", min_size=12, max_size=12).map(_citizen)
_amounts = st.none() | st.integers(min_value=1, max_value=999_999_999_999)


_STYLES = [
    lambda m: m,
    lambda m: f"{m[:3]}-{m[3:6]}-{m[6:]}",
    lambda m: f"{m[:3]} {m[3:6]} {m[6:]}",
    lambda m: "+66" + m[1:],
    lambda m: "66" + m[1:],
    lambda m: f"+66 {m[1:3]} {m[3:6]} {m[6:]}",
]


@given(_mobiles, _amounts, st.sampled_from(_STYLES))
def test_round_trip_mobile(mobile, amount, style):
    parsed = parse_payload(build_payload(style(mobile), amount))
    assert (parsed["promptpay_id"], parsed["kind"], parsed["amount_satang"]) == (mobile, "mobile", amount)
    assert parsed["dynamic"] is (amount is not None)


@given(_citizens, _amounts)
def test_round_trip_citizen_id(citizen, amount):
    parsed = parse_payload(build_payload(citizen, amount))
    assert (parsed["promptpay_id"], parsed["kind"], parsed["amount_satang"]) == (citizen, "citizen_id", amount)


@given(st.one_of(_mobiles, _citizens), _amounts, st.data())
def test_any_single_character_change_is_rejected(promptpay_id, amount, data):
    payload = build_payload(promptpay_id, amount)
    i = data.draw(st.integers(0, len(payload) - 1))
    c = data.draw(st.characters(min_codepoint=32, max_codepoint=126).filter(lambda c: c != payload[i]))
    with pytest.raises(ValueError):
        parse_payload(payload[:i] + c + payload[i + 1 :])

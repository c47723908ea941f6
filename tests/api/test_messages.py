"""Problems in Thai (the default) or English, from one catalog; their `type` URIs resolve here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD_LINE = {
    "client_id": "3f1e0c52-8a53-4b1c-9d7e-0b6c1f3f9a11",
    "collected_at": "2026-11-20T09:00:00+07:00",
    "household_id": "one",
    "lines": [{"material_code": "PET", "weight_g": "heavy"}],
}


def _post_bad(client, headers, language=None):
    h = dict(headers)
    if language is not None:
        h["Accept-Language"] = language
    return client.post("/api/v1/collections", json=BAD_LINE, headers=h)


def test_a_422_in_thai_by_default_and_when_asked(client, collector, auth):
    for language in (None, "th-TH,th;q=0.9,en;q=0.5"):
        r = _post_bad(client, auth(collector), language)
        assert r.status_code == 422
        body = r.get_json()
        assert body["title"] == "ข้อมูลไม่ถูกต้อง"
        assert body["errors"]["household_id"] == ["ต้องเป็นจำนวนเต็ม"]
        assert body["errors"]["lines.0.weight_g"] == ["ต้องเป็นจำนวนเต็ม"]
        assert "ต้องเป็นจำนวนเต็ม" in body["detail"]
        assert r.headers["Content-Language"] == "th"


def test_the_same_422_in_english(client, collector, auth):
    r = _post_bad(client, auth(collector), "en-US,en;q=0.9")
    body = r.get_json()
    assert r.status_code == 422 and body["title"] == "Invalid input"
    assert body["errors"]["household_id"] == ["Not a valid integer."]
    assert r.headers["Content-Language"] == "en"


@pytest.mark.parametrize("header", ["??;;q=abc", "x" * 500, "*", "fr-FR", ";q=1,,", "\u0e44\u0e17\u0e22"])
def test_a_bad_or_foreign_accept_language_falls_back_to_thai(client, collector, auth, header):
    try:
        r = _post_bad(client, auth(collector), header)
    except (UnicodeEncodeError, ValueError):
        pytest.skip("the test client cannot send this header")
    assert r.status_code == 422
    assert r.get_json()["title"] in ("ข้อมูลไม่ถูกต้อง", "Invalid input")


def test_parameterised_domain_messages_are_translated_with_their_values(client, staff, auth):
    r = client.get("/api/v1/collections/999999", headers=auth(staff))
    assert r.status_code == 404 and r.get_json()["detail"] == "ไม่พบใบรับซื้อนี้"
    r = client.get("/api/v1/collections/999999", headers={**auth(staff), "Accept-Language": "en"})
    assert r.get_json()["detail"] == "no such ticket"
    from api.i18n import to_thai

    assert to_thai("ticket is voided, not waiting for approval") == "ใบรับซื้อถูกยกเลิกแล้ว ไม่ได้รออนุมัติ"
    assert to_thai("a collector may not do this") == "พนักงานเก็บขยะ ไม่มีสิทธิ์ทำรายการนี้"
    assert to_thai("Must be greater than or equal to 1 and less than or equal to 50.") == "ต้องมีค่าตั้งแต่ 1 ถึง 50"
    assert to_thai("quantity: must be more than 0") == "quantity: ต้องมากกว่า 0"


def test_auth_errors_are_thai_too(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.get_json()["title"] == "ยังไม่ได้เข้าสู่ระบบ"
    assert "เข้าสู่ระบบ" in r.get_json()["detail"]


def test_an_unknown_url_is_a_thai_404_problem(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert r.get_json()["title"] == "ไม่พบข้อมูล"


def test_problem_type_uris_resolve_in_this_deployment(client, collector, auth):
    r = _post_bad(client, auth(collector))
    type_uri = r.get_json()["type"]
    assert type_uri.startswith("http://localhost/api/v1/problems/")
    page = client.get(type_uri.removeprefix("http://localhost"), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.get_json()["code"] == "validation" and "errors" in page.get_json()["description"]
    html = client.get("/api/v1/problems/validation", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "ข้อมูลไม่ถูกต้อง" in html.get_data(as_text=True)
    assert client.get("/api/v1/problems/no_such_code").status_code == 404


def _codes_in_source() -> set[str]:
    codes = set()
    for pkg in ("recycle", "pricing", "pickup", "enterprise", "api"):
        for path in (ROOT / pkg).rglob("*.py"):
            codes |= set(re.findall(r'code="([a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    return codes


def test_every_problem_code_raised_in_the_code_has_a_page(client):
    codes = _codes_in_source() | {"qr_malformed", "qr_forged", "qr_revoked", "qr_foreign", "404", "422", "429"}
    assert len(codes) > 20
    missing = [c for c in sorted(codes) if client.get(f"/api/v1/problems/{c}").status_code != 200]
    assert missing == []


def test_every_message_raised_in_the_code_has_a_thai_translation():
    """New error messages go into api/translations/th/LC_MESSAGES/messages.po (scripts/extract_messages.py)."""
    r = subprocess.run(
        [sys.executable, "scripts/extract_messages.py", "--check"], check=False, cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, "untranslated:\n" + r.stdout


def test_the_catalog_is_a_valid_po_file_with_matching_placeholders():
    from api.i18n import catalog

    cat = catalog()
    assert len(cat) > 250
    for msgid, msgstr in cat.items():
        assert set(re.findall(r"\{(\w+)\}", msgstr)) <= set(re.findall(r"\{(\w+)\}", msgid)), msgid


def test_a_rejected_sync_item_gives_its_reasons_in_thai(client, collector, auth):
    r = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [BAD_LINE]})
    assert r.status_code == 200
    item = r.get_json()["results"][0]
    assert item["status"] == "rejected"
    assert item["errors"]["household_id"] == ["ต้องเป็นจำนวนเต็ม"]

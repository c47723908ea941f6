"""Logging in to the console, CSRF, the idle timeout and the home page's numbers."""

from __future__ import annotations

import time

from tests import factories
from tests.console.conftest import WebClient


def test_login_shows_home_in_thai_with_todays_numbers(clerk: WebClient, staff, catalog, db) -> None:
    page = clerk.get("/console/").get_data(as_text=True)
    assert "วันนี้" in page and "พ.ศ." not in page  # B.E. year printed as a number
    assert f"{time.gmtime().tm_year + 543}" in page
    assert staff.name in page


def test_wrong_password_and_household_login_refused(web: WebClient, staff, member) -> None:
    resp = web.login(staff, password="wrong-password-123")
    assert resp.status_code == 401 and "เบอร์โทรหรือรหัสผ่านไม่ถูกต้อง" in resp.get_data(as_text=True)
    resp = web.login(member)
    assert resp.status_code == 401 and "สำหรับเจ้าหน้าที่และผู้ดูแลเท่านั้น" in resp.get_data(as_text=True)
    assert web.get("/console/").status_code == 302


def test_post_without_csrf_token_is_refused(clerk: WebClient) -> None:
    resp = clerk.client.post("/console/language", data={})
    assert resp.status_code == 400


def test_json_api_needs_no_csrf(capp, staff, auth) -> None:
    resp = capp.test_client().post("/api/v1/scans", json={"qr": "nonsense"}, headers=auth(staff))
    assert resp.status_code == 422  # judged on its content, not refused for a missing CSRF token


def test_language_switch_to_english_and_back(clerk: WebClient) -> None:
    clerk.get("/console/")
    page = clerk.post("/console/language", {"back": "/console/"}, follow_redirects=True).get_data(as_text=True)
    assert "Today" in page and "Log out" in page
    page = clerk.post("/console/language", {"back": "/console/"}, follow_redirects=True).get_data(as_text=True)
    assert "วันนี้" in page


def test_cut_off_user_loses_the_cookie_session(clerk: WebClient, staff, db) -> None:
    staff.token_generation += 1
    db.flush()
    assert clerk.get("/console/").status_code == 302


def test_logout(clerk: WebClient) -> None:
    clerk.get("/console/")
    clerk.post("/console/logout", {})
    assert clerk.get("/console/").status_code == 302


def test_open_redirect_refused(web: WebClient, staff) -> None:
    web.get("/console/login")
    resp = web.post(
        "/console/login",
        {"tenant": staff.tenant.slug, "phone": staff.phone, "password": factories.PASSWORD, "next": "https://evil.example/"},
    )
    assert resp.headers["Location"].endswith("/console/")

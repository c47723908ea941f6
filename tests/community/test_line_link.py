"""LINE's webhook and account linking: a bad signature is a 401 and nothing is recorded; a nonce links once,
before it expires; preferences are the member's (PDPA)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import func, select

from recycle.notify.models import LineLinkNonce, NoticePreference
from tests.community.conftest import CHANNEL_SECRET

USER = "U" + "b" * 32


def _signed(body: bytes, secret: str = CHANNEL_SECRET) -> dict:
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Line-Signature": sig, "Content-Type": "application/json"}


def _link_event(nonce: str, result: str = "ok") -> bytes:
    return json.dumps(
        {
            "destination": "Uxxx",
            "events": [
                {
                    "type": "accountLink",
                    "mode": "active",
                    "timestamp": 1,
                    "webhookEventId": "01H",
                    "replyToken": "r",
                    "deliveryContext": {"isRedelivery": False},
                    "source": {"type": "user", "userId": USER},
                    "link": {"result": result, "nonce": nonce},
                }
            ],
        }
    ).encode()


def _start(client: Any, auth: Any, member: Any) -> str:
    r = client.post("/api/v1/me/line/link", headers=auth(member), json={"link_token": "NMZTNuVrPTqlr2IF8Bnymkb7rXfYv5EY"})
    assert r.status_code == 201, r.json
    url = urlparse(r.json["redirect_url"])
    assert url.netloc == "access.line.me" and parse_qs(url.query)["linkToken"] == ["NMZTNuVrPTqlr2IF8Bnymkb7rXfYv5EY"]
    return parse_qs(url.query)["nonce"][0]


def _pref(db: Any, member: Any) -> NoticePreference | None:
    db.expire_all()
    return db.scalar(select(NoticePreference).where(NoticePreference.household_id == member.household_id))


def test_account_link_binds_the_line_user_once(client: Any, auth: Any, member: Any, fake_line: Any, db: Any) -> None:
    nonce = _start(client, auth, member)
    body = _link_event(nonce)
    r = client.post("/api/v1/line/webhook", data=body, headers=_signed(body))
    assert r.status_code == 200 and r.json["linked"] == 1
    pref = _pref(db, member)
    assert pref.line_user_id == USER and pref.opt_in and pref.opt_in_at is not None
    prefs = client.get("/api/v1/me/notice-preferences", headers=auth(member)).json
    assert prefs["line_linked"] and prefs["opt_in"]
    # the same nonce again (a replayed event): refused, nothing changes
    r = client.post("/api/v1/line/webhook", data=body, headers=_signed(body))
    assert r.status_code == 200 and (r.json["linked"], r.json["refused"]) == (0, 1)


def test_a_bad_signature_is_401_and_nothing_is_recorded(client: Any, auth: Any, member: Any, fake_line: Any, db: Any) -> None:
    nonce = _start(client, auth, member)
    body = _link_event(nonce)
    for headers in (
        _signed(body, "someone-elses-secret"),
        {"Content-Type": "application/json"},
        {**_signed(body), "X-Line-Signature": "not base64 at all"},
    ):
        r = client.post("/api/v1/line/webhook", data=body, headers=headers)
        assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert _pref(db, member) is None
    assert db.scalar(select(func.count()).select_from(LineLinkNonce).where(LineLinkNonce.used_at.is_not(None))) == 0
    tampered = body.replace(USER.encode(), b"U" + b"c" * 32)
    assert client.post("/api/v1/line/webhook", data=tampered, headers=_signed(body)).status_code == 401


def test_an_expired_or_unknown_nonce_is_refused(client: Any, auth: Any, member: Any, fake_line: Any, db: Any) -> None:
    nonce = _start(client, auth, member)
    row = db.get(LineLinkNonce, nonce)
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.flush()
    for n in (nonce, "made-up-nonce-0000000000"):
        body = _link_event(n)
        r = client.post("/api/v1/line/webhook", data=body, headers=_signed(body))
        assert r.status_code == 200 and r.json["refused"] == 1
    body = _link_event(_start(client, auth, member), result="failed")  # the member cancelled on LINE's page
    assert client.post("/api/v1/line/webhook", data=body, headers=_signed(body)).json["refused"] == 1
    assert _pref(db, member) is None


def test_unfollow_and_preferences_stop_line_messages(client: Any, auth: Any, member: Any, fake_line: Any, db: Any) -> None:
    body = _link_event(_start(client, auth, member))
    client.post("/api/v1/line/webhook", data=body, headers=_signed(body))
    r = client.put(
        "/api/v1/me/notice-preferences", headers=auth(member), json={"opt_in": True, "lang": "en", "daily_digest": True}
    )
    assert r.status_code == 200 and r.json["lang"] == "en" and r.json["daily_digest"]
    unfollow = json.dumps({"events": [{"type": "unfollow", "source": {"type": "user", "userId": USER}}]}).encode()
    assert client.post("/api/v1/line/webhook", data=unfollow, headers=_signed(unfollow)).json["unfollowed"] == 1
    assert _pref(db, member).opt_in is False
    assert client.delete("/api/v1/me/line/link", headers=auth(member)).json["line_linked"] is False
    r = client.post("/api/v1/me/line/link", headers=auth(member), json={"link_token": "bad token!"})
    assert r.status_code == 422 and "link_token" in r.json["errors"]

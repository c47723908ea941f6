"""Browser apps on configured origins only; odd but harmless requests get clear answers, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import make_app

ALLOWED = "https://liff.khrueng.example"


@pytest.fixture
def cors_client(session_factory, db):
    return make_app(session_factory, CORS_ORIGINS=f"{ALLOWED}, https://app.example.org").test_client()


def _preflight(client, origin, path="/api/v1/me", method="GET"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )


def test_preflight_from_an_allowed_origin_is_granted_for_an_authenticated_route(cors_client):
    resp = _preflight(cors_client, ALLOWED)
    assert resp.status_code in (200, 204)
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed = {h.strip().lower() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]


def test_preflight_for_a_post_with_a_json_body(cors_client):
    resp = _preflight(cors_client, ALLOWED, "/api/v1/collections", "POST")
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]


def test_the_actual_request_exposes_etag_request_id_and_retry_after(cors_client, member, auth):
    resp = cors_client.get("/api/v1/me", headers={**auth(member), "Origin": ALLOWED})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = {h.strip().lower() for h in resp.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "x-request-id", "retry-after"} <= exposed


def test_another_origin_gets_no_grant(cors_client, member, auth):
    pre = _preflight(cors_client, "https://evil.example")
    assert pre.status_code < 500
    assert "Access-Control-Allow-Origin" not in pre.headers
    resp = cors_client.get("/api/v1/me", headers={**auth(member), "Origin": "https://evil.example"})
    assert resp.status_code == 200  # the server answers; the browser withholds it from the page
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_no_origins_configured_means_no_cors_at_all(client):
    resp = _preflight(client, ALLOWED)
    assert resp.status_code < 500
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_a_cache_busting_query_parameter_is_accepted_on_gets(client, member, auth):
    assert client.get("/api/v1/me?_=123", headers=auth(member)).status_code == 200
    resp = client.get("/api/v1/collections?_=1732500000000&page=1", headers=auth(member))
    assert resp.status_code == 200, resp.get_json()


def test_an_unknown_query_parameter_other_than_underscore_is_still_refused(client, member, auth):
    resp = client.get("/api/v1/collections?colour=red", headers=auth(member))
    assert resp.status_code == 422
    assert "colour" in resp.get_json()["errors"]


def test_no_get_route_refuses_the_cache_buster(app, client, auth, admin):
    import re

    h = auth(admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or not rule.rule.startswith("/api/v1") or "static" in rule.endpoint:
            continue
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = re.sub(r"<(?:string:)?\w+>", "khrueng", url)
        r = client.get(url + "?_=1732500000000", headers=h)
        body = r.get_json(silent=True) or {}
        assert r.status_code < 500, (url, r.status_code)
        assert "_" not in (body.get("errors") or {}), (url, body)
        checked += 1
    assert checked >= 40

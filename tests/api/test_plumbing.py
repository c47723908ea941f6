"""What every endpoint shares: problem+json errors, request ids, health, limits on the body."""

from __future__ import annotations

import logging

PROBLEM = "application/problem+json"


def test_health_reports_database_and_broker(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json["database"] == "ok" and r.json["broker"].startswith("inline")


def test_unknown_url_and_wrong_method_are_problems(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.mimetype == PROBLEM and r.json["status"] == 404
    r = client.delete("/api/v1/health")
    assert r.status_code == 405 and r.mimetype == PROBLEM and "GET" in r.headers["Allow"]


def test_body_errors(client, tenant):
    r = client.post("/api/v1/auth/login", data="tenant=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and r.mimetype == PROBLEM
    r = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.mimetype == PROBLEM
    r = client.post("/api/v1/auth/login", json=[1, 2])
    assert r.status_code == 422 and r.mimetype == PROBLEM
    r = client.post("/api/v1/auth/login", data="{" + " " * (2 * 1024 * 1024) + "}", content_type="application/json")
    assert r.status_code == 413 and r.mimetype == PROBLEM
    r = client.post("/api/v1/auth/login", json={"tenant": tenant.slug})
    assert r.status_code == 422 and set(r.json["errors"]) == {"phone", "password"}


def test_a_request_id_is_in_the_response_and_every_log_line(client, caplog):
    ours = logging.getLogger("thangngoen")  # it does not propagate to the root, where caplog listens
    ours.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="thangngoen"):
            r = client.get("/api/v1/health", headers={"X-Request-ID": "phone-abc-123"})
    finally:
        ours.removeHandler(caplog.handler)
    assert r.headers["X-Request-ID"] == "phone-abc-123"
    assert any(getattr(rec, "request_id", None) == "phone-abc-123" for rec in caplog.records)
    r = client.get("/api/v1/nothing-here")
    assert r.json["request_id"] == r.headers["X-Request-ID"]


def test_an_unexpected_error_is_a_500_problem_without_internals(app, client, monkeypatch):
    from api.namespaces import system

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(system, "session", boom)
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json["status"] == "degraded"  # health reports, never crashes
    monkeypatch.setattr("api.namespaces.users.session", boom)
    from tests import factories

    user = factories.UserFactory()
    from api.auth import issue_tokens

    with app.app_context():
        token = issue_tokens(user)["access_token"]
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and r.mimetype == PROBLEM and "secret" not in r.get_data(as_text=True)


def test_swagger_ui_and_spec_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200
    spec = client.get("/api/v1/swagger.json").json
    assert "/auth/login" in spec["paths"] and "Problem" in spec["definitions"]
    login = spec["definitions"]["Login"]
    assert set(login["required"]) == {"tenant", "phone", "password"}  # generated from the marshmallow schema


def test_nul_characters_are_refused_not_crashing_postgresql(client, tenant):
    r = client.post("/api/v1/auth/login", json={"tenant": "a\x00b", "phone": "0812345678", "password": "x"})
    assert r.status_code == 422 and "tenant" in r.json["errors"]
    r = client.get("/api/v1/public/x/villages?page=1\x00")
    assert r.status_code == 422 and "page" in r.json["errors"]


def test_absurd_dates_are_refused_not_overflowing(client, auth, staff):
    r = client.get("/api/v1/prices/history", headers=auth(staff), query_string={"to": "0001-01-01T00:00:00+01:27"})
    assert r.status_code == 422 and "to" in r.json["errors"]
    r = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": "0001-01-01"})
    assert r.status_code == 422 and "period_end" in r.json["errors"]

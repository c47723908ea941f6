"""The limiter's hooks run only where a limit can apply (api.app._check_only_where_limited): logins are still
counted, refused at the limit and told their allowance; an endpoint without a limit carries no limit headers."""

from __future__ import annotations


def test_logins_are_still_limited_and_told_their_allowance(client, app, tenant, staff):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    answers = [
        client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": staff.phone, "password": "wrong"})
        for _ in range(4)
    ]
    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers[:3]] == ["2", "1", "0"]
    assert answers[3].headers["Retry-After"]


def test_an_endpoint_without_a_limit_has_no_limit_headers(client, tenant):
    r = client.get(f"/api/v1/public/{tenant.slug}/villages")
    assert r.status_code == 200
    assert not [h for h in r.headers.keys() if h.startswith("X-RateLimit")]

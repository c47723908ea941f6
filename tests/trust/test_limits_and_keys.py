"""Findings 14.4 and 14.9 (keys, demo data) and 10.7: the login limit and the keys hold in production."""

from __future__ import annotations

import logging

import pytest

from recycle import qrtoken
from recycle.settings import Settings, SettingsError
from tests import factories
from tests.conftest import make_app, settings_for_tests

API = "/api/v1"
STRONG = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
PROD = {
    "DATABASE_URL": "postgresql://db/x",
    "SECRET_KEY": STRONG,
    "CARD_SECRET_KEY": "1:" + STRONG[::-1],
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


def test_case_spaces_and_phone_spelling_share_one_login_counter(session_factory, db, tenant, member):
    app = make_app(session_factory, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    digits = member.phone
    spellings = [
        (tenant.slug, digits),
        (tenant.slug.upper(), digits),
        (f"  {tenant.slug} ", "+66" + digits[1:]),
        (tenant.slug.title(), f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"),
    ]
    codes = [
        client.post(f"{API}/auth/login", json={"tenant": t, "phone": p, "password": "wrong-guess-000"}).status_code
        for t, p in spellings
    ]
    assert codes == [401, 401, 401, 429]


def test_the_proxy_header_is_trusted_only_when_configured(session_factory, db, tenant, member):
    def attempts(app, forwarded):
        c = app.test_client()
        return [
            c.post(
                f"{API}/auth/login",
                json={"tenant": tenant.slug, "phone": member.phone, "password": "nope-nope-1"},
                headers={"X-Forwarded-For": ip},
            ).status_code
            for ip in forwarded
        ]

    spoofed = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert attempts(make_app(session_factory, LOGIN_RATE_LIMIT="2 per minute"), spoofed)[-1] == 429  # header ignored
    behind_proxy = make_app(session_factory, LOGIN_RATE_LIMIT="2 per minute", SETTINGS=settings_for_tests(proxy_fix_x_for=1))
    assert attempts(behind_proxy, ["10.0.1.1", "10.0.1.2", "10.0.1.3"]) == [401, 401, 401]  # real clients apart


def test_redis_down_logins_still_work_on_memory_counters_with_a_warning(session_factory, db, tenant, member, caplog):
    app = make_app(session_factory, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        ok = client.post(f"{API}/auth/login", json={"tenant": tenant.slug, "phone": member.phone, "password": factories.PASSWORD})
        assert ok.status_code == 200
        codes = [
            client.post(
                f"{API}/auth/login", json={"tenant": tenant.slug, "phone": member.phone, "password": "wrong-guess-000"}
            ).status_code
            for _ in range(2)
        ]
    assert codes == [401, 429]  # still limited, in this process's memory
    assert any("falling back to in-memory" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"SECRET_KEY": "x"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"CARD_SECRET_KEY": None}, "CARD_SECRET_KEY must be set"),
        ({"CARD_SECRET_KEY": "1:short"}, "CARD_SECRET_KEY (key id 1) is too weak"),
        ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI is per-process memory"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI is per-process memory"),
    ],
)
def test_production_refuses_to_start_on_guessable_or_per_process_settings(change, message, tmp_path):
    env = {k: v for k, v in {**PROD, **change}.items() if v is not None}
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env, instance_path=tmp_path)
    assert Settings.from_env(PROD, instance_path=tmp_path).ratelimit_storage_uri.startswith("redis")
    assert (
        Settings.from_env(
            {
                "DATABASE_URL": "postgresql://db/x",
                "CELERY_BROKER_URL": "redis://r/1",
                **{k: PROD[k] for k in ("SECRET_KEY", "CARD_SECRET_KEY")},
            },
            instance_path=tmp_path,
        ).ratelimit_storage_uri
        == "redis://r/1"
    )


def test_cards_survive_a_new_login_key_and_a_new_card_key_until_the_old_one_is_retired():
    card_v1 = qrtoken.issue(qrtoken.CardKeys.parse("1:" + STRONG), 7, 42, 3)
    # the login key is rotated: nothing about cards changes (they never used it)
    rotated_card_key = qrtoken.CardKeys.parse(f"2:{STRONG[::-1]},1:{STRONG}", legacy="a-new-login-key")
    assert qrtoken.read(rotated_card_key, card_v1) == qrtoken.CardToken(7, 42, 3)
    new_card = qrtoken.issue(rotated_card_key, 7, 43, 1)
    assert new_card.startswith("TN2-") and qrtoken.read(rotated_card_key, new_card).household_id == 43
    retired = qrtoken.CardKeys.parse(f"2:{STRONG[::-1]}")
    with pytest.raises(qrtoken.BadToken):
        qrtoken.read(retired, card_v1)
    # cards printed before card keys existed (TN1, signed with the old login key) verify with key 0
    old_login_key = "the-login-key-we-had-in-2026-0123456789"
    legacy_card = qrtoken.issue(old_login_key, 7, 44, 1)
    assert (
        qrtoken.read(
            qrtoken.CardKeys.parse(f"2:{STRONG[::-1]},0:{old_login_key}", legacy="new-login-key"), legacy_card
        ).household_id
        == 44
    )
    with pytest.raises(qrtoken.BadToken):
        qrtoken.read(qrtoken.CardKeys.parse(f"2:{STRONG[::-1]}", legacy="new-login-key"), legacy_card)


def test_a_card_printed_by_the_api_scans_after_the_login_key_changes(session_factory, db, auth, tenant, staff, collector):
    household = factories.HouseholdFactory(tenant=tenant)
    app = make_app(session_factory)
    card = app.test_client().get(f"{API}/households/{household.id}/qr?format=text", headers=_headers(app, staff)).data.decode()
    assert card.startswith("TN2-")
    other_login_key = make_app(session_factory, SETTINGS=settings_for_tests(secret_key="an-entirely-new-login-key-0123456789"))
    r = other_login_key.test_client().post(f"{API}/scans", json={"qr": card}, headers=_headers(other_login_key, collector))
    assert r.status_code == 200 and r.json["household"]["id"] == household.id


def _headers(app, user):
    from api.auth import issue_tokens

    with app.app_context():
        return {"Authorization": "Bearer " + issue_tokens(user)["access_token"]}

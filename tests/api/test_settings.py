"""GET/PUT /settings: an admin changes the waste bank's settings; the domain modules read the new values."""

from __future__ import annotations

from enterprise.settlements import SETTINGS_DEFAULTS
from recycle.game.points import DEFAULT_RULES, rules_for
from recycle.tenant_settings import BY_KEY


def test_defaults_agree_with_the_modules_that_use_them() -> None:
    assert BY_KEY["welfare_bp"].default == SETTINGS_DEFAULTS["welfare_bp"]
    assert BY_KEY["minimum_payout_satang"].default == SETTINGS_DEFAULTS["minimum_payout_satang"]
    assert BY_KEY["points_monthly_cap"].default == DEFAULT_RULES["monthly_cap"]
    assert BY_KEY["points_streak_bonus"].default == DEFAULT_RULES["streak_bonus"]


def test_admin_reads_and_changes_settings(client, db, auth, tenant, admin, staff) -> None:
    r = client.get("/api/v1/settings", headers=auth(admin))
    assert r.status_code == 200 and r.json["welfare_bp"] == 200 and r.json["handover_tolerance_pct"] == 3
    assert client.get("/api/v1/settings", headers=auth(staff)).status_code == 403
    r = client.put(
        "/api/v1/settings",
        headers=auth(admin),
        json={"welfare_bp": 150, "points_monthly_cap": 800, "centre_lat": 19.9, "centre_lng": 99.8},
    )
    assert r.status_code == 200 and r.json["welfare_bp"] == 150 and r.json["centre_lat"] == 19.9
    db.refresh(tenant)
    assert tenant.settings["welfare_bp"] == 150 and rules_for(tenant.settings).monthly_cap == 800
    assert tenant.setting("handover_tolerance_pct") == 3


def test_bad_values_name_the_field_and_change_nothing(client, db, auth, tenant, admin) -> None:
    r = client.put("/api/v1/settings", headers=auth(admin), json={"welfare_bp": -1, "handover_tolerance_pct": 5})
    assert r.status_code in (400, 422) and "welfare_bp" in r.json["errors"]
    r = client.put("/api/v1/settings", headers=auth(admin), json={"centre_lat": 10.0, "centre_lng": None})
    assert r.status_code == 422 and "centre_lat" in r.json["errors"]
    db.refresh(tenant)
    assert "handover_tolerance_pct" not in (tenant.settings or {})

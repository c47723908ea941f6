"""Points from weigh-ins: what a member sees on the ticket, on /me and in the points passbook."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from recycle.db import utcnow
from recycle.game import points
from recycle.game.models import PointsEntry
from tests import factories
from tests.game.helpers import deposit, kg, local, pieces
from tests.pickup.ticket_helpers import ticket


def test_a_weigh_in_earns_points_shown_on_the_ticket_on_me_and_in_the_passbook(client, auth, catalog, collector, member):
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id))
    # PET A 2.5 kg x 10/kg +20% (PET is also bought as B) = 30; aluminium 1.234 kg x 10/kg = 12 (rounded down)
    assert r.status_code == 201 and r.json["points"] == 42
    me = client.get("/api/v1/me", headers=auth(member)).json
    assert me["points"] == 42 and me["level"] == "iron"
    mine = client.get("/api/v1/me/points", headers={**auth(member), "Accept-Language": "en"}).json
    assert (mine["balance"], mine["lifetime"], mine["month_earned"], mine["streak_weeks"]) == (42, 42, 42, 1)
    level = mine["level"]
    assert level["name"] == "Iron bin" and level["name_th"] == "ถังเหล็ก"
    assert level["next"]["code"] == "silver" and level["points_to_next"] == 958 and level["progress_pct"] == 4
    assert [(e["kind"], e["points"], e["ref_id"]) for e in mine["entries"]["items"]] == [("deposit", 42, r.json["id"])]
    assert client.get(f"/api/v1/collections/{r.json['id']}", headers=auth(member)).json["points"] == 42


def test_organic_and_hazardous_drop_offs_earn_points_but_no_money(client, db, auth, tenant, catalog, collector, member):
    factories.add_material(
        db, tenant, "ORGANIC", category="organic", buy=0, sale=0, co2e=0, since=utcnow() - dt.timedelta(days=1)
    )
    lines = [
        {"material_code": "ORGANIC", "weight_g": 4000},
        {"material_code": "BATTERY", "weight_g": 500},
        {"material_code": "BOTTLE", "quantity": 7},
    ]
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id, lines=lines))
    assert r.status_code == 201, r.json
    # 4 kg wet waste x 5 + 0.5 kg batteries x 20 + 7 bottles x 1; only the bottles are paid (7 x 30 satang)
    assert r.json["total_satang"] == 210 and r.json["points"] == 20 + 10 + 7


def test_a_quote_previews_the_points_and_grade_a_pays_only_where_grades_differ(client, auth, catalog, member):
    def quote(lines):  # noqa: ANN001, ANN202
        return client.post("/api/v1/quotes", headers=auth(member), json={"lines": lines}).json["points"]

    assert quote([{"material_code": "PET_CLEAR", "grade": "A", "weight_g": 1000}]) == 12
    assert quote([{"material_code": "PET_CLEAR", "grade": "B", "weight_g": 1000}]) == 10
    assert quote([{"material_code": "ALU_CAN", "weight_g": 1000}]) == 10  # one grade only: no sorting bonus
    assert quote([{"material_code": "ALU_CAN", "weight_g": 99}]) == 0  # under 0.1 kg earns nothing yet


def test_a_void_reverses_the_points_with_an_entry_and_deletes_nothing(
    client, db, auth, tenant, catalog, collector, staff, member
):
    t = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id)).json
    r = client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "weighed twice"})
    assert r.status_code == 200 and r.json["points"] == 0
    mine = client.get("/api/v1/me/points", headers=auth(member)).json
    assert mine["balance"] == 0 and mine["lifetime"] == 0
    assert [(e["kind"], e["points"]) for e in mine["entries"]["items"]] == [("void", -42), ("deposit", 42)]
    deposit_entry = db.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == f"ticket:{t['id']}"))
    assert db.scalar(select(PointsEntry.reverses_id).where(PointsEntry.kind == "void")) == deposit_entry.id
    fix = {"reason": "PET was 5 kg", "lines": [{"material_code": "PET_CLEAR", "weight_g": 5000}]}
    # a voided ticket is not corrected (that would be acting on a stale status): weigh in anew, or correct before voiding
    late = client.post(f"/api/v1/collections/{t['id']}/correct", headers=auth(staff), json=fix)
    assert late.status_code == 409 and late.json["type"].endswith("already_voided")
    t2 = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id)).json
    fixed = client.post(f"/api/v1/collections/{t2['id']}/correct", headers=auth(staff), json=fix)
    assert fixed.status_code == 201 and fixed.json["points"] == 60
    assert client.get("/api/v1/me", headers=auth(member)).json["points"] == 60


def test_a_backdated_ticket_earns_only_once_approved(client, auth, catalog, collector, staff, member):
    r = client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, at=utcnow() - dt.timedelta(days=5)),
    )
    assert r.json["status"] == "pending_approval" and r.json["points"] == 0
    assert client.get("/api/v1/me", headers=auth(member)).json["points"] == 0
    ok = client.post(f"/api/v1/collections/{r.json['id']}/approve", headers=auth(staff))
    assert ok.json["points"] == 42 and client.get("/api/v1/me", headers=auth(member)).json["points"] == 42


def test_the_monthly_cap_holds_and_a_void_frees_room_for_the_other_tickets(db, tenant):
    tenant.settings = {"points": {"monthly_cap": 50, "streak_bonus": 0}}
    hid = factories.HouseholdFactory(tenant=tenant).id
    a, _ = deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 4000)])  # 40
    b, _ = deposit(db, tenant.id, hid, local(2026, 3, 3), [kg("ALU_CAN", 3000)])  # 30, only 10 fit
    c, _ = deposit(db, tenant.id, hid, local(2026, 3, 4), [kg("ALU_CAN", 2000)])  # 20, none fits
    d, _ = deposit(db, tenant.id, hid, local(2026, 4, 1), [kg("ALU_CAN", 2000)])  # April: a new month
    assert [points.ticket_points(db, tenant.id, t) for t in (a, b, c, d)] == [40, 10, 0, 20]
    assert points.summary(db, tenant.id, hid).balance == 70
    from recycle.game import deposits

    deposits.reverse_deposit(db, tenant.id, a)
    assert points.ticket_points(db, tenant.id, a) == 0
    assert points.summary(db, tenant.id, hid).balance == 50 + 20  # b and c now fit: min(50, 30 + 20)
    deposits.reverse_deposit(db, tenant.id, b)
    assert points.summary(db, tenant.id, hid).balance == 20 + 20
    assert points.entries_sum(db, tenant.id, hid) == 40


def test_streaks_count_consecutive_local_weeks_even_when_a_late_ticket_fills_a_gap(db, tenant):
    tenant.settings = {"points": {"monthly_cap": 0}}
    hid = factories.HouseholdFactory(tenant=tenant).id
    deposit(db, tenant.id, hid, local(2026, 3, 8, 23, 30), [kg("ALU_CAN", 1000)])  # Sunday night in Bangkok
    deposit(db, tenant.id, hid, local(2026, 3, 9, 0, 30), [kg("ALU_CAN", 1000)])  # Monday 00:30: Sunday still, in UTC
    assert points.summary(db, tenant.id, hid).balance == 10 + 10 + 10  # a new local week right after: streak bonus
    deposit(db, tenant.id, hid, local(2026, 3, 26), [kg("ALU_CAN", 1000)])  # skips the week of 16 March
    assert points.summary(db, tenant.id, hid).balance == 30 + 10
    deposit(db, tenant.id, hid, local(2026, 3, 18), [kg("ALU_CAN", 1000)])  # synced late: fills the gap
    # four weeks in a row: bonuses 0, 10, 20, 30
    assert points.summary(db, tenant.id, hid).balance == 4 * 10 + 60
    streaks = db.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.household_id == hid, PointsEntry.kind == "streak"))
    assert streaks == 60


def test_the_same_ticket_earns_once_however_often_the_hook_runs(db, tenant):
    hid = factories.HouseholdFactory(tenant=tenant).id
    tid, _ = deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 4000)])
    deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 4000)], ticket_id=tid)
    from recycle.game import deposits

    deposits.reverse_deposit(db, tenant.id, tid)
    deposits.reverse_deposit(db, tenant.id, tid)
    assert points.summary(db, tenant.id, hid).balance == 0
    assert db.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.household_id == hid)) == 2


def test_tenant_rules_override_the_defaults_and_bad_values_fall_back():
    rules = points.rules_for(
        {
            "points": {
                "per_kg": {"recyclable": 7, "unknown": 99},
                "material_per_kg": {"alu_can": 30},
                "grade_a_bonus_pct": "lots",
                "per_piece": {"recyclable": 2},
            }
        }
    )
    assert points.line_points(rules, kg("PET_CLEAR", 1000)) == 7
    assert points.line_points(rules, kg("ALU_CAN", 1000)) == 30
    assert points.line_points(rules, kg("PET_CLEAR", 1000, graded=True)) == 8  # bad bonus value: the default 20%
    assert points.line_points(rules, pieces("BOTTLE", 3)) == 6
    assert points.line_points(points.rules_for(None), kg("SOFA", 9000, category="general")) == 0


def test_tickets_weighed_before_the_game_existed_can_be_replayed_once(
    client, db, auth, tenant, catalog, collector, member, monkeypatch
):
    from api.bootstrap import EVENT_HANDLERS, bootstrap
    from pickup import points_hook
    from recycle import events

    without_game = {kind: [h for h in handlers if h is not points_hook.on_ticket] for kind, handlers in EVENT_HANDLERS.items()}
    events.wire(without_game)  # as if the game were not installed yet
    try:
        for _ in range(2):
            client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id))
        assert points.summary(db, tenant.id, member.household_id).balance == 0
    finally:
        bootstrap()
    assert points_hook.replay_tickets(db, tenant.id) == 2
    assert points_hook.replay_tickets(db, tenant.id) == 2  # again: nothing more is earned
    assert client.get("/api/v1/me", headers=auth(member)).json["points"] == 84

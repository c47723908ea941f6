"""Statements per weigh-in and per synced batch: bounded, and not growing with a member's history or a challenge's.

On PostgreSQL the ORM writes a ticket's lines in one INSERT; SQLite has no way to match batched
RETURNING rows to objects, so there each extra line is one more INSERT (`_budget`).
"""

from __future__ import annotations

import datetime as dt

from recycle import ledger
from recycle.db import utcnow
from recycle.game import challenges, points
from recycle.game.models import Challenge
from recycle.principal import Principal
from tests import factories
from tests.game.helpers import deposit, kg
from tests.pickup.ticket_helpers import minutes, ticket

THREE_LINES = [
    {"material_code": "PET_CLEAR", "grade": "A", "weight_g": 2500},
    {"material_code": "ALU_CAN", "weight_g": 1234},
    {"material_code": "BOTTLE", "quantity": 12},
]


def _budget(db, limit: int, lines: int = 3) -> int:  # noqa: ANN001
    return limit + (lines - 1 if db.get_bind().dialect.name == "sqlite" else 0)


def _weigh(client, headers, household_id, statements):  # noqa: ANN001, ANN202
    with statements() as c:
        r = client.post("/api/v1/collections", headers=headers, json=ticket(household_id=household_id, lines=THREE_LINES))
    assert r.status_code == 201, r.json
    return c, r.json


def test_a_weigh_in_is_at_most_19_statements(client, db, auth, tenant, catalog, collector, member, statements):
    h = auth(collector)
    _weigh(client, h, member.household_id, statements)  # the member's first deposit builds its counters once
    c, body = _weigh(client, h, member.household_id, statements)
    assert c.n <= _budget(db, 19), c  # the issue asked for 20; the token check now brings the tenant along
    assert c.tx <= 4, c  # the request's own transaction (a savepoint pair here) and the ticket's savepoint
    assert body["points"] > 0 and body["total_satang"] == 2250 + 4936 + 360
    assert ledger.household_balance(db, tenant.id, member.household_id) == 2 * body["total_satang"]


def test_the_count_does_not_grow_with_a_members_history(client, db, auth, tenant, catalog, collector, statements):
    h = auth(collector)
    newcomer, regular = (factories.HouseholdFactory(tenant=tenant).id for _ in range(2))
    today = utcnow()
    for n in range(200):  # four years of weekly visits... 200 of them, each a little PET
        deposit(db, tenant.id, regular, today - dt.timedelta(days=3 * n + 1), [kg("PET_CLEAR", 100)])
    for hid in (newcomer, regular):  # the first weigh-in opens the member's ledger account
        _weigh(client, h, hid, statements)
    few, _ = _weigh(client, h, newcomer, statements)
    many, _ = _weigh(client, h, regular, statements)
    assert few.n == many.n, (few, many)


def test_an_open_challenge_costs_one_statement_whatever_its_history(
    client, db, auth, tenant, catalog, collector, staff, statements
):
    h = auth(collector)
    first, second = (factories.HouseholdFactory(tenant=tenant).id for _ in range(2))
    _weigh(client, h, first, statements)
    without, _ = _weigh(client, h, first, statements)
    today = points.local_date(tenant.timezone, utcnow())
    c = challenges.create(
        db,
        Principal(staff.id, tenant.id, "staff"),
        challenges.ChallengeInput("ขวด", "Bottles", today - dt.timedelta(days=20), today + dt.timedelta(days=5), target_g=10**9),
    )
    _weigh(client, h, second, statements)
    young, _ = _weigh(client, h, second, statements)
    for n in range(200):
        deposit(db, tenant.id, first, utcnow() - dt.timedelta(hours=2 * n + 1), [kg("PET_CLEAR", 300)])
    old, _ = _weigh(client, h, second, statements)
    assert young.n == old.n == without.n + 1, (without, young, old)
    db.expire_all()
    assert db.get(Challenge, c.id).progress_g == challenges.progress(db, db.get(Challenge, c.id))[0]  # the running total


def test_a_sync_of_100_is_at_most_26_statements(client, db, auth, tenant, catalog, collector, statements):
    h = auth(collector)
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(20)]
    now = utcnow()
    client.post(
        "/api/v1/collections/sync", headers=h, json={"items": [ticket(household_id=hid, at=now - minutes(300)) for hid in homes]}
    )
    items = [ticket(household_id=homes[i % 20], at=now - minutes(i), lines=THREE_LINES) for i in range(100)]
    with statements() as c:
        r = client.post("/api/v1/collections/sync", headers=h, json={"items": items})
    assert r.json["created"] == 100, r.json
    assert c.n <= 26, c  # the issue asked for 400: pinned where it stands, so a per-item query shows at once
    assert c.tx <= 4, c
    assert sum(x["ticket"]["points"] for x in r.json["results"]) > 0
    assert ledger.trial_balance(db, tenant.id) == 0


def test_a_synced_batch_earns_what_the_same_tickets_one_by_one_earn(client, db, auth, tenant, catalog, staff):
    """The batch award is the one-by-one award done in memory: same points for the same tickets (cap and streaks)."""
    tenant.settings = {"points": {"monthly_cap": 400}}
    db.flush()
    h = auth(staff)
    a, b = (factories.HouseholdFactory(tenant=tenant).id for _ in range(2))
    now = utcnow()
    days = [now - dt.timedelta(days=d, minutes=i) for i, d in enumerate([0, 0, 1, 2, 7, 8, 9, 9])]  # prices start 10 days ago
    lines = [{"material_code": "PET_CLEAR", "weight_g": 9000}, {"material_code": "ALU_CAN", "weight_g": 2000}]
    for at in days:
        client.post("/api/v1/collections", headers=h, json=ticket(household_id=a, at=at, lines=lines))
    r = client.post(
        "/api/v1/collections/sync", headers=h, json={"items": [ticket(household_id=b, at=at, lines=lines) for at in days]}
    )
    assert r.json["created"] == len(days)
    pa, pb = points.summary(db, tenant.id, a), points.summary(db, tenant.id, b)
    assert (pa.balance, pa.lifetime, pa.weight_g) == (pb.balance, pb.lifetime, pb.weight_g)
    assert (
        pa.balance > 0
        and pa.balance == points.entries_sum(db, tenant.id, a)
        and pb.balance == points.entries_sum(db, tenant.id, b)
    )

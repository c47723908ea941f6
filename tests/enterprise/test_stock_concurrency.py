"""Two staff drafting sales of the last stock at the same moment: one gets it, the other is told there is none."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import func, select

from enterprise import buyers, stock
from enterprise.stock_models import SaleBatch
from pickup import tickets
from pickup.context import TicketContext
from pricing.quotes import LineInput
from recycle.db import UnitOfWork, utcnow
from recycle.principal import Principal
from tests import factories
from tests.enterprise.stock_helpers import tax_id


def test_two_staff_drafting_the_last_stock_at_once_only_one_gets_it(committed_app):
    """On PostgreSQL (CI) the two requests really overlap; the per-grade lock makes the second see the first."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        db = uow.session
        factories.bind(db)
        tenant = factories.TenantFactory()
        pet = factories.add_material(db, tenant, "PET_CLEAR", since=utcnow() - dt.timedelta(days=1))
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(2)]
        p = Principal(staff[0].id, tenant.id, "staff")
        home = factories.HouseholdFactory(tenant=tenant)
        tickets.create_ticket(
            TicketContext(db, p, tenant, "s"),
            tickets.TicketInput(str(uuid.uuid4()), utcnow(), [LineInput("PET_CLEAR", "A", 1000)], household_id=home.id),
        )  # a walk-in
        buyer_id = buyers.create(db, p, buyers.BuyerInput("factory", "Recycler", tax_id(), material_codes=["PET_CLEAR"])).id
        uow.commit()
        tenant_id, grade_id = tenant.id, pet.grades[0].id
    from api.auth import issue_tokens

    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(u)["access_token"]} for u in staff]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def draft(i: int) -> None:
        client = committed_app.test_client()
        barrier.wait()
        responses[i] = client.post(
            "/api/v1/sales",
            headers=headers[i],
            json={"buyer_id": buyer_id, "lines": [{"material_code": "PET_CLEAR", "weight_g": 700 + i}]},
        )

    threads = [threading.Thread(target=draft, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert "lines.0.weight_g" in loser.json["errors"] and "reserved" in loser.json["errors"]["lines.0.weight_g"][0]
    with UnitOfWork(factory) as uow:
        lvl = stock.level(uow.session, tenant_id, grade_id)
        assert (lvl.on_hand, lvl.free) == (1000, 1000 - lvl.reserved) and lvl.reserved in (700, 701)
        assert uow.session.scalar(select(func.count()).select_from(SaleBatch)) == 1

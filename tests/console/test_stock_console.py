"""Stock and sales at the console: inventory, a batch from stock, dispatch, settle with the factory's weighbridge
figures (shrinkage, moisture), the margin, and the batch traced to tickets and villages."""

from __future__ import annotations

from enterprise import ledger_check, sales_reports
from enterprise.stock_models import SaleBatch
from recycle.models import Tenant
from tests import factories
from tests.enterprise.stock_helpers import buyer, walk_in


def test_sell_from_stock_dispatch_settle_with_weighbridge_and_moisture_margin_and_trace(
    clerk, db, tenant, catalog, client, auth, staff
):
    village = factories.VillageFactory(tenant_id=tenant.id, name_th="บ้านดอนแก้ว", moo=7)
    homes = [factories.HouseholdFactory(tenant=tenant, village=village) for _ in range(2)]
    for h in homes:
        walk_in(client, auth(staff), h.id, [{"material_code": "PET_CLEAR", "grade": "A", "weight_g": 30000}])
    factory = buyer(client, auth(staff), name="โรงงานรีไซเคิลเชียงราย")
    page = clerk.get("/console/stock").get_data(as_text=True)
    assert "PET_CLEAR" in page and "60.000 กก." in page
    resp = clerk.post("/console/stock/batches", {"buyer_id": str(factory["id"]), "grade_0": "PET_CLEAR|A", "amount_0": "50"})
    assert resp.status_code == 302, clerk.page[-600:]
    batch_url = resp.headers["Location"]
    batch = db.query(SaleBatch).one()
    page = clerk.get(batch_url).get_data(as_text=True)
    assert "ร่าง" in page and "บ้านดอนแก้ว" in page  # traced (forecast) before it leaves
    too_much = clerk.post(
        "/console/stock/batches",
        {"buyer_id": str(factory["id"]), "grade_0": "PET_CLEAR|A", "amount_0": "20"},
        follow_redirects=True,
    )
    assert "PET_CLEAR" in too_much.get_data(as_text=True) and db.query(SaleBatch).count() == 1  # only 10 kg free
    clerk.get(batch_url)
    clerk.post(
        f"{batch_url}/dispatch",
        {"dispatched_on": tenant.local_date().isoformat(), "vehicle": "1กข 1234", "weighbridge_ticket_no": "WB-001"},
    )
    db.expire_all()
    assert db.get(SaleBatch, batch.id).status == "dispatched"
    line = db.get(SaleBatch, batch.id).lines[0]
    clerk.get(batch_url)
    clerk.post(
        f"{batch_url}/settle",
        {
            f"received_{line.id}": "49.2",
            f"deduction_{line.id}": "1.2",
            f"reason_{line.id}": "ความชื้น",
            f"price_{line.id}": "11.50",
            "statement_no": "ST-77",
        },
    )
    db.expire_all()
    b = db.get(SaleBatch, batch.id)
    assert b.status == "settled" and b.revenue_satang == 48000 * 1150 // 1000
    page = clerk.get(batch_url).get_data(as_text=True)
    assert "0.800" in page and "1.200" in page and "ความชื้น" in page  # shrinkage 0.8 kg, moisture 1.2 kg
    margin = sales_reports.margin(db, db.get(Tenant, tenant.id), tenant.local_date(), tenant.local_date())
    assert f"{margin['margin_satang'] // 100:,}.{margin['margin_satang'] % 100:02d}" in page
    assert "บ้านดอนแก้ว" in page and homes[0].name in page
    assert ledger_check.check(db, tenant.id) == []

"""Two treasurers marking overlapping selections paid at the same moment (threads, real commits, PostgreSQL):
every payout is paid once, nobody deadlocks, and each sees which ones the other had already paid."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from enterprise import month_end
from enterprise.settlement_models import Payout, SettlementRun
from recycle.db import UnitOfWork, make_session_factory, utcnow
from recycle.ledger import LedgerTransaction
from recycle.principal import Principal
from tests import factories
from tests.conftest import truncate_all


def test_overlapping_bulk_payments_pay_each_payout_once(engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks race only on PostgreSQL")
    sessions = make_session_factory(engine)
    try:
        with UnitOfWork(sessions) as uow:
            factories.bind(uow.session)
            tenant = factories.TenantFactory()
            a, b = factories.UserFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
            run = SettlementRun(
                tenant_id=tenant.id, period_end=dt.date.today(), cutoff_at=utcnow(), status="approved", prepared_by_user_id=a.id
            )
            uow.session.add(run)
            uow.session.flush()
            ids = []
            for i in range(12):
                h = factories.HouseholdFactory(tenant=tenant, promptpay_id=f"08123400{i:02d}", promptpay_kind="mobile")
                p = Payout(
                    tenant_id=tenant.id,
                    run_id=run.id,
                    household_id=h.id,
                    gross_satang=5000,
                    net_satang=4900,
                    welfare_satang=100,
                    status="ready",
                    method="promptpay",
                )
                uow.session.add(p)
                uow.session.flush()
                ids.append(p.id)
            uow.commit()
            tid, users = tenant.id, (a.id, b.id)
        picks = (ids[:8], list(reversed(ids[4:])))  # overlap in the middle, chosen in opposite orders
        results: list[Any] = [None, None]
        start = threading.Barrier(2)

        def pay(n: int) -> None:
            with UnitOfWork(sessions) as uow:
                start.wait()
                results[n] = month_end.mark_paid_many(
                    uow.session, Principal(users[n], tid, "staff"), picks[n], "promptpay", f"REF-{n}", str(uuid.uuid4())
                )
                uow.commit()

        threads = [threading.Thread(target=pay, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        paid = sorted(results[0].paid + results[1].paid)
        assert paid == sorted(ids)  # each once, between them
        assert set(results[0].refused) | set(results[1].refused) == set(ids[4:8])
        with UnitOfWork(sessions) as uow:
            assert (
                uow.session.scalar(
                    select(func.count(LedgerTransaction.id)).where(
                        LedgerTransaction.tenant_id == tid, LedgerTransaction.kind == "payout"
                    )
                )
                == 12
            )
    finally:
        truncate_all(engine)

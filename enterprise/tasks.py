"""Settlement computation as a Celery task: takes ids, idempotent, acknowledged only when done."""
from __future__ import annotations

from celery import shared_task

from enterprise import settlements
from recycle.db import task_unit_of_work

COMPUTE_SETTLEMENT = "enterprise.compute_settlement"


@shared_task(name=COMPUTE_SETTLEMENT, bind=True, acks_late=True, max_retries=3, default_retry_delay=5)
def compute_settlement(self, tenant_id: int, run_id: int) -> dict:  # noqa: ANN001
    """A worker killed half way never commits; the redelivered task starts again from nothing."""
    with task_unit_of_work(self) as uow:
        run = settlements.compute(uow.session, tenant_id, run_id)
        uow.commit()
        if run is None:
            return {"run_id": run_id, "skipped": True}
        return {"run_id": run.id, "households": run.households, "net_satang": run.net_satang}

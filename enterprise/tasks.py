"""Settlement computation as a Celery task: takes ids, idempotent, acknowledged only when done."""

from __future__ import annotations

from celery import shared_task

from enterprise import settlements
from recycle.db import task_unit_of_work

COMPUTE_SETTLEMENT = settlements.COMPUTE_TASK
SWEEP_SETTLEMENTS = "enterprise.settlements.sweep"


@shared_task(name=COMPUTE_SETTLEMENT, bind=True, acks_late=True, max_retries=3, default_retry_delay=5)
def compute_settlement(self, tenant_id: int, run_id: int) -> dict:  # noqa: ANN001
    """A worker killed half way never commits; the redelivered task starts again from nothing."""
    with task_unit_of_work(self) as uow:
        run = settlements.compute(uow.session, tenant_id, run_id)
        uow.commit()
        if run is None:
            return {"run_id": run_id, "skipped": True}
        return {"run_id": run.id, "households": run.households, "net_satang": run.net_satang}


@shared_task(name=SWEEP_SETTLEMENTS, bind=True, acks_late=True)
def sweep_settlements(self) -> list[int]:  # noqa: ANN001
    """Beat: a run left computing (its worker killed, its message lost) is queued again; idempotent."""
    with task_unit_of_work(self) as uow:
        ids = settlements.sweep(uow.session)
        uow.commit()
    return ids


APPLY_RETENTION = "enterprise.apply_retention"
RETENTION_CONF_KEY = "thangngoen_retention"


@shared_task(name=APPLY_RETENTION, bind=True, acks_late=True)
def apply_retention(self) -> dict:  # noqa: ANN001
    """The daily retention rule (beat). Idempotent: a second run finds nothing left to forget."""
    from enterprise import privacy
    from recycle.settings import Retention

    policy = self.app.conf.get(RETENTION_CONF_KEY) or Retention()
    with task_unit_of_work(self) as uow:
        result = privacy.apply_retention(
            uow.session, token_days=policy.token_days, audit_years=policy.audit_years, closed_days=policy.closed_days
        )
        uow.commit()
    return vars(result)

"""Soundness of tickets, money and points after a race: asserted, so a test names what went wrong.

(The shared `check-ledger` invariants run over the whole database; these are the per-ticket facts a
concurrency test about tickets needs, with messages naming the ticket.)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pickup.models import CollectionTicket
from recycle import ledger
from recycle.game import points
from recycle.ledger import LedgerTransaction, Posting
from recycle.models import AuditEntry
from tests.ledger_assert import assert_ledger_sound


def assert_transactions_balance(db: Session, tenant_id: int) -> None:
    unbalanced = db.execute(
        select(Posting.transaction_id, func.sum(Posting.amount_satang))
        .where(Posting.tenant_id == tenant_id)
        .group_by(Posting.transaction_id)
        .having(func.sum(Posting.amount_satang) != 0)
    ).all()
    assert not unbalanced, f"transactions that do not balance: {unbalanced}"
    assert ledger.trial_balance(db, tenant_id) == 0


def _household_net(db: Session, txn_ids: list[int], household_id: int) -> int:
    if not txn_ids:
        return 0
    return -int(
        db.scalar(
            select(func.coalesce(func.sum(Posting.amount_satang), 0)).where(
                Posting.transaction_id.in_(txn_ids), Posting.household_id == household_id
            )
        )
    )


def assert_tickets_sound(db: Session, tenant_id: int) -> dict[str, int]:
    """Every ticket's money and points match its final status; returns how many ended in each status.

    active: credited exactly once with its total, never reversed, earned its points;
    voided: credit reversed or never made (nets to zero for the member), points back to zero, one void in the audit;
    pending_approval: no credit, no points."""
    counts: dict[str, int] = {}
    expected_balance: dict[int, int] = {}
    for t in db.scalars(select(CollectionTicket).where(CollectionTicket.tenant_id == tenant_id).order_by(CollectionTicket.id)):
        counts[t.status] = counts.get(t.status, 0) + 1
        expected_balance.setdefault(t.household_id, 0)
        credits = list(
            db.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.idempotency_key == f"ticket:{t.client_id}"
                )
            )
        )
        reversals = (
            list(db.scalars(select(LedgerTransaction).where(LedgerTransaction.reverses_id.in_([c.id for c in credits]))))
            if credits
            else []
        )
        net = _household_net(db, [c.id for c in credits + reversals], t.household_id)
        earned = points.ticket_points(db, tenant_id, t.id)
        voids = db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id, AuditEntry.action == "ticket.void", AuditEntry.target_id == t.id)
        )
        where = f"ticket #{t.id} ({t.status})"
        assert len(credits) <= 1, f"{where} credited {len(credits)} times"
        if t.status == "active":
            assert credits and not reversals, f"{where}: credits {len(credits)}, reversals {len(reversals)}"
            assert net == t.total_satang, f"{where}: member credited {net}, ticket says {t.total_satang}"
            assert earned > 0, f"{where} earned no points"
            assert voids == 0, f"{where} has {voids} voids in the audit"
            expected_balance[t.household_id] = expected_balance.get(t.household_id, 0) + t.total_satang
        elif t.status == "voided":
            assert len(reversals) == len(credits), f"{where}: credited but not reversed"
            assert net == 0, f"{where}: the member still holds {net} satang"
            assert earned == 0, f"{where} still carries {earned} points"
            assert voids == 1, f"{where} shows {voids} voids in the audit"
        else:
            assert not credits and net == 0 and earned == 0, f"{where}: credited {net} satang, {earned} points"
    for hid, want in expected_balance.items():
        assert ledger.household_balance(db, tenant_id, hid) == want, f"household {hid} balance"
        row = points.summary(db, tenant_id, hid)
        assert row.balance == points.entries_sum(db, tenant_id, hid), f"household {hid} points row drifted"
    assert_transactions_balance(db, tenant_id)
    assert_ledger_sound(db, tenant_id)  # and every invariant of `thangngoen check-ledger`
    return counts

"""`assert_ledger_sound(session)`: the ledger invariants of `thangngoen check-ledger`, as a test assertion.

Call it at the end of any test that moves money, especially concurrency and fault tests.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from enterprise.ledger_check import check


def assert_ledger_sound(session: Session, tenant_id: int | None = None) -> None:
    session.flush()
    findings = check(session, tenant_id)
    assert not findings, "ledger check found:\n" + "\n".join(
        f"  {f.kind} {f.ref} (tenant {f.tenant_id}): {f.detail}" for f in findings
    )

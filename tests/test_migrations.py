"""The migrations and the models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migrations.models import metadata


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], "run: alembic revision --autogenerate (see README)"


def test_the_migrations_index_every_foreign_key_a_payout_deletion_checks(engine):
    """Cancelling or recomputing a run deletes its draft payouts; each delete checks `reissued_from_id`, which
    took minutes on 30k payouts without an index (issue 10, finding 4)."""
    from sqlalchemy import inspect

    indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("payouts")}
    assert ("reissued_from_id",) in indexed and ("paid_transaction_id",) in indexed
    assert ("created_at",) in {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("outbox_messages")}

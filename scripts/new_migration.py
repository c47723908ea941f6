"""Autogenerate a migration that holds only the named tables (several areas grow the schema at once).

usage: python scripts/new_migration.py REV_ID DOWN_REV "message" table [table ...]
Builds a scratch SQLite database at every current head, diffs the models against it, and keeps only
the operations on the named tables.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.operations import ops

from migrations import alembic_config, upgrade


def main() -> None:
    rev_id, down, message, *tables = sys.argv[1:]
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'scratch.sqlite3'}"
    upgrade(url)
    cfg = alembic_config(url)

    def keep_only(context, revision, directives):  # noqa: ANN001
        script = directives[0]
        script.down_revision = down if down != "None" else None
        for container in (script.upgrade_ops, script.downgrade_ops):
            container.ops = [op for op in container.ops if _table(op) in tables]

    def _table(op) -> str | None:  # noqa: ANN001
        if isinstance(op, ops.ModifyTableOps):
            return op.table_name
        return getattr(op, "table_name", None)

    cfg.attributes["process_revision_directives"] = keep_only
    command.revision(
        cfg, message=message, autogenerate=True, rev_id=rev_id, head=down if down != "None" else "head", splice=True
    )  # branch off a revision that is no longer a head


if __name__ == "__main__":
    main()

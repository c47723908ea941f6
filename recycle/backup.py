"""Backups: PostgreSQL with pg_dump/pg_restore (custom format), the embedded SQLite with its online backup API.

Both copy a consistent snapshot while the app keeps running: pg_dump reads one transaction; SQLite's backup
API copies pages under its own lock. A restore replaces everything in the target database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that could not run; the message says what to fix."""


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return path


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client, same major version as the server)")
    return found


def backup(url: str, target: Path) -> Path:
    """Write a backup of the database at `url` to `target` (a .dump for PostgreSQL, a .sqlite3 copy for SQLite)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target
    if backend == "postgresql":
        done = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), "--dbname", _libpq_url(url)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return target
    raise BackupError(f"no backup for {backend} databases")


def restore(source: Path, url: str) -> None:
    """Replace the database at `url` with the backup in `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(str(source))
        dst = sqlite3.connect(_sqlite_path(url))
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
            src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from None
        finally:
            dst.close()
            src.close()
        return
    if backend == "postgresql":
        done = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                _libpq_url(url),
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        return
    raise BackupError(f"no restore for {backend} databases")

"""Alembic migrations for every package's tables (one history, one metadata), runnable from code."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)


def alembic_config(url: str, connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "heads", connection: Any = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)

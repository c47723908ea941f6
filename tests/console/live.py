"""A live console server for browser tests: its own SQLite file, migrated and demo-seeded, served in a thread."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("CONSOLE_SHOTS", "/tmp/shots-console"))
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need_chromium() -> None:
    """REQUIRE_BROWSER=1 (CI): a missing chromium fails the run instead of skipping the browser tests."""
    if Path(CHROMIUM).exists():
        return
    msg = f"{CHROMIUM} not found (apt-get install chromium)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


@dataclass
class Live:
    url: str
    app: Any
    sessions: Any


def serve(tmp: Path) -> Iterator[Live]:
    from api import demo
    from console import create_app
    from migrations import upgrade
    from recycle.db import UnitOfWork
    from tests.conftest import settings_for_tests

    url = f"sqlite:///{tmp / 'console.sqlite3'}"
    upgrade(url)
    app = create_app(
        {
            "TESTING": False,
            "SETTINGS": settings_for_tests(database_url=url),
            "LOG_LEVEL": "WARNING",
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    sessions = app.extensions["thangngoen.sessions"]
    with UnitOfWork(sessions) as uow:
        demo.seed(uow.session)
        uow.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app, sessions)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["thangngoen.engine"].dispose()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pdf_to_pngs(pdf: bytes, name: str, dpi: int = 110) -> list[Path]:
    """Each page as a PNG in the screenshots folder (to look at) and for zbar."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    src = SHOTS / f"{name}.pdf"
    src.write_bytes(pdf)
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(SHOTS / name)], check=True)
    return sorted(SHOTS.glob(f"{name}-*.png"))


def have_pdftoppm() -> bool:
    return shutil.which("pdftoppm") is not None

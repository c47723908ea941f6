"""`thangngoen serve` (console.cli) serves the API and the console and says where, with the demo staff login."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import make_cli
from console import create_app


def test_serve_prints_the_console_address_and_demo_staff_login(tmp_path, monkeypatch) -> None:
    import werkzeug.serving

    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, app, **kw: served.update(app=app, port=port))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret-0123456789abcdef")
    monkeypatch.setenv("CARD_SECRET_KEY", "1:card-test-secret-0123456789abcdefghij")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # never reached by these commands
    result = CliRunner().invoke(make_cli(create_app), ["serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert "Staff console: http://127.0.0.1:5055/console" in result.output
    assert "phone 0800000002, password demo-staff-2026" in result.output
    assert "console" in served["app"].blueprints and served["port"] == 5055


def test_entry_point_is_the_console_cli() -> None:
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["thangngoen"] == "console.cli:main"


def test_the_full_app_serves_the_api_the_console_and_the_public_dashboard(tmp_path):
    """What `thangngoen serve` and gunicorn run: one app, three front doors."""
    from console import create_app
    from tests.conftest import settings_for_tests

    app = create_app(
        {
            "TESTING": True,
            "SETTINGS": settings_for_tests(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/api/v1/docs" in rules or any(r.startswith("/api/v1/") for r in rules)
    assert any(r.startswith("/console") for r in rules)
    assert any(r.startswith("/public/<") for r in rules)

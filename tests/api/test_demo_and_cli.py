"""The front door: the demo tenant a fresh `serve` creates, and the bootstrap commands."""

from __future__ import annotations

from click.testing import CliRunner

from api import demo
from api.cli import cli
from tests.conftest import make_app, settings_for_tests


def test_demo_tenant_is_a_living_waste_bank(client, db):
    logins = demo.seed(db)
    db.commit()
    demo.seed(db)  # idempotent
    board = client.get("/api/v1/public/khrueng/prices").json["items"]
    codes = {row["material_code"] for row in board}
    assert {"PET_CLEAR", "ALU_CAN", "COPPER", "CARDBOARD", "BOTTLE_RETURNABLE", "ORGANIC", "BATTERY"} <= codes
    assert {"up", "down", "same"} <= {row["change"] for row in board}
    villages = client.get("/api/v1/public/khrueng/villages").json
    assert villages["total"] == 5
    for login in logins:
        r = client.post("/api/v1/auth/login", json={"tenant": "khrueng", "phone": login.phone, "password": login.password})
        assert r.status_code == 200 and r.json["role"] == login.role


def test_bootstrap_a_new_deployment_from_the_command_line(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret-0123456789abcdef")
    monkeypatch.setenv("CARD_SECRET_KEY", "1:cli-test-card-key-0123456789abcdefgh")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # never reached by these commands
    monkeypatch.setenv("THANGNGOEN_INSTANCE", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(cli, ["seed-demo"])  # finding 14.9: no published demo passwords on a real database
    assert refused.exit_code != 0 and "--demo" in refused.output
    r = runner.invoke(cli, ["create-tenant", "wiang", "--name-th", "เทศบาลตำบลเวียง", "--name-en", "Wiang"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["create-tenant", "wiang", "--name-th", "x", "--name-en", "x"])
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(
        cli,
        [
            "create-user",
            "--tenant",
            "wiang",
            "--role",
            "admin",
            "--phone",
            "081-111-2222",
            "--password",
            "12345678",
            "--name",
            "Admin",
        ],
    )
    assert r.exit_code != 0 and "password" in r.output
    r = runner.invoke(
        cli,
        [
            "create-user",
            "--tenant",
            "wiang",
            "--role",
            "admin",
            "--phone",
            "081-111-2222",
            "--password",
            "wiang-admin-pass",
            "--name",
            "Admin",
        ],
    )
    assert r.exit_code == 0, r.output
    app = make_app(None, SETTINGS=settings_for_tests(database_url=url))
    r = app.test_client().post(
        "/api/v1/auth/login", json={"tenant": "wiang", "phone": "+66811112222", "password": "wiang-admin-pass"}
    )
    assert r.status_code == 200 and r.json["role"] == "admin"

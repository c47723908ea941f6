"""`pip install .` works anywhere: the wheel carries every template, receipt and catalog, and the installed
package serves a receipt, starts under gunicorn and starts a Celery worker from an unrelated directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY")
    }
    env["THANGNGOEN_INSTANCE"] = str(tmp / "instance")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        cwd=out,
        capture_output=True,
    )
    return next(out.glob("thangngoen-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A virtualenv holding only the wheel (its dependencies come from the system site-packages)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return py


def test_the_wheel_carries_every_template_receipt_catalog_and_migration(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        "console/wsgi.py",
        "api/templates/receipt_58mm.txt",
        "api/templates/passbook.html",
        "api/templates/cards.html",
        "api/templates/problem.html",
        "api/translations/th/LC_MESSAGES/messages.po",
        "migrations/script.py.mako",
        "pricing/data/demo-catalog.csv",
    }
    for folder in ("api/templates", "migrations/versions"):
        wanted |= {
            str(p.relative_to(ROOT)) for p in (ROOT / folder).iterdir() if p.is_file() and p.suffix in (".txt", ".html", ".py")
        }
    assert sorted(wanted - names) == []
    assert not any(n.startswith("tests/") for n in names)


SMOKE = r"""
import json, sys
import api
assert api.__file__.startswith(sys.prefix), api.__file__  # the installed copy, not the checkout
from console.wsgi import app, celery_app
c = app.test_client()
def post(url, body, h=None):
    r = c.post(url, json=body, headers=h or {})
    assert r.status_code < 300, (url, r.status_code, r.get_data(as_text=True))
    return r.get_json()
def login(phone, pw):
    return {"Authorization": "Bearer " + post("/api/v1/auth/login", {"tenant": "khrueng", "phone": phone, "password": pw})["access_token"]}
staff, collector = login("0800000002", "demo-staff-2026"), login("0800000004", "demo-collect-2026")
hid = c.get("/api/v1/households", headers=staff).get_json()["items"][0]["id"]
mat = c.get("/api/v1/materials", headers=staff).get_json()["items"][0]
t = post("/api/v1/collections", {"client_id": "6f1c2b7e-3a0d-4c55-9a61-7d2f8e4b9c10", "collected_at": "2026-11-20T09:00:00+07:00",
         "household_id": hid, "lines": [{"material_code": mat["code"], "grade": mat["grades"][0]["code"], "weight_g": 3200}]}, collector)
r = c.get(f"/api/v1/collections/{t['id']}/receipt", headers=collector)
assert r.status_code == 200 and r.mimetype == "text/plain", r.get_data(as_text=True)
bad = c.post("/api/v1/collections", json={"lines": []}, headers=collector).get_json()
page = c.get("/api/v1/problems/validation", headers={"Accept": "text/html"})
print(json.dumps({"receipt": r.get_data(as_text=True), "title": bad["title"], "page": page.status_code,
                  "openapi": c.get("/api/v1/openapi.json").status_code, "celery": type(celery_app).__name__}))
"""


def test_installed_outside_the_checkout_it_serves_a_receipt_in_thai(installed, tmp_path):
    env = _clean_env(tmp_path)
    subprocess.run(
        [str(installed), "-c", "from api.cli import main; main()", "seed-demo"],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    r = subprocess.run([str(installed), "-c", SMOKE], check=False, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    import json

    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["title"] == "ข้อมูลไม่ถูกต้อง"  # the catalog was found in the installed package
    assert out["page"] == 200 and out["openapi"] == 200 and out["celery"] == "Celery"
    assert len(out["receipt"].splitlines()) > 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_and_a_celery_worker_start_from_an_unrelated_directory(installed, tmp_path):
    env = _clean_env(tmp_path)
    port = _free_port()
    gunicorn = subprocess.Popen(
        [str(installed), "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "console.wsgi:app"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/swagger.json", timeout=2) as resp:
                    body = resp.read()
                    break
            except OSError:
                if gunicorn.poll() is not None:
                    pytest.fail("gunicorn exited: " + gunicorn.stderr.read()[-2000:])
                time.sleep(0.25)
        assert body and b'"swagger": "2.0"' in body
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)

    worker = subprocess.Popen(
        [
            str(installed),
            "-m",
            "celery",
            "-A",
            "console.wsgi:celery_app",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = []
        for line in worker.stdout:
            seen.append(line)
            if "ready." in line:
                break
        assert any("ready." in s for s in seen), "".join(seen)[-2000:]
        assert any("recycle.purge_revoked_tokens" in s for s in seen)  # the tasks were registered
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_compose_file_runs_the_documented_commands():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "api", "worker", "beat"} <= set(services)
    commands = {name: " ".join(s.get("command", [])) for name, s in services.items()}
    assert commands["api"].startswith("gunicorn") and commands["api"].endswith("console.wsgi:app")
    assert commands["worker"].startswith("celery -A console.wsgi:celery_app worker")
    assert commands["beat"].startswith("celery -A console.wsgi:celery_app beat")
    readme = (ROOT / "README.md").read_text()
    for cmd in (
        "console.wsgi:app",
        "celery -A console.wsgi:celery_app worker",
        "celery -A console.wsgi:celery_app beat",
        "docker compose up",
    ):
        assert cmd in readme, cmd
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip wheel" in dockerfile and "console.wsgi:app" in dockerfile
    for unit in ("api", "worker", "beat"):
        text = (ROOT / "deploy" / "systemd" / f"thangngoen-{unit}.service").read_text()
        assert "console.wsgi" in text and "EnvironmentFile=/etc/thangngoen/env" in text

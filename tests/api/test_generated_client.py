"""What a mobile developer does on day one: generate a client from /api/v1/openapi.json and drive the API with it.

openapi-python-client generates the client into a temp dir; it must cover every operation with a typed
success response, and carry the core chain against a live server in a thread (werkzeug, a temp SQLite
with the demo waste bank): log in, scan a card, post a weigh-in, sync a batch, read the wallet, run a
settlement and have a second staff member approve it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
import subprocess
import sys
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from tests.conftest import settings_for_tests

pytestmark = pytest.mark.slow
PKG = "thangngoen_client"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The API on 127.0.0.1 (a free port) over a migrated, demo-seeded SQLite file."""
    from api import create_app
    from api.cli import _seed_demo
    from migrations import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}"
    app = create_app(
        {
            "SETTINGS": settings_for_tests(database_url=url),
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "10000 per minute",
        }
    )
    upgrade(url)
    with app.app_context():
        _seed_demo(echo=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["thangngoen.engine"].dispose()


@pytest.fixture(scope="module")
def generated(live, tmp_path_factory):
    """The client, generated from the served document exactly as the README tells a developer to."""
    import urllib.request

    _app, base = live
    out = tmp_path_factory.mktemp("client")
    with urllib.request.urlopen(base + "/api/v1/openapi.json") as resp:
        (out / "openapi.json").write_bytes(resp.read())
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(out / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(out / PKG),
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    warnings = [ln for ln in (r.stdout + r.stderr).splitlines() if "WARNING" in ln or "Unsupported" in ln]
    assert warnings == [], r.stdout + r.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PKG), __import__("json").loads((out / "openapi.json").read_text())
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PKG or m.startswith(PKG + ".")]:
            del sys.modules[name]


def _module(pkg, tag: str, operation_id: str):
    tag_mod = re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")
    return importlib.import_module(f"{pkg.__name__}.api.{tag_mod}.{operation_id}")


def test_the_client_covers_every_operation_with_a_typed_success_response(generated):
    pkg, doc = generated
    ops = [
        (m, p, op) for p, item in doc["paths"].items() for m, op in item.items() if m in ("get", "post", "put", "patch", "delete")
    ]
    assert len(ops) >= 100
    untyped = []
    for method, path, op in ops:
        mod = _module(pkg, op["tags"][0], op["operationId"])
        assert hasattr(mod, "sync_detailed"), (method, path)
        src = inspect.getsource(mod._parse_response)
        success = [c for c in op["responses"] if int(c) < 300]
        for code in success:
            m = re.search(rf"status_code == {code}:\n\s+response_{code} = (.+)", src)
            if not m or "None" in m.group(1):
                untyped.append(f"{method.upper()} {path} {code}")
    assert untyped == []


def test_the_core_chain_through_the_generated_client(generated, live):
    pkg, _doc = generated
    _app, base = live
    from api import demo

    Client, AuthenticatedClient = pkg.Client, pkg.AuthenticatedClient
    api = lambda tag, op: _module(pkg, tag, op)
    models = importlib.import_module(f"{PKG}.models")
    public = Client(base_url=base + "/api/v1", raise_on_unexpected_status=True)

    def login(role: str, index: int = 0):
        who = [x for x in demo.LOGINS if x.role == role][index]
        tokens = api("auth", "post_login").sync(
            client=public, body=models.Login(tenant=demo.SLUG, phone=who.phone, password=who.password)
        )
        assert isinstance(tokens, models.Tokens), tokens
        return AuthenticatedClient(base_url=base + "/api/v1", token=tokens.access_token, raise_on_unexpected_status=True)

    treasurer, checker, collector, member = login("staff", 0), login("staff", 1), login("collector"), login("household")

    me = api("users", "get_me").sync(client=member)
    hid = me.household_id
    card = api("households", "get_household_qr").sync(
        client=treasurer, household_id=hid, format_=models.GetHouseholdQrFormat("text")
    )
    scanned = api("households", "post_scans").sync(client=collector, body=models.Scan(qr=card.strip()))
    assert isinstance(scanned, models.ScanResult) and scanned.household.id == hid

    before = api("wallet", "get_my_wallet").sync(client=member).balance_satang
    material = api("pricing", "get_materials").sync(client=collector).items[0]
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)

    def weigh_in(grams: int):
        return models.TicketCreate(
            client_id=uuid.uuid4(),
            collected_at=when,
            qr=card.strip(),  # scanned at the door
            lines=[models.TicketLineIn(material_code=material.code, grade=material.grades[0].code, weight_g=grams)],
        )

    ticket = api("collections", "post_collections").sync(client=collector, body=weigh_in(3200))
    assert isinstance(ticket, models.Ticket), ticket
    assert ticket.total_satang > 0 and ticket.household_id == hid

    synced = api("collections", "post_collections_sync").sync(
        client=collector, body=models.SyncRequest(items=[weigh_in(1000), weigh_in(500)])
    )
    assert isinstance(synced, models.SyncResult), synced
    assert synced.created == 2
    total = ticket.total_satang + sum(r.ticket.total_satang for r in synced.results)

    wallet = api("wallet", "get_my_wallet").sync(client=member)
    assert isinstance(wallet, models.Wallet)
    assert wallet.balance_satang == before + total

    period_end = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7) - dt.timedelta(days=1)).date()
    run = api("settlements", "post_settlements").sync(client=treasurer, body=models.SettlementCreate(period_end=period_end))
    assert isinstance(run, models.Settlement), run
    run = api("settlements", "get_settlement_one").sync(client=treasurer, run_id=run.id)
    assert run.status == "computed"

    refused = api("settlements", "post_settlement_approve").sync(client=treasurer, run_id=run.id)
    assert isinstance(refused, models.Problem) and refused.status == 403  # the maker may not check
    approved = api("settlements", "post_settlement_approve").sync(client=checker, run_id=run.id)
    assert isinstance(approved, models.Settlement), approved
    assert approved.status == "approved"


def test_the_documented_weigh_in_example_is_accepted_as_is(live):
    """Swagger UI's "Try it out" body for POST /collections works against the demo waste bank."""
    import json
    import urllib.request

    from api import demo

    _app, base = live

    def call(path, body=None, token=None):
        req = urllib.request.Request(
            base + "/api/v1" + path,
            data=json.dumps(body).encode() if body else None,
            headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})},
        )
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    _, doc = call("/openapi.json")
    _, swagger = call("/swagger.json")
    example = doc["components"]["schemas"]["TicketCreate"]["example"]
    assert swagger["definitions"]["TicketCreate"]["example"]["lines"] == example["lines"]
    who = next(x for x in demo.LOGINS if x.role == "collector")
    _, tokens = call("/auth/login", {"tenant": demo.SLUG, "phone": who.phone, "password": who.password})
    status, ticket = call("/collections", example, tokens["access_token"])
    assert status == 201, ticket
    assert [ln["material_code"] for ln in ticket["lines"]] == ["PET_CLEAR", "ALU_CAN"]
    sync_example = doc["components"]["schemas"]["SyncRequest"]["example"]
    status, result = call("/collections/sync", sync_example, tokens["access_token"])
    assert status == 200 and result["created"] == 1, result

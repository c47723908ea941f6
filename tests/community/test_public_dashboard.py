"""The citizen dashboard and open data: served without login, no count below 5 anywhere."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from recycle.db import utcnow
from tests.pickup.ticket_helpers import ticket


def _month() -> str:
    return (utcnow()).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Bangkok")).strftime("%Y-%m")


def test_dashboard_without_login_suppresses_the_small_village(client: Any, tenant: Any, community: Any) -> None:
    r = client.get(f"/public/{tenant.slug}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.data.decode()
    assert "บ้านใหญ่" in html and "บ้านเล็ก" in html
    small_row = re.search(r"บ้านเล็ก</td><td class=\"num\">([^<]*)</td>", html).group(1)
    big_row = re.search(r"บ้านใหญ่</td><td class=\"num\">([^<]*)</td>", html).group(1)
    assert small_row == "&lt; 5"
    # the total (9) minus the big village (6) would give the small one away: the big one is hidden too
    assert big_row == "—" and "6" not in big_row
    assert "พ.ศ. " in html and "<svg" in html
    for h in community["homes"]["small"] + community["homes"]["big"]:
        assert h.name not in html  # no member names


def test_dashboard_shows_kilograms_and_switches_to_english(client: Any, tenant: Any, community: Any) -> None:
    html = client.get(f"/public/{tenant.slug}?lang=en").data.decode()
    assert "Households taking part" in html and "Kept out of landfill" in html
    # 9 tickets of 2.5 kg PET + 1.234 kg cans = 33.606 kg
    assert "33.6 kg" in html


def test_a_new_weigh_in_changes_the_page_and_its_etag(client: Any, tenant: Any, community: Any, auth: Any, staff: Any) -> None:
    first = client.get(f"/public/{tenant.slug}")
    assert client.get(f"/public/{tenant.slug}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    h = community["homes"]["big"][0]
    assert client.post("/api/v1/collections", headers=auth(staff), json=ticket(household_id=h.id)).status_code == 201
    second = client.get(f"/public/{tenant.slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert "37.3" in second.data.decode()  # 33.606 + 3.734 kg


def test_unknown_tenant_is_404(client: Any, community: Any) -> None:
    assert client.get("/public/no-such-bank").status_code == 404


def test_the_page_declares_it_is_public_for_the_role_matrix(app: Any) -> None:
    from tests.api.test_role_matrix import _routes

    assert [r.rule for r, _, fn in _routes(app) if not hasattr(fn, "_roles")] == []
    assert app.view_functions["public_pages.dashboard"]._roles == ()


def test_open_data_csv_suppresses_cells_below_five(client: Any, tenant: Any, community: Any) -> None:
    r = client.get(f"/api/v1/public/{tenant.slug}/open-data/{_month()}.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8"))))
    assert all(re.fullmatch(r"[a-z0-9_]+", c) for c in rows[0])
    small = [x for x in rows if x["village_name_en"] == "Small village"]
    big = [x for x in rows if x["village_name_en"] == "Big village"]
    assert {x["material_code"] for x in small} == {"PET_CLEAR", "ALU_CAN"}
    assert all(x["households"] == "" and x["weight_kg"] == "" and x["suppressed"] == "true" for x in small)
    assert {(x["material_code"], x["households"], x["weight_kg"]) for x in big} == {
        ("PET_CLEAR", "6", "15.000"),
        ("ALU_CAN", "6", "7.404"),
    }
    for x in rows:
        assert x["households"] == "" or int(x["households"]) >= 5


def test_open_data_metadata_has_data_go_th_fields(client: Any, tenant: Any, community: Any) -> None:
    r = client.get(f"/api/v1/public/{tenant.slug}/open-data/metadata.json")
    assert r.status_code == 200
    m = r.json
    for key in (
        "title",
        "notes",
        "data_category",
        "data_classification",
        "update_frequency_unit",
        "geo_coverage",
        "last_year_of_data",
        "license_id",
        "contact",
        "allow_harvest",
        "objective",
    ):
        assert key in m
    assert m["last_year_of_data"] == utcnow().year + 543
    assert re.search("[ก-๙]", m["title"])
    assert m["resources"][-1]["url"].endswith(f"/open-data/{_month()}.csv")


def test_bad_month_is_a_problem_naming_the_field(client: Any, tenant: Any, community: Any) -> None:
    r = client.get(f"/api/v1/public/{tenant.slug}/open-data/2026-13.csv")
    assert r.status_code in (400, 422) and "month" in r.json["errors"]


def test_cli_exports_the_month(tmp_path: Any, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from api.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret-0123456789abcdef")
    monkeypatch.setenv("CARD_SECRET_KEY", "1:card-test-secret-0123456789abcdefghij")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # never reached by these commands
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["create-tenant", "wiang", "--name-th", "เวียง", "--name-en", "Wiang"]).exit_code == 0
    r = runner.invoke(cli, ["open-data", "export", "--tenant", "wiang", "--month", "2569-11", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "o" / "wiang-2026-11.csv").read_text(encoding="utf-8")
    assert text.startswith("month,village_moo,")
    assert '"last_year_of_data"' in (tmp_path / "o" / "wiang-metadata.json").read_text(encoding="utf-8")
    bad = runner.invoke(cli, ["open-data", "export", "--tenant", "wiang", "--month", "11-2026"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_dump_dashboard_for_a_look(client: Any, tenant: Any, community: Any) -> None:
    import os

    if os.environ.get("DUMP_DASHBOARD"):
        open(os.environ["DUMP_DASHBOARD"], "w", encoding="utf-8").write(client.get(f"/public/{tenant.slug}").data.decode())

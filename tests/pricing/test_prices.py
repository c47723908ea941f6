"""Prices through the API: scheduling, guards, the board, history and quotes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pricing.models import Price
from recycle.db import utcnow


def iso(t: dt.datetime) -> str:
    return t.isoformat()


def post_prices(client, headers, *items, confirm_loss=False):
    return client.post("/api/v1/prices", headers=headers, json={"prices": list(items), "confirm_loss": confirm_loss})


def test_scheduled_change_takes_effect_at_its_instant(client, auth, staff, member, catalog):
    later = utcnow() + dt.timedelta(hours=2)
    r = post_prices(
        client, auth(staff), {"material_code": "pet_clear", "grade": "a", "buy_price_satang": 950, "effective_from": iso(later)}
    )
    assert r.status_code == 201, r.json
    now_prices = {(p["material_code"], p["grade"]): p for p in client.get("/api/v1/prices", headers=auth(member)).json["items"]}
    assert now_prices[("PET_CLEAR", "A")]["buy_price_satang"] == 900
    at = iso(later + dt.timedelta(minutes=1))
    then = {
        (p["material_code"], p["grade"]): p
        for p in client.get("/api/v1/prices", headers=auth(member), query_string={"at": at}).json["items"]
    }
    assert then[("PET_CLEAR", "A")]["buy_price_satang"] == 950 and then[("PET_CLEAR", "A")]["change"] == "up"
    assert "ref_sale_price_satang" not in then[("PET_CLEAR", "A")]  # the enterprise's margin is staff-only


def test_bad_price_changes_are_refused_and_nothing_is_written(client, db, auth, staff, catalog):
    before = db.scalar(select(func.count()).select_from(Price))
    good = {"material_code": "ALU_CAN", "buy_price_satang": 4100}
    cases = [
        ({"material_code": "PET_CLEAR", "buy_price_satang": -1}, "prices.0.buy_price_satang"),
        ({"material_code": "NOPE", "buy_price_satang": 100}, "prices.1.material_code"),
        ({"material_code": "PET_CLEAR", "grade": "Z", "buy_price_satang": 100}, "prices.1.grade"),
        (
            {"material_code": "PET_CLEAR", "buy_price_satang": 100, "effective_from": iso(utcnow() - dt.timedelta(hours=1))},
            "prices.1.effective_from",
        ),
        ({"material_code": "PET_CLEAR", "buy_price_satang": 2000}, "prices.1.buy_price_satang"),  # above sale 1150
        (
            {"material_code": "PET_CLEAR", "buy_price_satang": 100, "effective_from": "2030-01-01T00:00:00"},
            "prices.1.effective_from",
        ),  # no offset
    ]
    for bad, field in cases:
        items = [bad] if field.startswith("prices.0") else [good, bad]
        r = post_prices(client, auth(staff), *items)
        assert r.status_code == 422, (field, r.json)
        assert field in r.json["errors"], (field, r.json)
    assert db.scalar(select(func.count()).select_from(Price)) == before


def test_loss_guard_can_be_confirmed(client, auth, staff, catalog):
    r = post_prices(client, auth(staff), {"material_code": "PET_CLEAR", "buy_price_satang": 2000}, confirm_loss=True)
    assert r.status_code == 201 and r.json["prices"][0]["loss_confirmed"] is True


def test_two_prices_for_the_same_instant(client, auth, staff, catalog):
    at = iso(utcnow() + dt.timedelta(days=1))
    item = {"material_code": "ALU_CAN", "buy_price_satang": 4100, "effective_from": at}
    r = post_prices(client, auth(staff), item, {**item, "buy_price_satang": 4200})
    assert r.status_code == 422 and "prices.1.effective_from" in r.json["errors"]
    assert post_prices(client, auth(staff), item).status_code == 201
    r = post_prices(client, auth(staff), {**item, "buy_price_satang": 4200})
    assert r.status_code == 409 and "effective_from" in r.json["errors"]


def test_retired_material_cannot_be_priced_or_quoted(client, auth, staff, catalog):
    mid = catalog["ALU_CAN"].id
    assert client.post(f"/api/v1/materials/{mid}/retire", headers=auth(staff), json={}).status_code == 200
    assert (
        "prices.0.material_code"
        in post_prices(client, auth(staff), {"material_code": "ALU_CAN", "buy_price_satang": 1}).json["errors"]
    )
    r = client.post("/api/v1/quotes", headers=auth(staff), json={"lines": [{"material_code": "ALU_CAN", "weight_g": 100}]})
    assert r.status_code == 422 and "lines.0.material_code" in r.json["errors"]
    codes = [m["code"] for m in client.get("/api/v1/materials", headers=auth(staff)).json["items"]]
    assert "ALU_CAN" not in codes and "PET_CLEAR" in codes
    r = client.post(f"/api/v1/materials/{mid}/retire", headers=auth(staff), json={"grade": "Q"})
    assert r.status_code == 422 and "grade" in r.json["errors"]


def test_public_board_shows_changes_and_answers_304(client, db, auth, staff, tenant, catalog):
    post_prices(client, auth(staff), {"material_code": "ALU_CAN", "buy_price_satang": 3800})
    r = client.get(f"/api/v1/public/{tenant.slug}/prices", headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.headers["ETag"]
    rows = {(i["material_code"], i["grade"]): i for i in r.json["items"]}
    alu = rows[("ALU_CAN", "A")]
    assert (alu["buy_price_satang"], alu["previous_price_satang"], alu["change"], alu["change_satang"]) == (
        3800,
        4000,
        "down",
        -200,
    )
    assert rows[("PET_CLEAR", "A")]["change"] == "new" and alu["name"] == "ALU_CAN en"
    assert "ref_sale_price_satang" not in alu
    again = client.get(
        f"/api/v1/public/{tenant.slug}/prices", headers={"If-None-Match": r.headers["ETag"], "Accept-Language": "en"}
    )
    assert again.status_code == 304 and again.data == b""
    post_prices(client, auth(staff), {"material_code": "ALU_CAN", "buy_price_satang": 3900})
    changed = client.get(
        f"/api/v1/public/{tenant.slug}/prices", headers={"If-None-Match": r.headers["ETag"], "Accept-Language": "en"}
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/public/no-such-bank/prices").status_code == 404
    page = client.get(f"/api/v1/public/{tenant.slug}/prices/board")
    assert page.mimetype == "text/html" and "40.00" not in page.get_data(as_text=True) and "39.00" in page.get_data(as_text=True)


def test_history_for_charts(client, auth, staff, member, catalog):
    t1, t2 = utcnow() + dt.timedelta(days=1), utcnow() + dt.timedelta(days=2)
    post_prices(
        client,
        auth(staff),
        {"material_code": "PET_CLEAR", "buy_price_satang": 910, "effective_from": iso(t1)},
        {"material_code": "PET_CLEAR", "buy_price_satang": 920, "effective_from": iso(t2)},
    )
    h = client.get("/api/v1/prices/history", headers=auth(member), query_string={"material_code": "PET_CLEAR", "grade": "A"}).json
    assert [p["buy_price_satang"] for p in h["items"]] == [900, 910, 920]
    assert "ref_sale_price_satang" not in h["items"][0]
    h = client.get(
        "/api/v1/prices/history",
        headers=auth(staff),
        query_string={"material_code": "PET_CLEAR", "grade": "A", "from": iso(t1 - dt.timedelta(minutes=1))},
    ).json
    assert [p["buy_price_satang"] for p in h["items"]] == [910, 920] and h["items"][0]["ref_sale_price_satang"] == 1150
    bad = client.get("/api/v1/prices/history", headers=auth(staff), query_string={"from": iso(t2), "to": iso(t1)})
    assert bad.status_code == 422 and "to" in bad.json["errors"]


def test_quote_total_is_the_sum_of_rounded_lines(client, auth, member, catalog):
    lines = [
        {"material_code": "PET_CLEAR", "weight_g": 1},
        {"material_code": "PET_CLEAR", "grade": "B", "weight_g": 1},
        {"material_code": "ALU_CAN", "weight_g": 1234},
        {"material_code": "BOTTLE", "quantity": 12},
        {"material_code": "BATTERY", "weight_g": 800},
    ]
    q = client.post("/api/v1/quotes", headers=auth(member), json={"lines": lines}).json
    amounts = [ln["amount_satang"] for ln in q["lines"]]
    # 1 g x 900/kg = 0.9 -> 1; 1 g x 900 = 1; 1234 g x 4000 = 4936; 12 x 30 = 360; batteries earn nothing
    assert amounts == [1, 1, 4936, 360, 0] and q["total_satang"] == sum(amounts) == 5298
    assert q["co2e_g"] == 1 + 1 + 12419 + 0 + 0  # 1234 g x 10064 g/kg = 12418.976 -> 12419


def test_quote_line_errors_name_the_line(client, auth, member, catalog):
    cases = [
        ({"material_code": "PET_CLEAR", "weight_g": 0}, "lines.0.weight_g"),
        ({"material_code": "PET_CLEAR", "weight_g": -5}, "lines.0.weight_g"),
        ({"material_code": "PET_CLEAR", "weight_g": 10_000_000}, "lines.0.weight_g"),
        ({"material_code": "PET_CLEAR"}, "lines.0.weight_g"),
        ({"material_code": "BOTTLE", "weight_g": 500}, "lines.0.quantity"),
        ({"material_code": "UNOBTAINIUM", "weight_g": 5}, "lines.0.material_code"),
        ({"material_code": "PET_CLEAR", "weight_g": 1.5}, "lines.0.weight_g"),
    ]
    for line, field in cases:
        r = client.post("/api/v1/quotes", headers=auth(member), json={"lines": [line]})
        assert r.status_code == 422 and field in r.json["errors"], (line, r.json)
    assert "lines" in client.post("/api/v1/quotes", headers=auth(member), json={"lines": []}).json["errors"]


def test_a_quote_in_the_past_uses_the_price_then(client, auth, staff, member, catalog):
    yesterday_noon = utcnow() - dt.timedelta(hours=12)
    before = client.post(
        "/api/v1/quotes",
        headers=auth(member),
        json={"lines": [{"material_code": "ALU_CAN", "weight_g": 1000}], "at": iso(yesterday_noon)},
    ).json
    post_prices(client, auth(staff), {"material_code": "ALU_CAN", "buy_price_satang": 4500}, confirm_loss=False)
    now = client.post(
        "/api/v1/quotes", headers=auth(member), json={"lines": [{"material_code": "ALU_CAN", "weight_g": 1000}]}
    ).json
    assert before["total_satang"] == 4000 and now["total_satang"] == 4500
    too_early = client.post(
        "/api/v1/quotes",
        headers=auth(member),
        json={"lines": [{"material_code": "ALU_CAN", "weight_g": 1000}], "at": iso(utcnow() - dt.timedelta(days=60))},
    )
    assert too_early.status_code == 422 and "lines.0.material_code" in too_early.json["errors"]


def test_a_code_that_trims_to_nothing_or_holds_control_characters_is_refused_by_name(client, auth, staff):
    """Found by fuzzing: a grade coded as one no-break space was stored as an empty code."""
    body = {"code": "GLASS_\u0011", "name_th": "แก้ว", "name_en": "Glass", "category": "recyclable", "unit": "kg"}
    bad = client.post("/api/v1/materials", json={**body, "grades": [{"code": "\u00a0"}]}, headers=auth(staff))
    assert bad.status_code == 422
    fields = bad.json["errors"]
    assert "code" in fields and any("grades" in k for k in fields), fields
    ok = client.post("/api/v1/materials", json={**body, "code": "GLASS_CLEAR", "grades": [{"code": "A"}]}, headers=auth(staff))
    assert ok.status_code == 201 and ok.json["grades"][0]["code"] == "A"

"""The public price board that every phone polls: a 304 costs one query, a 200 at most three."""

from __future__ import annotations

import datetime as dt

from pricing import book
from pricing.prices import PriceChange, set_prices
from recycle.db import utcnow
from recycle.principal import Principal


def _url(tenant) -> str:  # noqa: ANN001
    return f"/api/v1/public/{tenant.slug}/prices"


def test_a_304_is_one_query_and_a_200_from_cache_at_most_three(client, db, tenant, catalog, statements):
    book.clear()
    first = client.get(_url(tenant))
    assert first.status_code == 200 and first.json["items"]
    with statements() as c:
        again = client.get(_url(tenant), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert c.n <= 1, c
    with statements() as c:
        cached = client.get(_url(tenant))
    assert cached.status_code == 200 and cached.data == first.data
    assert c.n <= 3, c
    book.clear()  # another worker that never saw this tenant: loads the book, still within three
    with statements() as c:
        cold = client.get(_url(tenant))
    assert cold.data == first.data
    assert c.n <= 3, c


def test_a_price_write_changes_the_etag_and_the_body(client, db, tenant, catalog, staff):
    first = client.get(_url(tenant))
    set_prices(db, Principal(staff.id, tenant.id, "staff"), [PriceChange("ALU_CAN", "A", 4400)])
    db.flush()
    second = client.get(_url(tenant), headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    alu = next(i for i in second.json["items"] if i["material_code"] == "ALU_CAN")
    assert (alu["buy_price_satang"], alu["previous_price_satang"], alu["change"]) == (4400, 4000, "up")


def test_a_scheduled_price_takes_effect_without_a_write(client, db, tenant, catalog, staff, monkeypatch):
    soon = utcnow() + dt.timedelta(minutes=30)
    set_prices(db, Principal(staff.id, tenant.id, "staff"), [PriceChange("ALU_CAN", "A", 3900, effective_from=soon)])
    db.flush()
    before = client.get(_url(tenant))
    alu = next(i for i in before.json["items"] if i["material_code"] == "ALU_CAN")
    assert alu["buy_price_satang"] == 4000
    later = soon + dt.timedelta(minutes=1)
    monkeypatch.setattr("api.namespaces.pricing.utcnow", lambda: later)
    after = client.get(_url(tenant), headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    alu = next(i for i in after.json["items"] if i["material_code"] == "ALU_CAN")
    assert (alu["buy_price_satang"], alu["change"]) == (3900, "down")


def test_the_language_is_part_of_the_etag(client, db, tenant, catalog):
    th = client.get(_url(tenant))
    en = client.get(_url(tenant), headers={"Accept-Language": "en", "If-None-Match": th.headers["ETag"]})
    assert en.status_code == 200
    assert en.json["items"][0]["name"].endswith(" en") and th.json["items"][0]["name"].endswith("ไทย")

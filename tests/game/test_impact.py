"""Environmental impact per household, village and waste bank, with an equivalent people understand."""

from __future__ import annotations

from tests import factories
from tests.pickup.ticket_helpers import ticket


def test_kilos_by_material_co2e_and_trees_for_me_my_village_and_the_bank(
    client, db, auth, tenant, catalog, collector, staff, member
):
    neighbour = factories.HouseholdUserFactory(
        tenant=tenant, household=factories.HouseholdFactory(tenant=tenant, village=member.household.village)
    )
    elsewhere = factories.HouseholdUserFactory(tenant=tenant)
    post = lambda who, lines: (  # noqa: E731
        client.post(
            "/api/v1/collections",
            headers=auth(collector),  # noqa: E731
            json=ticket(household_id=who.household_id, lines=lines),
        ).json
    )
    mine = post(member, [{"material_code": "ALU_CAN", "weight_g": 10_000}, {"material_code": "BOTTLE", "quantity": 12}])
    post(neighbour, [{"material_code": "PET_CLEAR", "weight_g": 2000}])
    voided = post(elsewhere, [{"material_code": "ALU_CAN", "weight_g": 50_000}])
    client.post(f"/api/v1/collections/{voided['id']}/void", headers=auth(staff), json={"reason": "test weighing"})
    post(elsewhere, [{"material_code": "ALU_CAN", "weight_g": 1000}])

    me = client.get("/api/v1/me/impact", headers={**auth(member), "Accept-Language": "en"}).json
    # aluminium avoids 10,064 g CO2e per kg (EPA WARM): 10 kg -> 100,640 g, about 4.6 trees' yearly uptake at 22 kg
    assert (me["scope"], me["weight_g"], me["co2e_g"], me["deposits"]) == ("household", 10_000, 100_640, 1)
    assert me["co2e_g"] == mine["co2e_g"] and me["trees_for_a_year"] == 4.6 and me["car_km"] == 100_640 // 249
    by_code = {m["material_code"]: m for m in me["materials"]}
    assert by_code["ALU_CAN"]["weight_g"] == 10_000 and by_code["BOTTLE"]["quantity"] == 12
    assert by_code["ALU_CAN"]["name"] == "ALU_CAN en" and "Arbor Day" in me["assumptions"]["tree"]

    village = client.get(f"/api/v1/impact?village_id={member.household.village_id}", headers=auth(neighbour)).json
    assert (village["scope"], village["weight_g"], village["households"]) == ("village", 12_000, 2)
    assert village["co2e_g"] == 100_640 + 2 * 1146
    bank = client.get("/api/v1/impact", headers=auth(collector)).json
    assert (bank["scope"], bank["weight_g"], bank["households"], bank["deposits"]) == ("tenant", 13_000, 3, 3)  # void left out
    r = client.get(f"/api/v1/impact?village_id={factories.VillageFactory().id}", headers=auth(member))
    assert r.status_code == 422 and "village_id" in r.json["errors"]

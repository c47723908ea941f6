"""Pickup requests (households ask, staff plan) and collectors' rounds with their stops in visiting order."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace
from typing import Any

from flask import g, jsonify, request
from flask_restx import Namespace, Resource
from marshmallow import RAISE, Schema

from api.auth import ANY, FIELD, STAFF, roles
from api.docs import body, model, paginated, response
from api.schemas.pickups import (
    CancelSchema,
    CollectorSchema,
    MissedSchema,
    PickupCreateSchema,
    PickupFilterSchema,
    PickupIdsSchema,
    PickupSchema,
    RoundCreateSchema,
    RoundFilterSchema,
    RoundSchema,
    RoundSummarySchema,
)
from api.session import commit, session
from pickup import pickups, rounds
from pickup.models import Round
from recycle.models import Tenant, User

ns = Namespace("pickups", path="/", description="Pickup requests, collectors' rounds and their stop order")
ASKERS = ("household", "staff", "admin")


def optional_body(schema: type[Schema]) -> Callable:
    """Like `body`, but an empty body means `{}` (a bare POST .../cancel from a phone is fine)."""
    strict = body(schema)
    inst = schema(unknown=RAISE)

    def deco(fn: Callable) -> Callable:
        checked = strict(fn)

        @wraps(checked)
        def wrapper(*args: Any, **kw: Any) -> Any:
            if not request.get_data(cache=True):
                return fn(*args, data=inst.load({}), **kw)
            return checked(*args, **kw)

        return wrapper

    return deco


def _round_out(rnd: Round) -> SimpleNamespace:
    db = session()
    collector = db.get(User, rnd.collector_user_id)
    return SimpleNamespace(
        id=rnd.id,
        collector_user_id=rnd.collector_user_id,
        collector_name=collector.name if collector else "",
        round_date=rnd.round_date,
        status=rnd.status,
        created_at=rnd.created_at,
        stops=rounds.ordered(rnd),
        route_length_m=rounds.route_length_m(db.get(Tenant, rnd.tenant_id), rnd),
    )


@ns.route("/pickups")
class Pickups(Resource):
    @roles(*ASKERS)
    @body(PickupCreateSchema)
    @response(PickupSchema, 201, "Asked; the same client_id again answers 200 with this pickup")
    @ns.response(200, "A retry of an earlier request (same client_id and payload): the first result", model(PickupSchema))
    def post(self, data):
        estimated = [pickups.EstimateInput(**e) for e in data.pop("estimated")]
        client_id = data.pop("client_id")
        pickup, created = pickups.create(
            session(),
            g.principal,
            pickups.PickupInput(**data, estimated=estimated, client_id=str(client_id) if client_id else None),
        )
        commit()
        if not created:
            return jsonify(PickupSchema().dump(pickup))
        return pickup

    @roles(*ANY)
    @paginated(PickupSchema, PickupFilterSchema)
    def get(self, args):
        return pickups.list_query(g.principal, args.get("status"), args.get("date"), args.get("village_id"))


@ns.route("/pickups/<int:pickup_id>")
class PickupOne(Resource):
    @roles(*ANY)
    @response(PickupSchema)
    def get(self, pickup_id):
        return pickups.get(session(), g.principal, pickup_id)


@ns.route("/pickups/<int:pickup_id>/cancel")
class PickupCancel(Resource):
    @roles(*ASKERS)
    @optional_body(CancelSchema)
    @response(PickupSchema, 200, "Cancelled; it left its round")
    def post(self, pickup_id, data):
        pickup = pickups.cancel(session(), g.principal, pickup_id, data["reason"])
        commit()
        return pickup


@ns.route("/pickups/<int:pickup_id>/missed")
class PickupMissed(Resource):
    @roles(*FIELD)
    @body(MissedSchema)
    @response(PickupSchema, 200, "Marked missed; staff can put it on a later round")
    def post(self, pickup_id, data):
        pickup = pickups.mark_missed(session(), g.principal, pickup_id, data["reason"])
        commit()
        return pickup


@ns.route("/rounds")
class Rounds(Resource):
    @roles(*STAFF)
    @body(RoundCreateSchema)
    @response(RoundSchema, 201, "Planned; the pickups are scheduled and the stops ordered from the centre")
    def post(self, data):
        rnd = rounds.plan(session(), g.principal, rounds.RoundInput(**data))
        commit()
        return _round_out(rnd)

    @roles(*FIELD)
    @paginated(RoundSummarySchema, RoundFilterSchema)
    def get(self, args):
        return rounds.list_query(g.principal, args.get("date"), args.get("collector_user_id"))


@ns.route("/rounds/<int:round_id>")
class RoundOne(Resource):
    @roles(*FIELD)
    @response(RoundSchema, 200, "The round with its stops in visiting order")
    def get(self, round_id):
        return _round_out(rounds.get(session(), g.principal, round_id))


@ns.route("/rounds/<int:round_id>/stops")
class RoundStops(Resource):
    @roles(*STAFF)
    @body(PickupIdsSchema)
    @response(RoundSchema, 200, "Added after the last stop; remove a stop by cancelling its pickup")
    def post(self, round_id, data):
        rnd = rounds.add_stops(session(), g.principal, round_id, data["pickup_ids"])
        commit()
        return _round_out(rnd)


@ns.route("/rounds/<int:round_id>/stops/order")
class RoundStopOrder(Resource):
    @roles(*FIELD)
    @body(PickupIdsSchema)
    @response(RoundSchema, 200, "The stops in the order given (a permutation of the round's stops)")
    def post(self, round_id, data):
        rnd = rounds.reorder(session(), g.principal, round_id, data["pickup_ids"])
        commit()
        return _round_out(rnd)


@ns.route("/rounds/<int:round_id>/reoptimize")
class RoundReoptimize(Resource):
    @roles(*FIELD)
    @response(RoundSchema, 200, "Stops still to visit re-ordered from the last visited one (or the centre)")
    def post(self, round_id):
        rnd = rounds.reoptimize(session(), g.principal, round_id)
        commit()
        return _round_out(rnd)


@ns.route("/rounds/<int:round_id>/start")
class RoundStart(Resource):
    @roles(*FIELD)
    @response(RoundSchema, 200, "In progress (idempotent); the first ticket on the round does the same")
    def post(self, round_id):
        rnd = rounds.start(session(), g.principal, round_id)
        commit()
        return _round_out(rnd)


@ns.route("/collectors")
class Collectors(Resource):
    @roles(*STAFF)
    @paginated(CollectorSchema)
    def get(self, args):
        """The active collectors by name, to plan a round for a person (GET /users is admin-only)."""
        return rounds.collectors_query(g.principal.tenant_id)

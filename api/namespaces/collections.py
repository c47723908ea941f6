"""Weigh-ins: tickets, offline sync, receipts, voids and corrections, disputes, handover, day summary."""

from __future__ import annotations

from flask import Response, g, render_template, request
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import FIELD, STAFF, roles
from api.docs import body, paginated, query, response
from api.problems import _flatten
from api.schemas.collections import (
    CorrectionSchema,
    DaySummaryArgs,
    DaySummarySchema,
    DisputeCreateSchema,
    DisputeFilterSchema,
    DisputeResolveSchema,
    DisputeSchema,
    HandoverCorrectionSchema,
    HandoverCorrectSchema,
    HandoverCreateSchema,
    HandoverResolveSchema,
    HandoverSchema,
    SyncRequestSchema,
    SyncResultSchema,
    TicketCreateSchema,
    TicketFilterSchema,
    TicketSchema,
    VoidSchema,
)
from api.session import commit, session, ticket_context
from pickup import corrections, day_summary, disputes, handover, handover_fixes, points_hook, sync, tickets, visibility
from pickup.models import CollectionTicket, Dispute, Round
from pricing.quotes import LineInput
from recycle.errors import NotFound
from recycle.models import Household, Tenant
from recycle.money import format_baht
from recycle.plain_text import for_printer

ns = Namespace("collections", path="/", description="Weigh-in tickets from the round or the centre, and what follows them")
ALL = ("household", "collector", "staff", "admin")


def _tenant() -> Tenant:
    return session().get(Tenant, g.principal.tenant_id)


def _input(data: dict) -> tickets.TicketInput:
    return tickets.TicketInput(
        client_id=str(data["client_id"]),
        collected_at=data["collected_at"],
        lines=[LineInput(**ln) for ln in data["lines"]],
        qr=data.get("qr"),
        household_id=data.get("household_id"),
        pickup_id=data.get("pickup_id"),
    )


def ticket_out(ticket: CollectionTicket, created: bool = False) -> CollectionTicket:
    """`created`: a ticket made by this request has no successor and no dispute yet (two queries saved)."""
    db = session()
    if created:
        ticket.superseded_by_id, ticket.disputes = None, []
    else:
        ticket.superseded_by_id = db.scalar(select(CollectionTicket.id).where(CollectionTicket.supersedes_id == ticket.id))
        ticket.disputes = disputes.for_ticket(db, ticket.id)
    ticket.points = points_hook.ticket_points(db, ticket)
    return ticket


@ns.route("/collections")
class Collections(Resource):
    @roles(*FIELD)
    @body(TicketCreateSchema)
    @response(TicketSchema, 201, "Created (or, for a retried client_id with the same content, the first ticket)")
    def post(self, data):
        ticket, created = tickets.create_ticket(ticket_context(), _input(data))
        commit()
        return ticket_out(ticket, created)

    @roles(*ALL)
    @paginated(TicketSchema, TicketFilterSchema)
    def get(self, args):
        p = g.principal
        stmt = select(CollectionTicket).where(visibility.tickets(p))
        for key in ("household_id", "round_id", "status"):
            if args.get(key):
                stmt = stmt.where(getattr(CollectionTicket, key) == args[key])
        if args.get("date"):
            start, end = day_summary.local_day_bounds(_tenant(), args["date"])
            stmt = stmt.where(CollectionTicket.collected_at >= start, CollectionTicket.collected_at < end)
        return stmt.order_by(CollectionTicket.collected_at.desc(), CollectionTicket.id.desc())


@ns.route("/collections/sync")
class CollectionsSync(Resource):
    @roles(*FIELD)
    @body(SyncRequestSchema)
    @response(SyncResultSchema, 200, "One result per item, in the order sent")
    def post(self, data):
        items = [
            _input(it["ok"]) if "ok" in it else sync.InvalidItem(it.get("client_id"), _flatten(it["invalid"]))
            for it in data["items"]
        ]
        raw = (request.get_json(silent=True) or {}).get("items") or []
        results = sync.sync_batch(ticket_context(), items, raw=raw)
        commit()
        hids = {r.ticket.household_id for r in results if r.ticket is not None}
        if hids:  # the commit expired them: one query brings every member's name back, not one each
            members = session().scalars(select(Household).where(Household.id.in_(hids))).all()  # noqa: F841 - held
        for r in results:
            if r.ticket is not None:
                ticket_out(r.ticket, r.status == "created")
        counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate", "conflict", "rejected")}
        return {"results": results, **counts, "parked": sum(1 for r in results if r.parked)}


@ns.route("/collections/<int:ticket_id>")
class CollectionOne(Resource):
    @roles(*ALL)
    @response(TicketSchema, 200, "The receipt, with its history (void, correction, disputes)")
    def get(self, ticket_id):
        return ticket_out(tickets.get_ticket(session(), g.principal, ticket_id))


@ns.route("/collections/<int:ticket_id>/receipt")
class CollectionReceipt(Resource):
    @roles(*ALL)
    @ns.produces(["text/plain"])
    @ns.response(200, "A 32-column receipt for a 58 mm thermal printer")
    def get(self, ticket_id):
        ticket = tickets.get_ticket(session(), g.principal, ticket_id)
        tenant = _tenant()
        local = tenant.local_time(ticket.collected_at)
        text = render_template(
            "receipt_58mm.txt", t=ticket, tenant=tenant, when=local.strftime("%d/%m/%Y %H:%M"), baht=format_baht, width=32
        )
        return Response(for_printer(text), mimetype="text/plain")


@ns.route("/collections/<int:ticket_id>/approve")
class CollectionApprove(Resource):
    @roles(*STAFF)
    @response(TicketSchema, 200, "A backdated ticket approved: the household is credited now")
    def post(self, ticket_id):
        ticket = tickets.approve(session(), g.principal, ticket_id)
        commit()
        return ticket_out(ticket)


@ns.route("/collections/<int:ticket_id>/void")
class CollectionVoid(Resource):
    @roles(*STAFF)
    @body(VoidSchema)
    @response(TicketSchema, 200, "Voided: its money reversed by a reversing ledger entry")
    def post(self, ticket_id, data):
        ticket = tickets.void(session(), g.principal, ticket_id, data["reason"])
        commit()
        return ticket_out(ticket)


@ns.route("/collections/<int:ticket_id>/correct")
class CollectionCorrect(Resource):
    @roles(*STAFF)
    @body(CorrectionSchema)
    @response(TicketSchema, 201, "The corrected ticket; the original is voided and points to it")
    @ns.response(
        202,
        "A correction moving more than the tenant's limit waits for a second person: an approval "
        "request (POST /approvals/{id}/approve)",
    )
    def post(self, ticket_id, data):
        lines = [LineInput(**ln) for ln in data["lines"]]
        if corrections.needs_second_person(session(), g.principal, _tenant(), ticket_id, lines):
            return _correction_request(ticket_id, data)
        ticket = tickets.correct(ticket_context(), ticket_id, lines, data["reason"])
        commit()
        return ticket_out(ticket)


@ns.route("/collections/<int:ticket_id>/disputes")
class CollectionDisputes(Resource):
    @roles("household", "staff", "admin")
    @body(DisputeCreateSchema)
    @response(DisputeSchema, 201, "Opened; staff will resolve it")
    def post(self, ticket_id, data):
        dispute = disputes.open_dispute(session(), g.principal, ticket_id, data["claim"])
        commit()
        return dispute


@ns.route("/disputes")
class Disputes(Resource):
    @roles(*STAFF)
    @paginated(DisputeSchema, DisputeFilterSchema)
    def get(self, args):
        return (
            select(Dispute)
            .where(Dispute.tenant_id == g.principal.tenant_id, Dispute.status == args["status"])
            .order_by(Dispute.created_at)
        )


@ns.route("/disputes/<int:dispute_id>/resolve")
class DisputeResolve(Resource):
    @roles(*STAFF)
    @body(DisputeResolveSchema)
    @response(DisputeSchema, 200, "Resolved; an upheld dispute with corrected lines issues a corrected ticket")
    def post(self, dispute_id, data):
        lines = [LineInput(**ln) for ln in data["corrected_lines"]] if data.get("corrected_lines") else None
        dispute = disputes.resolve(ticket_context(), dispute_id, data["outcome"], data["resolution"], lines)
        commit()
        return dispute


@ns.route("/rounds/<int:round_id>/handover")
class RoundHandover(Resource):
    @roles(*STAFF)
    @body(HandoverCreateSchema)
    @response(HandoverSchema, 201, "Recorded; lines off by more than the tenant's tolerance are flagged")
    def post(self, round_id, data):
        lines = [handover.MeasuredLine(**ln) for ln in data["lines"]]
        result = handover.record(session(), g.principal, _tenant(), round_id, lines, data["note"])
        commit()
        return result

    @roles(*FIELD)
    @response(HandoverSchema)
    def get(self, round_id):
        rnd = session().get(Round, round_id)
        p = g.principal
        if rnd is None or rnd.tenant_id != p.tenant_id or (p.role == "collector" and rnd.collector_user_id != p.user_id):
            raise NotFound("no such round")
        return handover.get(session(), p.tenant_id, round_id)


@ns.route("/rounds/<int:round_id>/handover/corrections")
class RoundHandoverCorrections(Resource):
    @roles(*STAFF)
    @body(HandoverCorrectSchema)
    @response(HandoverCorrectionSchema, 201, "Corrected (audited); flags recomputed; stock moves by the difference")
    def post(self, round_id, data):
        lines = [handover.MeasuredLine(**ln) for ln in data["lines"]]
        fix = handover_fixes.correct(session(), g.principal, _tenant(), round_id, lines, data["reason"])
        commit()
        return fix


@ns.route("/rounds/<int:round_id>/handover/resolve")
class RoundHandoverResolve(Resource):
    @roles(*STAFF)
    @body(HandoverResolveSchema)
    @response(HandoverSchema, 200, "The flag is resolved: who, when and what was found are kept")
    def post(self, round_id, data):
        result = handover_fixes.resolve_flag(session(), g.principal, _tenant(), round_id, data["note"])
        commit()
        return result


@ns.route("/collectors/day-summary")
class DaySummary(Resource):
    @roles(*FIELD)
    @query(DaySummaryArgs)
    @response(DaySummarySchema, 200, "Households visited and missed, kilos per material, value credited")
    def get(self, args):
        tenant = _tenant()
        p = g.principal
        collector = p.user_id if p.role == "collector" or not args.get("collector_user_id") else args["collector_user_id"]
        day = args.get("date") or tenant.local_date()
        return day_summary.day_summary(session(), tenant, collector, day)


def _correction_request(ticket_id: int, data: dict) -> Response:
    import json
    import uuid

    from api.schemas.settlements import ApprovalSchema
    from enterprise import approvals

    cid = str(
        data.get("client_id")
        or uuid.uuid5(
            uuid.NAMESPACE_URL, f"correct:{g.principal.tenant_id}:{ticket_id}:{json.dumps(data['lines'], sort_keys=True)}"
        )
    )
    payload = {"ticket_id": ticket_id, "lines": data["lines"], "reason": data["reason"]}
    row = approvals.request(session(), g.principal, "ticket.correct", cid, payload, data["reason"])
    commit()
    return Response(
        json.dumps(ApprovalSchema().dump(row), ensure_ascii=False, default=str), status=202, mimetype="application/json"
    )

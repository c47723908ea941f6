"""Households: staff registration, profiles, QR cards (PNG, SVG, an A4 sheet) and scanning a card."""

from __future__ import annotations

from flask import Response, current_app, g, render_template
from flask_restx import Namespace, Resource
from sqlalchemy import String, cast, or_, select

from api import qr_images
from api.auth import FIELD, STAFF, roles
from api.docs import Dumped, body, paginated, query, response
from api.schemas.households import (
    CardSheetArgsSchema,
    DoorstepSchema,
    HouseholdCreateSchema,
    HouseholdFilterSchema,
    HouseholdListItemSchema,
    HouseholdSchema,
    QrArgsSchema,
    ScanResultSchema,
    ScanSchema,
)
from api.session import commit, session
from recycle import audit, households
from recycle.models import Household, Tenant, Village
from recycle.tenancy import get_owned

ns = Namespace("households", path="/", description="Members of the waste bank and their QR cards")
H_OR_STAFF = ("household", "staff", "admin")


@ns.route("/households")
class Households(Resource):
    @roles(*STAFF)
    @body(HouseholdCreateSchema)
    @response(HouseholdSchema, 201, "Registered; print its card from /households/{id}/qr")
    def post(self, data):
        db = session()
        tenant = db.get(Tenant, g.principal.tenant_id)
        consent = data.pop("consent")
        household = households.register(
            db,
            tenant,
            households.HouseholdInput(
                **data, consent=True, consent_method=consent["method"], consent_version=consent.get("notice_version")
            ),
            principal=g.principal,
        )
        commit()
        return household

    @roles(*STAFF)
    @paginated(HouseholdListItemSchema, HouseholdFilterSchema)
    def get(self, args):
        stmt = select(Household).where(Household.tenant_id == g.principal.tenant_id)
        if args.get("village_id"):
            stmt = stmt.where(Household.village_id == args["village_id"])
        if args.get("q"):
            term = args["q"].strip()
            stmt = stmt.where(or_(Household.name.contains(term), cast(Household.member_no, String) == term.lstrip("0")))
        return stmt.order_by(Household.member_no)


@ns.route("/households/<int:household_id>")
class HouseholdOne(Resource):
    @roles("collector", *H_OR_STAFF)
    @response(
        HouseholdSchema,
        200,
        "The member page (staff, or the member): full identifiers. A collector gets "
        "only the doorstep summary (id, member number, name, village)",
    )
    def get(self, household_id):
        household = households.get(session(), g.principal, household_id)
        if g.principal.role == "collector":
            return Dumped(DoorstepSchema().dump(household))
        return household


@ns.route("/households/<int:household_id>/qr")
class HouseholdQr(Resource):
    @roles(*H_OR_STAFF)
    @query(QrArgsSchema)
    @ns.produces(["image/png", "image/svg+xml", "text/plain"])
    @ns.response(200, "The member card's QR code: PNG (default), SVG, or the token as text")
    def get(self, household_id, args):
        household = households.get(session(), g.principal, household_id)
        token = households.card_token(current_app.config["CARD_KEYS"], household)
        headers = {"Cache-Control": "no-store"}
        if args["format"] == "svg":
            return Response(qr_images.svg(token), mimetype="image/svg+xml", headers=headers)
        if args["format"] == "text":
            return Response(token, mimetype="text/plain", headers=headers)
        return Response(qr_images.png(token), mimetype="image/png", headers=headers)


@ns.route("/households/<int:household_id>/qr/reissue")
class HouseholdQrReissue(Resource):
    @roles(*STAFF)
    @response(HouseholdSchema, 200, "A new card version; the old card is refused from now on")
    def post(self, household_id):
        household = households.reissue_card(session(), g.principal, household_id)
        commit()
        return household


@ns.route("/households/cards")
class CardSheet(Resource):
    @roles(*STAFF)
    @query(CardSheetArgsSchema)
    @ns.produces(["text/html"])
    @ns.response(200, "An A4 page of member cards (name, member number, village, QR) to print and cut")
    def get(self, args):
        db = session()
        village_id = args.get("village_id")
        if village_id:
            get_owned(db, Village, village_id, g.principal.tenant_id, what="village", field="village_id")  # 422 unless ours
        members = households.list_for_village(db, g.principal, village_id)[:500]
        audit.record(
            db, "household.cards_download", principal=g.principal, village_id=village_id, household_ids=[h.id for h in members]
        )
        commit()
        secret = current_app.config["CARD_KEYS"]
        cards = [{"household": h, "svg": qr_images.svg(households.card_token(secret, h))} for h in members]
        html = render_template("cards.html", cards=cards, tenant=db.get(Tenant, g.principal.tenant_id))
        return Response(html, mimetype="text/html")


@ns.route("/scans")
class Scans(Resource):
    @roles(*FIELD)
    @body(ScanSchema)
    @response(ScanResultSchema, 200, "The card's household (doorstep summary only) and its open pickup")
    def post(self, data):
        from api.me_extras import scan_extras

        db = session()
        household = households.resolve_card(db, g.principal, current_app.config["CARD_KEYS"], data["qr"])
        return {"household": household, **scan_extras(db, household)}

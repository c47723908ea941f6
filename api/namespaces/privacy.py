"""PDPA rights over HTTP: export (s.30), consents (s.19), erasure (s.33), and the audit log for admins.

Correction (s.35) is `PATCH /me`, next to `GET /me` in the users namespace.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from flask import Response, g, render_template
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import ADMIN, STAFF, roles
from api.docs import body, model, paginated, query, response
from api.schemas.households import HouseholdSchema
from api.schemas.privacy import (
    AuditEntrySchema,
    AuditFilterSchema,
    CloseSchema,
    ConsentsInSchema,
    ConsentsSchema,
    ErasureRequestSchema,
    ErasureSchema,
    ExportArgsSchema,
    ExportSchema,
    StaffErasureRequestSchema,
)
from api.session import commit, session
from enterprise import privacy
from recycle import audit, households
from recycle.errors import InvalidInput
from recycle.models import AuditEntry, Household, Tenant
from recycle.money import format_baht
from recycle.thai_dates import format_datetime

ns = Namespace("privacy", path="/", description="PDPA: your data, your consents, erasure; the audit log")

TABLE_LABELS = {
    "households": "ข้อมูลสมาชิก / member record",
    "users": "บัญชีเข้าระบบ / logins",
    "collection_tickets": "ใบชั่งขยะ / weigh-in tickets",
    "ticket_lines": "รายการชั่ง / weighed lines",
    "ledger_postings": "รายการเงิน / money entries",
    "ledger_accounts": "บัญชีเงิน / money account",
    "payouts": "การจ่ายเงิน / payouts",
    "welfare_disbursements": "สวัสดิการ / welfare",
    "pickup_requests": "นัดรับขยะ / pickup requests",
    "points_entries": "แต้ม / points entries",
    "badge_awards": "เหรียญ / badges",
    "level_ups": "เลื่อนระดับ / level-ups",
    "audit_log": "บันทึกการเข้าถึง / audit entries",
}


def _my_household() -> Household:
    return households.get(session(), g.principal, g.principal.household_id)


def _export_response(household: Household, fmt: str, *, by_staff: bool):
    """JSON (everything) or a printable Thai summary. Both are personal data: no-store, and audited."""
    db = session()
    data = privacy.export(db, household)
    audit.record(
        db, "household.export_download", principal=g.principal, target=("household", household.id), format=fmt, by_staff=by_staff
    )
    commit()
    name = f"personal-data-{household.member_code}"
    if fmt == "json":
        body = json.dumps(ExportSchema().dump(data), ensure_ascii=False, indent=1)
        return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}.json"})
    html = _summary_html(household, data, pdf=fmt == "pdf")
    if fmt == "html":
        return Response(html, mimetype="text/html")
    try:
        from weasyprint import HTML
    except ImportError:  # the optional `pdf` extra (WeasyPrint needs Pango on the server)
        raise InvalidInput.field(
            "format", "PDF is not installed on this server (pip install 'thangngoen[pdf]'); ask for format=html and print it"
        ) from None
    return Response(
        HTML(string=html).write_pdf(),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}.pdf"},
    )


def _summary_html(household: Household, data: dict, pdf: bool) -> str:
    tenant = session().get(Tenant, household.tenant_id)
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    font_dir = None
    if pdf:
        try:  # Sarabun, the Thai government's standard font, embedded so the PDF reads the same everywhere
            import fontpkg_sarabun

            font_dir = fontpkg_sarabun.ROOT / "files"
        except ImportError:
            font_dir = None  # the server's own Thai fonts
    method = {"paper_signed": "ลงนามในแบบฟอร์มกระดาษ / signed paper form", "app": "ในแอป / in the app"}
    return render_template(
        "privacy_export.html",
        h=household,
        tenant=tenant,
        font_dir=font_dir,
        issued=format_datetime(dt.datetime.now(dt.UTC), tz),
        joined=format_datetime(household.created_at, tz),
        consent_at=format_datetime(household.consent_at, tz),
        consent_method=method.get(household.consent_method or "", "-"),
        balance=format_baht(data["balance_satang"]),
        counts=[(TABLE_LABELS.get(k, k), len(v)) for k, v in data["tables"].items()],
    )


@ns.route("/me/export")
class MyExport(Resource):
    @roles("household")
    @query(ExportArgsSchema)
    @ns.produces(["application/json", "text/html", "application/pdf"])
    @ns.response(
        200, "Everything held about me (PDPA s.30): JSON as ExportSchema, or a printable Thai summary", model(ExportSchema)
    )
    def get(self, args):
        """Download everything held about me (PDPA s.30): JSON, or a printable summary in Thai (html, pdf)."""
        return _export_response(_my_household(), args["format"], by_staff=False)


@ns.route("/households/<int:household_id>/export")
class HouseholdExport(Resource):
    @roles(*STAFF)
    @query(ExportArgsSchema)
    @ns.produces(["application/json", "text/html", "application/pdf"])
    @ns.response(200, "Everything held about a member, for the member who asked at the centre (audited)")
    def get(self, household_id, args):
        """Staff download a member's data on the member's behalf (a member without a phone); audited."""
        household = households.get(session(), g.principal, household_id)
        return _export_response(household, args["format"], by_staff=True)


@ns.route("/me/consents")
class MyConsents(Resource):
    @roles("household")
    @response(ConsentsSchema, 200, "My consents")
    def get(self):
        """My consents: the privacy notice I accepted, and the optional uses (leaderboard, notifications)."""
        return privacy.consents(_my_household())

    @roles("household")
    @body(ConsentsInSchema)
    @response(ConsentsSchema, 200, "Changed at once: a withdrawn member is shown on leaderboards without a name")
    def put(self, data):
        """Withdraw (or give again) consent to optional uses (PDPA s.19): leaderboard name, notifications."""
        household = privacy.set_consents(session(), g.principal, _my_household(), **data)
        commit()
        return privacy.consents(household)


def _erased(household: Household) -> dict:
    return {
        "household_id": household.id,
        "erased_at": household.erased_at,
        "message": "ลบข้อมูลส่วนบุคคลแล้ว ยอดเงินในบัญชียังเก็บไว้ตามกฎหมายบัญชี / "
        "personal data erased; ledger amounts are kept as accounting law requires",
    }


@ns.route("/me/erasure")
class MyErasure(Resource):
    @roles("household")
    @body(ErasureRequestSchema)
    @response(ErasureSchema, 200, "Erased: my logins stop working. 409 with the reasons while money is owed")
    def post(self, data):
        """Erase my personal data (PDPA s.33). Refused with the reasons while money is owed either way."""
        household = privacy.erase(session(), _my_household(), principal=g.principal, why="member's own request")
        commit()
        return _erased(household)


@ns.route("/households/<int:household_id>/erasure")
class HouseholdErasure(Resource):
    @roles(*STAFF)
    @body(StaffErasureRequestSchema)
    @response(ErasureSchema, 200, "Erased on the member's behalf (audited). 409 with the reasons while money is owed")
    def post(self, household_id, data):
        """Erase a member's personal data on their written request (PDPA s.33); audited with the reason."""
        household = households.get(session(), g.principal, household_id)
        privacy.erase(session(), household, principal=g.principal, why=data["reason"])
        commit()
        return _erased(household)


@ns.route("/households/<int:household_id>/close")
class HouseholdClose(Resource):
    @roles(*STAFF)
    @body(CloseSchema)
    @response(
        HouseholdSchema,
        200,
        "Closed: card and logins stop working; personal data is anonymised after "
        "RETENTION_CLOSED_DAYS. 409 with the reasons while money is owed",
    )
    def post(self, household_id, data):
        """End a membership (the member moved away or died); audited."""
        household = households.get(session(), g.principal, household_id)
        privacy.close(session(), g.principal, household, data["reason"])
        commit()
        return household


@ns.route("/audit")
class AuditLog(Resource):
    @roles(*ADMIN)
    @paginated(AuditEntrySchema, AuditFilterSchema)
    def get(self, args):
        """The tenant's audit log, newest first: logins, role changes, card reissues, payouts, and every download
        of full identifiers (bank files, card sheets, personal-data exports)."""
        stmt = select(AuditEntry).where(AuditEntry.tenant_id == g.principal.tenant_id)
        for key in ("action", "target_type", "target_id", "actor_user_id"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(AuditEntry, key) == args[key])
        if args.get("from_"):
            stmt = stmt.where(AuditEntry.at >= dt.datetime.combine(args["from_"], dt.time(), dt.UTC))
        if args.get("to"):
            stmt = stmt.where(AuditEntry.at < dt.datetime.combine(args["to"] + dt.timedelta(days=1), dt.time(), dt.UTC))
        return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())

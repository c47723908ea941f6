"""The catalog, prices and their history, the public price board and quotes."""

from __future__ import annotations

import json
import logging

from flask import Response, current_app, g, render_template, request
from flask_restx import Namespace, Resource
from sqlalchemy import select
from werkzeug.http import http_date, quote_etag

from api.auth import ANY, PUBLIC, STAFF, roles
from api.docs import Dumped, body, paginated, query, response
from api.i18n import lang, pick
from api.schemas.pricing import (
    BoardSchema,
    HistoryArgs,
    ImportArgs,
    MaterialCreateSchema,
    MaterialFilterSchema,
    MaterialSchema,
    PricesAtArgs,
    PriceSchema,
    PriceSetSchema,
    PricesSetResultSchema,
    QuoteRequestSchema,
    QuoteSchema,
    RetireSchema,
    StaffBoardRowSchema,
    StaffPriceSchema,
)
from api.session import commit, session
from pickup import points_hook
from pricing import book as price_book
from pricing import catalog, prices, quotes
from pricing.models import Material
from pricing.price_sheet import PriceSheetError, parse_price_sheet
from recycle.accounts import tenant_by_slug
from recycle.db import utcnow
from recycle.errors import InvalidInput, NotFound
from recycle.models import Tenant
from recycle.money import format_baht

log = logging.getLogger("thangngoen.pricing")
ns = Namespace("pricing", path="/", description="Materials, grades, buy-back prices, the price board and quotes")


def _material_out(m: Material) -> dict:
    return {
        "id": m.id,
        "code": m.code,
        "name": pick(m.name_th, m.name_en),
        "name_th": m.name_th,
        "name_en": m.name_en,
        "category": m.category,
        "unit": m.unit,
        "co2e_g_per_unit": m.co2e_g_per_unit,
        "active": m.active,
        "grades": m.grades,
    }


def _board_out(rows: list[prices.BoardRow], staff: bool) -> list[dict]:
    out = []
    for r in rows:
        item = {
            "material_code": r.material.code,
            "grade": r.grade.code,
            "name": pick(r.material.name_th, r.material.name_en),
            "name_th": r.material.name_th,
            "name_en": r.material.name_en,
            "grade_description": pick(r.grade.description_th, r.grade.description_en),
            "category": r.material.category,
            "unit": r.material.unit,
            "buy_price_satang": r.price.buy_price_satang,
            "effective_from": r.price.effective_from,
            "previous_price_satang": r.previous.buy_price_satang if r.previous else None,
            "change": r.change,
            "change_satang": r.change_satang,
            "co2e_g_per_unit": r.material.co2e_g_per_unit,
        }
        if staff:
            item["ref_sale_price_satang"] = r.price.ref_sale_price_satang
        out.append(item)
    return out


def _board_response(data: bytes, etag: str, last_modified, status: int = 200) -> Response:  # noqa: ANN001
    headers = [("ETag", quote_etag(etag)), ("Cache-Control", "public, max-age=60"), ("Vary", "Accept-Language")]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    return Response(data, status=status, headers=headers, content_type="application/json")


@ns.route("/public/<string:tenant>/prices")
class PublicPrices(Resource):
    @roles(*PUBLIC)
    @response(BoardSchema, 200, "Today's board; 304 when If-None-Match matches")
    @ns.response(304, "Not modified")
    def get(self, tenant):
        """Phones poll this every minute: the tenant's price version, then a 304 or cached bytes.

        The ETag is the price version, the instant the last scheduled price took effect and the language:
        the body can change only when one of them does. On PostgreSQL the worker knows the version
        without a query (`pricing.versions`); elsewhere, or while it is unsure, one SELECT.
        """
        slug = (tenant or "").strip().lower()
        found = _price_version(slug)
        if found is None:
            raise NotFound(f"no waste bank called {tenant!r}", {"tenant": ["unknown tenant"]})
        tenant_id, version = found
        now, language = utcnow(), lang()
        book = price_book.peek(tenant_id, version) or price_book.cached(session(), tenant_id, version)
        epoch = book.epoch(now)
        etag = f"{version:x}-{int(epoch.timestamp()) if epoch else 0:x}-{language}"
        if etag in request.if_none_match:
            return _board_response(b"", etag, epoch, status=304)
        key = ("public-board", etag)
        data = book.rendered.get(key)
        if data is None:
            rows = prices.board_from_book(book, now)
            items = BoardSchema().dump({"tenant": slug, "as_of": now, "items": _board_out(rows, staff=False)})
            items["as_of"] = (epoch or now).isoformat()  # not "now": the body must not change every second
            data = json.dumps(items, ensure_ascii=False, sort_keys=True).encode()
            book.rendered[key] = data
        resp = _board_response(data, etag, epoch)
        if request.if_modified_since or request.range:  # the rarer conditions: werkzeug's full treatment
            resp.make_conditional(request)
        return resp


def _price_version(slug: str) -> tuple[int, int] | None:
    """(tenant id, price version): from the worker's listener when there is one, else one query."""
    versions = current_app.extensions.get("thangngoen.price_versions")
    if versions is not None:
        try:
            return versions.lookup(slug)
        except Exception:  # noqa: BLE001 - the request's own session answers, or says the database is away
            log.warning("price version listener failed; reading the version with a query", exc_info=True)
    row = session().execute(select(Tenant.id, Tenant.price_version).where(Tenant.slug == slug)).first()
    return None if row is None else (row.id, row.price_version or 0)


@ns.route("/public/<string:tenant>/prices/board")
class PublicPriceBoard(Resource):
    @roles(*PUBLIC)
    @ns.produces(["text/html"])
    @ns.response(200, "A printable page of today's prices, to print or post to the village LINE group")
    def get(self, tenant):
        db = session()
        t = tenant_by_slug(db, tenant)
        now = utcnow()
        groups: dict[str, list] = {}
        labels = {
            "recyclable": "ขยะรีไซเคิล · Recyclables",
            "organic": "ขยะเปียก · Organic",
            "hazardous": "ขยะอันตราย · Hazardous",
            "general": "ทั่วไป · General",
        }
        for r in prices.board(db, t.id, now):
            groups.setdefault(labels[r.material.category], []).append(
                {
                    "name_th": r.material.name_th,
                    "name_en": r.material.name_en,
                    "grade": r.grade.code,
                    "unit": r.material.unit,
                    "price": format_baht(r.price.buy_price_satang),
                    "change": r.change,
                    "delta": format_baht(abs(r.change_satang)) if r.change_satang else "",
                }
            )
        local = t.local_time(now).strftime("%Y-%m-%d %H:%M")
        return Response(
            render_template("price_board.html", tenant=t, groups=list(groups.items()), as_of_local=local), mimetype="text/html"
        )


@ns.route("/materials")
class Materials(Resource):
    @roles(*ANY)
    @paginated(MaterialSchema, MaterialFilterSchema)
    def get(self, args):
        stmt = select(Material).where(Material.tenant_id == g.principal.tenant_id)
        if not args.get("include_retired"):
            stmt = stmt.where(Material.active.is_(True))
        if args.get("category"):
            stmt = stmt.where(Material.category == args["category"])
        materials = session().scalars(stmt.order_by(Material.sort_order, Material.code)).all()
        return [_material_out(m) for m in materials]

    @roles(*STAFF)
    @body(MaterialCreateSchema)
    @response(MaterialSchema, 201, "Created; set its prices with POST /prices")
    def post(self, data):
        grades = [catalog.GradeInput(**gr) for gr in data.pop("grades")]
        material = catalog.create_material(session(), g.principal.tenant_id, catalog.MaterialInput(**data, grades=grades))
        commit()
        return _material_out(material)


@ns.route("/materials/<int:material_id>/retire")
class MaterialRetire(Resource):
    @roles(*STAFF)
    @body(RetireSchema)
    @response(MaterialSchema, 200, "Retired (or, with active=true, back in use); its history stays")
    def post(self, material_id, data):
        material = catalog.set_active(session(), g.principal.tenant_id, material_id, data["active"], data["grade"])
        commit()
        return _material_out(material)


@ns.route("/prices")
class Prices(Resource):
    @roles(*ANY)
    @paginated(StaffBoardRowSchema, PricesAtArgs)
    def get(self, args):
        rows = prices.board(session(), g.principal.tenant_id, args.get("at") or utcnow())
        return _board_out(rows, staff=g.principal.is_staff)

    @roles(*STAFF)
    @body(PriceSetSchema)
    @response(PricesSetResultSchema, 201, "Scheduled; each takes effect at its effective_from")
    def post(self, data):
        changes = [prices.PriceChange(**p) for p in data["prices"]]
        rows = prices.set_prices(session(), g.principal, changes, confirm_loss=data["confirm_loss"])
        commit()
        return {"prices": rows}


@ns.route("/prices/history")
class PriceHistory(Resource):
    @roles(*ANY)
    @paginated(StaffPriceSchema, HistoryArgs, non_staff_item=PriceSchema)
    def get(self, args):
        return prices.history(
            session(), g.principal.tenant_id, args.get("material_code"), args.get("grade"), args.get("from_"), args.get("to")
        )


@ns.route("/prices/import")
class PriceImport(Resource):
    @roles(*STAFF)
    @query(ImportArgs)
    @ns.doc(
        consumes=["text/csv", "multipart/form-data"],
        description="A price sheet as CSV (UTF-8 or the Windows-874 of Thai Excel), raw `text/csv` or a "
        "multipart `file`. Columns material_code, grade, buy_price_thb[, ref_sale_price_thb, "
        "effective_from]. All rows apply, or none.",
    )
    @response(PricesSetResultSchema, 201, "Every row applied")
    def post(self, args):
        upload = request.files.get("file")
        data = upload.read() if upload else request.get_data()
        if not data:
            raise InvalidInput.field("file", "send the CSV as the body (text/csv) or as a multipart 'file'")
        try:
            rows = parse_price_sheet(data, default_effective_from=utcnow())
        except PriceSheetError as exc:
            raise InvalidInput("the price sheet has errors; nothing was applied", exc.errors) from None
        changes = [
            prices.PriceChange(
                r.material_code, r.grade, r.buy_price_satang, r.ref_sale_price_satang, r.effective_from, line=r.line
            )
            for r in rows
        ]
        result = prices.set_prices(session(), g.principal, changes, confirm_loss=args["confirm_loss"], source="import")
        out = Dumped(PricesSetResultSchema().dump({"prices": result}))
        if not args["dry_run"]:
            commit()
        return out  # a dry run is rolled back with the request


@ns.route("/quotes")
class Quotes(Resource):
    @roles(*ANY)
    @body(QuoteRequestSchema)
    @response(QuoteSchema, 200, "What these lines are worth at that instant; the total is the sum of rounded lines")
    def post(self, data):
        db = session()
        tenant = db.get(Tenant, g.principal.tenant_id)
        at = min(data["at"] or utcnow(), utcnow())
        q = quotes.price_lines(db, tenant, [quotes.LineInput(**ln) for ln in data["lines"]], at)
        return {
            "at": q.at,
            "lines": q.lines,
            "total_satang": q.total_satang,
            "co2e_g": q.co2e_g,
            "points": points_hook.preview(db, tenant, q.lines),
        }

"""Open data without login: the monthly CSV and its data.go.th-style metadata (figures suppressed below 5)."""

from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from api.auth import PUBLIC, roles
from api.docs import response
from api.schemas.open_data import OpenDataMetadataSchema
from api.session import session
from enterprise import open_data
from recycle.accounts import tenant_by_slug

ns = Namespace("open-data", path="/public", description="Open data in data.go.th's form (no login)")


@ns.route("/<string:tenant>/open-data/metadata.json")
class Metadata(Resource):
    @roles(*PUBLIC)
    @response(OpenDataMetadataSchema, 200, "CKAN-style metadata with data.go.th's fields")
    def get(self, tenant):
        db = session()
        return open_data.metadata(db, tenant_by_slug(db, tenant), request.host_url)


@ns.route("/<string:tenant>/open-data/<string:month>.csv")
class MonthCsv(Resource):
    @roles(*PUBLIC)
    @ns.produces(["text/csv"])
    @ns.response(200, "UTF-8 CSV, one row per month × village × material")
    def get(self, tenant, month):
        db = session()
        t = tenant_by_slug(db, tenant)
        year, mon = open_data.parse_month(month)
        body = open_data.month_csv(db, t, year, mon)
        resp = Response(body, mimetype="text/csv")
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
        resp.headers["Content-Disposition"] = f'inline; filename="{t.slug}-{year:04d}-{mon:02d}.csv"'
        resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

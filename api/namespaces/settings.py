"""The waste bank's own settings (welfare rate, minimum payout, tolerances, point caps, centre): admin only."""

from __future__ import annotations

from flask import g
from flask_restx import Namespace, Resource

from api.auth import ADMIN, roles
from api.docs import body, response
from api.schemas.settings import TenantSettingsSchema, TenantSettingsUpdateSchema
from api.session import commit, session
from recycle import tenant_settings
from recycle.models import Tenant

ns = Namespace("settings", path="/", description="Settings of the caller's waste bank")


@ns.route("/settings")
class Settings(Resource):
    @roles(*ADMIN)
    @response(TenantSettingsSchema)
    def get(self):
        return tenant_settings.current(session().get(Tenant, g.principal.tenant_id))

    @roles(*ADMIN)
    @body(TenantSettingsUpdateSchema)
    @response(TenantSettingsSchema, 200, "The settings after the change (only the fields sent are changed)")
    def put(self, data):
        out = tenant_settings.update(session(), g.principal, data)
        commit()
        return out

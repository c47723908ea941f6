"""What a phone may read before anyone logs in: the tenant's villages (and, with pricing, its price board)."""

from __future__ import annotations

from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import PUBLIC, roles
from api.docs import paginated
from api.schemas.accounts import VillageSchema
from api.session import session
from recycle.accounts import tenant_by_slug
from recycle.models import Village

ns = Namespace("public", path="/public", description="No login needed")


@ns.route("/<string:tenant>/villages")
class Villages(Resource):
    @roles(*PUBLIC)
    @paginated(VillageSchema)
    def get(self, tenant, args):
        t = tenant_by_slug(session(), tenant)
        return select(Village).where(Village.tenant_id == t.id).order_by(Village.moo, Village.name_th)

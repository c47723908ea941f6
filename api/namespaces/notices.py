"""Notices: a member's record of what they were told, the staff view of the outbox (parked ones to retry),
notice preferences (PDPA opt-in, language, digest), LINE account linking and LINE's webhook."""

from __future__ import annotations

import json

from flask import g, request
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import PUBLIC, STAFF, roles
from api.docs import body, paginated, response
from api.schemas.notices import (
    LinkRedirectSchema,
    LinkStartSchema,
    NoticeFilterSchema,
    NoticePreferenceSchema,
    NoticeSchema,
    StaffNoticeSchema,
    WebhookResultSchema,
)
from api.session import commit, session
from recycle.db import utcnow
from recycle.errors import InvalidInput, NotFound, Unauthorized
from recycle.notify import line, notices
from recycle.notify.models import Notice, NoticePreference

ns = Namespace("notices", path="/", description="Notices to members, LINE linking and webhook")


@ns.route("/me/notices")
class MyNotices(Resource):
    @roles("household")
    @paginated(NoticeSchema)
    def get(self, args):
        """Everything this household was told (or will be), newest first: nothing told is not in the record."""
        return (
            select(Notice)
            .where(Notice.tenant_id == g.principal.tenant_id, Notice.household_id == g.principal.household_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
        )


@ns.route("/notices")
class Notices(Resource):
    @roles(*STAFF)
    @paginated(StaffNoticeSchema, NoticeFilterSchema)
    def get(self, args):
        """The outbox: `status=failed` lists the notices parked after their retries."""
        stmt = select(Notice).where(Notice.tenant_id == g.principal.tenant_id)
        for key in ("status", "kind", "household_id"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(Notice, key) == args[key])
        return stmt.order_by(Notice.id.desc())


@ns.route("/notices/<int:notice_id>/retry")
class RetryNotice(Resource):
    @roles(*STAFF)
    @response(StaffNoticeSchema, 200, "Queued again (same LINE retry key: delivered at most once)")
    def post(self, notice_id):
        notice = notices.retry(session(), g.principal.tenant_id, notice_id)
        if notice is None:
            raise NotFound("no such notice")
        commit()
        return notice


def _pref_out(pref: NoticePreference | None) -> dict:
    if pref is None:
        return {"opt_in": False, "lang": "th", "daily_digest": False, "line_linked": False, "line_linked_at": None}
    return {
        "opt_in": pref.opt_in,
        "lang": pref.lang,
        "daily_digest": pref.daily_digest,
        "line_linked": bool(pref.line_user_id),
        "line_linked_at": pref.line_linked_at,
    }


@ns.route("/me/notice-preferences")
class MyPreferences(Resource):
    @roles("household")
    @response(NoticePreferenceSchema, 200, "My notice preferences")
    def get(self):
        return _pref_out(notices.preference(session(), g.principal.tenant_id, g.principal.household_id))

    @roles("household")
    @body(NoticePreferenceSchema)
    @response(NoticePreferenceSchema, 200, "Saved")
    def put(self, data):
        db, p = session(), g.principal
        pref = notices.preference(db, p.tenant_id, p.household_id)
        if pref is None:
            pref = NoticePreference(tenant_id=p.tenant_id, household_id=p.household_id)
            db.add(pref)
        if data["opt_in"] and not pref.opt_in:
            pref.opt_in_at = utcnow()
        pref.opt_in, pref.lang, pref.daily_digest, pref.updated_at = data["opt_in"], data["lang"], data["daily_digest"], utcnow()
        db.flush()
        out = _pref_out(pref)
        commit()
        return out


@ns.route("/me/line/link")
class LineLink(Resource):
    @roles("household")
    @body(LinkStartSchema)
    @response(LinkRedirectSchema, 201, "Where to send the browser (LINE's accountLink URL with our nonce)")
    def post(self, data):
        p = g.principal
        url = line.start_link(session(), p.tenant_id, p.household_id, data["link_token"])
        commit()
        return {"redirect_url": url}

    @roles("household")
    @response(NoticePreferenceSchema, 200, "Unlinked: no more LINE messages")
    def delete(self):
        p = g.principal
        line.unlink(session(), p.tenant_id, p.household_id)
        out = _pref_out(notices.preference(session(), p.tenant_id, p.household_id))
        commit()
        return out


@ns.route("/line/webhook")
class LineWebhook(Resource):
    @roles(*PUBLIC)
    @ns.doc(
        params={
            "X-Line-Signature": {
                "in": "header",
                "type": "string",
                "required": True,
                "description": "base64 HMAC-SHA256 of the body with the channel secret",
            }
        }
    )
    @response(WebhookResultSchema, 200, "Events handled (a refused link is counted, not an error)")
    def post(self):
        """LINE's webhook: the signature is checked before anything is read or recorded (401 otherwise)."""
        raw = request.get_data(cache=False)
        secret = line.LineConfig.from_env().channel_secret
        if not line.verify_signature(secret, raw, request.headers.get("X-Line-Signature")):
            raise Unauthorized("bad or missing X-Line-Signature", code="bad_signature")
        try:
            payload = json.loads(raw)
        except ValueError:
            raise InvalidInput("the body is not valid JSON", {"_schema": ["expected LINE's webhook JSON"]}) from None
        if not isinstance(payload, dict):
            raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
        out = line.handle_events(session(), payload)
        commit()
        return {"linked": out.linked, "refused": out.refused, "unfollowed": out.unfollowed}

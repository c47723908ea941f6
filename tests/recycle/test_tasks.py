"""Housekeeping tasks run on a real worker when TEST_REDIS_URL is set (CI), inline otherwise."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from recycle.db import UnitOfWork, utcnow
from recycle.models import RevokedToken
from recycle.tasks import purge_revoked_tokens
from tests import factories


def test_purging_the_blocklist_keeps_tokens_that_could_still_be_used(committed_app, worker):
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        user = factories.UserFactory(role="collector")
        uow.session.add_all(
            [
                RevokedToken(jti="old", tenant_id=user.tenant_id, user_id=user.id, expires_at=utcnow() - dt.timedelta(days=1)),
                RevokedToken(jti="live", tenant_id=user.tenant_id, user_id=user.id, expires_at=utcnow() + dt.timedelta(days=1)),
            ]
        )
        uow.commit()
    with committed_app.app_context():
        result = purge_revoked_tokens.delay()
        assert result.get(timeout=60) == 1
        assert purge_revoked_tokens.delay().get(timeout=60) == 0  # idempotent: a rerun removes nothing more
    with UnitOfWork(factory) as uow:
        assert uow.session.scalars(select(RevokedToken.jti)).all() == ["live"]
    if worker:
        assert result.backend is not None and not committed_app.extensions["celery"].conf.task_always_eager

"""The request's unit of work: opened on first use, rolled back at teardown unless the view committed."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from recycle.db import UnitOfWork


def uow() -> UnitOfWork:
    if "uow" not in g:
        g.uow = UnitOfWork(current_app.extensions["thangngoen.sessions"]).__enter__()
    return g.uow


def session() -> Session:
    return uow().session


def commit() -> None:
    uow().commit()


def register_session(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        work = g.pop("uow", None)
        if work is not None:
            work.__exit__(None, None, None)

"""Rounds at the console: the day's pickup requests by village, planning a round for a collector picked by
name, its stops with a sketch of where they are, the printable round sheet, and the paper round's weights."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.pdf import pdf_response
from console.views.walk_in import _lines_from_form
from console.web import bp, principal, tenant, ticket_context
from pickup import paper_round, pickups, rounds
from pickup.models import Handover, PickupStatus, Round
from pricing.prices import board
from recycle.errors import DomainError
from recycle.models import User

SKETCH_W, SKETCH_H, SKETCH_PAD = 480, 320, 24


def _day() -> dt.date:
    raw = request.values.get("day", "")
    try:
        return dt.date.fromisoformat(raw) if raw else tenant().local_date()
    except ValueError:
        return tenant().local_date()


def _by_village(rows: list) -> list[tuple]:
    groups: dict = defaultdict(list)
    for p in rows:
        groups[p.household.village].append(p)
    return sorted(groups.items(), key=lambda kv: (kv[0].moo or 0, kv[0].name_th))


@bp.route("/rounds", methods=["GET", "POST"])
def rounds_day():  # noqa: ANN201
    """GET: the day's requests waiting for a round, and the day's rounds. POST: plan a round."""
    db = db_session()
    day = _day()
    p = principal()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            collector_id = int(request.form.get("collector_user_id", "0"))
            ids = [int(x) for x in request.form.getlist("pickup_id")]
        except ValueError:
            collector_id, ids = 0, []
        if not collector_id:
            errors["collector_user_id"] = [i18n.gettext("required")]
        if not ids:
            errors["pickup_id"] = [i18n.gettext("required")]
        if not errors:
            try:
                rnd = rounds.plan(db, p, rounds.RoundInput(collector_user_id=collector_id, round_date=day, pickup_ids=ids))
            except DomainError as exc:
                db.rollback()
                errors = dict(exc.errors or {"_": [exc.detail]})
                errors.setdefault("_", [exc.detail])
            else:
                commit()
                flash(i18n.gettext("round_planned"), "ok")
                return redirect(url_for("console.round_page", round_id=rnd.id))
    waiting = [x for x in db.scalars(pickups.list_query(p, status=PickupStatus.REQUESTED, day=day)) if x.round_id is None]
    day_rounds = list(db.scalars(rounds.list_query(p, day=day)))
    names = {u.id: u.name for u in db.scalars(rounds.collectors_query(p.tenant_id))}
    names.update(
        {
            u.id: u.name
            for u in db.scalars(
                select(User).where(User.id.in_([r.collector_user_id for r in day_rounds]), User.tenant_id == p.tenant_id)
            )
        }
    )
    collectors = list(db.scalars(rounds.collectors_query(p.tenant_id)))
    handovers = {
        h.round_id: h
        for h in db.scalars(
            select(Handover).where(Handover.tenant_id == p.tenant_id, Handover.round_id.in_([r.id for r in day_rounds]))
        )
    }
    return render_template(
        "console/rounds/day.html",
        day=day,
        groups=_by_village(waiting),
        rounds=day_rounds,
        collectors=collectors,
        names=names,
        errors=errors,
        handovers=handovers,
        chosen=request.form.get("collector_user_id", ""),
    ), (422 if errors else 200)


def sketch(tenant_obj, stops: list) -> dict:  # noqa: ANN001
    """Stops' lat/lng scaled into a box (north up), the centre marked; no map tiles, no internet."""
    pts = [(s.position, s.pickup.lat, s.pickup.lng) for s in stops if s.pickup.lat is not None and s.pickup.lng is not None]
    centre = (tenant_obj.centre_lat, tenant_obj.centre_lng) if tenant_obj.centre_lat is not None else None
    lats = [p[1] for p in pts] + ([centre[0]] if centre else [])
    lngs = [p[2] for p in pts] + ([centre[1]] if centre else [])
    if not lats:
        return {"w": SKETCH_W, "h": SKETCH_H, "points": [], "centre": None}
    span = max(max(lats) - min(lats), max(lngs) - min(lngs), 1e-4)
    scale = min(SKETCH_W, SKETCH_H) - 2 * SKETCH_PAD

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return (
            round(SKETCH_PAD + (lng - min(lngs)) / span * scale, 1),
            round(SKETCH_H - SKETCH_PAD - (lat - min(lats)) / span * scale, 1),
        )

    points = [{"n": n, "x": xy(lat, lng)[0], "y": xy(lat, lng)[1]} for n, lat, lng in pts]
    return {"w": SKETCH_W, "h": SKETCH_H, "points": points, "centre": xy(*centre) if centre else None}


def _round_context(round_id: int) -> dict:
    db = db_session()
    rnd = rounds.get(db, principal(), round_id)
    collector = db.get(User, rnd.collector_user_id)
    stops = rounds.ordered(rnd)
    return {"r": rnd, "collector": collector, "stops": stops, "tenant": tenant()}


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int):  # noqa: ANN201
    ctx = _round_context(round_id)
    db = db_session()
    timelines = {s.pickup_id: pickups.timeline(db, s.pickup) for s in ctx["stops"]}
    return render_template("console/rounds/round.html", sketch=sketch(ctx["tenant"], ctx["stops"]), timelines=timelines, **ctx)


@bp.get("/rounds/<int:round_id>/sheet.pdf")
def round_sheet(round_id: int):  # noqa: ANN201
    """A4 for a collector without a smartphone: stops in order with boxes to write the weights in."""
    ctx = _round_context(round_id)
    materials = [r for r in board(db_session(), principal().tenant_id) if r.grade.code == r.material.grades[0].code]
    return pdf_response("console/print/round_sheet.html", page="a4", filename=f"round-{round_id}.pdf", materials=materials, **ctx)


@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
def round_paper(round_id: int):  # noqa: ANN201
    """The paper sheet's weights typed in at the centre: one ticket per stop, entered by staff."""
    db = db_session()
    ctx = _round_context(round_id)
    rows = board(db, principal().tenant_id)
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        entries = []
        for s in ctx["stops"]:
            stop_errors: dict[str, list[str]] = {}
            lines = _lines_from_form(rows, stop_errors, prefix=f"s{s.pickup_id}_")
            errors.update(stop_errors)
            entries.append(paper_round.PaperStop(s.pickup_id, lines))
        if not errors and not any(e.lines for e in entries):
            errors["_"] = [i18n.gettext("no_lines")]
        if not errors:
            try:
                paper_round.enter(ticket_context(), round_id, entries)
            except DomainError as exc:
                db.rollback()
                errors = {"_": [exc.detail] + [m for v in (exc.errors or {}).values() for m in v]}
            else:
                commit()
                flash(i18n.gettext("paper_saved"), "ok")
                return redirect(url_for("console.round_page", round_id=round_id))
    return render_template("console/rounds/paper.html", rows=rows, form=form, errors=errors, **ctx), (422 if errors else 200)


def round_status_label(rnd: Round) -> str:
    return i18n.gettext(f"status_{rnd.status}")


bp.add_app_template_global(round_status_label, "round_status")

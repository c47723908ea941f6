"""Prices: the board with change arrows, new prices from a date, CSV import with a dry-run preview,
the downloadable template, a history chart per material (SVG), the board as an A4 PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.pdf import pdf_response
from console.web import bp, principal, tenant, tz
from pricing import prices
from pricing.models import Grade, Price
from pricing.price_sheet import (
    PriceSheetError,
    baht_to_satang,
    parse_price_sheet,
    parse_when,
)
from recycle import thai_dates
from recycle.db import utcnow
from recycle.errors import DomainError, FieldErrors

MAX_UPLOAD = 512 * 1024


def _board():  # noqa: ANN202
    return prices.board(db_session(), principal().tenant_id)


@bp.get("/prices")
def price_board():  # noqa: ANN201
    tomorrow = (utcnow().astimezone(tz()) + dt.timedelta(days=1)).date()
    return render_template(
        "console/prices.html", rows=_board(), errors={}, form={}, default_day=thai_dates.format_date(tomorrow, "th", "numeric")
    )


@bp.post("/prices")
def set_prices():  # noqa: ANN201
    """New buying prices typed on the board, all from one day (today means now)."""
    rows = _board()
    form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
    errors = FieldErrors()
    try:
        day = parse_when(form.get("effective_day", "")).date()
    except ValueError as exc:
        errors["effective_day"] = [str(exc)]
        day = None
    changes, keys = [], []
    for row in rows:
        key = f"p_{row.material.code}_{row.grade.code}"
        raw = form.get(key, "").strip()
        if not raw:
            continue
        try:
            satang = baht_to_satang(raw)
        except ValueError as exc:
            errors[key] = [str(exc)]
            continue
        changes.append(prices.PriceChange(row.material.code, row.grade.code, satang))
        keys.append(key)
    if not changes and not errors:
        errors["_"] = ["กรอกราคาใหม่อย่างน้อยหนึ่งรายการ / enter at least one new price"]
    if not errors and day is not None:
        when = prices.effective_instant(day, tz())
        for ch in changes:
            ch.effective_from = when
        try:
            prices.set_prices(db_session(), principal(), changes, confirm_loss=bool(form.get("confirm_loss")))
        except DomainError as exc:
            db_session().rollback()
            for field, msgs in (exc.errors or {"_": [exc.detail]}).items():
                # "prices.3.buy_price_satang" -> the board row's input
                parts = field.split(".")
                target = keys[int(parts[1])] if len(parts) > 2 and parts[1].isdigit() else "_"
                errors.setdefault(target, []).extend(msgs)
        else:
            commit()
            flash(i18n.gettext("saved"), "ok")
            return redirect(url_for("console.price_board"))
    return render_template(
        "console/prices.html", rows=rows, errors=errors, form=form, default_day=form.get("effective_day", "")
    ), 422


@bp.get("/prices/template.csv")
def price_template():  # noqa: ANN201
    """Today's board as the sheet to edit in Excel and upload again (UTF-8 with BOM, so Excel shows Thai)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["material_code", "grade", "name_th", "buy_price_thb", "ref_sale_price_thb", "effective_from"])
    tomorrow = (utcnow().astimezone(tz()) + dt.timedelta(days=1)).date()
    for row in _board():
        sale = row.price.ref_sale_price_satang
        w.writerow(
            [
                row.material.code,
                row.grade.code,
                row.material.name_th,
                f"{row.price.buy_price_satang / 100:.2f}",
                "" if sale is None else f"{sale / 100:.2f}",
                thai_dates.format_date(tomorrow, "th", "numeric"),
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=price-sheet.csv"}
    )


@bp.post("/prices/import")
def import_prices():  # noqa: ANN201
    """Preview (dry run: checked, then rolled back) or apply; every error listed by its line in the file."""
    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    apply = request.form.get("action") == "apply"
    errors = FieldErrors()
    preview = []
    if not data:
        errors["file"] = ["เลือกไฟล์ CSV / choose a CSV file"]
    elif len(data) > MAX_UPLOAD:
        errors["file"] = ["ไฟล์ใหญ่เกินไป / the file is too large"]
    else:
        try:
            rows = parse_price_sheet(data, default_effective_from=utcnow())
        except PriceSheetError as exc:
            errors = dict(exc.errors)
        else:
            changes = [
                prices.PriceChange(
                    r.material_code, r.grade, r.buy_price_satang, r.ref_sale_price_satang, r.effective_from, line=r.line
                )
                for r in rows
            ]
            try:
                preview = prices.set_prices(
                    db_session(), principal(), changes, confirm_loss=bool(request.form.get("confirm_loss")), source="import"
                )
            except DomainError as exc:
                for key, msgs in (exc.errors or {"file": [exc.detail]}).items():
                    line, _, field = key.partition(".")  # "line 3.buy_price_satang"
                    target = line if line.startswith("line ") else "file"
                    errors.setdefault(target, []).extend(f"{field}: {m}" if field else m for m in msgs)
            except IntegrityError:
                errors = {"file": ["ราคาซ้ำกับที่มีอยู่ / a price already starts at that instant"]}
    names = {(r.material.code, r.grade.code): r.material.name_th for r in _board()}
    preview_rows = []
    for p in preview:
        grade = db_session().get(Grade, p.grade_id)
        preview_rows.append(
            {
                "name": names.get((grade.material.code, grade.code), grade.material.code),
                "grade": grade.code,
                "price": p.buy_price_satang,
                "when": p.effective_from,
            }
        )
    if apply and not errors:
        commit()
        flash(f"{i18n.gettext('saved')}: {len(preview_rows)}", "ok")
        return redirect(url_for("console.price_board"))
    db_session().rollback()
    return render_template(
        "console/price_import.html", errors=errors, preview=preview_rows, filename=upload.filename if upload else ""
    ), (422 if errors else 200)


@bp.get("/prices/<code>")
def price_history(code: str):  # noqa: ANN201
    return render_template("console/price_history.html", code=code.upper()[:40], rows=_history(code))


def _history(code: str) -> list[tuple[str, Price]]:
    """(grade code, price) oldest first."""
    db = db_session()
    rows = list(db.scalars(prices.history(db, principal().tenant_id, code[:40])))
    grades = {g.id: g.code for g in db.scalars(select(Grade).where(Grade.id.in_({r.grade_id for r in rows})))}
    return [(grades.get(r.grade_id, "?"), r) for r in rows]


@bp.get("/prices/<code>/chart.svg")
def price_chart(code: str):  # noqa: ANN201
    from console.charts import price_history_svg

    svg = price_history_svg(_history(code), tz(), title=code.upper()[:40])
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/prices/board.pdf")
def price_board_pdf():  # noqa: ANN201
    now = utcnow()
    return pdf_response(
        "console/print/price_board.html",
        page="a4",
        filename="price-board.pdf",
        rows=_board(),
        tenant=tenant(),
        today=thai_dates.format_date(now.astimezone(tz()), "th", "long"),
    )

"""Setup for a new municipality without the command line (admins): villages, staff and collector accounts,
the waste bank's settings, and a catalog started from the template."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.schemas.common import Phone
from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import Text, domain_errors, form_data
from console.views.members import fresh_password_ok
from console.web import admin_only, bp, principal, tenant
from pricing.demo import start_from_template
from pricing.models import Material
from recycle import accounts, tenant_settings
from recycle.errors import DomainError, FieldErrors
from recycle.models import User, Village


class VillageForm(Schema):
    name_th = Text(required=True, validate=validate.Length(min=1, max=200))
    name_en = Text(load_default="", validate=validate.Length(max=200))
    moo = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0, max=99))


class AccountForm(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    phone = Phone(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["collector", "staff", "admin"]))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=200))


def _page(errors: dict | None = None, form: dict | None = None, status: int = 200):  # noqa: ANN202
    db = db_session()
    tid = principal().tenant_id
    return render_template(
        "console/setup.html",
        errors=errors or {},
        form=form or {},
        tenant=tenant(),
        villages=db.scalars(select(Village).where(Village.tenant_id == tid).order_by(Village.moo, Village.name_th)).all(),
        users=db.scalars(
            select(User).where(User.tenant_id == tid, User.role != "household").order_by(User.role, User.name)
        ).all(),
        settings=tenant_settings.current(tenant()),
        defs=tenant_settings.SETTINGS,
        materials=db.scalar(select(func.count(Material.id)).where(Material.tenant_id == tid)),
    ), status


@bp.get("/setup")
@admin_only
def setup():  # noqa: ANN201
    return _page()


@bp.post("/setup/villages")
@admin_only
def add_village():  # noqa: ANN201
    data, errors = form_data(VillageForm())
    if data and not errors:
        try:
            accounts.add_village(
                db_session(), principal().tenant_id, data["name_th"], data["name_en"] or data["name_th"], data["moo"]
            )
            commit()
        except DomainError as exc:
            db_session().rollback()
            errors = domain_errors(exc)
        except IntegrityError:  # the (tenant, name) unique constraint
            db_session().rollback()
            errors = {"name_th": ["มีหมู่บ้านชื่อนี้แล้ว / this village already exists"]}
        else:
            flash(i18n.gettext("saved"), "ok")
            return redirect(url_for("console.setup"))
    return _page(errors, dict(request.form), 422)


@bp.post("/setup/users")
@admin_only
def add_account():  # noqa: ANN201
    data, errors = form_data(AccountForm())
    if data and not errors:
        try:
            accounts.create_user(
                db_session(),
                principal().tenant_id,
                role=data["role"],
                phone=data["phone"],
                password=data["new_password"],
                name=data["name"],
                principal=principal(),
            )
        except DomainError as exc:
            db_session().rollback()
            errors = {("new_password" if k == "password" else k): v for k, v in domain_errors(exc).items()}
        else:
            commit()
            flash(i18n.gettext("saved"), "ok")
            return redirect(url_for("console.setup"))
    form = {k: v for k, v in request.form.items() if k not in ("new_password", "csrf_token")}
    return _page(errors, form, 422)


@bp.post("/setup/users/<int:user_id>/<action>")
@admin_only
def account_action(user_id: int, action: str):  # noqa: ANN201
    """Disable, enable or set a new password: each asks for the admin's own password again."""
    errors = FieldErrors()
    if action not in ("disable", "enable", "password"):
        return _page({"_": [i18n.gettext("not_found")]}, status=404)
    if not fresh_password_ok(errors):
        return _page({f"u{user_id}": errors["password"]}, status=422)
    db = db_session()
    try:
        if action == "disable":
            accounts.disable_user(db, principal(), user_id)
        elif action == "enable":
            accounts.enable_user(db, principal(), user_id)
        else:
            accounts.set_password(db, principal(), user_id, request.form.get("new_password", ""))
    except DomainError as exc:
        db.rollback()
        return _page({f"u{user_id}": [m for msgs in domain_errors(exc).values() for m in msgs]}, status=422)
    commit()
    flash(i18n.gettext("saved"), "ok")
    return redirect(url_for("console.setup"))


@bp.post("/setup/settings")
@admin_only
def save_settings():  # noqa: ANN201
    values: dict = {}
    errors = FieldErrors()
    for d in tenant_settings.SETTINGS:
        raw = request.form.get(d.key, "").strip().replace(",", "")
        if raw == "":
            continue
        try:
            values[d.key] = int(raw)
        except ValueError:
            errors[d.key] = ["ต้องเป็นจำนวนเต็ม / a whole number"]
    for key in ("centre_lat", "centre_lng"):
        raw = request.form.get(key, "").strip()
        try:
            values[key] = float(raw) if raw else None
        except ValueError:
            errors[key] = ["ตัวเลขพิกัด เช่น 20.0668 / a coordinate such as 20.0668"]
    if not errors:
        try:
            tenant_settings.update(db_session(), principal(), values)
        except DomainError as exc:
            db_session().rollback()
            errors = domain_errors(exc)
        else:
            commit()
            flash(i18n.gettext("saved"), "ok")
            return redirect(url_for("console.setup"))
    return _page(errors, dict(request.form), 422)


@bp.post("/setup/catalog")
@admin_only
def catalog_from_template():  # noqa: ANN201
    added = start_from_template(db_session(), tenant(), principal().user_id)
    commit()
    flash(f"{i18n.gettext('saved')}: {added}", "ok")
    return redirect(url_for("console.setup"))

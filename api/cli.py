"""`thangngoen`: serve the embedded default, migrate, seed, and bootstrap a deployment."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from api.app import create_app
from recycle.db import UnitOfWork


def _uow() -> UnitOfWork:
    return UnitOfWork(current_app.extensions["thangngoen.sessions"])


def _upgrade() -> None:
    from migrations import upgrade
    upgrade(current_app.config["DATABASE_URL"])


def _seed_demo(echo: bool = True) -> None:
    from api import demo
    with _uow() as uow:
        fresh = not demo.is_seeded(uow.session)
        logins = demo.seed(uow.session)
        uow.commit()
    if echo:
        click.echo(("Seeded" if fresh else "Found") + f" the demo tenant '{demo.SLUG}'. Demo logins (tenant {demo.SLUG}):")
        for login in logins:
            click.echo(f"  {login.role:<10} phone {login.phone}  password {login.password}  ({login.name})")


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def cli() -> None:
    """Thang Ngoen Thang Thong: the backend of a community waste bank."""


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-seed", is_flag=True, help="do not create the demo tenant on an empty database")
@click.option("--demo", is_flag=True, help="seed the demo tenant (published passwords) even on a DATABASE_URL")
@with_appcontext
def serve(host: str, port: int, no_seed: bool, demo: bool) -> None:
    """Migrate the database, seed the demo tenant (embedded default only, or --demo), serve the API and Swagger UI."""
    _upgrade()
    if not no_seed and _demo_allowed(demo):
        _seed_demo()
    where = "inline (no broker)" if not current_app.config.get("CELERY_BROKER_URL") else current_app.config["CELERY_BROKER_URL"]
    click.echo(f"Database: {current_app.config['DATABASE_URL']}\nTasks: {where}")
    click.echo(f"Swagger UI: http://{host}:{port}/api/v1/docs   API: http://{host}:{port}/api/v1")
    from werkzeug.serving import run_simple
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the database to the current schema (Alembic)."""
    _upgrade()
    click.echo("database is at the current schema")


@cli.command("seed-demo")
@click.option("--demo", is_flag=True, help="required on a DATABASE_URL: the demo logins' passwords are public")
@with_appcontext
def seed_demo(demo: bool) -> None:
    """Create the demo tenant khrueng with its villages, catalog and accounts (idempotent)."""
    if not _demo_allowed(demo):
        raise click.ClickException("refusing to seed the demo tenant (its passwords are published) on a DATABASE_URL; "
                                   "pass --demo if this database really is a demo")
    _upgrade()
    _seed_demo()


def _demo_allowed(flag: bool) -> bool:
    """Demo accounts with published passwords only on the embedded default, or when asked for by name."""
    return flag or bool(current_app.config.get("EMBEDDED"))


@cli.command("create-tenant")
@click.argument("slug")
@click.option("--name-th", required=True)
@click.option("--name-en", required=True)
@click.option("--timezone", default="Asia/Bangkok", show_default=True)
@with_appcontext
def create_tenant(slug: str, name_th: str, name_en: str, timezone: str) -> None:
    """Create a tenant (a municipality's waste bank)."""
    from recycle import accounts
    from recycle.errors import DomainError
    with _uow() as uow:
        try:
            tenant = accounts.create_tenant(uow.session, slug, name_th, name_en, timezone)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        uow.commit()
    click.echo(f"created tenant {tenant.slug} (id {tenant.id})")


@cli.command("create-village")
@click.option("--tenant", "slug", required=True)
@click.option("--name-th", required=True)
@click.option("--name-en", required=True)
@click.option("--moo", type=int, default=None)
@with_appcontext
def create_village(slug: str, name_th: str, name_en: str, moo: int | None) -> None:
    """Add a village (หมู่บ้าน / ชุมชน) to a tenant."""
    from recycle import accounts
    from recycle.errors import DomainError
    with _uow() as uow:
        try:
            village = accounts.add_village(uow.session, accounts.tenant_by_slug(uow.session, slug).id, name_th, name_en, moo)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        uow.commit()
    click.echo(f"created village {village.name_th} (id {village.id})")


@cli.command("create-user")
@click.option("--tenant", "slug", required=True)
@click.option("--role", required=True, type=click.Choice(["collector", "staff", "admin"]))
@click.option("--phone", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@with_appcontext
def create_user(slug: str, role: str, phone: str, password: str, name: str) -> None:
    """Create a collector, staff or admin login (households register themselves or at the centre)."""
    from recycle import accounts
    from recycle.errors import DomainError
    with _uow() as uow:
        try:
            tenant = accounts.tenant_by_slug(uow.session, slug)
            user = accounts.create_user(uow.session, tenant.id, role=role, phone=phone, password=password, name=name)
        except DomainError as exc:
            msgs = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items()) or exc.detail
            raise click.ClickException(msgs) from None
        uow.commit()
    click.echo(f"created {role} {user.name} ({user.phone}) in {slug}")


def main() -> None:
    cli()

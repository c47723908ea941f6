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


def make_cli(app_factory=create_app) -> click.Group:  # noqa: ANN001
    """The command group over an app factory: the API alone, or the API with the console (console.cli)."""
    return FlaskGroup(name="thangngoen", help=cli.help, create_app=app_factory, add_default_commands=True, commands=cli.commands)


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
    if "console" in current_app.blueprints:
        from api import demo

        staff = next(x for x in demo.LOGINS if x.role == "staff")
        click.echo(
            f"Staff console: http://{host}:{port}/console   (demo staff: tenant {demo.SLUG}, "
            f"phone {staff.phone}, password {staff.password})"
        )
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


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--i-know-this-drops-data", "drop_data", is_flag=True, help="drop tables even if they hold rows (back up first)")
@with_appcontext
def db_downgrade(revision: str, drop_data: bool) -> None:
    """Go back to an older schema; refused when it would drop tables that hold data."""
    from migrations import DataLossRefused, downgrade

    try:
        dropped = downgrade(current_app.config["DATABASE_URL"], revision, allow_data_loss=drop_data)
    except DataLossRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"database is at {revision}" + (f"; dropped {', '.join(dropped)}" if dropped else ""))


@cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
def backup_cmd(target: str) -> None:
    """Back up the database to TARGET (PostgreSQL: pg_dump custom format; SQLite: a consistent copy)."""
    from recycle.backup import BackupError, backup

    try:
        path = backup(current_app.config["DATABASE_URL"], target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {path}")


@cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask: replace everything in the database")
@with_appcontext
def restore_cmd(source: str, yes: bool) -> None:
    """Replace the database with the backup in SOURCE, then check the ledger."""
    from recycle.backup import BackupError, restore

    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.confirm(f"Replace everything in {url.split('@')[-1]} with {source}?", abort=True)
    try:
        restore(source, url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {source}")


@cli.command("check-ledger")
@click.option("--tenant", "slug", default=None, help="one tenant (its slug); all tenants when omitted")
@with_appcontext
def check_ledger(slug: str | None) -> None:
    """Check the books: balanced transactions, tickets vs credits, payouts once, stock vs movements. Exit 1 if wrong."""
    from enterprise.ledger_check import check
    from recycle import accounts
    from recycle.errors import DomainError

    with _uow() as uow:
        try:
            tenant_id = accounts.tenant_by_slug(uow.session, slug).id if slug else None
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        findings = check(uow.session, tenant_id)
    click.echo("ตรวจสมุดบัญชี / ledger check" + (f" ({slug})" if slug else " (ทุกหน่วยงาน / all tenants)"))
    if not findings:
        click.echo("ไม่พบข้อผิดพลาด / no problems found")
        return
    click.echo(f"พบ {len(findings)} รายการที่ผิด / {len(findings)} problems found:")
    click.echo(f"{'kind':<24} {'tenant':>6}  {'ref':<24} detail")
    for f in findings:
        click.echo(f"{f.kind:<24} {f.tenant_id:>6}  {f.ref:<24} {f.detail}")
    raise SystemExit(1)


@cli.command("seed-demo")
@click.option("--demo", is_flag=True, help="required on a DATABASE_URL: the demo logins' passwords are public")
@with_appcontext
def seed_demo(demo: bool) -> None:
    """Create the demo tenant khrueng with its villages, catalog and accounts (idempotent)."""
    if not _demo_allowed(demo):
        raise click.ClickException(
            "refusing to seed the demo tenant (its passwords are published) on a DATABASE_URL; "
            "pass --demo if this database really is a demo"
        )
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


@cli.group("open-data")
def open_data_group() -> None:
    """Open data in data.go.th's form."""


@open_data_group.command("export")
@click.option("--tenant", "slug", required=True)
@click.option("--month", required=True, help="YYYY-MM (a B.E. year such as 2569-11 is taken too)")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False))
@with_appcontext
def open_data_export(slug: str, month: str, out_dir: str) -> None:
    """Write SLUG-YYYY-MM.csv and SLUG-metadata.json (counts below 5 suppressed) for upload to data.go.th."""
    import json
    import os

    from enterprise import open_data
    from recycle import accounts
    from recycle.errors import DomainError

    with _uow() as uow:
        try:
            tenant = accounts.tenant_by_slug(uow.session, slug)
            year, mon = open_data.parse_month(month)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        body = open_data.month_csv(uow.session, tenant, year, mon)
        meta = open_data.metadata(uow.session, tenant)
        slug = tenant.slug
    os.makedirs(out_dir, exist_ok=True)
    csv_path = os.path.join(out_dir, f"{slug}-{year:04d}-{mon:02d}.csv")
    meta_path = os.path.join(out_dir, f"{slug}-metadata.json")
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        f.write(body)
    with open(meta_path, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)
    click.echo(f"wrote {csv_path} ({body.count(chr(10)) - 1} rows) and {meta_path}")


def main(app_factory=None) -> None:  # noqa: ANN001
    """`app_factory`: what to serve (default the API alone; console.cli passes the API with the console)."""
    (make_cli(app_factory) if app_factory else cli)()

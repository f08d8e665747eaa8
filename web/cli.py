"""`flask` commands: seed, deploy workflows, run the worker, create API tokens. Thin wrappers over seed/ and
the engine services."""

from __future__ import annotations

import signal
from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.core.clock import clock
from engine.core.errors import DefinitionError, EngineError
from engine.core.ports import Actor
from engine.reporting import services as reporting_services
from engine.tt124 import services as tt124_services
from engine.tt124.rules import FIRST_YEAR, openable_year
from models import db
from models.backup import export_all, restore_all
from models.base import utcnow
from models.commands.tokens import create_token
from models.org import Organisation
from models.tt124 import Tt124Cycle, Tt124Participation
from seed import deploy_workflows
from seed import run as run_seed
from web.cli_accounts import register_account_commands
from web.deps import cascade, store
from web.mail import smtp_sender
from web.worker import Waker, run_worker


def register_cli(app) -> None:
    register_account_commands(app)

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also the demo people (shared demo password) and 2022 documents.")
    def seed_command(demo: bool):
        """Create the organisations, reporting regimes and workflow definitions (idempotent); people only with
        --demo or CASCADE_DEV=1 (production: `flask create-admin`)."""
        summary = run_seed(cascade(), demo=demo or bool(current_app.config.get("DEV")))
        click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))

    @app.cli.command("deploy-workflows")
    def deploy_command():
        """Deploy every workflows/*.dmn and *.bpmn whose content changed since its latest version."""
        try:
            kept, decisions = [], ([], [])
            records = deploy_workflows(engine=cascade(), kept=kept, decisions=decisions)
            shown = [(r.decision_key, r) for r in decisions[0]] + [(r.process_key, r) for r in records]
            held = [(r.decision_key, r) for r in decisions[1]] + [(r.process_key, r) for r in kept]
            for key, record in shown:
                click.echo(f"deployed {key} v{record.version}")
            for key, record in held:
                click.echo(
                    f"kept {key} v{record.version}: deployed by an administrator "
                    f"({record.source}); the file in workflows/ is not deployed over it"
                )
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            raise click.ClickException(str(exc))

    @app.cli.command("worker")
    @click.option("--interval", default=1.0, help="Longest sleep between rounds, in seconds (wakes sooner on work).")
    @click.option("--once", is_flag=True, help="Run one round and exit.")
    def worker_command(interval: float, once: bool):
        """Fire due timers and deliver pending messages until stopped (safe to run several): sleeps until the next
        due time, a PostgreSQL NOTIFY of new work, or --interval (web/worker.py)."""
        waker = Waker()
        signal.signal(signal.SIGTERM, lambda *_: waker.stop())
        run_worker(cascade, store, smtp_sender(), interval, once=once, waker=waker)

    @app.cli.command("open-period")
    @click.argument("regime_id", type=int)
    @click.argument("year", type=int)
    @click.argument("index", type=int, default=1)
    def open_period_command(regime_id: int, year: int, index: int):
        """Open reporting period INDEX of YEAR for regime REGIME_ID (as the system) and start every school's
        report."""
        period_id = reporting_services.open_period(cascade(), store(), Actor.system(), regime_id, year, index)
        delivered = cascade().deliver_messages(store(), limit=100_000)
        click.echo(f"period {period_id} opened; {delivered} school report(s) started")

    @app.cli.group("tt124")
    def tt124_group():
        """Circular 124 ("An toàn về an ninh, trật tự") evaluation years."""

    @tt124_group.command("open-year")
    @click.option("--year", type=int, required=True, help="Evaluation year (16/11 of the year before to 15/11).")
    @click.option(
        "--office",
        "office_code",
        help="Code of the receiving office (e.g. cp-pgddt). Default: every organisation that manages schools.",
    )
    def tt124_open_year_command(year: int, office_code: str | None):
        """Open the Circular 124 year for the office's schools (as the web's "Mở năm đánh giá" does, as the
        system): each school's eligibility is recorded and each eligible school's year starts. A year already
        open is left as it is."""
        if not openable_year(year, clock.today()):
            raise click.BadParameter(
                f"{year} is not a year that can be opened: from {FIRST_YEAR} (Circular 124 in force "
                f"10/02/2022) to {clock.today().year + 1}",
                param_hint="'--year'",
            )
        managing = select(Organisation.parent_id).where(Organisation.kind == "school")
        if office_code:
            office = db.session.scalars(select(Organisation).where(Organisation.code == office_code)).first()
            if office is not None and office.kind == "section" and office.parent_id:
                office = db.session.get(Organisation, office.parent_id)  # a section opens for its office
            if office is None:
                raise click.BadParameter(f"no organisation with code {office_code!r}", param_hint="'--office'")
            if office.id not in set(db.session.scalars(managing)):
                raise click.BadParameter(f"{office.code} ({office.name}) manages no schools", param_hint="'--office'")
            offices = [office]
        else:
            offices = db.session.scalars(
                select(Organisation).where(Organisation.id.in_(managing)).order_by(Organisation.id)
            ).all()
            if not offices:
                raise click.ClickException("no organisation manages schools: nothing to open")
        for office in offices:
            label = f"{office.code} ({office.name})"
            existing = db.session.scalars(
                select(Tt124Cycle).where(Tt124Cycle.receiver_id == office.id, Tt124Cycle.year == year)
            ).first()
            if existing is not None:
                click.echo(f"Circular 124 year {year} is already open for {label} (cycle {existing.id}); nothing done")
                continue
            s = store()
            try:
                cycle_id = tt124_services.open_cycle(cascade(), s, Actor.system(), office.id, year)
            except IntegrityError:  # opened meanwhile by someone else
                s.rollback()
                click.echo(f"Circular 124 year {year} is already open for {label}; nothing done")
                continue
            except EngineError as exc:
                s.rollback()
                raise click.ClickException(f"{label}: {exc}") from exc
            cascade().deliver_messages(store(), limit=100_000)
            rows = db.session.scalars(select(Tt124Participation).where(Tt124Participation.cycle_id == cycle_id)).all()
            eligible = sum(r.eligible for r in rows)
            started = sum(r.instance_id is not None for r in rows)
            click.echo(
                f"Circular 124 year {year} opened for {label} (cycle {cycle_id}): {len(rows)} school(s), "
                f"{eligible} eligible, {started} school year(s) started"
                + (f"; {eligible - started} pending for `flask worker`" if started < eligible else "")
            )

    @app.cli.command("export-data")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_command(path: str):
        """Write every table to PATH as JSON (a consistent snapshot in one transaction)."""
        with open(path, "w", encoding="utf-8") as out:
            counts = export_all(out)
        click.echo(f"exported {sum(counts.values())} rows from {len(counts)} tables to {path}")

    @app.cli.command("restore-data")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def restore_command(path: str):
        """Load an export into this (empty, migrated) database."""
        with open(path, encoding="utf-8") as source:
            try:
                counts = restore_all(source)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables")

    @app.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="api", help="A label to recognise the token by.")
    @click.option("--expires-days", type=click.IntRange(1, 3650), help="Refused after this many days.")
    @click.option("--read-only", is_flag=True, help="The token only reads (GET); anything else answers 403.")
    @click.option("--rate-limit", type=click.IntRange(1, 1_000_000), help="Requests a minute for this token.")
    def create_token_command(
        username: str, name: str, expires_days: int | None, read_only: bool, rate_limit: int | None
    ):
        """Create a personal API token for USERNAME; it is printed once and stored only as a hash."""
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None  # the API's clock
        scope = "read" if read_only else "write"
        token = create_token(username, name, expires, scope=scope, rate_limit=rate_limit)
        if token is None:
            raise click.ClickException(f"no user {username}")
        click.echo(token)

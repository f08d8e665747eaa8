"""`flask` commands: seed, deploy workflows, run the worker, create API tokens. Thin wrappers over seed/ and
the engine services."""

from __future__ import annotations

import secrets
import signal
import time

import click
from flask import current_app
from sqlalchemy import select

from engine.errors import DefinitionError
from models import db
from models.org import ApiToken, User
from web.deps import cascade, store
from web.mail import smtp_sender


def register_cli(app) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Create the 2022 organisations, users, documents and workflow definitions (idempotent)."""
        from seed import run

        summary = run()
        click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))

    @app.cli.command("deploy-workflows")
    def deploy_command():
        """Deploy every workflows/*.bpmn whose content changed since its latest version."""
        from seed import deploy_workflows

        try:
            for record in deploy_workflows():
                click.echo(f"deployed {record.process_key} v{record.version}")
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            raise click.ClickException(str(exc))

    @app.cli.command("worker")
    @click.option("--interval", default=1.0, help="Seconds between polls.")
    @click.option("--once", is_flag=True, help="Run one round and exit.")
    def worker_command(interval: float, once: bool):
        """Fire due timers and deliver pending messages until stopped (safe to run several)."""
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            fired = cascade().fire_due_timers(store())
            delivered = cascade().deliver_messages(store())
            cascade().deliver_emails(store(), smtp_sender())
            db.session.remove()
            if fired or delivered:
                current_app.logger.info("worker: %s timer instance(s), %s message(s)", fired, delivered)
            if once:
                break
            time.sleep(interval)

    @app.cli.command("open-period")
    @click.argument("regime_id", type=int)
    @click.argument("year", type=int)
    @click.argument("index", type=int, default=1)
    def open_period_command(regime_id: int, year: int, index: int):
        """Open reporting period INDEX of YEAR for regime REGIME_ID (as the system) and start every school's
        report."""
        from engine.ports import Actor

        period_id = cascade().open_period(store(), Actor.system(), regime_id, year, index)
        delivered = cascade().deliver_messages(store(), limit=100_000)
        click.echo(f"period {period_id} opened; {delivered} school report(s) started")

    @app.cli.command("export-data")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_command(path: str):
        """Write every table to PATH as JSON (a consistent snapshot in one transaction)."""
        from models.backup import export_all

        with open(path, "w", encoding="utf-8") as out:
            counts = export_all(out)
        click.echo(f"exported {sum(counts.values())} rows from {len(counts)} tables to {path}")

    @app.cli.command("restore-data")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def restore_command(path: str):
        """Load an export into this (empty, migrated) database."""
        from models.backup import restore_all

        with open(path, encoding="utf-8") as source:
            try:
                counts = restore_all(source)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables")

    @app.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="api", help="A label to recognise the token by.")
    def create_token_command(username: str, name: str):
        """Create a personal API token for USERNAME; it is printed once and stored only as a hash."""
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise click.ClickException(f"no user {username}")
        token = secrets.token_urlsafe(32)
        db.session.add(ApiToken(user_id=user.id, name=name, token_hash=ApiToken.hash(token)))
        db.session.commit()
        click.echo(token)

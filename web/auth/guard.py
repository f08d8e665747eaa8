"""Refusals at the gate: a production server does not start while an account still has the demo password,
and a person with a one-time password changes it before anything else."""

from __future__ import annotations

import click
from flask import Flask, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from models import db
from models.org import User

OPEN_WITH_ONE_TIME_PASSWORD = frozenset({"auth.password", "auth.logout", "static"})


class DemoPasswordError(RuntimeError):
    """A production server was asked to start while demo passwords exist."""


def serving() -> bool:
    """True under gunicorn (or another WSGI server) and `flask run`; False for the other `flask` commands, which
    must keep working to fix the accounts (`flask set-password`)."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def refuse_demo_passwords(app: Flask) -> None:
    """Raise DemoPasswordError when a production app would serve accounts with the demo password."""
    if app.config.get("DEV") or app.config.get("TESTING") or not serving():
        return
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(User.demo_password.is_(True)))
        db.session.remove()
    if count:
        raise DemoPasswordError(
            f"{count} account(s) still have the shared demo password: this is a demo database. Run "
            "`flask set-password USERNAME` for each account you keep (or seed a fresh database without --demo), "
            "or set CASCADE_DEV=1 for a local demo."
        )


def require_new_password():
    """before_app_request: with a one-time password, every page leads to the password change."""
    if request.endpoint in OPEN_WITH_ONE_TIME_PASSWORD or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.password"))
    return None

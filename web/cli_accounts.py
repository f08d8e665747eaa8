"""`flask` commands for accounts: the first administrator, setting a password, revoking API tokens."""

from __future__ import annotations

import os

import click

from models.commands import tokens, users
from models.commands.changes import InputError
from models.passwords import PasswordError

ADMIN_PASSWORD_ENV = "CASCADE_ADMIN_PASSWORD"  # noqa: S105 - a variable name
PASSWORD_ENV = "CASCADE_NEW_PASSWORD"  # noqa: S105 - a variable name
PASSWORD_HELP = {
    "short": "at least 10 characters",
    "long": "at most 200 characters",
    "demo": "not the demo password",
    "common": "too common, easy to guess",
    "username": "not the username",
}


def _password(env_name: str) -> str:
    """From the environment (automation) or typed twice, never echoed."""
    return os.environ.get(env_name) or click.prompt("Password", hide_input=True, confirmation_prompt=True)


def register_account_commands(app) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--full-name", default="Quản trị hệ thống", help="The person's name as shown in the app.")
    @click.option("--org", "org_code", help="Code of their organisation (default: the first one, e.g. the root).")
    def create_admin_command(username: str, full_name: str, org_code: str | None):
        """Create the administrator USERNAME (or give an existing account the admin role), with a password
        typed at the prompt or read from CASCADE_ADMIN_PASSWORD."""
        try:
            user = users.create_admin(username.strip().lower(), full_name, org_code, _password(ADMIN_PASSWORD_ENV))
        except PasswordError as exc:
            raise click.ClickException(f"password refused: {PASSWORD_HELP[exc.code]}") from exc
        except InputError as exc:
            raise click.ClickException(f"refused: {exc}") from exc
        click.echo(f"administrator {user.username} ({user.org.name}) ready: log in at /login")

    @app.cli.command("set-password")
    @click.argument("username")
    @click.option("--one-time", is_flag=True, help="The person must change it at the next login.")
    def set_password_command(username: str, one_time: bool):
        """Set USERNAME's password (prompted, or from CASCADE_NEW_PASSWORD); their sessions end."""
        try:
            done = users.set_password(username.strip().lower(), _password(PASSWORD_ENV), one_time=one_time)
        except PasswordError as exc:
            raise click.ClickException(f"password refused: {PASSWORD_HELP[exc.code]}") from exc
        if not done:
            raise click.ClickException(f"no user {username}")
        click.echo(f"password of {username} set" + (" (one-time)" if one_time else ""))

    @app.cli.command("revoke-token")
    @click.argument("username")
    @click.option("--id", "token_id", type=int, help="Only this token (see the person's profile page).")
    @click.option("--name", help="Only the tokens with this label.")
    def revoke_token_command(username: str, token_id: int | None, name: str | None):
        """Revoke USERNAME's API tokens (all of them, or one by --id, or those named --name)."""
        count = tokens.revoke_tokens(username.strip().lower(), token_id=token_id, name=name)
        if count is None:
            raise click.ClickException(f"no user {username}")
        click.echo(f"{count} token(s) revoked")

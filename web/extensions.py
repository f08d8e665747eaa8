"""Unbound Flask extensions, bound in create_app."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"
csrf = CSRFProtect()
babel = Babel()
migrate = Migrate()


def login_key() -> str:
    """Failed logins are limited per address and username, so one user's typos don't lock out an office."""
    return f"{get_remote_address()}|{(request.form.get('username') or '').strip().lower()}"


# Storage: memory by default (per process); set CASCADE_RATELIMIT_STORAGE (e.g. redis://…) to share it.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

"""Configuration read from CASCADE_* environment variables; refuses to run without a secret outside dev/test."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("CASCADE_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'cascade.db'}")
    SECRET_KEY = os.environ.get("CASCADE_SECRET_KEY")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("CASCADE_SECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WORKFLOWS_DIR = str(ROOT / "workflows")
    # Replays a year: the clock starts at this instant (ISO 8601) when the process starts.
    CLOCK_START = os.environ.get("CASCADE_CLOCK_START")
    # Deliver outbox messages right after the request that produced them (the worker retries failures).
    DELIVER_INLINE = True
    # One request: an incident with several phone photos (each file is capped at 8 MB by web/uploads.py).
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    SMTP_HOST = os.environ.get("CASCADE_SMTP_HOST")
    SMTP_PORT = int(os.environ.get("CASCADE_SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("CASCADE_SMTP_USER")
    SMTP_PASSWORD = os.environ.get("CASCADE_SMTP_PASSWORD")
    SMTP_FROM = os.environ.get("CASCADE_SMTP_FROM", "cascade@localhost")
    SMTP_STARTTLS = os.environ.get("CASCADE_SMTP_STARTTLS", "0") == "1"
    # PostgreSQL: a pooled connection idle this long is pinged before use (models.base.ping_when_idle).
    DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("CASCADE_DB_PING_AFTER_IDLE", "10"))
    # workflows kept in memory per process after their step committed (engine.core.warm); 0 turns it off
    WARM_INSTANCES = int(os.environ.get("CASCADE_WARM_INSTANCES", "256"))
    # API requests a minute per token when the token sets none (counted in the database: every process agrees)
    API_RATE_LIMIT = int(os.environ.get("CASCADE_API_RATE_LIMIT", "600"))
    TESTING = False
    DEV = os.environ.get("CASCADE_DEV", "0") == "1"


def finalize(config: dict) -> None:
    """Fill in dev/test defaults and database-specific engine options."""
    if not config.get("SECRET_KEY"):
        if not (config.get("TESTING") or config.get("DEV")):
            raise RuntimeError("CASCADE_SECRET_KEY must be set (or CASCADE_DEV=1 for a local demo)")
        config["SECRET_KEY"] = secrets.token_hex(32)
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        config["SQLALCHEMY_DATABASE_URI"] = uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
        if "///" in uri and not uri.endswith(":memory:"):
            Path(uri.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options

"""create_app(): configuration, extensions, the engine, blueprints, error handlers and CLI commands."""

from __future__ import annotations

import gc
from datetime import datetime

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine import create_engine
from engine.core.clock import clock
from models import db
from models.base import ping_when_idle, sqlite_write_ahead_log
from models.commands.clock import replay_began
from web import (
    admin,
    api,
    auth,
    documents,
    downloads,
    errors,
    inbox,
    incidents,
    modeller,
    ops,
    processes,
    reports,
    stats,
    tt124,
)
from web.cli import register_cli
from web.config import ROOT, Config, finalize
from web.deps import DatabaseIdConverter, cascade, store
from web.extensions import babel, csrf, login_manager, migrate
from web.filters import register_filters
from web.i18n import ensure_compiled


def select_locale() -> str:
    lang = session.get("lang")
    if lang in ("vi", "en"):
        return lang
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return "vi"


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a request that brings no session cookie (every API call) gets an empty
    session without building the cookie's signer first."""

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = CookieSessions()
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    finalize(app.config)

    db.init_app(app)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if not uri.startswith("sqlite"):
            ping_when_idle(db.engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])
        elif ":memory:" not in uri and uri != "sqlite://":
            sqlite_write_ahead_log(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    ensure_compiled()
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))

    if app.config.get("CLOCK_START"):
        with app.app_context():  # one replay for every process: its real start is stored once
            began = replay_began(app.config["CLOCK_START"])
            db.session.remove()
        clock.start_at(datetime.fromisoformat(app.config["CLOCK_START"]), since=began)
    app.extensions["cascade"] = create_engine(warm_instances=app.config["WARM_INSTANCES"])
    app.extensions["cascade"].runtime.holiday_source = _holidays  # due dates skip them (engine/core/runtime.py)

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route: ids past 2^31 − 1 are 404
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(incidents.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(tt124.bp)
    app.register_blueprint(modeller.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # token-authenticated, no cookies
    errors.register(app)
    register_filters(app)
    register_cli(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.before_request
    def remember_lang():
        lang = request.args.get("lang")
        if lang in ("vi", "en"):
            session["lang"] = lang
        refresh()  # the locale is per request, even when a test holds one app context across requests
        g.now = clock.now()

    return app


def _holidays():
    """The holiday calendar for the engine's due dates (read in the app context of the step that asks)."""
    return store().holidays()


def warm_up(app: Flask) -> None:
    """Fill the per-process caches (organisations, parsed diagrams), then move everything alive into Python's
    permanent GC generation: later full collections no longer walk it, which took 100 ms pauses out of busy
    inbox pages (docs/performance.md). Best effort: a database not yet migrated just skips the warming."""
    with app.app_context():
        try:
            s = store()
            s.orgs()
            for definition in s.latest_definitions():
                cascade().runtime.specs(definition)
        except SQLAlchemyError as exc:
            app.logger.warning("warm-up skipped: %s", exc)
        finally:
            db.session.remove()
    gc.collect()
    gc.freeze()

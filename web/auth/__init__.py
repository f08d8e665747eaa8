"""Log in and out, change my password, my API tokens (Flask-Login, hashed passwords, same-site `next` only).

A session carries the user's id and session token (models.org.User.get_id): logout, a password change and
deactivation give the user a new token, so every session issued before stops at its next request."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import db
from models.base import utcnow
from models.commands import logins, tokens
from models.org import User
from models.passwords import PasswordError
from web.auth.forms import LoginForm, PasswordForm, TokenForm
from web.auth.guard import require_new_password
from web.auth.messages import PASSWORD, login_refusal
from web.extensions import login_manager

bp = Blueprint("auth", __name__, template_folder="templates")
bp.before_app_request(require_new_password)


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the inbox (no open redirect)."""
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("inbox.index")
    return target


def start_session(user: User) -> None:
    """A fresh session for the user (no session fixation), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username = form.username.data.strip().lower()
    outcome = logins.log_in(username, form.password.data, request.remote_addr or "unknown")
    if outcome.user is None:
        flash(login_refusal(outcome), "error")
        return render_template("auth/login.html", form=form), 200 if outcome.refused == "bad" else 429
    start_session(outcome.user)
    if outcome.user.must_change_password:
        flash(_("Bạn đang dùng mật khẩu một lần: hãy đặt mật khẩu mới để tiếp tục."), "warning")
        return redirect(url_for("auth.password"))
    return redirect(safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logins.log_out(current_user.id)  # every copy of this session ends too
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/profile")
@login_required
def profile():
    return render_template(
        "auth/profile.html", tokens=tokens.tokens_of(current_user.id), form=TokenForm(), now=utcnow()
    )


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def password():
    form, error = PasswordForm(), None
    if form.validate_on_submit():
        if form.new.data != form.confirm.data:
            error = PASSWORD["mismatch"]
        else:
            try:
                user = logins.change_password(current_user.id, form.current.data, form.new.data)
            except logins.WrongPasswordError:
                error = PASSWORD["wrong"]
            except PasswordError as exc:
                error = PASSWORD[exc.code]
            else:
                start_session(user)  # the new session token: other sessions have ended
                flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "success")
                return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form, error=error), 422 if error else 200


@bp.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        abort(422)
    days = form.days.data
    expires = utcnow() + timedelta(days=days) if days else None  # the API checks the engine's clock
    token = tokens.create_token(current_user.username, form.name.data.strip(), expires)
    flash(_("Mã truy cập mới (chỉ hiển thị một lần, hãy lưu lại ngay): %(t)s", t=token), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    if not tokens.revoke_token(current_user.id, token_id):
        abort(404)
    flash(_("Đã thu hồi mã truy cập."), "success")
    return redirect(url_for("auth.profile"))

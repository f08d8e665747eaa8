"""The modeller's blueprint and its guards: administrators only, process keys of a safe shape."""

from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("modeller", __name__, template_folder="templates")

PROCESS_KEY = re.compile(r"^[A-Za-z_][\w.\-]{0,119}$")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if "admin" not in current_user.roles:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def checked_key(process_key: str) -> str:
    if not PROCESS_KEY.match(process_key):
        abort(404)
    return process_key

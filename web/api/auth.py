"""Bearer-token authentication: the actor behind a token, its scope (read-only tokens only read) and its rate
limit (requests a minute, counted in the database so it holds across processes); the JSON error shape."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import wraps

from flask import current_app, g, jsonify, request

from engine.core.clock import clock
from models.commands import api_usage, tokens
from models.org import ApiToken
from web.deps import make_actor

TOKEN_USE_RESOLUTION = timedelta(minutes=1)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY = ("Token chỉ được đọc; thao tác này cần token có quyền ghi.", "read-only token: this needs a write token")
TOO_MANY = ("Quá nhiều yêu cầu; vui lòng thử lại sau.", "rate limit exceeded")


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


def bilingual(status: int, message: tuple[str, str], **extra):
    return error(status, message[1], message_vi=message[0], **extra)


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _limited(limit: int, used: int, minute: int):
    """The 429 answer once this minute's count passed the limit, else None; the counts go in g for headers."""
    g.rate = (limit, max(limit - used, 0), (minute + 1) * 60)
    if used <= limit:
        return None
    response, status = bilingual(429, TOO_MANY)
    response.headers["Retry-After"] = str(max((minute + 1) * 60 - int(time.time()), 1))
    return response, status


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer()
        if token is None:
            return error(401, "missing bearer token")
        minute, now = int(time.time() // 60), clock.now()
        rows, used = api_usage.count_request(ApiToken.hash(token), minute, now)
        if not rows:
            return error(401, "invalid token")
        first = rows[0]
        limited = _limited(first.rate_limit or current_app.config["API_RATE_LIMIT"], used, minute)
        if limited:
            return limited
        if first.scope != "write" and request.method not in READ_METHODS:
            return bilingual(403, READ_ONLY)
        if first.last_used_at is None or now - first.last_used_at > TOKEN_USE_RESOLUTION:
            tokens.note_use(first.id, now)  # to the minute: no write per request
        g.token = first
        roles = (r.role for r in rows if r.role)
        g.actor = make_actor(first.user_id, first.full_name, roles, first.org_id, first.kind, first.parent_id)
        return view(*args, **kwargs)

    return wrapper


def rate_headers(response):
    """X-RateLimit-Limit, -Remaining and -Reset (epoch seconds) on every answer to a counted request."""
    rate = g.get("rate")
    if rate:
        for name, value in zip(("Limit", "Remaining", "Reset"), rate, strict=True):
            response.headers[f"X-RateLimit-{name}"] = str(value)
    return response

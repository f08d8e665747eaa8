"""JSON API with personal bearer tokens (see docs/api.md): tasks, instances, organisations, documents,
incidents, reports and Circular 124, described in OpenAPI at `/api/openapi.json`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from web.api import instances, tasks  # noqa: E402  (the views register themselves on `bp`)

__all__ = ["bp", "instances", "tasks"]

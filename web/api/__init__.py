"""JSON API with personal bearer tokens (see docs/api.md and `/api/openapi.json`): tasks, instances,
organisations, documents (incoming ones registered and assigned), message starts, incidents, reports and
Circular 124."""

from __future__ import annotations

from flask import Blueprint

from web.api.auth import rate_headers

bp = Blueprint("api", __name__, url_prefix="/api", template_folder="templates")
bp.after_request(rate_headers)

from web.api import (  # noqa: E402  (the views register themselves on `bp`)
    document_files,
    documents,
    incidents,
    incoming,
    instances,
    messages,
    openapi,
    organisations,
    reports,
    tasks,
    tt124,
)

__all__ = [
    "bp",
    "document_files",
    "documents",
    "incidents",
    "incoming",
    "instances",
    "messages",
    "openapi",
    "organisations",
    "reports",
    "tasks",
    "tt124",
]

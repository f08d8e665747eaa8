"""The API described in OpenAPI 3.1 (`/api/openapi.json`) and the same document as a small HTML reference page
(`/api/reference`, server-rendered, no scripts). Both are public: they describe, they reveal no data."""

from __future__ import annotations

from flask import jsonify, render_template

from web.api import bp
from web.api.spec_intake import INTAKE_PATHS
from web.api.spec_paths import PATHS
from web.api.spec_schemas import SCHEMAS

TAGS = [
    ("organisations", "Who I am; the organisation tree"),
    ("tasks", "My inbox: read a task with its form's current values, complete, claim"),
    ("instances", "Start a process (by hand or by its start message); read an instance"),
    ("documents", "The register; a document with its cascade status; incoming documents registered and assigned"),
    ("incidents", "Raise, list and read incidents"),
    ("reports", "Periodic reports: my report tasks, periods, compiled figures"),
    ("tt124", "Circular 124: a school's year and status"),
    ("meta", "This description"),
]


def document() -> dict:
    """The OpenAPI document (built on each call: it is small, and nothing is kept between requests)."""
    paths = {}
    for path, methods in {**PATHS, **INTAKE_PATHS}.items():
        paths[path] = {}
        for method, operation in methods.items():
            name = path.removeprefix("/api").replace("/", "_").replace("{", "").replace("}", "")
            paths[path][method] = {**operation, "operationId": f"{method}{name}"}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Cascade API",
            "version": "1.0",
            "description": "Tasks, documents and the cascade of Plan 811/KH-PGDĐT; see docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())


@bp.get("/reference")
def reference():
    spec = document()
    return render_template("api/reference.html", spec=spec, tags=TAGS)

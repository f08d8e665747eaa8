"""The OpenAPI document's operations that bring work in from outside: registering an incoming document (văn bản
đến) and assigning it ("giao xử lý"), and starting a process by its start event's message."""

from __future__ import annotations

from web.api.spec_examples import EXAMPLES
from web.api.spec_paths import op, path_id
from web.api.spec_schemas import ref

NEW_INCOMING = {
    "application/json": {"schema": ref("NewIncoming"), "example": EXAMPLES["NewIncoming"]},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "issuer_id": {"type": "integer"},
                "issuer_name": {"type": "string"},
                "symbol": {"type": "string"},
                "issued_on": {"type": "string", "description": "yyyy-mm-dd or dd/mm/yyyy"},
                "doc_type": {"type": "string"},
                "summary": {"type": "string"},
                "received_on": {"type": "string"},
                "files": {
                    "type": "array",
                    "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "description": "the document as received (PDF, Word, image); types read from the content",
                },
            },
        }
    },
}

INTAKE_PATHS: dict[str, dict] = {
    "/api/documents/incoming": {
        "post": op(
            "documents",
            "Register an incoming document in my organisation's register (the clerk); answers its incoming number",
            "IncomingRegistered",
            status="201",
            errors=("401", "403", "422"),
            body=NEW_INCOMING,
        )
    },
    "/api/documents/{document_id}/assign": {
        "post": op(
            "documents",
            "Assign an incoming document to a unit to implement (giao xử lý): starts its directive cascade",
            "Assigned",
            errors=("401", "403", "404", "422"),
            params=[path_id("document_id")],
            body={"application/json": {"schema": ref("Assignment"), "example": EXAMPLES["Assignment"]}},
        )
    },
    "/api/messages/{name}": {
        "post": op(
            "instances",
            "Start, at my organisation, the process whose start event catches this message (body: its payload)",
            "MessageStarted",
            status="201",
            errors=("401", "403", "404", "422"),
            params=[{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            body={"application/json": {"schema": {"type": "object"}, "example": {"topic": "An ninh cơ sở"}}},
        )
    },
}

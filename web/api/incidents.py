"""Incidents over the API: raise one (JSON, or multipart with attachments checked by `web/uploads.py`), list
and read the cases the caller may open, download their attachments. Who sees what: `engine.core.access.
incident_access` (minors' names only to those handling the case; 404 for everyone else)."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Response, g, jsonify, request, url_for

from engine.core.errors import FormValidationError
from engine.core.forms import FieldError
from engine.incidents import services as incident_services
from models.incident import Incident
from web.api import bp, reads
from web.api.auth import error, token_required
from web.api.paging import int_filters, keyset_list
from web.deps import store
from web.inbox import deliver_pending
from web.uploads import UploadError, human_size, read_uploads, size_cap

STATUSES = ("open", "acknowledged", "closed", "false_alarm")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def incident_json(i: Incident, access: str, full: bool = False) -> dict:
    out = {
        "id": i.id,
        "school_id": i.school_id,
        "school": i.school.name,
        "category": i.category,
        "severity": i.severity,
        "location": i.location,
        "place": i.place,
        "status": i.status,
        "occurred_at": _iso(i.occurred_at),
        "created_at": _iso(i.created_at),
        "acknowledged_at": _iso(i.acknowledged_at),
        "closed_at": _iso(i.closed_at),
        "instance_id": i.instance_id,
        "access": access,
    }
    if not full:
        return out
    people = [p if access == "full" else {k: v for k, v in p.items() if k != "name"} for p in i.people or []]
    attachments = [
        {
            "id": a.id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "url": url_for("api.incident_attachment", incident_id=i.id, attachment_id=a.id, _external=True),
        }
        for a in (i.attachments if access == "full" else [])
    ]
    updates = [{"at": _iso(u.at), "kind": u.kind, "text": u.text} for u in i.updates]
    return dict(
        out,
        description=i.description,
        actions=i.actions,
        outcome=i.outcome,
        people=people,
        involved_org_ids=i.involved_org_ids,
        attachments=attachments,
        updates=updates,
    )


def _submitted() -> tuple[dict, list]:
    """The incident's fields and files: a JSON object, or a multipart form (`people` a JSON list, `actions`
    repeated, files under `attachments`); 422 with field messages when they cannot be read."""
    if request.is_json:
        data = request.get_json(silent=True)
        files = []
    else:
        data = request.form.to_dict()
        data["actions"] = request.form.getlist("actions")
        try:
            data["people"] = json.loads(request.form.get("people") or "[]")
        except ValueError:
            raise FormValidationError({"people": FieldError("invalid")})
        files = [tuple(u) for u in read_uploads(request.files.getlist("attachments"))]  # UploadError: 422
    if not isinstance(data, dict):
        raise FormValidationError({"body": FieldError("invalid")})
    people = data.get("people") or []
    if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
        raise FormValidationError({"people": FieldError("invalid")})
    return data, files


@bp.post("/incidents")
@token_required
def raise_incident():
    data, files = _submitted()
    incident_id = incident_services.raise_incident(store(), g.actor, data, files)
    deliver_pending()
    return jsonify({"id": incident_id, "url": url_for("api.incident", incident_id=incident_id, _external=True)}), 201


UPLOAD_MESSAGES = {
    "too_big": ("Tệp đính kèm quá lớn (tối đa {limit}).", "The attachment is too large (at most {limit})."),
    "empty": ("Tệp đính kèm rỗng.", "The attachment is empty."),
    "type": (
        "Tệp đính kèm phải là ảnh, PDF, Word hoặc văn bản.",
        "An attachment must be an image, a PDF, a Word file or plain text.",
    ),
}


@bp.errorhandler(UploadError)
def upload_refused(exc: UploadError):
    vi, en = (m.format(limit=human_size(size_cap())) for m in UPLOAD_MESSAGES[exc.reason])
    field = {"code": f"upload_{exc.reason}", "message": en, "message_vi": vi, "filename": exc.filename}
    return error(422, "invalid form data", fields={getattr(exc, "field", "attachments"): field})


def _orgs() -> dict:
    return {o.id: o for o in store().orgs()}


@bp.get("/incidents")
@token_required
def incidents():
    filters = {**int_filters("school"), "status": request.args.get("status"), "category": request.args.get("category")}
    page = keyset_list(reads.incidents(g.actor, _orgs(), filters), key=lambda r: r[0].id)
    return jsonify(page.json("incidents", [incident_json(i, access) for i, access in page.rows]))


@bp.get("/incidents/<int:incident_id>")
@token_required
def incident(incident_id: int):
    row, access = reads.visible_incident(g.actor, _orgs(), incident_id)
    if row is None:
        return error(404, "incident not found")
    return jsonify(incident_json(row, access, full=True))


@bp.get("/incidents/<int:incident_id>/attachments/<int:attachment_id>")
@token_required
def incident_attachment(incident_id: int, attachment_id: int):
    row, access = reads.visible_incident(g.actor, _orgs(), incident_id)
    found = next((a for a in row.attachments if a.id == attachment_id), None) if access == "full" else None
    if found is None:
        return error(404, "attachment not found")
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(found.data, mimetype=found.content_type, headers=headers)

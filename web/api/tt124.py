"""Circular 124 over the API: the schools' years I may see (filter by school and year) and one school's year
with its status, registration, checklist findings, meeting, decision and files."""

from __future__ import annotations

from flask import g, jsonify

from engine.tt124.rules import STATUSES
from models.tt124 import Tt124Participation
from web.api import bp
from web.api import reads_more as reads
from web.api.auth import error, token_required
from web.api.paging import int_filters, keyset_list


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def participation_json(p: Tt124Participation, full: bool = False) -> dict:
    vi, en = STATUSES.get(p.status, (p.status, p.status))
    out = {
        "id": p.id,
        "school_id": p.school_id,
        "school": p.school.name,
        "year": p.cycle.year,
        "cycle_id": p.cycle_id,
        "receiver_id": p.cycle.receiver_id,
        "eligible": p.eligible,
        "status": p.status,
        "status_vi": vi,
        "status_en": en,
        "registered_at": _iso(p.registered_at),
        "submitted_at": _iso(p.submitted_at),
        "recognised": p.recognised,
        "instance_id": p.instance_id,
    }
    if not full:
        return out
    window = {"start": _iso(p.cycle.start), "end": _iso(p.cycle.end)}
    dues = {"register_due": _iso(p.cycle.register_due), "submit_due": _iso(p.cycle.submit_due)}
    files = [{"id": f.id, "kind": f.kind} for f in p.files]
    return dict(
        out,
        window=window,
        **dues,
        eligibility_note=p.eligibility_note,
        registration=p.registration,
        registered_on_time=p.registered_on_time,
        findings=p.findings,
        meeting=p.meeting,
        proposed=p.proposed,
        submitted_on_time=p.submitted_on_time,
        decision=p.decision,
        decision_document_id=p.decision_document_id,
        certificate_number=p.certificate_number,
        certificate_date=_iso(p.certificate_date),
        evidence_count=len(p.evidence),
        files=files,
    )


@bp.get("/tt124/participations")
@token_required
def tt124_participations():
    args = int_filters("school", "year")
    page = keyset_list(reads.participations(g.actor, args["school"], args["year"]), key=lambda p: p.id)
    return jsonify(page.json("participations", [participation_json(p) for p in page.rows]))


@bp.get("/tt124/participations/<int:participation_id>")
@token_required
def tt124_participation(participation_id: int):
    row = reads.participation(g.actor, participation_id)
    if row is None:
        return error(404, "participation not found")
    return jsonify(participation_json(row, full=True))

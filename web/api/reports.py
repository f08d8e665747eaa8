"""Periodic reports over the API: my open report tasks, my school's reports, the periods I compile with every
school's submission and the compiled figures. Visibility as on the reporting pages (404 otherwise)."""

from __future__ import annotations

from flask import g, jsonify

from models.report import ReportCompilation, ReportPeriod, ReportSubmission
from web import queries
from web.api import bp
from web.api import reads_more as reads
from web.api.auth import error, token_required
from web.api.paging import keyset, keyset_list
from web.api.tasks import task_json


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def period_json(p: ReportPeriod) -> dict:
    return {
        "id": p.id,
        "label": p.label,
        "regime": {"id": p.regime.id, "name": p.regime.name, "frequency": p.regime.frequency},
        "receiver_id": p.regime.receiver_id,
        "start": _iso(p.start),
        "end": _iso(p.end),
        "school_due": _iso(p.school_due),
        "office_due": _iso(p.office_due),
        "opened_at": _iso(p.opened_at),
    }


def submission_json(s: ReportSubmission, values: bool = False) -> dict:
    out = {
        "id": s.id,
        "period_id": s.period_id,
        "school_id": s.school_id,
        "school": s.school.name,
        "status": s.status,
        "due": _iso(s.due),
        "extended_until": _iso(s.extended_until),
        "returns": s.returns,
        "submitted_at": _iso(s.submitted_at),
        "accepted_at": _iso(s.accepted_at),
        "on_time": s.on_time,
        "instance_id": s.instance_id,
    }
    return dict(out, values=s.values) if values else out


def compilation_json(c: ReportCompilation | None) -> dict | None:
    if c is None:
        return None
    fields = [{"id": f[0], "label": f[1]} for f in c.fields]
    return {"figures": c.figures, "fields": fields, "document_id": c.document_id, "compiled_at": _iso(c.compiled_at)}


@bp.get("/reports/tasks")
@token_required
def report_tasks():
    rows = [t for t in queries.inbox(g.actor) if t.instance.process_key in reads.REPORT_PROCESSES]
    page = keyset_list(sorted(rows, key=lambda t: -t.id), key=lambda t: t.id)
    return jsonify(page.json("tasks", [task_json(t) for t in page.rows]))


@bp.get("/reports/periods")
@token_required
def report_periods():
    page = keyset(reads.periods(g.actor), ReportPeriod.id, descending=True)
    return jsonify(page.json("periods", [period_json(p) for p in page.rows]))


@bp.get("/reports/periods/<int:period_id>")
@token_required
def report_period(period_id: int):
    row, subs, compiled = reads.period(g.actor, period_id)
    if row is None:
        return error(404, "period not found")
    body = dict(period_json(row), submissions=[submission_json(s) for s in subs])
    return jsonify(dict(body, compilation=compilation_json(compiled)))


@bp.get("/reports/submissions")
@token_required
def report_submissions():
    page = keyset(reads.my_submissions(g.actor), ReportSubmission.id, descending=True)
    return jsonify(page.json("submissions", [submission_json(s) for s in page.rows]))


@bp.get("/reports/submissions/<int:submission_id>")
@token_required
def report_submission(submission_id: int):
    row = reads.submission(g.actor, submission_id)
    if row is None:
        return error(404, "submission not found")
    return jsonify(dict(submission_json(row, values=True), period=period_json(row.period)))

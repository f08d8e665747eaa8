"""Definitions and their versions: the list, the modeller page, a version or the draft as a file, the diff."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from engine.core.diff import diff_definitions
from engine.core.xmlsafe import schema_valid_bytes
from web.deps import db_int
from web.modeller import reads
from web.modeller.blueprint import admin_required, bp, checked_key
from web.modeller.files import for_modeller, roles_offered


@bp.route("/modeller/")
@admin_required
def index():
    return render_template("modeller/index.html", **reads.overview())


def _opened(key: str) -> dict:
    """What the modeller page opens: the draft (unless ?draft=0 or a ?version= is asked for) or a version."""
    latest = reads.latest_version(key)
    draft = reads.draft(key, with_xml=False)
    version = request.args.get("version", type=db_int)
    use_draft = draft is not None and version is None and request.args.get("draft", "1") != "0"
    if not use_draft:
        version = version or latest
        if version is None or reads.definition(key, version) is None:
            abort(404)
    source = {"draft": 1} if use_draft else {"version": version}
    return {
        "latest": latest,
        "version": version,
        "draft": draft,
        "use_draft": use_draft,
        "source_url": url_for("modeller.source", process_key=key, **source),
    }


@bp.route("/modeller/<process_key>")
@admin_required
def edit(process_key: str):
    key = checked_key(process_key)
    return render_template("modeller/edit.html", key=key, roles=roles_offered(), **_opened(key))


def _stored_file(key: str) -> tuple[bytes, str]:
    if request.args.get("draft"):
        row = reads.draft(key)
        if row is None:
            abort(404)
        return row.xml, f"{key}-draft.bpmn"
    row = reads.definition(key, request.args.get("version", type=db_int) or reads.latest_version(key))
    if row is None:
        abort(404)
    return row.xml, f"{key}-v{row.version}.bpmn"


@bp.route("/modeller/<process_key>/source.bpmn")
@admin_required
def source(process_key: str):
    """A version (?version=N) or the draft (?draft=1) as the modeller reads it; ?download=1 gives the file
    as stored (older files' loop limits written as the schema's attribute)."""
    xml, name = _stored_file(checked_key(process_key))
    if request.args.get("download"):
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(schema_valid_bytes(xml), mimetype="application/xml", headers=disposition)
    return Response(for_modeller(schema_valid_bytes(xml)), mimetype="application/xml")


def _compared(key: str) -> dict:
    """The two sides of the diff: ?to= a version or "draft" (default: the draft, else the latest version),
    ?from= a version (default: the one before `to`). Anything missing is a 404."""
    versions = reads.versions(key)
    if not versions:
        abort(404)
    by_version = {d.version: d for d in versions}
    draft = reads.draft(key)
    to_arg = request.args.get("to") or ("draft" if draft else str(versions[-1].version))
    if to_arg == "draft":
        if draft is None:
            abort(404)
        new_xml, to_label = draft.xml, _("bản nháp")
    else:
        target = by_version.get(int(to_arg) if to_arg.isdigit() else -1)
        if target is None:
            abort(404)
        new_xml, to_label = target.xml, f"v{target.version}"
    from_arg = request.args.get("from", type=db_int)
    if from_arg is None:
        candidates = [d for d in versions if to_arg == "draft" or d.version < int(to_arg)]
        from_arg = (candidates[-1] if candidates else versions[0]).version
    base = by_version.get(from_arg)
    if base is None:
        abort(404)
    return {
        "versions": versions,
        "draft": draft,
        "from_version": base.version,
        "to_arg": to_arg,
        "to_label": to_label,
        "diff": diff_definitions(base.xml, new_xml),
    }


@bp.route("/modeller/<process_key>/diff")
@admin_required
def diff(process_key: str):
    key = checked_key(process_key)
    return render_template("modeller/diff.html", key=key, **_compared(key))

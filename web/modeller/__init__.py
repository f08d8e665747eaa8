"""Administrators redraw workflows in the browser and deploy them safely.

Admin-only pages (role `admin`; others get 403): the definitions and their versions, the bpmn-js modeller
(save a draft, validate, deploy as a new version, download), uploads, the diff between two versions, and
the migration of running instances (preview, then a confirmed batch). The instance diagram (the instance's
own version with the engine's state marked) is for everyone who may see the instance.

Deploying goes through `Cascade.deploy` (engine validation; hostile XML refused by engine/core/xmlsafe.py) after
bpmnlint (`web/modeller/lint.py`); nothing is stored when either refuses.
"""

from __future__ import annotations

import re
from functools import wraps
from itertools import groupby

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from engine.core.access import can_see_instance
from engine.core.diagram import element_states
from engine.core.errors import DefinitionError, Problem
from engine.core.migration import diff_definitions, migrate_instances, preview_migration
from engine.core.validation import caught_messages, validate_definition
from engine.core.xmlsafe import BPMN_MODEL_NS, parse_xml, rewrite_foreign_camunda_namespace, to_bytes
from models import db
from models.modeller import ProcessDraft
from models.org import Organisation
from models.store import instance_record
from models.workflow import HumanTask, ProcessDefinition, ProcessInstance
from seed.data import ROLES
from web.deps import cascade, current_actor, store
from web.filters import bilingual, role_label, vn_datetime
from web.locale import lang
from web.modeller import lint

bp = Blueprint("modeller", __name__, template_folder="templates")

B = f"{{{BPMN_MODEL_NS}}}"
PROCESS_KEY = re.compile(r"^[A-Za-z_][\w.\-]{0,119}$")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if "admin" not in current_user.roles:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _key(process_key: str) -> str:
    if not PROCESS_KEY.match(process_key):
        abort(404)
    return process_key


# ------------------------------------------------------------------------------------------------ helpers ---
def for_modeller(xml: bytes) -> bytes:
    """The file as bpmn-js reads it without loss: `<bpmn:loopMaximum>` written as a child element (Cascade's
    parser reads both forms; bpmn-js keeps only the standard attribute) becomes the attribute."""
    root = parse_xml(xml)
    changed = False
    for loop in root.iter(B + "standardLoopCharacteristics"):
        child = loop.find(B + "loopMaximum")
        if child is None:
            continue
        if loop.get("loopMaximum") is None and (child.text or "").strip():
            loop.set("loopMaximum", child.text.strip())
        loop.remove(child)
        changed = True
    return to_bytes(root) if changed else xml


def process_ids(root: etree._Element) -> list[str]:
    return [p.get("id") for p in root.iter(B + "process") if p.get("id")]


def _problems_json(problems: list[Problem]) -> list[dict]:
    return [{"element": p.element_id, "message": p.message} for p in problems]


def _lint_json(found: list[lint.LintProblem]) -> tuple[list[dict], list[dict]]:
    errors = [{"element": p.element, "message": f"{p.message} (bpmnlint: {p.rule})"} for p in found if p.error]
    warnings = [{"element": p.element, "message": f"{p.message} (bpmnlint: {p.rule})"} for p in found if not p.error]
    return errors, warnings


def known_messages(excluding: set[str]) -> set[str]:
    """Message names the latest versions of the other processes catch."""
    out: set[str] = set()
    for definition in store().latest_definitions():
        if definition.process_key not in excluding:
            out |= caught_messages(parse_xml(definition.xml))
    return out


def _roles() -> list[dict]:
    return [{"id": code, "label": role_label(code)} for code in ROLES]


def _request_xml() -> bytes:
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        abort(400)
    return xml.encode("utf-8")


def _refusal(exc: DefinitionError, status: int = 422):
    return jsonify(
        {
            "ok": False,
            "message": _("Tệp bị từ chối: %(reason)s", reason=str(exc)),
            "problems": _problems_json(exc.problems),
        }
    ), status


def _safe_root(xml: bytes) -> etree._Element:
    """Hostile or non-BPMN XML raises DefinitionError (engine/core/xmlsafe.py); a foreign camunda: prefix is mapped."""
    return rewrite_foreign_camunda_namespace(parse_xml(xml))


def _check(process_key: str, xml: bytes) -> tuple[bytes, list[dict], list[dict], set[str]]:
    """Safety, the process id, bpmnlint; returns the canonical XML, errors, warnings and the file's processes."""
    root = _safe_root(xml)
    pids = set(process_ids(root))
    errors: list[dict] = []
    if process_key not in pids:
        errors.append(
            {
                "element": None,
                "message": _("Sơ đồ không còn quy trình có mã %(key)s (mã quy trình không được đổi).", key=process_key),
            }
        )
    canonical = to_bytes(root)
    lint_errors, warnings = _lint_json(lint.bpmnlint(for_modeller(canonical)))
    return canonical, errors + lint_errors, warnings, pids


def _latest_version(process_key: str) -> int | None:
    return db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == process_key)
    )


def _save_draft(process_key: str, xml: bytes, source: str, base_version: int | None) -> ProcessDraft:
    root = parse_xml(xml)
    process = next((p for p in root.iter(B + "process") if p.get("id") == process_key), None)
    name = (process.get("name") if process is not None else None) or process_key
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == process_key)).first()
    if draft is None:
        draft = ProcessDraft(process_key=process_key)
        db.session.add(draft)
    draft.name, draft.xml, draft.source, draft.updated_by_id = name[:300], xml, source[:200], current_user.id
    draft.base_version = base_version
    return draft


def _running_on_older(process_key: str, version: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.status == "running",
            ProcessDefinition.version < version,
        )
    )


# ----------------------------------------------------------------------------------- definitions list ---
@bp.route("/modeller/")
@admin_required
def index():
    definitions = db.session.scalars(
        select(ProcessDefinition)
        .options(defer(ProcessDefinition.xml), joinedload(ProcessDefinition.deployed_by))
        .order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, count in db.session.execute(
        select(ProcessInstance.definition_id, ProcessInstance.status, func.count()).group_by(
            ProcessInstance.definition_id, ProcessInstance.status
        )
    ):
        counts.setdefault(definition_id, {})[status] = count
    drafts = {d.process_key: d for d in db.session.scalars(select(ProcessDraft).options(defer(ProcessDraft.xml)))}
    processes = []
    for key, rows in groupby(definitions, key=lambda d: d.process_key):
        versions = list(rows)
        processes.append({"key": key, "name": versions[0].name, "versions": versions, "draft": drafts.pop(key, None)})
    new_drafts = sorted(drafts.values(), key=lambda d: d.process_key)
    return render_template("modeller/index.html", processes=processes, counts=counts, new_drafts=new_drafts)


@bp.route("/modeller/upload", methods=["POST"])
@admin_required
def upload():
    file = request.files.get("file")
    data = file.read() if file else b""
    filename = (file.filename if file else "") or "upload.bpmn"
    try:
        root = _safe_root(data)
    except DefinitionError as exc:
        flash(_("Tệp %(name)s bị từ chối: %(reason)s", name=filename, reason=str(exc)), "error")
        return redirect(url_for("modeller.index")), 303
    processes = [p for p in root.iter(B + "process") if p.get("id") and PROCESS_KEY.match(p.get("id"))]
    if not processes:
        flash(_("Tệp %(name)s bị từ chối: không có quy trình (bpmn:process) nào.", name=filename), "error")
        return redirect(url_for("modeller.index")), 303
    # the draft is filed under the first executable process (a collaboration's pools stay in the one file)
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    key = (executable or processes)[0].get("id")
    xml = to_bytes(root)
    if root.find("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is None:
        xml = lint.auto_layout(xml)
    _save_draft(key, xml, f"upload: {filename}", _latest_version(key))
    db.session.commit()
    flash(_("Đã tải lên %(name)s thành bản nháp của %(key)s.", name=filename, key=key), "success")
    return redirect(url_for("modeller.edit", process_key=key, draft=1)), 303


# ---------------------------------------------------------------------------------------- the modeller ---
@bp.route("/modeller/<process_key>")
@admin_required
def edit(process_key: str):
    key = _key(process_key)
    latest = _latest_version(key)
    draft = db.session.scalars(
        select(ProcessDraft).options(defer(ProcessDraft.xml)).where(ProcessDraft.process_key == key)
    ).first()
    version = request.args.get("version", type=int)
    use_draft = draft is not None and version is None and request.args.get("draft", "1") != "0"
    if not use_draft:
        version = version or latest
        if version is None:
            abort(404)
        if (
            db.session.scalar(
                select(func.count())
                .select_from(ProcessDefinition)
                .where(ProcessDefinition.process_key == key, ProcessDefinition.version == version)
            )
            == 0
        ):
            abort(404)
    source_url = (
        url_for("modeller.source", process_key=key, draft=1)
        if use_draft
        else url_for("modeller.source", process_key=key, version=version)
    )
    return render_template(
        "modeller/edit.html",
        key=key,
        latest=latest,
        version=version,
        draft=draft,
        use_draft=use_draft,
        source_url=source_url,
        roles=_roles(),
    )


@bp.route("/modeller/<process_key>/source.bpmn")
@admin_required
def source(process_key: str):
    """A version (?version=N) or the draft (?draft=1) as the modeller reads it; ?download=1 gives the file
    as stored."""
    key = _key(process_key)
    if request.args.get("draft"):
        draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == key)).first()
        if draft is None:
            abort(404)
        xml, name = draft.xml, f"{key}-draft.bpmn"
    else:
        version = request.args.get("version", type=int) or _latest_version(key)
        row = db.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_key == key, ProcessDefinition.version == version)
        ).first()
        if row is None:
            abort(404)
        xml, name = row.xml, f"{key}-v{row.version}.bpmn"
    if request.args.get("download"):
        return Response(
            xml, mimetype="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return Response(for_modeller(xml), mimetype="application/xml")


@bp.route("/modeller/<process_key>/draft", methods=["POST"])
@admin_required
def save_draft(process_key: str):
    key = _key(process_key)
    xml = _request_xml()
    try:
        root = _safe_root(xml)
    except DefinitionError as exc:
        return _refusal(exc)
    if key not in process_ids(root):
        return jsonify(
            {
                "ok": False,
                "message": _("Sơ đồ không còn quy trình có mã %(key)s (mã quy trình không được đổi).", key=key),
            }
        ), 422
    existing = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == key)).first()
    base = existing.base_version if existing is not None else _latest_version(key)
    _save_draft(key, to_bytes(root), "modeller", base)
    db.session.commit()
    return jsonify({"ok": True, "message": _("Đã lưu bản nháp (chưa triển khai).")})


@bp.route("/modeller/<process_key>/draft/delete", methods=["POST"])
@admin_required
def discard_draft(process_key: str):
    key = _key(process_key)
    db.session.execute(delete(ProcessDraft).where(ProcessDraft.process_key == key))
    db.session.commit()
    flash(_("Đã xoá bản nháp của %(key)s.", key=key), "success")
    return redirect(url_for("modeller.index")), 303


@bp.route("/modeller/<process_key>/validate", methods=["POST"])
@admin_required
def validate(process_key: str):
    key = _key(process_key)
    xml = _request_xml()
    try:
        canonical, errors, warnings, pids = _check(key, xml)
    except DefinitionError as exc:
        return _refusal(exc)
    problems = validate_definition(canonical, known_roles=set(ROLES), known_messages=known_messages(pids))
    errors += _problems_json(problems)
    if errors:
        message = _("Có %(n)s lỗi cần sửa trước khi triển khai.", n=len(errors))
        return jsonify({"ok": False, "message": message, "problems": errors, "warnings": warnings}), 422
    return jsonify({"ok": True, "message": _("Hợp lệ: có thể triển khai."), "problems": [], "warnings": warnings})


@bp.route("/modeller/<process_key>/deploy", methods=["POST"])
@admin_required
def deploy(process_key: str):
    key = _key(process_key)
    xml = _request_xml()
    s = store()
    try:
        canonical, errors, warnings, pids = _check(key, xml)
        if errors:
            problems = validate_definition(canonical, known_roles=set(ROLES), known_messages=known_messages(pids))
            raise DefinitionError("bpmnlint", [Problem(e["element"], e["message"]) for e in errors] + problems)
        records = cascade().deploy(
            s,
            current_actor(),
            canonical,
            source="modeller",
            known_roles=set(ROLES),
            known_messages=known_messages(pids),
        )
        db.session.execute(delete(ProcessDraft).where(ProcessDraft.process_key.in_(pids)))
        db.session.commit()
    except DefinitionError as exc:
        s.rollback()
        message = _("Không triển khai: có %(n)s lỗi cần sửa.", n=len(exc.problems) or 1)
        return jsonify({"ok": False, "message": message, "problems": _problems_json(exc.problems)}), 422
    except IntegrityError:  # the very first version of a new process, deployed twice at the same moment
        s.rollback()
        message = _("Một người khác vừa triển khai quy trình này. Hãy tải lại trang rồi thử lại.")
        return jsonify({"ok": False, "message": message, "problems": []}), 409
    record = next(r for r in records if r.process_key == key)
    older = _running_on_older(key, record.version)
    message = _(
        "Đã triển khai %(key)s phiên bản %(v)s. Các phiên bản đang chạy giữ nguyên phiên bản của mình.",
        key=key,
        v=record.version,
    )
    return jsonify(
        {
            "ok": True,
            "message": message,
            "version": record.version,
            "warnings": warnings,
            "running_on_older": older,
            "migrate_url": url_for("modeller.migrate", process_key=key) if older else None,
        }
    )


# --------------------------------------------------------------------------------------------- the diff ---
@bp.route("/modeller/<process_key>/diff")
@admin_required
def diff(process_key: str):
    key = _key(process_key)
    versions = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.process_key == key).order_by(ProcessDefinition.version)
    ).all()
    if not versions:
        abort(404)
    by_version = {d.version: d for d in versions}
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == key)).first()
    to_arg = request.args.get("to") or ("draft" if draft else str(versions[-1].version))
    from_arg = request.args.get("from", type=int)
    if to_arg == "draft":
        if draft is None:
            abort(404)
        new_xml, to_label = draft.xml, _("bản nháp")
    else:
        target = by_version.get(int(to_arg) if to_arg.isdigit() else -1)
        if target is None:
            abort(404)
        new_xml, to_label = target.xml, f"v{target.version}"
    if from_arg is None:
        candidates = [d for d in versions if to_arg == "draft" or d.version < int(to_arg)]
        from_arg = (candidates[-1] if candidates else versions[0]).version
    base = by_version.get(from_arg)
    if base is None:
        abort(404)
    result = diff_definitions(base.xml, new_xml)
    return render_template(
        "modeller/diff.html",
        key=key,
        versions=versions,
        draft=draft,
        from_version=base.version,
        to_arg=to_arg,
        to_label=to_label,
        diff=result,
    )


# ------------------------------------------------------------------------------------------ migration ---
@bp.route("/modeller/<process_key>/migrate", methods=["GET", "POST"])
@admin_required
def migrate(process_key: str):
    key = _key(process_key)
    if _latest_version(key) is None:
        abort(404)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash(_("Hãy xác nhận trước khi chuyển phiên bản."), "error")
            return redirect(url_for("modeller.migrate", process_key=key)), 303
        ids = [int(v) for v in request.form.getlist("instance_id") if v.isdigit()]
        version = request.form.get("version", type=int)
        result = migrate_instances(cascade(), store(), current_actor(), key, ids, version)
        flash(
            _(
                "Đã chuyển %(ok)s quy trình sang phiên bản mới; %(no)s không chuyển được.",
                ok=len(result.migrated),
                no=len(result.refused),
            ),
            "success" if not result.refused else "warning",
        )
        return redirect(url_for("modeller.migrate", process_key=key)), 303
    target, checks = preview_migration(cascade(), store(), key, request.args.get("version", type=int))
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    return render_template(
        "modeller/migrate.html", key=key, target=target, checks=checks, orgs=orgs, reason_text=reason_text
    )


def reason_text(reason) -> str:
    label = reason.element_id or ""
    if reason.name:
        label = f"{bilingual(reason.name)} ({reason.element_id})"
    texts = {
        "completed_changed": _("bước đã hoàn thành %(el)s đã thay đổi", el=label),
        "started_changed": _("bước đang chạy %(el)s đã thay đổi", el=label),
        "completed_removed": _("bước đã hoàn thành %(el)s bị xoá", el=label),
        "started_removed": _("bước đang chạy %(el)s bị xoá", el=label),
        "at_removed": _("bước đang chờ %(el)s bị xoá", el=label),
        "subprocess_removed": _("quy trình con %(el)s bị xoá", el=label),
    }
    text = texts.get(reason.kind, _("không so sánh được"))
    return f"{text}: {reason.detail}" if reason.detail else text


# --------------------------------------------------------------------------------- instance diagram ---
def _visible_instance(instance_id: int) -> ProcessInstance:
    row = db.session.get(ProcessInstance, instance_id)
    if row is None or not can_see_instance(current_actor(), instance_record(row)):
        abort(404)
    return row


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def instance_diagram_xml(instance_id: int):
    row = _visible_instance(instance_id)
    return Response(for_modeller(row.definition.xml), mimetype="application/xml")


@bp.route("/instances/<int:instance_id>/diagram.json")
@login_required
def instance_diagram_state(instance_id: int):
    """The engine's real state (task rows) by BPMN id, and the open tasks' assignee and deadline."""
    row = _visible_instance(instance_id)
    root = parse_xml(row.definition.xml)
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    states = element_states(store().load_state(instance_id), ids)
    tasks: dict[str, list[dict]] = {}
    for task in db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        .options(joinedload(HumanTask.assignee), joinedload(HumanTask.org))
    ):
        orgs = {c.org_id for c in task.candidates}
        org_names = {
            o.id: o.short_name for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(orgs)))
        }
        tasks.setdefault(task.bpmn_id, []).append(
            {
                "name": bilingual(task.name),
                "assignee": task.assignee.full_name if task.assignee else None,
                "candidates": ", ".join(
                    f"{role_label(c.role)} — {org_names.get(c.org_id, '')}" for c in task.candidates
                ),
                "due": vn_datetime(task.due_at) if task.due_at else None,
            }
        )
    # a collapsed sub-process shows the open tasks inside it too (its own plane is one click away)
    for bpmn_id, infos in list(tasks.items()):
        node = next((e for e in root.iter(B + "*") if e.get("id") == bpmn_id), None)
        parent = node.getparent() if node is not None else None
        while parent is not None:
            if etree.QName(parent).localname in ("subProcess", "transaction") and parent.get("id"):
                tasks.setdefault(parent.get("id"), []).extend(infos)
            parent = parent.getparent()
    labels = {
        "assignee": _("Người nhận xử lý"),
        "unassigned": _("chưa ai nhận"),
        "candidates": _("Ai làm được"),
        "due": _("Hạn"),
    }
    return jsonify({"elements": states, "tasks": tasks, "labels": labels, "lang": lang()})

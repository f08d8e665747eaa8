"""Administration (admin role): people, organisations and roles, imports, and the audit of every change.
Writes go through models/commands (users, orgs, imports), each one commit, each change audited."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.commands import imports as import_commands
from models.commands import orgs, users
from models.commands.changes import InputError
from models.commands.imports import COLUMNS, ImportRefusedError
from models.commands.orgs import KINDS, SCHOOL_LEVELS
from models.roles import ROLES
from web.admin import imports, reads
from web.admin.forms import org_fields, org_values, user_fields, user_values
from web.admin.sheets import XLSX_TYPE, template_xlsx
from web.auth.messages import field_errors
from web.deps import current_actor

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@login_required
def admins_only():
    if "admin" not in current_user.roles:
        abort(403)


def _user_form(user=None, values=None, errors=None, status=200):
    page = render_template(
        "admin/user_form.html",
        user=user,
        values=values or {},
        errors=errors or {},
        roles=ROLES,
        orgs=reads.organisations(include_closed=False),
    )
    return page, status


def _org_form(org=None, values=None, errors=None, status=200):
    everything = reads.organisations(include_closed=False)
    page = render_template(
        "admin/org_form.html",
        org=org,
        values=values or {"kind": "school"},
        errors=errors or {},
        kinds=KINDS,
        levels=SCHOOL_LEVELS,
        parents=[o for o in everything if o.kind not in ("school", "ward_police")],
        wards=[o for o in everything if o.kind == "ward"],
    )
    return page, status


@bp.route("/")
@bp.route("/users")
def users_list():
    q, org_id = request.args.get("q", ""), request.args.get("org", type=int)
    people = reads.people(q, org_id)
    return render_template("admin/users.html", people=people, q=q, org_id=org_id, orgs=reads.organisations())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    if request.method == "GET":
        return _user_form(values={"org_id": request.args.get("org", type=int)})
    fields = user_fields(request.form)
    try:
        user_id, password = users.create_user(current_actor(), fields)
    except InputError as exc:
        return _user_form(values=fields, errors=field_errors(exc.errors), status=422)
    return render_template("admin/one_time.html", person=reads.person(user_id), password=password, created=True)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = reads.person(user_id) or abort(404)
    if request.method == "GET":
        return _user_form(user, user_values(user))
    fields = {**user_fields(request.form), "username": user.username}
    try:
        users.update_user(current_actor(), user_id, fields)
    except InputError as exc:
        return _user_form(user, fields, field_errors(exc.errors), 422)
    flash(_("Đã lưu thông tin người dùng %(u)s.", u=user.username), "success")
    return redirect(url_for("admin.users_list", org=fields["org_id"]))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    active = request.form.get("active") == "1"
    try:
        users.set_active(current_actor(), user_id, active)
    except InputError as exc:
        flash(" ".join(field_errors(exc.errors).values()), "error")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    flash(_("Đã mở lại tài khoản.") if active else _("Đã khoá tài khoản; các việc đã nhận trả về đơn vị."), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
def user_reset(user_id: int):
    person = reads.person(user_id) or abort(404)
    password = users.reset_password(current_actor(), user_id)
    return render_template("admin/one_time.html", person=person, password=password, created=False)


@bp.route("/orgs")
def orgs_list():
    return render_template("admin/orgs.html", orgs=reads.organisations())


@bp.route("/orgs/new", methods=["GET", "POST"])
def org_new():
    if request.method == "GET":
        return _org_form(values={"kind": "school", "parent_id": request.args.get("parent", type=int)})
    fields = org_fields(request.form)
    try:
        org_id = orgs.create_org(current_actor(), fields)
    except InputError as exc:
        return _org_form(values=fields, errors=field_errors(exc.errors), status=422)
    flash(_("Đã thêm đơn vị %(n)s.", n=fields["name"]), "success")
    return redirect(url_for("admin.org_edit", org_id=org_id))


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
def org_edit(org_id: int):
    org = reads.organisation(org_id) or abort(404)
    if request.method == "GET":
        return _org_form(org, org_values(org))
    fields = {**org_fields(request.form), "code": org.code}
    try:
        orgs.update_org(current_actor(), org_id, fields)
    except InputError as exc:
        return _org_form(org, fields, field_errors(exc.errors), 422)
    flash(_("Đã lưu đơn vị %(n)s.", n=fields["name"]), "success")
    return redirect(url_for("admin.org_edit", org_id=org_id))


@bp.route("/orgs/<int:org_id>/close", methods=["POST"])
def org_close(org_id: int):
    try:
        orgs.close_org(current_actor(), org_id)
    except InputError as exc:
        flash(" ".join(field_errors(exc.errors).values()), "error")
    else:
        flash(_("Đã đóng đơn vị."), "success")
    return redirect(url_for("admin.org_edit", org_id=org_id))


@bp.route("/changes")
def changes():
    return render_template("admin/changes.html", events=reads.changes())


def _import_page(error=None, kind="schools", status=200):
    return render_template("admin/import.html", error=error, kind=kind, columns=COLUMNS), status


def _preview(kind, lines, source, status=200):
    token = None if any(line.errors for line in lines) else imports.sign(kind, lines, source, current_user.id)
    page = render_template(
        "admin/import_preview.html",
        kind=kind,
        lines=lines,
        source=source,
        token=token,
        columns=COLUMNS[kind],
        messages={line.number: imports.line_messages(line) for line in lines if line.errors},
    )
    return page, status


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    if request.method == "GET":
        return _import_page(kind=request.args.get("kind", "schools"))
    kind = request.form.get("kind", "")
    try:
        lines, source = imports.read_upload(kind, request.files.get("file"))
    except imports.ImportFileError as exc:
        return _import_page(exc.message, kind, 422)
    import_commands.check_lines(current_actor(), kind, lines)
    return _preview(kind, lines, source, 422 if any(line.errors for line in lines) else 200)


@bp.route("/import/confirm", methods=["POST"])
def import_confirm():
    try:
        kind, lines, source = imports.unsign(request.form.get("token", ""), current_user.id)
    except imports.ImportFileError as exc:
        return _import_page(exc.message, status=422)
    try:
        handed = import_commands.apply_import(current_actor(), kind, lines, source)
    except ImportRefusedError as exc:
        return _preview(kind, exc.lines, source, 409)
    return render_template("admin/import_done.html", kind=kind, count=len(lines), handed=handed)


@bp.route("/import/template/<kind>.xlsx")
def import_template(kind: str):
    if kind not in COLUMNS:
        abort(404)
    data = template_xlsx(tuple(name for name, _key in COLUMNS[kind]), imports.EXAMPLES[kind])
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True, download_name=f"mau-{kind}.xlsx")

"""Documents: my organisation's register (issued and received, each once), one document as NĐ 30 lays it out,
with its files; the follow-up page, the files and the incoming register register their views on this blueprint."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required

from engine.documents.attachments import FILE_KINDS, may_attach
from engine.documents.nd30 import PURPOSES
from models import document_reads
from models.document import Document
from web import queries
from web.deps import current_actor
from web.uploads import ACCEPT, human_size, size_cap

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.route("/documents")
@login_required
def index():
    rows = document_reads.register(current_actor().org_scope)
    return render_template("documents/list.html", rows=rows, purposes=PURPOSES)


def _visible(document_id: int) -> Document:
    document = queries.document(document_id)
    if document is None or not queries.can_see_document(current_actor(), document):
        abort(404)
    return document


@bp.route("/documents/<int:document_id>")
@login_required
def show(document_id: int):
    document, actor = _visible(document_id), current_actor()
    entry = document_reads.incoming_entry(document.id, actor.org_scope)
    registered = tuple(r.org_id for r in document.recipients if r.incoming_number is not None)
    return render_template(
        "documents/show.html",
        document=document,
        layout=document_reads.layout_of(document),
        files=document_reads.files_of(document.id),
        file_kinds=FILE_KINDS,
        can_attach=may_attach(actor, document.issuer_id, registered),
        entry=entry,
        units=document_reads.assignable_units(entry.org_id) if entry else [],
        accept=ACCEPT,
        cap=human_size(size_cap()),
        has_compilation=queries.has_compilation(document.id),
    )


# The follow-up page ("Theo dõi thực hiện"), files and the incoming register register their views on this blueprint.
from web.documents import files, follow_up, incoming  # noqa: E402, F401

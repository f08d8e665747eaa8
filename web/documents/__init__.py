"""Documents: my organisation's register (issued and received), one document, and its cascade."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required

from engine.documents.dates import place_date_line
from engine.documents.nd30 import PURPOSES, recipient_lines, signature_block
from models import cascade as cascade_model
from models.document import Document
from web import queries
from web.deps import current_actor

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.route("/documents")
@login_required
def index():
    return render_template("documents/list.html", rows=queries.documents_for(current_actor()), purposes=PURPOSES)


def _visible(document_id: int) -> Document:
    document = queries.document(document_id)
    if document is None or not queries.can_see_document(current_actor(), document):
        abort(404)
    return document


@bp.route("/documents/<int:document_id>")
@login_required
def show(document_id: int):
    document = _visible(document_id)
    lines = recipient_lines(
        [(r.org.short_name if r.purpose == "luu" else r.org.name, r.purpose) for r in document.recipients]
    )
    signature = []
    if document.signer_name:
        signature = signature_block(
            document.signing_mode, document.authority_title, document.signer_title or "", document.signer_name
        )
    place_line = place_date_line(document.place, document.issued_on) if document.place and document.issued_on else ""
    return render_template(
        "documents/show.html",
        document=document,
        recipient_lines=lines,
        signature=signature,
        place_line=place_line,
        relations=cascade_model.parent_documents(document),
        purposes=PURPOSES,
        has_compilation=queries.has_compilation(document.id),
    )


# The follow-up page ("Theo dõi thực hiện") registers its views on this blueprint.
from web.documents import follow_up  # noqa: E402, F401

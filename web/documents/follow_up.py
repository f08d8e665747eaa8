"""The follow-up page of a directive ("Theo dõi thực hiện"): who acted, who is late, rolled up, grouped."""

from __future__ import annotations

from flask import abort, g, render_template
from flask_login import login_required

from engine.core.clock import clock
from engine.documents.nd30 import PURPOSES
from models import cascade as cascade_model
from models.document import Document
from web import queries
from web.deps import current_actor
from web.documents import bp


def followed(document_id: int) -> Document:
    """The document, if the actor issued it or a directive above it (recipients see it, not the others' progress)."""
    document = queries.document(document_id)
    actor = current_actor()
    if document is None or not queries.can_see_document(actor, document):
        abort(404)
    if not (
        actor.is_admin
        or document.issuer_id in actor.org_scope
        or any(d.issuer_id in actor.org_scope for d in queries.directive_chain(document))
    ):
        abort(403)
    return document


@bp.route("/documents/<int:document_id>/cascade", endpoint="cascade")
@login_required
def cascade(document_id: int):
    document = followed(document_id)
    nodes = cascade_model.build(document, g.now, clock.today())
    return render_template(
        "documents/follow_up.html",
        document=document,
        nodes=nodes,
        totals=cascade_model.totals(nodes),
        purposes=PURPOSES,
    )

"""Who I am, and the organisation tree: every organisation with its kind, short name and parent, as the
recipient picker shows them to whoever drafts (the tree is the published chain of command, not a secret);
`in_scope` marks those I act for."""

from __future__ import annotations

from flask import g, jsonify, request

from models.org import Organisation
from web.api import bp, reads
from web.api.auth import error, token_required
from web.api.paging import int_filters, keyset
from web.forms import RECIPIENT_KINDS


def organisation_json(o: Organisation, scope: frozenset[int]) -> dict:
    return {
        "id": o.id,
        "code": o.code,
        "name": o.name,
        "short_name": o.short_name,
        "kind": o.kind,
        "parent_id": o.parent_id,
        "ward_id": o.ward_id,
        "school_level": o.school_level,
        "symbol": o.symbol,
        "addressable": o.kind in RECIPIENT_KINDS,
        "in_scope": o.id in scope,
    }


@bp.get("/organisations")
@token_required
def organisations():
    args, scope = request.args, g.actor.org_scope
    only = scope if args.get("scope") == "mine" else None
    page = keyset(
        reads.organisations(args.get("kind"), int_filters("parent")["parent"], args.get("q"), only), Organisation.id
    )
    return jsonify(page.json("organisations", [organisation_json(o, g.actor.org_scope) for o in page.rows]))


@bp.get("/organisations/<int:org_id>")
@token_required
def organisation(org_id: int):
    row, children = reads.organisation(org_id)
    if row is None:
        return error(404, "organisation not found")
    return jsonify(dict(organisation_json(row, g.actor.org_scope), children=children))


@bp.get("/me")
@token_required
def me():
    user = reads.user(g.actor.user_id)
    token = g.token
    return jsonify(
        {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "title": user.title,
            "roles": sorted(g.actor.roles),
            "organisation": organisation_json(user.org, g.actor.org_scope),
            "org_scope": sorted(g.actor.org_scope),
            "token": {"id": token.id, "scope": token.scope, "rate_limit": g.rate[0], "remaining": g.rate[1]},
        }
    )

"""The only bridge from Flask globals to engine arguments: the engine, a store and the current actor."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from engine.core.cascade import Cascade
from engine.core.ports import Actor
from models.org import Organisation, User
from models.store import SqlStore


def cascade() -> Cascade:
    return current_app.extensions["cascade"]


def store() -> SqlStore:
    return SqlStore()


def actor_for(user: User) -> Actor:
    org: Organisation = user.org
    return make_actor(user.id, user.full_name, user.roles, org.id, org.kind, org.parent_id)


def make_actor(user_id: int, name: str, roles, org_id: int, org_kind: str, org_parent_id: int | None) -> Actor:
    """A section acts within its parent office's scope too."""
    scope = {org_id}
    if org_kind == "section" and org_parent_id:
        scope.add(org_parent_id)
    roles = frozenset(roles)
    return Actor(
        user_id=user_id,
        org_id=org_id,
        roles=roles,
        org_scope=frozenset(scope),
        is_admin="admin" in roles,
        name=name,
        remote_addr=request.remote_addr if request else None,
    )


def current_actor() -> Actor:
    return actor_for(current_user._get_current_object())

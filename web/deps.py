"""The only bridge from Flask globals to engine arguments: the engine, a store and the current actor."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from engine.ports import Actor
from engine.services import Cascade
from models.org import Organisation, User
from models.store import SqlStore


def cascade() -> Cascade:
    return current_app.extensions["cascade"]


def store() -> SqlStore:
    return SqlStore()


def actor_for(user: User) -> Actor:
    org: Organisation = user.org
    scope = {org.id}
    if org.kind == "section" and org.parent_id:
        scope.add(org.parent_id)
    return Actor(
        user_id=user.id,
        org_id=org.id,
        roles=user.roles,
        org_scope=frozenset(scope),
        is_admin="admin" in user.roles,
        name=user.full_name,
        remote_addr=request.remote_addr if request else None,
    )


def current_actor() -> Actor:
    return actor_for(current_user._get_current_object())

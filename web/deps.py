"""The only bridge from Flask globals to engine arguments: the engine, a store and the current actor."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

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


MAX_DB_ID = 2**31 - 1  # ids and versions are 32-bit integers in the database


def db_int(value: str) -> int:
    """A query or form value used as an id, a version or a year: a positive integer the database can hold; anything
    else raises ValueError, which `request.args.get(..., type=db_int)` turns into "not given" (never a 500)."""
    number = int(value)
    if not 0 < number <= MAX_DB_ID:
        raise ValueError(f"{value!r} is out of range")
    return number


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: a number past what the database holds is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)

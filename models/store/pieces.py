"""PostgreSQL: the hot path's writes as raw pieces of a statement (data-modifying CTEs) that wait on the
connection and travel with the next statement (models.deferred), and the parameters they bind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from engine.core.state import StateChanges
from models import deferred


def _compact(sql: str) -> str:
    """One line: the statement travels and is parsed shorter (psycopg caches statements up to 4 KB)."""
    return " ".join(sql.split())


# PostgreSQL: a step's whole state write as one piece of a statement (models.deferred), whatever it changed: the
# instance's new state stamp and summary, new data blobs, parts and task rows updated, inserted and deleted, each a
# data-modifying CTE fed by arrays (JSON travels as text, its arrays in binary format, `%(…)b`: psycopg escapes
# each quote of a text-format array in Python, 6,000 calls a step for a multi-instance's rows and 4 MB at the
# start of one over 500 schools, 20× slower than the binary dump of the same strings). The sets are disjoint (a
# row is new, changed or gone), so the CTEs never touch one row twice. Updates find their rows by (instance,
# key/guid = ANY(array)) on the unique index, never by a join: a join's plan depends on row estimates, and a plan
# cached while the table was small turned into a scan of all task rows once it was not.
_STATE_CTES: dict[str, tuple[str, tuple[str, ...]]] = {  # name -> (template, the arrays it reads)
    "stamped": (
        _compact(
            """{p}stamped AS (
                UPDATE process_instance
                SET state_stamp = %({p}stamp)s::bigint,
                    summary = CASE WHEN %({p}new_summary)s THEN CAST(%({p}summary)s AS JSON) ELSE summary END
                WHERE id = %({p}i)s::integer
            )"""
        ),
        ("stamp", "new_summary", "summary"),
    ),
    "new_data": (
        _compact(
            """{p}new_data AS (
                INSERT INTO json_data (hash, data)
                SELECT x.hash, CAST(x.data AS JSON)
                FROM unnest(%({p}data_hashes)s::varchar[], %({p}data_json)b::text[]) AS x(hash, data)
                ON CONFLICT (hash) DO NOTHING
            )"""
        ),
        ("data_hashes", "data_json"),
    ),
    "gone_parts": (
        _compact(
            """{p}gone_parts AS (
                DELETE FROM workflow_part
                WHERE instance_id = %({p}i)s::integer AND key = ANY(%({p}gone_parts)s::varchar[])
            )"""
        ),
        ("gone_parts",),
    ),
    "gone_rows": (
        _compact(
            """{p}gone_rows AS (
                DELETE FROM workflow_task
                WHERE instance_id = %({p}i)s::integer AND guid = ANY(%({p}gone_rows)s::varchar[])
            )"""
        ),
        ("gone_rows",),
    ),
    "changed_parts": (
        _compact(
            """{p}changed_parts AS (
                UPDATE workflow_part AS p
                SET props = (
                    SELECT CAST(x.props AS JSON)
                    FROM unnest(%({p}part_keys)s::varchar[], %({p}part_props)b::text[]) AS x(key, props)
                    WHERE x.key = p.key
                )
                WHERE p.instance_id = %({p}i)s::integer AND p.key = ANY(%({p}part_keys)s::varchar[])
            )"""
        ),
        ("part_keys", "part_props"),
    ),
    "new_parts": (
        _compact(
            """{p}new_parts AS (
                INSERT INTO workflow_part (instance_id, key, props)
                SELECT %({p}i)s::integer, x.key, CAST(x.props AS JSON)
                FROM unnest(%({p}new_part_keys)s::varchar[], %({p}new_part_props)b::text[]) AS x(key, props)
            )"""
        ),
        ("new_part_keys", "new_part_props"),
    ),
    "changed_rows": (
        _compact(
            """{p}changed_rows AS (
                UPDATE workflow_task AS t
                SET (props, data_hash, part_key) = (
                    SELECT CAST(x.props AS JSON), x.data_hash, x.part_key
                    FROM unnest(
                        %({p}row_guids)s::varchar[], %({p}row_props)b::text[],
                        %({p}row_hashes)s::varchar[], %({p}row_parts)s::varchar[]
                    ) AS x(guid, props, data_hash, part_key)
                    WHERE x.guid = t.guid
                )
                WHERE t.instance_id = %({p}i)s::integer AND t.guid = ANY(%({p}row_guids)s::varchar[])
            )"""
        ),
        ("row_guids", "row_props", "row_hashes", "row_parts"),
    ),
    "new_rows": (
        _compact(
            """{p}new_rows AS (
                INSERT INTO workflow_task (instance_id, guid, part_key, props, data_hash)
                SELECT %({p}i)s::integer, x.guid, x.part_key, CAST(x.props AS JSON), x.data_hash
                FROM unnest(
                    %({p}new_row_guids)s::varchar[], %({p}new_row_parts)s::varchar[],
                    %({p}new_row_props)b::text[], %({p}new_row_hashes)s::varchar[]
                ) AS x(guid, part_key, props, data_hash)
            )"""
        ),
        ("new_row_guids", "new_row_parts", "new_row_props", "new_row_hashes"),
    ),
}
# PostgreSQL pieces for a task's close (with its inbox rows) and an audit row
_CLOSE_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}closed AS (
            UPDATE human_task
            SET status = %({p}status)s, completed_at = %({p}at)s::timestamptz, completed_by_id = %({p}by)s::integer
            WHERE id = %({p}t)s::integer
        )""",
        """{p}closed_candidates AS (
            UPDATE human_task_candidate SET is_open = false WHERE human_task_id = %({p}t)s::integer
        )""",
    )
)
_AUDIT_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}audit AS (
            INSERT INTO audit_event (at, user_id, org_id, instance_id, action, detail, remote_addr)
            VALUES (
                %({p}at)s::timestamptz, %({p}user_id)s::integer, %({p}org_id)s::integer, %({p}instance_id)s::integer,
                %({p}action)s, CAST(%({p}detail)s AS JSON), %({p}remote_addr)s
            )
        )""",
    )
)
# New tasks with their inbox rows, however many a step opens (a multi-instance over 500 schools opens 500): one
# piece fed by arrays, answering each new task's id with its guid (RETURNING's order is not the insert's); the rows
# go in the order given, so their ids (the task list's tiebreaker) grow in that order.
_NEW_TASKS_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}tasks AS (
            INSERT INTO human_task
                (instance_id, guid, bpmn_id, name, org_id, candidate_users, due_at, created_at, document_id, status)
            SELECT %({p}instance_id)s::integer, x.guid, x.bpmn_id, x.name, x.org_id, CAST(x.users AS JSON), x.due_at,
                %({p}created_at)s::timestamptz, x.document_id, 'open'
            FROM unnest(
                %({p}guids)b::text[], %({p}bpmn_ids)b::text[], %({p}names)b::text[], %({p}org_ids)s::integer[],
                %({p}users)b::text[], %({p}due_ats)s::timestamptz[], %({p}document_ids)s::integer[]
            ) WITH ORDINALITY AS x(guid, bpmn_id, name, org_id, users, due_at, document_id, n)
            ORDER BY x.n
            RETURNING id, guid
        )""",
        """{p}task_candidates AS (
            INSERT INTO human_task_candidate (human_task_id, org_id, role, is_open, claimed, due_at, created_at)
            SELECT t.id, c.org_id, c.role, true, false, c.due_at, %({p}created_at)s::timestamptz
            FROM {p}tasks AS t
            JOIN unnest(
                %({p}c_guids)b::text[], %({p}c_orgs)s::integer[], %({p}c_roles)b::text[], %({p}c_dues)s::timestamptz[]
            ) AS c(guid, org_id, role, due_at) ON c.guid = t.guid
        )""",
    )
)
# A new instance whose id was taken ahead (InstanceIds): its row waits like any other write, and its first state
# stamp and summary go in the row itself (an UPDATE in the same statement would not see the row inserted beside it)
_NEW_INSTANCE_PIECE = tuple(
    _compact(c)
    for c in (
        """{p}instance AS (
            INSERT INTO process_instance (
                id, definition_id, process_key, org_id, title, status, directive_id, sender_org_id,
                parent_instance_id, started_by_id, started_at, serializer_version, lock_version, summary, subject,
                state_stamp
            )
            VALUES (
                %({p}id)s::integer, %({p}definition_id)s::integer, %({p}process_key)s, %({p}org_id)s::integer,
                %({p}title)s, 'running', %({p}directive_id)s::integer, %({p}sender_org_id)s::integer,
                %({p}parent_instance_id)s::integer, %({p}started_by_id)s::integer, %({p}started_at)s::timestamptz,
                %({p}serializer_version)s, 0, CAST(%({p}summary)s AS JSON), %({p}subject)s, %({p}stamp)s::bigint
            )
        )""",
    )
)


def _utc(value: datetime | None) -> datetime | None:
    """What UTCDateTime binds, for the raw pieces: aware, in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _state_piece(
    instance_id: int, changes: StateChanges, stamp: int, summary: dict | None, *, stamped: bool = True
) -> deferred.Piece:
    """The state write with only the CTEs this step needs (most steps change rows and add a data blob, no more);
    without `stamped` when the stamp and summary travel in the instance's waiting insert."""
    params = _save_state_params(instance_id, changes, stamp, summary)
    names = [n for n, (_, keys) in _STATE_CTES.items() if (stamped if n == "stamped" else params[keys[0]])]
    used = {"i"}.union(*(_STATE_CTES[n][1] for n in names))
    return deferred.Piece(tuple(_STATE_CTES[n][0] for n in names), {k: params[k] for k in used}, ("state", instance_id))


def _save_state_params(instance_id: int, changes: StateChanges, stamp: int, summary: dict | None) -> dict:
    dumps = json.dumps
    params: dict = {
        "i": instance_id,
        "stamp": stamp,
        "new_summary": summary is not None,
        "summary": dumps(summary) if summary is not None else None,
        "data_hashes": list(changes.data),
        "data_json": [dumps(d) for d in changes.data.values()],
        "gone_parts": list(changes.deleted_parts),
        "gone_rows": list(changes.deleted_rows),
    }
    parts = [(k, p) for k, p in changes.parts.items() if k not in changes.new_parts]
    new_parts = [(k, p) for k, p in changes.parts.items() if k in changes.new_parts]
    params.update(
        part_keys=[k for k, _ in parts],
        part_props=[dumps(p) for _, p in parts],
        new_part_keys=[k for k, _ in new_parts],
        new_part_props=[dumps(p) for _, p in new_parts],
    )
    rows = [r for r in changes.rows if r.guid not in changes.new_rows]
    new_rows = [r for r in changes.rows if r.guid in changes.new_rows]
    params.update(
        row_guids=[r.guid for r in rows],
        row_props=[dumps(r.props) for r in rows],
        row_hashes=[r.data_hash for r in rows],
        row_parts=[r.part_key for r in rows],
        new_row_guids=[r.guid for r in new_rows],
        new_row_parts=[r.part_key for r in new_rows],
        new_row_props=[dumps(r.props) for r in new_rows],
        new_row_hashes=[r.data_hash for r in new_rows],
    )
    return params

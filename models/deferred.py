"""PostgreSQL: writes that travel with the next statement.

A step's inbox close, its audit row and its state write need no answer from the database. On PostgreSQL they wait
on the connection and go as data-modifying CTEs at the head of the statement that needs an answer next (a new
task's insert, which returns its id), or together just before any other statement and before the commit: one
round trip instead of one each. Nothing can read around them: every statement on the connection sends what waits
first (`before_cursor_execute`), the session's commit sends it, and a rollback drops it with the transaction.

The pieces are SQL templates in psycopg's `%(name)s` style; `{p}` marks where a piece's prefix goes, so several
pieces (two audit rows, say) sit in one statement without their CTE or parameter names meeting. The pieces of one
statement run on one snapshot, so a piece never touches a row another waiting piece touches; the store sends
what waits before queueing a piece that would.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "cascade_deferred"
_INSTALLED = "cascade_deferred_installed"
_ahead: dict[tuple, tuple[list[int], float, int]] = {}  # (pid, database, table) -> (ids taken ahead, when, block size)
_ahead_lock = threading.Lock()
IDS_FRESH = 1.0  # seconds an id taken ahead stays usable (see next_id)
IDS_MAX_BLOCK = 64
sent_ahead = 0  # statements sent ahead of another one by the hook below (statement counters add them)


@dataclass(frozen=True)
class Piece:
    ctes: tuple[str, ...]  # "name AS (…)" with {p} before every CTE and parameter name
    params: dict[str, Any]
    key: tuple | None = None  # the rows it writes, when another piece could write them too


def compose(pieces: list[Piece], final: str = "SELECT 1", own: Piece | None = None) -> tuple[str, dict]:
    ctes: list[str] = []
    params: dict[str, Any] = {}
    for n, piece in enumerate([*pieces, *([own] if own else [])]):
        prefix = "o_" if piece is own else f"d{n}_"
        ctes += [c.replace("{p}", prefix) for c in piece.ctes]
        params.update({prefix + k: v for k, v in piece.params.items()})
    final = final.replace("{p}", "o_")
    return (f"WITH {', '.join(ctes)} {final}" if ctes else final), params


def waiting(connection) -> list[Piece]:
    return connection.info.get(_KEY, [])


def defer(connection, piece: Piece) -> None:
    """Queue a write on this connection (installing the hooks that send it on the connection's engine)."""
    install(connection.engine)
    queue = connection.info.setdefault(_KEY, [])
    if piece.key is not None and any(p.key == piece.key for p in queue):
        send(connection)  # the same rows twice in one statement: the first write goes alone
        queue = connection.info.setdefault(_KEY, [])
    queue.append(piece)


def send(connection) -> None:
    """Send what waits on this connection now, in one statement."""
    pieces = connection.info.pop(_KEY, None)
    if pieces:
        connection.exec_driver_sql(*compose(pieces))


def execute_with_waiting(connection, own: Piece, final: str) -> list:
    """Run `own` (its CTEs, then `final`) with whatever waits in front of it, in one round trip."""
    install(connection.engine)
    sql, params = compose(connection.info.pop(_KEY, []), final, own)
    return connection.exec_driver_sql(sql, params).all()


def next_ids(connection, table: str, n: int = 1) -> list[int]:
    """`n` new ids for `table` taken ahead from its sequence, in increasing order, so the rows' insert needs no
    answer and can wait (a new instance's row).

    Ids come in blocks per process and database: one `nextval` round trip (carrying whatever waits) per block, the
    block doubling while blocks are used up within IDS_FRESH seconds of each other (a fan-out's starts), back to 2
    when not; ids left unused for IDS_FRESH seconds, or when a new block is taken, are dropped. Ids are unique (the
    sequence never hands one out twice; an id whose insert rolls back is not used again) and grow in the order a
    process takes them (one thread after another); between processes (or threads taking blocks at once) an id can
    be smaller than one taken up to IDS_FRESH seconds earlier, the same kind of inversion concurrent transactions
    already produce between taking an id and committing."""
    ids = cached_ids(connection, table, n)
    if ids is not None:
        return ids
    now = time.monotonic()
    with _ahead_lock:
        left, taken_at, size = _ahead.get(_block_key(connection, table), ([], 0.0, 1))
        size = min(size * 2, IDS_MAX_BLOCK) if now - taken_at <= IDS_FRESH else 2
    rows = execute_with_waiting(  # never under the lock: what waits may wait for another transaction's row lock
        connection,
        Piece((), {"table": table, "n": max(size, n)}),
        "SELECT nextval(pg_get_serial_sequence(%({p}table)s, 'id')) FROM generate_series(1, %({p}n)s::integer)"
        " ORDER BY 1",
    )
    mine, block = [r[0] for r in rows[:n]], [r[0] for r in rows[n:]]
    with _ahead_lock:
        key = _block_key(connection, table)
        left = _ahead.get(key, ([], 0.0, 1))[0]
        if not left or not block or block[0] > left[-1]:  # a newer block replaces what is left
            _ahead[key] = (block, now, size)
    return mine


def cached_ids(connection, table: str, n: int) -> list[int] | None:
    """`n` ids for `table` from this process's block if it holds that many taken less than IDS_FRESH seconds ago
    (see next_ids), else None and nothing is taken."""
    key = _block_key(connection, table)
    with _ahead_lock:
        left, taken_at, size = _ahead.get(key, ([], 0.0, 1))
        if len(left) < n or time.monotonic() - taken_at > IDS_FRESH:
            return None
        _ahead[key] = (left[n:], taken_at, size)
        return left[:n]


def _block_key(connection, table: str) -> tuple:
    """Per process (a forked worker never uses its parent's ids) and database."""
    return os.getpid(), connection.engine.url, table


def install(engine) -> None:
    if engine.dialect.name != "postgresql" or _INSTALLED in engine.__dict__:
        return
    engine.__dict__[_INSTALLED] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _send_first(conn, cursor, statement, parameters, context, executemany) -> None:
        global sent_ahead
        pieces = conn.info.pop(_KEY, None)
        if pieces:  # inside SQLAlchemy's error handling for the statement that follows
            cursor.connection.cursor().execute(*compose(pieces))
            sent_ahead += 1

    @event.listens_for(engine, "rollback")
    @event.listens_for(engine, "rollback_savepoint")
    def _drop(conn, *args) -> None:
        conn.info.pop(_KEY, None)

    @event.listens_for(engine, "savepoint")
    @event.listens_for(engine, "release_savepoint")
    def _send_at_savepoint(conn, *args) -> None:
        send(conn)

    @event.listens_for(engine, "reset")
    def _forget(dbapi_connection, record, reset_state) -> None:
        record.info.pop(_KEY, None)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session) -> None:
    if not session.in_transaction():
        return
    transaction = session.get_transaction()
    for connection in {c for c, *_ in transaction._connections.values()}:
        send(connection)

"""Export every table to one JSON document and restore it into an empty database (same schema version).

Rows are written in dependency order; nullable foreign keys are filled in a second pass, so the cycles
between documents and instances restore on PostgreSQL with its constraints on."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO

from sqlalchemy import Connection, func, select, update

from models import db
from models.org import Organisation, bump_generation

FORMAT = "cascade-backup/1"


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$d":
            return date.fromisoformat(inner)
        if key == "$b":
            return base64.b64decode(inner)
    return value


@contextmanager
def _snapshot() -> Iterator[Connection]:
    """One connection reading one consistent state of every table while others keep writing: on PostgreSQL a
    REPEATABLE READ READ ONLY transaction, on SQLite one explicit read transaction (WAL keeps it stable)."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
            return
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # pysqlite would not begin for reads
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.exec_driver_sql("COMMIT")


def export_all(out: IO[str]) -> dict[str, int]:
    """Write all tables (ORM-typed values: timezone-aware times, JSON, bytes) as one JSON document, read in one
    snapshot: rows written meanwhile are either all in the file or all out of it."""
    counts, tables = {}, {}
    with _snapshot() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
            counts[table.name] = len(rows)
    json.dump({"format": FORMAT, "tables": tables}, out, ensure_ascii=False)
    return counts


def restore_all(source: IO[str]) -> dict[str, int]:
    """Load an export into an empty database; refuses to write over existing data."""
    dump = json.load(source)
    if dump.get("format") != FORMAT:
        raise ValueError("not a Cascade backup (format mismatch)")
    for table in db.metadata.sorted_tables:
        if db.session.scalar(select(func.count()).select_from(table)):
            raise ValueError(f"the database is not empty (table {table.name}); restore needs an empty database")
    deferred = []
    counts = {}
    loaded: set[str] = set()
    for table in db.metadata.sorted_tables:
        rows = [{k: _decode(v) for k, v in row.items()} for row in dump["tables"].get(table.name, [])]
        counts[table.name] = len(rows)
        loaded.add(table.name)
        if not rows:
            continue
        # references to a table not loaded yet (a cycle, or the table itself) are filled in a second pass;
        # the others go in with the row (the audit trail, append-only, is never updated)
        nullable_fks = [
            c.name
            for c in table.columns
            if c.nullable
            and any(fk.column.table.name not in loaded or fk.column.table is table for fk in c.foreign_keys)
        ]
        if nullable_fks:
            pk = [c.name for c in table.primary_key.columns]
            deferred.append((table, pk, nullable_fks, rows))
            rows = [{**r, **dict.fromkeys(nullable_fks)} for r in rows]
        db.session.execute(table.insert(), rows)
    for table, pk, columns, rows in deferred:
        for row in rows:
            values = {c: row[c] for c in columns if row.get(c) is not None}
            if values:
                db.session.execute(update(table).where(*[table.c[k] == row[k] for k in pk]).values(**values))
    _reset_sequences()
    bump_generation(db.session.connection(), Organisation.__tablename__)  # no process may keep the old tree
    db.session.commit()
    return counts


def _reset_sequences() -> None:
    """PostgreSQL: move each serial sequence past the restored ids."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
            # table and column names come from our own metadata, never from input
            sql = (
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
            )
            db.session.execute(db.text(sql))


__all__ = ["export_all", "restore_all"]

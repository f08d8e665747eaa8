"""SqlStore: engine.core.ports.Store over the Flask-SQLAlchemy session. Its commit() is the only commit of a use
case; row locks (SELECT … FOR UPDATE, SKIP LOCKED for workers) serialise work on PostgreSQL.

One mixin per area, all on `StoreBase` (session, transaction facts, organisations, people, audit):
`workflow` (definitions, instances, state), `inbox` (human tasks), `outbox` (timers, messages, notifications,
e-mail), `documents`, `incidents`, `reporting`, `tt124`, `decisions` (DMN tables). The hot path's prebuilt
statements are in `statements` (Core) and `pieces` (PostgreSQL deferred writes); row-to-record converters and
the per-process caches in `records`."""

from __future__ import annotations

from models.store.decisions import DecisionStore
from models.store.documents import DocumentStore
from models.store.failures import FailureStore
from models.store.inbox import InboxStore
from models.store.incidents import IncidentStore
from models.store.outbox import OutboxStore
from models.store.records import definition_record, instance_record, org_record, task_record
from models.store.reporting import ReportingStore
from models.store.tt124 import Tt124Store
from models.store.workflow import WorkflowStore

__all__ = ["SqlStore", "definition_record", "instance_record", "org_record", "task_record"]


class SqlStore(
    WorkflowStore,
    InboxStore,
    OutboxStore,
    FailureStore,
    DocumentStore,
    IncidentStore,
    ReportingStore,
    Tt124Store,
    DecisionStore,
):
    """engine.core.ports.Store: every area's queries over one session (see the mixins)."""

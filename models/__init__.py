"""Flask-SQLAlchemy models: `db` and every table, imported here so metadata and migrations see them all."""

from models.base import db  # noqa: F401
from models.org import Organisation, User, UserRole, ApiToken  # noqa: F401
from models.document import Document, DocumentRecipient, DocumentRelation, DocumentCounter  # noqa: F401
from models.workflow import (  # noqa: F401
    ProcessDefinition,
    ProcessInstance,
    WorkflowTaskRow,
    WorkflowPart,
    JsonData,
    HumanTask,
    HumanTaskCandidate,
    Message,
    Timer,
    AuditEvent,
)

"""Flask-SQLAlchemy models: `db` and every table, imported here so metadata and migrations see them all."""

from models.api import ApiRateWindow  # noqa: F401
from models.base import db  # noqa: F401
from models.decision import DecisionDefinition  # noqa: F401
from models.document import Document, DocumentCounter, DocumentRecipient, DocumentRelation  # noqa: F401
from models.incident import EmailMessage, Incident, IncidentAttachment, IncidentUpdate, Notification  # noqa: F401,E402
from models.modeller import ProcessDraft  # noqa: F401,E402
from models.ops import OperationFailure  # noqa: F401
from models.org import ApiToken, Organisation, User, UserRole  # noqa: F401
from models.report import Holiday, ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission  # noqa: F401,E402
from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Override, Tt124Participation  # noqa: F401,E402
from models.workflow import (  # noqa: F401
    AuditEvent,
    HumanTask,
    HumanTaskCandidate,
    JsonData,
    Message,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    WorkflowPart,
    WorkflowTaskRow,
)

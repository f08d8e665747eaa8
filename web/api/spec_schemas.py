"""The OpenAPI document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 has it): what each answer carries. A
test validates the examples and real answers against them (`tests/web/test_api_openapi.py`)."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str | list) -> dict:
    return {"type": [*([kind] if isinstance(kind, str) else kind), "null"]}


def obj(required: dict, optional: dict | None = None) -> dict:
    """An object whose `required` properties are always there (others may be added later: clients ignore them)."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


def page(key: str, item: str) -> dict:
    return obj({key: {"type": "array", "items": ref(item)}, "total": {"type": "integer"}, "next": nullable("integer")})


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DATE, TIME = {"type": ["string", "null"], "format": "date"}, {"type": ["string", "null"], "format": "date-time"}
ANY_OBJECT = {"type": "object"}

FIELD_ERROR = obj({"code": STR, "message": STR, "message_vi": STR}, {"filename": STR})
SCHEMAS: dict[str, dict] = {
    "Error": obj(
        {"error": STR}, {"message_vi": STR, "fields": {"type": "object", "additionalProperties": FIELD_ERROR}}
    ),
    "Candidate": obj({"org_id": INT, "role": STR}),
    "Task": obj(
        {
            "id": INT,
            "name": STR,
            "bpmn_id": STR,
            "status": STR,
            "instance_id": INT,
            "process": STR,
            "organisation": STR,
            "candidates": {"type": "array", "items": ref("Candidate")},
            "assignee_id": nullable("integer"),
            "due_at": TIME,
            "created_at": {"type": "string", "format": "date-time"},
            "overdue": BOOL,
        }
    ),
    "Field": obj(
        {
            "id": STR,
            "label": STR,
            "label_vi": STR,
            "label_en": STR,
            "type": {"enum": ["string", "long", "boolean", "date", "enum", "recipients", "org"]},
            "required": BOOL,
            "readonly": BOOL,
            "multiline": BOOL,
            "options": {"type": "array", "items": obj({"id": STR, "label": STR})},
            "value": {"description": "The current value as the task page shows it; kept when left out."},
        },
        {"default": {}, "min": nullable("number"), "max": nullable("number")},
    ),
    "TaskDetail": {
        "allOf": [ref("Task"), obj({"form": {"type": "array", "items": ref("Field")}})],
    },
    "Completed": obj({"status": {"const": "completed"}, "instance_id": INT}),
    "Claimed": obj({"status": {"enum": ["claimed", "released"]}, "task_id": INT}),
    "Started": obj({"id": INT}),
    "Instance": obj(
        {
            "id": INT,
            "process": STR,
            "version": INT,
            "title": nullable("string"),
            "status": STR,
            "organisation": STR,
            "directive_id": nullable("integer"),
            "started_at": {"type": "string", "format": "date-time"},
            "completed_at": TIME,
            "current": {"type": "array"},
            "tasks": {"type": "array", "items": ref("Task")},
            "history": {"type": "array", "items": obj({"at": STR, "action": STR, "user": nullable("string")})},
        }
    ),
    "Organisation": obj(
        {
            "id": INT,
            "code": STR,
            "name": STR,
            "short_name": STR,
            "kind": STR,
            "parent_id": nullable("integer"),
            "ward_id": nullable("integer"),
            "school_level": nullable("string"),
            "symbol": nullable("string"),
            "addressable": BOOL,
            "in_scope": BOOL,
        }
    ),
    "OrganisationDetail": {"allOf": [ref("Organisation"), obj({"children": {"type": "array", "items": INT}})]},
    "Me": obj(
        {
            "id": INT,
            "username": STR,
            "full_name": STR,
            "title": nullable("string"),
            "roles": {"type": "array", "items": STR},
            "organisation": ref("Organisation"),
            "org_scope": {"type": "array", "items": INT},
            "token": obj(
                {"id": INT, "scope": {"enum": ["read", "write"]}, "rate_limit": INT, "remaining": INT},
            ),
        }
    ),
    "DocumentRef": obj(
        {
            "id": INT,
            "symbol": nullable("string"),
            "number": nullable("integer"),
            "summary": STR,
            "issuer_id": nullable("integer"),
        }
    ),
    "DocumentSummary": {
        "allOf": [
            ref("DocumentRef"),
            obj(
                {
                    "year": nullable("integer"),
                    "type": STR,
                    "type_vi": STR,
                    "type_en": STR,
                    "issuer": obj({"id": nullable("integer"), "name": STR, "short_name": nullable("string")}),
                    "issued_on": DATE,
                    "status": STR,
                }
            ),
        ]
    },
    "Recipient": obj(
        {
            "org_id": INT,
            "name": STR,
            "short_name": STR,
            "purpose": {"enum": ["thuc_hien", "phoi_hop", "bao_cao", "chi_dao", "de_biet", "luu"]},
            "purpose_vi": STR,
            "purpose_en": STR,
            "delivered_at": TIME,
            "responded_at": TIME,
            "response_document_id": nullable("integer"),
        }
    ),
    "CascadeNode": obj(
        {
            "org_id": INT,
            "org_name": STR,
            "purpose": STR,
            "status": {"enum": ["late", "in_progress", "not_started", "done", "copy"]},
            "delivered_at": TIME,
            "responded_at": TIME,
            "instance_id": nullable("integer"),
            "current_steps": {"type": "array"},
            "late_tasks": INT,
            "plan": {"oneOf": [ref("DocumentRef"), {"type": "null"}]},
            "response": {"oneOf": [ref("DocumentRef"), {"type": "null"}]},
            "counts": ref("StatusCounts"),
            "children": {"type": "array", "items": ref("CascadeNode")},
        }
    ),
    "StatusCounts": obj({s: INT for s in ("late", "in_progress", "not_started", "done", "copy")}),
    "Document": {
        "allOf": [
            ref("DocumentSummary"),
            obj(
                {
                    "place": nullable("string"),
                    "body": STR,
                    "response_due": DATE,
                    "signature": obj(
                        {
                            "name": nullable("string"),
                            "title": nullable("string"),
                            "authority_title": nullable("string"),
                            "mode": STR,
                            "mode_vi": STR,
                            "mode_en": STR,
                        }
                    ),
                    "recipients": {"type": "array", "items": ref("Recipient")},
                    "relations": {
                        "type": "array",
                        "items": obj(
                            {"kind": STR, "direction": {"enum": ["to", "from"]}, "document": ref("DocumentRef")}
                        ),
                    },
                    "files": {"type": "array", "items": obj({"kind": STR, "url": STR})},
                    "page": STR,
                    "cascade": {
                        "description": "null unless the caller issued the document or a directive above it",
                        "oneOf": [
                            obj(
                                {
                                    "totals": ref("StatusCounts"),
                                    "nodes": {"type": "array", "items": ref("CascadeNode")},
                                }
                            ),
                            {"type": "null"},
                        ],
                    },
                }
            ),
        ]
    },
    "Incident": obj(
        {
            "id": INT,
            "school_id": INT,
            "school": STR,
            "category": STR,
            "severity": STR,
            "location": STR,
            "status": STR,
            "occurred_at": TIME,
            "created_at": TIME,
            "access": {"enum": ["full", "no_names"]},
        }
    ),
    "IncidentDetail": {
        "allOf": [
            ref("Incident"),
            obj(
                {
                    "description": STR,
                    "people": {"type": "array", "items": ANY_OBJECT},
                    "actions": {"type": "array", "items": STR},
                    "attachments": {
                        "type": "array",
                        "items": obj({"id": INT, "filename": STR, "content_type": STR, "size": INT, "url": STR}),
                    },
                    "updates": {"type": "array", "items": obj({"at": TIME, "kind": STR, "text": STR})},
                }
            ),
        ]
    },
    "NewIncident": obj(
        {
            "category": STR,
            "severity": STR,
            "location": STR,
            "occurred_at": {"type": "string", "description": "ISO 8601 or dd/mm/yyyy HH:MM (Vietnam time)"},
            "description": STR,
        },
        {
            "place": STR,
            "actions": {"type": "array", "items": STR},
            "people": {"type": "array", "items": obj({"role": STR}, {"name": STR, "class": STR, "minor": BOOL})},
        },
    ),
    "Raised": obj({"id": INT, "url": STR}),
    "NewIncoming": obj(
        {"symbol": STR, "issued_on": {"type": "string", "format": "date"}, "doc_type": STR, "summary": STR},
        {
            "issuer_id": nullable("integer"),
            "issuer_name": {"type": "string", "description": "an outside body, when issuer_id is not given"},
            "received_on": {"type": "string", "format": "date", "description": "default: today"},
        },
    ),
    "IncomingRegistered": {
        "allOf": [
            ref("DocumentSummary"),
            obj({"incoming_number": INT, "received_on": STR, "url": STR}, {"issuer_name": nullable("string")}),
        ]
    },
    "Assignment": obj({"unit_id": INT}, {"response_due": {"type": "string", "format": "date"}}),
    "Assigned": obj({"status": {"const": "assigned"}, "document_id": INT, "unit_id": INT}),
    "MessageStarted": obj({"id": INT, "process": STR, "message": STR}),
    "Period": obj(
        {
            "id": INT,
            "label": STR,
            "regime": obj({"id": INT, "name": STR, "frequency": STR}),
            "receiver_id": INT,
            "start": DATE,
            "end": DATE,
            "school_due": DATE,
            "office_due": DATE,
        }
    ),
    "Submission": obj(
        {
            "id": INT,
            "period_id": INT,
            "school_id": INT,
            "school": STR,
            "status": STR,
            "due": DATE,
            "on_time": nullable("boolean"),
        }
    ),
    "PeriodDetail": {
        "allOf": [
            ref("Period"),
            obj(
                {
                    "submissions": {"type": "array", "items": ref("Submission")},
                    "compilation": {
                        "oneOf": [
                            obj(
                                {
                                    "figures": ANY_OBJECT,
                                    "fields": {"type": "array", "items": obj({"id": STR, "label": STR})},
                                    "document_id": nullable("integer"),
                                    "compiled_at": TIME,
                                }
                            ),
                            {"type": "null"},
                        ]
                    },
                }
            ),
        ]
    },
    "SubmissionDetail": {"allOf": [ref("Submission"), obj({"values": ANY_OBJECT, "period": ref("Period")})]},
    "Participation": obj(
        {
            "id": INT,
            "school_id": INT,
            "school": STR,
            "year": INT,
            "eligible": BOOL,
            "status": STR,
            "status_vi": STR,
            "status_en": STR,
            "recognised": nullable("boolean"),
        }
    ),
    "ParticipationDetail": {
        "allOf": [
            ref("Participation"),
            obj(
                {
                    "window": obj({"start": DATE, "end": DATE}),
                    "registration": ANY_OBJECT,
                    "findings": {"type": "array"},
                    "decision": ANY_OBJECT,
                    "files": {"type": "array", "items": obj({"id": INT, "kind": STR})},
                }
            ),
        ]
    },
    "TaskList": obj(
        {"tasks": {"type": "array", "items": ref("Task")}},
        {
            "total": INT,
            "total_exact": {"type": "boolean", "description": "false: more than `total` (1,000) tasks match"},
            "next": nullable("integer"),
        },
    ),
    "TaskPage": page("tasks", "Task"),
    "OrganisationPage": page("organisations", "Organisation"),
    "DocumentPage": page("documents", "DocumentSummary"),
    "IncidentPage": page("incidents", "Incident"),
    "PeriodPage": page("periods", "Period"),
    "SubmissionPage": page("submissions", "Submission"),
    "ParticipationPage": page("participations", "Participation"),
}

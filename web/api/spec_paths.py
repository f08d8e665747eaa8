"""The OpenAPI document's operations: every route of the `api` blueprint with its parameters, body, answers
and an example of each success (a test checks both ways that these are the blueprint's routes)."""

from __future__ import annotations

from web.api.spec_examples import EXAMPLES
from web.api.spec_schemas import ref

ERRORS = {
    "400": "a query argument is not what it must be: `argument` names it, `error` says what it must be",
    "401": "missing or unknown token",
    "403": "you may see this but not do it (or a read-only token tried to write)",
    "404": "no such thing, or not yours to see (never 'exists but forbidden' across organisations)",
    "409": "already completed or changed meanwhile; nothing changed",
    "422": "invalid values or query arguments: `fields` maps each to {code, message, message_vi}",
    "429": "rate limit exceeded (per token, per minute; see Retry-After)",
}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {"name": "after", "in": "query", "description": "the `next` of the page before", "schema": {"type": "integer"}},
]


def q(name: str, description: str, kind: str = "string", enum: list | None = None) -> dict:
    schema = {"type": kind, **({"enum": enum} if enum else {})}
    return {"name": name, "in": "query", "description": description, "schema": schema}


def op(
    tag: str,
    summary: str,
    schema: str | None,
    *,
    status: str = "200",
    errors=("401",),
    params=(),
    body=None,
    content: str = "application/json",
    auth: bool = True,
) -> dict:
    """One operation; the example of its success answer is EXAMPLES[schema]."""
    success: dict = {"description": summary}
    if schema:
        media = {"schema": ref(schema)}
        if schema in EXAMPLES:
            media["example"] = EXAMPLES[schema]
        success["content"] = {content: media}
    responses = {status: success}
    responses.update(
        {
            code: {"description": ERRORS[code], "content": {"application/json": {"schema": ref("Error")}}}
            for code in errors
        }
    )
    out = {"tags": [tag], "summary": summary, "parameters": list(params), "responses": responses}
    if body:
        out["requestBody"] = {"required": True, "content": body}
    if not auth:
        out["security"] = []
    return out


def path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


R404 = ("401", "404")
JSON_VALUES = {"application/json": {"schema": {"type": "object"}, "example": {"quyet_dinh": "approve", "y_kien": ""}}}
NEW_INCIDENT = {
    "application/json": {"schema": ref("NewIncident"), "example": EXAMPLES["NewIncident"]},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "category": {"type": "string"},
                "people": {"type": "string", "description": "a JSON list of {role, name, class}"},
                "actions": {"type": "array", "items": {"type": "string"}},
                "attachments": {
                    "type": "array",
                    "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                },
            },
        }
    },
}

PATHS: dict[str, dict] = {
    "/api/openapi.json": {"get": op("meta", "This document", None, errors=(), auth=False)},
    "/api/reference": {"get": op("meta", "This document as an HTML page", None, errors=(), auth=False)},
    "/api/me": {"get": op("organisations", "Who the token acts for: user, organisation, roles, scope, token", "Me")},
    "/api/organisations": {
        "get": op(
            "organisations",
            "The organisation tree (everyone sees it, as the recipient picker shows it), by id",
            "OrganisationPage",
            errors=("401", "422"),
            params=[
                q("kind", "school, office, section, ward_police, …"),
                q("parent", "children of this organisation", "integer"),
                q("q", "text in the name, short name or code"),
                q("scope", "`mine`: only those I act for", enum=["mine"]),
                *PAGING,
            ],
        )
    },
    "/api/organisations/{org_id}": {
        "get": op(
            "organisations",
            "One organisation and its children's ids",
            "OrganisationDetail",
            errors=R404,
            params=[path_id("org_id")],
        )
    },
    "/api/tasks": {
        "get": op(
            "tasks",
            "Open tasks I may do",
            "TaskList",
            errors=("400", "401"),
            params=[
                q("scope", "all, mine, unclaimed", enum=["all", "mine", "unclaimed"]),
                q("sort", "due or created", enum=["due", "created"]),
                q("q", "text in the task, its instance's title or the organisation it is about"),
                q("process", "process key, e.g. school_plan"),
                q("org", "the organisation the task is about", "integer"),
                q("document", "the directive the task implements", "integer"),
                q(
                    "instance",
                    "only the tasks of this process instance (always found, however long the list)",
                    "integer",
                ),
                q("overdue", "1: only overdue tasks"),
                q("returned", "1: only tasks that came back (returned drafts, reports sent back)"),
                {**PAGING[0], "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 200}},
                PAGING[1],
            ],
        )
    },
    "/api/tasks/{task_id}": {
        "get": op(
            "tasks",
            "One task with its form and each field's current value",
            "TaskDetail",
            errors=R404,
            params=[path_id("task_id")],
        )
    },
    "/api/tasks/{task_id}/complete": {
        "post": op(
            "tasks",
            "Complete the task; a required field left out keeps its current value",
            "Completed",
            errors=("401", "403", "404", "409", "422"),
            params=[path_id("task_id")],
            body=JSON_VALUES,
        )
    },
    "/api/tasks/{task_id}/claim": {
        "post": op(
            "tasks",
            "Claim the task for myself",
            "Claimed",
            errors=("401", "403", "404", "409"),
            params=[path_id("task_id")],
        )
    },
    "/api/tasks/{task_id}/unclaim": {
        "post": op(
            "tasks",
            "Release the task to my unit",
            "Claimed",
            errors=("401", "403", "404", "409"),
            params=[path_id("task_id")],
        )
    },
    "/api/processes/{key}/instances": {
        "post": op(
            "instances",
            "Start a process at my organisation",
            "Started",
            status="201",
            errors=("401", "403", "404"),
            params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
            body={"application/json": {"schema": {"type": "object"}, "example": {}}},
        )
    },
    "/api/instances/{instance_id}": {
        "get": op(
            "instances",
            "An instance with its tasks and history",
            "Instance",
            errors=R404,
            params=[path_id("instance_id")],
        )
    },
    "/api/documents": {
        "get": op(
            "documents",
            "My register: what my organisations issued or received, newest first",
            "DocumentPage",
            errors=("401", "422"),
            params=[
                q("issuer", "issuing organisation id", "integer"),
                q("type", "document type code: KH, CV, QĐ, BC, …"),
                q("year", "year of the number", "integer"),
                q("direction", "issued or received", enum=["issued", "received"]),
                q("q", "text in the summary or the symbol"),
                *PAGING,
            ],
        )
    },
    "/api/documents/{document_id}": {
        "get": op(
            "documents",
            "A document: number, symbol, signature, recipients, relations, files, cascade status",
            "Document",
            errors=R404,
            params=[path_id("document_id")],
        )
    },
    "/api/documents/{document_id}/document.docx": {
        "get": op(
            "documents",
            "The issued document as Word (NĐ 30 layout)",
            None,
            errors=R404,
            params=[path_id("document_id")],
        )
    },
    "/api/documents/{document_id}/document.pdf": {
        "get": op(
            "documents",
            "The issued document as PDF (made from the Word file, fonts embedded)",
            None,
            errors=R404,
            params=[path_id("document_id")],
        )
    },
    "/api/documents/{document_id}/files/{file_id}": {
        "get": op(
            "documents",
            "Download a file attached to the document (signed scan, source, appendix, as received)",
            None,
            errors=R404,
            params=[path_id("document_id"), path_id("file_id")],
        )
    },
    "/api/incidents": {
        "get": op(
            "incidents",
            "The incidents I may open, newest first",
            "IncidentPage",
            errors=("401", "422"),
            params=[
                q("status", "open, acknowledged, closed, false_alarm"),
                q("category", "category code"),
                q("school", "school id", "integer"),
                *PAGING,
            ],
        ),
        "post": op(
            "incidents",
            "Raise an incident at my school (JSON, or multipart with attachments)",
            "Raised",
            status="201",
            errors=("401", "403", "422"),
            body=NEW_INCIDENT,
        ),
    },
    "/api/incidents/{incident_id}": {
        "get": op(
            "incidents",
            "One incident (minors' names only to those handling it)",
            "IncidentDetail",
            errors=R404,
            params=[path_id("incident_id")],
        )
    },
    "/api/incidents/{incident_id}/attachments/{attachment_id}": {
        "get": op(
            "incidents",
            "Download an attachment",
            None,
            errors=R404,
            params=[path_id("incident_id"), path_id("attachment_id")],
        )
    },
    "/api/reports/tasks": {
        "get": op(
            "reports",
            "My open report tasks (school report, compilation)",
            "TaskPage",
            errors=("401", "422"),
            params=PAGING,
        )
    },
    "/api/reports/periods": {
        "get": op(
            "reports",
            "The periods I compile or report in, newest first",
            "PeriodPage",
            errors=("401", "422"),
            params=PAGING,
        )
    },
    "/api/reports/periods/{period_id}": {
        "get": op(
            "reports",
            "A period I compile: every submission and the compiled figures",
            "PeriodDetail",
            errors=R404,
            params=[path_id("period_id")],
        )
    },
    "/api/reports/submissions": {
        "get": op(
            "reports", "My organisation's reports, newest first", "SubmissionPage", errors=("401", "422"), params=PAGING
        )
    },
    "/api/reports/submissions/{submission_id}": {
        "get": op(
            "reports",
            "One school's report with its figures",
            "SubmissionDetail",
            errors=R404,
            params=[path_id("submission_id")],
        )
    },
    "/api/tt124/participations": {
        "get": op(
            "tt124",
            "Schools' Circular 124 years I may see",
            "ParticipationPage",
            errors=("401", "422"),
            params=[q("school", "school id", "integer"), q("year", "the year", "integer"), *PAGING],
        )
    },
    "/api/tt124/participations/{participation_id}": {
        "get": op(
            "tt124",
            "One school's Circular 124 year and status",
            "ParticipationDetail",
            errors=R404,
            params=[path_id("participation_id")],
        )
    },
}

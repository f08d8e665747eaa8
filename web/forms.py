"""Turns an HTML form post into the values engine.core.forms validates, and the recipient picker's choices."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.documents.nd30 import PURPOSES
from models import db
from models.org import Organisation

RECIPIENT_KINDS = (
    "department",
    "people_committee",
    "police",
    "party_committee",
    "steering_committee",
    "office",
    "section",
    "school",
)


def parse_submission(fields, form) -> dict:
    out: dict = {}
    for field in fields:
        if field.readonly:
            continue
        if field.type == "boolean":
            out[field.id] = str(form.get(field.id, "")).strip().lower() in ("on", "true", "1", "yes")
        elif field.type == "recipients":
            rows = []
            for org_id in form.getlist(f"{field.id}__org"):
                purpose = form.get(f"{field.id}__purpose__{org_id}", "")
                if purpose:
                    rows.append({"org_id": org_id, "purpose": purpose})
            out[field.id] = rows
        elif field.type == "long" and field.id in form:
            out[field.id] = typed_number(form.get(field.id))
        elif field.id in form:
            out[field.id] = form.get(field.id)
    return out


_GROUPED = re.compile(r"^[+-]?\d{1,3}([. \u00a0]\d{3})+$")


def typed_number(text: str) -> str:
    """A whole number as Vietnamese write it ("15.000.000", "1 250") without its thousands separators; anything
    else unchanged, for the form's own validation to judge."""
    value = (text or "").strip()
    return re.sub(r"[. \u00a0]", "", value) if _GROUPED.match(value) else value


def recipient_choices(issuer_id: int) -> list[Organisation]:
    """Organisations one may address: everyone in the tree except containers (sorted: bodies, then schools)."""
    orgs = db.session.scalars(select(Organisation).where(Organisation.kind.in_(RECIPIENT_KINDS))).all()
    return sorted(orgs, key=lambda o: (o.kind == "school", o.kind == "section", o.id))


PURPOSE_CHOICES = [(code, p) for code, p in PURPOSES.items()]

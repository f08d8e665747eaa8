"""run(): loads the 2022 organisations, reporting regimes and holidays and the workflows in workflows/ into the
database; with `demo`, also the demo people (all with the shared demo password), the historic documents and
their numbering counters. Idempotent: running it again changes nothing that is already there.

Production seeds without `demo` (`flask seed`): no account exists until `flask create-admin`."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import select

from engine.core.cascade import Cascade
from engine.core.clock import VN_TZ
from engine.core.ports import Actor
from models import db
from models.commands.decisions import deploy_shipped_decision
from models.document import Document, DocumentCounter, DocumentRecipient, DocumentRelation
from models.org import Organisation, User, UserRole
from models.report import Holiday, ReportingRegime
from models.roles import ROLES
from models.store import SqlStore
from seed import data

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


def run(engine: Cascade | None = None, *, demo: bool = True) -> dict[str, int]:
    """Seed the database; `demo=False` (production, `flask seed`) adds no people and no historic documents."""
    orgs = _organisations()
    users = documents = 0
    if demo:
        users = _users(orgs)
        documents = _documents(orgs)
        _counters(orgs)
    _reporting(orgs)
    db.session.commit()
    kept: list = []
    decisions: tuple[list, list] = ([], [])
    deployed = deploy_workflows(engine=engine, kept=kept, decisions=decisions)
    summary = {
        "organisations": len(orgs),
        "users": users,
        "documents": documents,
        "definitions deployed": len(deployed),
        "decision tables deployed": len(decisions[0]),
    }
    if kept or decisions[1]:  # an administrator's newer version stays the one that runs
        summary["kept (deployed by an administrator)"] = len(kept) + len(decisions[1])
    return summary


def deploy_decisions(directory: Path = WORKFLOWS) -> tuple[list, list]:
    """Deploy each .dmn file (decision table) as a new version when its content differs from the latest version;
    (deployed, kept): a decision whose latest version an administrator deployed (modeller) is never overridden."""
    deployed, kept = [], []
    for path in sorted(directory.glob("*.dmn")):
        row, held = deploy_shipped_decision(path.read_bytes(), f"workflows/{path.name}")
        deployed += [row] if row is not None else []
        kept += [held] if held is not None else []
    return deployed, kept


def deploy_workflows(
    directory: Path = WORKFLOWS,
    engine: Cascade | None = None,
    kept: list | None = None,
    decisions: tuple[list, list] | None = None,
):
    """Deploy the decision tables (.dmn, first: business rule tasks need them), then each .bpmn file as a new
    version when its content differs from the latest version (through the app's engine when one is given, else a
    fresh one: deploying needs no warm state). A process or decision whose latest version an administrator
    deployed (modeller, upload) is never overridden: it goes to `kept` (decisions: `decisions[1]`) instead;
    decision versions deployed go to `decisions[0]`."""
    engine = engine or Cascade()
    deployed = []
    kept = [] if kept is None else kept
    new_decisions, kept_decisions = deploy_decisions(directory)
    if decisions is not None:
        decisions[0].extend(new_decisions)
        decisions[1].extend(kept_decisions)
    for path in sorted(directory.glob("*.bpmn")):
        deployed += engine.deploy(
            SqlStore(),
            Actor.system(),
            path.read_bytes(),
            source=f"workflows/{path.name}",
            known_roles=set(ROLES),
            only_if_changed=True,
            kept=kept,
        )
    return deployed


def _organisations() -> dict[str, Organisation]:
    existing = {o.code: o for o in db.session.scalars(select(Organisation))}
    fields = (
        "name",
        "short_name",
        "kind",
        "school_level",
        "symbol",
        "grammar",
        "counter_scope",
        "place",
        "managing_body",
        "aliases",
        "synthetic",
        "source",
    )
    for item in data.ORGANISATIONS:
        org = existing.get(item["code"])
        if org is None:
            org = existing[item["code"]] = Organisation(code=item["code"])
            db.session.add(org)
        for name in fields:
            if getattr(org, name) != item[name]:
                setattr(org, name, item[name])
    db.session.flush()
    for item in data.ORGANISATIONS:
        org = existing[item["code"]]
        org.parent_id = existing[item["parent"]].id if item["parent"] else None
        org.ward_id = existing[item["ward"]].id if item["ward"] else None
    db.session.flush()
    return existing


def _users(orgs: dict[str, Organisation]) -> int:
    existing = {u.username: u for u in db.session.scalars(select(User))}
    demo_hash = None  # every demo account has the same documented password: hash it once
    for item in data.USERS:
        user = existing.get(item["username"])
        if user is None:
            user = User(username=item["username"], session_token=secrets.token_hex(16))
            if demo_hash is None:
                user.set_password(data.DEMO_PASSWORD)
                demo_hash = user.password_hash
            user.password_hash, user.demo_password = demo_hash, True
            db.session.add(user)
        user.full_name, user.title = item["full_name"], item.get("title")
        user.email = item.get("email") or f"{item['username']}@cascade.example"  # reserved demo domain
        user.org_id, user.synthetic = orgs[item["org"]].id, item.get("synthetic", True)
        have = {r.role for r in user.role_rows}
        for role in item["roles"]:
            if role not in have:
                user.role_rows.append(UserRole(role=role))
    db.session.flush()
    return len(data.USERS)


def _documents(orgs: dict[str, Organisation]) -> int:
    by_key: dict[str, Document] = {}
    for item in data.DOCUMENTS:
        issuer = orgs[item["issuer"]]
        doc = db.session.scalars(
            select(Document).where(
                Document.issuer_id == issuer.id, Document.symbol == item["symbol"], Document.year == item["year"]
            )
        ).first()
        if doc is None:
            doc = Document(
                issuer_id=issuer.id,
                symbol=item["symbol"],
                year=item["year"],
                status="issued",
                doc_type=item["doc_type"],
                number=item["number"],
                grammar=item["grammar"],
                summary=item["summary"],
                body="",
                place=item["place"],
                issued_on=item["issued_on"],
                signer_name=item["signer_name"],
                signer_title=item["signer_title"],
                signing_mode=item["signing_mode"] or "direct",
                source=item["source"],
            )
            doc.recipients = [
                DocumentRecipient(org_id=orgs[code].id, purpose=purpose, delivered_at=None)
                for code, purpose in item["recipients"]
            ]
            db.session.add(doc)
            db.session.flush()
            for r in doc.recipients:  # historic: in everyone's register since it was issued
                r.delivered_at = datetime.combine(item["issued_on"], time(8), VN_TZ)
        by_key[item["key"]] = doc
    db.session.flush()
    for item in data.DOCUMENTS:
        for kind, target in item["relations"]:
            source, dest = by_key[item["key"]], by_key[target]
            if not db.session.scalars(
                select(DocumentRelation).where(
                    DocumentRelation.from_id == source.id,
                    DocumentRelation.to_id == dest.id,
                    DocumentRelation.kind == kind,
                )
            ).first():
                db.session.add(DocumentRelation(from_id=source.id, to_id=dest.id, kind=kind))
    return len(by_key)


def _reporting(orgs: dict[str, Organisation]) -> None:
    for day, name in data.HOLIDAYS:
        if db.session.get(Holiday, day) is None:
            db.session.add(Holiday(day=day, name=name))
    for item in data.REGIMES:
        receiver = orgs[item["receiver"]]
        row = db.session.scalars(
            select(ReportingRegime).where(
                ReportingRegime.name == item["name"], ReportingRegime.receiver_id == receiver.id
            )
        ).first()
        if row is None:
            db.session.add(
                ReportingRegime(
                    name=item["name"],
                    frequency=item["frequency"],
                    receiver_id=receiver.id,
                    school_deadline_days=item["school_deadline_days"],
                    office_deadline_days=item["office_deadline_days"],
                    report_to=item["report_to"],
                )
            )


def _counters(orgs: dict[str, Organisation]) -> None:
    for item in data.COUNTERS:
        org = orgs[item["org"]]
        counter = db.session.scalars(
            select(DocumentCounter).where(DocumentCounter.org_id == org.id, DocumentCounter.key == item["key"])
        ).first()
        if counter is None:
            db.session.add(DocumentCounter(org_id=org.id, key=item["key"], value=item["value"]))
        elif counter.value < item["value"]:
            counter.value = item["value"]

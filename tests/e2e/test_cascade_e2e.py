"""End to end, over HTTP: the steering committee issues 05-KH/BCĐ; Phòng GDĐT drafts, has returned,
approves, numbers and issues 811/KH-PGDĐT; every school drafts its plan, the principal approves, CTTT
accepts (one is returned once); the follow-up closes when the last school has filed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from engine.documents.distribution import default_distribution
from models import db
from models.document import Document, DocumentRecipient
from models.store import SqlStore
from models.workflow import HumanTask, Message, ProcessInstance
from seed import data
from tests.support.walk import complete, open_task, org, recipients_form


def issue_plan(browser, org_code: str, people: dict, summary: str, due: str, recipients=None):
    """Start a directive_plan at an organisation and walk it to issue; returns the issued document."""
    drafter = browser(people["specialist"])
    response = drafter.post_form("/processes/start", {"process_key": "directive_plan"})
    assert response.status_code == 303
    instance_id = int(response.headers["Location"].rsplit("/", 1)[1])
    _draft_approve_issue(browser, instance_id, org_code, people, summary, due, recipients)
    return db.session.scalars(select(Document).where(Document.issuing_instance_id == instance_id)).one()


def _draft_approve_issue(browser, instance_id, org_code, people, summary, due, recipients=None):
    store = SqlStore()
    issuer = org(org_code)
    chosen = recipients or default_distribution(store.org(issuer.id), store.orgs())
    drafter, approver, clerk = browser(people["specialist"]), browser(people["deputy"]), browser(people["clerk"])
    form = {
        "loai_van_ban": "KH",
        "trich_yeu": summary,
        "noi_dung": "I. MỤC ĐÍCH, YÊU CẦU\n…",
        "han_nop": due,
        **recipients_form("noi_nhan", chosen),
    }
    complete(drafter, open_task("draft_plan", instance_id=instance_id), form)
    complete(approver, open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve", "y_kien": ""})
    complete(clerk, open_task("register_plan", instance_id=instance_id), recipients_form("noi_nhan", chosen))


def test_plan_811_walks_from_the_steering_committee_to_every_school(app, browser):
    started = time.perf_counter()
    timings = {}
    with app.app_context():
        # 1. BCĐ issues its plan to its members, among them Phòng GDĐT: 05-KH/BCĐ (Party numbering, per term)
        bcd = {"specialist": "bcd.chuyenvien", "deputy": "bcd.pho", "clerk": "bcd.vanthu"}
        plan05 = issue_plan(browser, "cp-bcd", bcd, "Xây dựng mô hình An ninh cơ sở năm 2022", "02/08/2022")
        assert plan05.symbol == "05-KH/BCĐ"
        assert plan05.signing_mode == "TM" and plan05.signer_name
        pgddt = org("cp-pgddt")
        office_instance = db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.org_id == pgddt.id, ProcessInstance.directive_id == plan05.id)
        ).one()
        timings["05 issued"] = time.perf_counter() - started

        # 2. CTTT drafts; the deputy returns it once with a comment, then approves; VT numbers and issues it
        clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
        cttt, deputy, clerk = browser("pgddt.cttt"), browser("pgddt.pho"), browser("pgddt.vanthu")
        inbox = cttt.get("/").get_data(as_text=True)
        assert "Soạn dự thảo kế hoạch" in inbox
        store = SqlStore()
        chosen = default_distribution(store.org(pgddt.id), store.orgs())
        draft = {
            "loai_van_ban": "KH",
            "trich_yeu": "Triển khai thực hiện mô hình An ninh cơ sở",
            "noi_dung": "Thực hiện Kế hoạch số 05-KH/BCĐ…",
            "han_nop": "31/08/2022",
            **recipients_form("noi_nhan", chosen),
        }
        complete(cttt, open_task("draft_plan", instance_id=office_instance.id), draft)
        complete(
            deputy,
            open_task("approve_plan", instance_id=office_instance.id),
            {"quyet_dinh": "return", "y_kien": "Bổ sung nội dung phối hợp với Công an phường."},
        )
        redo = open_task("draft_plan", instance_id=office_instance.id)
        page = cttt.get(f"/tasks/{redo.id}").get_data(as_text=True)
        assert "Bổ sung nội dung phối hợp với Công an phường." in page  # the comment reaches the drafter
        assert "Triển khai thực hiện mô hình An ninh cơ sở" in page  # and the draft is kept
        complete(cttt, redo, draft)
        complete(deputy, open_task("approve_plan", instance_id=office_instance.id), {"quyet_dinh": "approve"})
        complete(clerk, open_task("register_plan", instance_id=office_instance.id), recipients_form("noi_nhan", chosen))
        plan811 = db.session.scalars(select(Document).where(Document.issuing_instance_id == office_instance.id)).one()
        assert plan811.symbol == "811/KH-PGDĐT"
        assert plan811.issued_on.strftime("%d/%m/%Y") == "03/08/2022"
        assert (plan811.signing_mode, plan811.authority_title, plan811.signer_name) == (
            "KT",
            "TRƯỞNG PHÒNG",
            "Lê Thị Lan",
        )
        timings["811 issued (with fan-out)"] = time.perf_counter() - started

        # 3. Issuing started one instance at every implementing recipient; police coordinate; superiors get a copy
        schools = [o for o in store.orgs() if o.kind == "school" and o.parent_id == pgddt.id]
        assert len(schools) >= 55
        assert db.session.scalar(select(func.count()).select_from(Message).where(Message.status != "delivered")) == 0
        purposes = dict(
            db.session.execute(
                select(DocumentRecipient.org_id, DocumentRecipient.purpose).where(
                    DocumentRecipient.document_id == plan811.id
                )
            ).all()
        )
        assert purposes[org("qn-sgddt").id] == "bao_cao" and purposes[org("cp-catp").id] == "phoi_hop"
        for school in schools:
            assert open_task("draft_school_plan", school.code).due_at is not None
        open_task("arrange_coordination", "cp-catp")
        superiors = db.session.scalars(
            select(DocumentRecipient).where(
                DocumentRecipient.document_id == plan811.id, DocumentRecipient.purpose == "bao_cao"
            )
        ).all()
        assert superiors and all(r.delivered_at and r.instance_id is None for r in superiors)
        sgddt_docs = browser("sgddt.vanthu").get("/documents").get_data(as_text=True)
        assert "811/KH-PGDĐT" in sgddt_docs

        # 4. Each school drafts; the principal approves; CTTT accepts (the first school is returned once)
        school_users = {u["org"]: {} for u in data.USERS}
        for u in data.USERS:
            for role in u["roles"]:
                school_users[u["org"]].setdefault(role, u["username"])
        for index, school in enumerate(schools):
            people = school_users[school.code]
            staff, principal = browser(people["staff"]), browser(people["principal"])
            plan = {
                "trich_yeu": f"Kế hoạch thực hiện mô hình An ninh cơ sở — {school.name}",
                "noi_dung": "Căn cứ Kế hoạch số 811/KH-PGDĐT…",
                "kinh_phi": "15000",
            }
            complete(staff, open_task("draft_school_plan", school.code), plan)
            complete(principal, open_task("principal_approval", school.code), {"hieu_truong_duyet": "approve"})
            if index == 0:
                complete(
                    cttt,
                    open_task("office_review", school.code),
                    {"ket_qua_xem_xet": "return", "y_kien_phong": "Bổ sung kinh phí."},
                )
                complete(staff, open_task("draft_school_plan", school.code), plan)
                complete(principal, open_task("principal_approval", school.code), {"hieu_truong_duyet": "approve"})
            complete(cttt, open_task("office_review", school.code), {"ket_qua_xem_xet": "accept"})
        timings["all schools filed"] = time.perf_counter() - started

        # 5. Every school's plan is numbered and filed; the follow-up closed; the cascade page shows it all
        filed = db.session.scalars(
            select(DocumentRecipient).where(
                DocumentRecipient.document_id == plan811.id, DocumentRecipient.purpose == "thuc_hien"
            )
        ).all()
        assert len(filed) == len(schools) and all(r.responded_at and r.response_document_id for r in filed)
        db.session.expire_all()
        office_instance = db.session.get(ProcessInstance, office_instance.id)
        assert office_instance.status == "completed"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(HumanTask)
                .where(HumanTask.instance_id == office_instance.id, HumanTask.status == "open")
            )
            == 0
        )
        page = browser("bcd.chuyenvien").get(f"/documents/{plan05.id}/cascade").get_data(as_text=True)
        assert "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả" in page and "811/KH-PGDĐT" in page
        assert page.count('class="node done"') >= len(schools) + 1
        timings["total"] = time.perf_counter() - started
        print("\nE2E timings (s):", {k: round(v, 2) for k, v in timings.items()})
        assert timedelta(seconds=timings["total"]) < timedelta(minutes=5)

"""Cases, visits and exemptions on the access-test county, inside and outside the scoped accounts' areas."""

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dropout.db import database
from dropout.models import CaseEvent, DropoutCase, Escalation, Exemption, HomeVisit, PenaltyDocument, ReturnNotice
from dropout.pdf.data import DocumentData, NoticeData

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@dataclass
class Casework:
    case: dict
    visit: dict
    exemption: dict
    notice: dict
    measure: dict
    document: dict  # a prior notice of a penalty on the notice, not yet served

    def by_argument(self):
        """{a route's argument (case_id, …): {target: the record it names}}."""
        return {
            f"{name}_id": getattr(self, name)
            for name in ("case", "visit", "exemption", "notice", "document", "measure")
        }


def notice_data(child, number, verify_code):
    """The printed content of a test notice to the child's guardian (tests/test_scans.py's too)."""
    return NoticeData(
        authority="测试镇人民政府",
        title="限期复学通知书",
        number=number,
        version_note="",
        guardian_name="监护人",
        guardian_relation="母亲",
        guardian_address="某村",
        guardian_phone="13900000000",
        child_name=child.name,
        child_sex="女",
        child_birth="2015年5月1日",
        child_id_number=child.id_number or "",
        child_school="某小学5年级",
        paragraphs=("请你自收到本通知书之日起7日内送孩子复学。",),
        contacts=(),
        issued_on="2026年3月20日",
        verify_code=verify_code,
        verify_url="http://127.0.0.1/verify/x",
    )


def _notice(case, child, target):
    data = notice_data(child, f"测试〔2026〕{target}号", f"TEST-{target.upper()[:4]:X<4}")
    return ReturnNotice.create(
        case=case,
        township=child.village.township_id,
        year=2026,
        seq=1 if target == "own" else 2,
        number=data.number,
        status="issued",
        deadline_on=date(2026, 3, 27),
        issued_on=date(2026, 3, 20),
        deadline_days=7,
        return_school="某小学",
        data=json.dumps(dataclasses.asdict(data), ensure_ascii=False),
        verify_code=data.verify_code,
    )


def _document_data(target):
    return dataclasses.asdict(
        DocumentData(
            authority="测试镇人民政府",
            title="行政处罚事先告知书",
            number=f"罚告〔2026〕{target}号",
            addressee="监护人（孩子之母亲）",
            party="当事人：监护人",
            paragraphs=("拟给予警告。",),
            issued_on="2026年4月1日",
        )
    )


def add_casework(county, uploads_dir):
    """A suspected case, a visit with a photo and an applied exemption for the own and the other child."""
    made = Casework({}, {}, {}, {}, {}, {})
    with database.connection_context():
        for target in ("own", "other"):
            child = getattr(county, target)
            case = DropoutCase.create(
                child=child, absent_since=date(2026, 3, 1), opened_on=date(2026, 3, 2), status="suspected"
            )
            CaseEvent.create(case=case, kind="opened", happened_on=date(2026, 3, 1))
            photo = Path("visits") / f"{target}.png"
            (Path(uploads_dir) / photo).parent.mkdir(parents=True, exist_ok=True)
            (Path(uploads_dir) / photo).write_bytes(PNG)
            visit = HomeVisit.create(
                case=case,
                child=child,
                user=county.users["admin"],
                visited_on=date(2026, 3, 3),
                method="home",
                met="guardian",
                outcome="refused",
                photo_path=str(photo),
            )
            exemption = Exemption.create(
                child=child,
                kind="defer",
                reason="病",
                applied_on=date(2026, 3, 1),
                valid_until=date(2026, 8, 31),
                status="applied",
                scan_path=str(photo),
            )
            made.case[target], made.visit[target], made.exemption[target] = case, visit, exemption
            made.notice[target] = _notice(case, child, target)
            made.measure[target] = Escalation.create(
                notice=made.notice[target],
                case=case,
                kind="further_order",
                document_number=f"责〔2026〕{target}号",
                decided_on=date(2026, 4, 1),
                notes="再次责令改正。",
            )
            made.document[target] = PenaltyDocument.create(
                notice=made.notice[target],
                case=case,
                kind="prior",
                issuer="township",
                series=f"prior:township:{child.village.township_id}",
                year=2026,
                seq=1,
                number=f"罚告〔2026〕{target}号",
                issued_on=date(2026, 4, 1),
                penalty="warning",
                data=json.dumps(_document_data(target), ensure_ascii=False),
            )
    return made

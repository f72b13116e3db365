"""Cases, visits and exemptions on the access-test county, inside and outside the scoped accounts' areas."""
import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dropout.db import database
from dropout.models import CaseEvent, DropoutCase, Escalation, Exemption, HomeVisit, ReturnNotice
from dropout.pdf.data import NoticeData

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@dataclass
class Casework:
    case: dict
    visit: dict
    exemption: dict
    notice: dict
    measure: dict


def _notice(case, child, target):
    data = NoticeData(
        authority="测试镇人民政府", title="限期复学通知书", number=f"测试〔2026〕{target}号", version_note="",
        guardian_name="监护人", guardian_relation="母亲", guardian_address="某村", guardian_phone="13900000000",
        child_name=child.name, child_sex="女", child_birth="2015年5月1日", child_id_number=child.id_number or "",
        child_school="某小学5年级", paragraphs=("请你自收到本通知书之日起7日内送孩子复学。",), contacts=(),
        issued_on="2026年3月20日", verify_code=f"TEST-{target.upper()[:4]:X<4}", verify_url="http://127.0.0.1/verify/x",
    )
    return ReturnNotice.create(
        case=case, township=child.village.township_id, year=2026, seq=1 if target == "own" else 2, number=data.number,
        status="issued", deadline_on=date(2026, 3, 27), issued_on=date(2026, 3, 20), deadline_days=7, return_school="某小学",
        data=json.dumps(dataclasses.asdict(data), ensure_ascii=False), verify_code=data.verify_code,
    )


def add_casework(county, uploads_dir):
    """A suspected case, a visit with a photo and an applied exemption for the own and the other child."""
    made = Casework({}, {}, {}, {}, {})
    with database.connection_context():
        for target in ("own", "other"):
            child = getattr(county, target)
            case = DropoutCase.create(child=child, absent_since=date(2026, 3, 1), opened_on=date(2026, 3, 2), status="suspected")
            CaseEvent.create(case=case, kind="opened", happened_on=date(2026, 3, 1))
            photo = Path("visits") / f"{target}.png"
            (Path(uploads_dir) / photo).parent.mkdir(parents=True, exist_ok=True)
            (Path(uploads_dir) / photo).write_bytes(PNG)
            visit = HomeVisit.create(
                case=case, child=child, user=county.users["admin"], visited_on=date(2026, 3, 3), method="home",
                met="guardian", outcome="refused", photo_path=str(photo),
            )
            exemption = Exemption.create(
                child=child, kind="defer", reason="病", applied_on=date(2026, 3, 1), valid_until=date(2026, 8, 31),
                status="applied", scan_path=str(photo),
            )
            made.case[target], made.visit[target], made.exemption[target] = case, visit, exemption
            made.notice[target] = _notice(case, child, target)
            made.measure[target] = Escalation.create(
                notice=made.notice[target], case=case, kind="penalty", document_number=f"罚〔2026〕{target}号",
                decided_on=date(2026, 4, 1), notes="警告。",
            )
    return made

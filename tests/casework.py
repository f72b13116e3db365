"""Cases, visits and exemptions on the access-test county, inside and outside the scoped accounts' areas."""
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dropout.db import database
from dropout.models import CaseEvent, DropoutCase, Exemption, HomeVisit

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@dataclass
class Casework:
    case: dict
    visit: dict
    exemption: dict


def add_casework(county, uploads_dir):
    """A suspected case, a visit with a photo and an applied exemption for the own and the other child."""
    made = Casework({}, {}, {})
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
    return made

"""A 通报 with one 督办函 to the access tests' own township (城关镇), written as rows, for the tests of the forms."""

import json
from datetime import timedelta

from dropout import clock
from dropout.db import database
from dropout.models import Bulletin, SupervisionLetter


def add_letter(county, status="open"):
    """The letter, in `status` (an answered one carries its answer)."""
    today = clock.today()
    due_on = today + timedelta(days=15)
    with database.connection_context():
        township = county.home_village.township
        number = f"示例县教育局控辍通报〔{today.year}〕1号"
        bulletin = Bulletin.create(
            month="2026-01", year=today.year, seq=1, number=number, issued_on=today, rectify_by=due_on, data="{}"
        )
        printed = {"addressee": f"{township.name}人民政府：", "bulletin_number": number, "issues": []}
        return SupervisionLetter.create(
            bulletin=bulletin,
            unit_kind="township",
            unit_id=township.id,
            township=township,
            year=today.year,
            seq=1,
            number=f"示例县教育局督办〔{today.year}〕1号",
            issues=json.dumps(printed, ensure_ascii=False),
            due_on=due_on,
            status=status,
            answer="已整改" if status == "answered" else "",
        )

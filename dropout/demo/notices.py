"""限期复学通知书 in the demo county: numbered, written and served as notices/notices.py would have.

demo/cases.py plans a notice inside a case's story (Planned, with a Step for each of its events);
once every story is on the calendar, rows() numbers the notices per township and year in the
order they were issued, without gaps (a corrected version keeps its number), writes their printed
content as documents.build_data() would have from the records on the day of issue, fills the
送达回证, numbers the measures decided after a missed deadline, and gives the counters their
last numbers so that notices issued later continue each series.
"""

import dataclasses
import json
from types import SimpleNamespace

from ..core import calendar as county_calendar
from ..db import next_id
from ..models import Child, Guardian, School, Township, User, Village
from ..notices import documents, notices, numbering
from ..pdf.data import NoticeData
from . import names

NOTICE_COLUMNS = (
    "id",
    "case_id",
    "township_id",
    "issuer",
    "series",
    "year",
    "seq",
    "number",
    "version",
    "supersedes_id",
    "status",
    "issued_on",
    "issued_by_id",
    "deadline_days",
    "return_school",
    "data",
    "verify_code",
    "pdf_path",
    "sha256",
    "served_on",
    "service",
    "deadline_on",
    "printed_at",
    "created_at",
)
ESCALATION_COLUMNS = (
    "id",
    "notice_id",
    "case_id",
    "kind",
    "document_number",
    "decided_on",
    "decided_by_id",
    "notes",
    "created_at",
)
COUNTER_COLUMNS = ("series", "year", "last")
SEX = {"M": "男", "F": "女"}
IN_CHUNK = 500  # ids per IN (…) when reading back the children with a notice


class Planned:
    """One version of a notice in a case's story; dates, id and number are filled in later."""

    def __init__(self, story, deadline_days, supersedes=None):
        self.township, self.office = story.township, story.office
        self.cadre, self.teacher = story.cadre, story.teacher[0] if story.teacher else None
        self.school = story.school
        self.deadline_days = deadline_days
        self.supersedes = supersedes
        self.version = supersedes.version + 1 if supersedes else 1
        self.superseded = self.complied = False
        self.method = self.measure = None  # the method of service; (kind, notes) of a measure
        self.child_id = self.issued_on = self.at = self.absent_since = None
        self.contacts = ()  # (day, method, visitor id) of the visits before the notice
        self.served_on = self.served_at = self.deadline_on = None
        self.decided_on = self.decided_at = self.document_number = None
        self.id = self.year = self.seq = self.number = None


class Step:
    """The data of a notice's event ("issued", "served" or "measure"), as JSON once the notice is numbered."""

    def __init__(self, what, notice):
        self.what, self.notice = what, notice

    def happened(self, child_id, on, at, absent_since, visit_days):
        """The step is on the calendar: date the notice, and note the records it is written from."""
        notice = self.notice
        if self.what == "issued":
            notice.child_id, notice.issued_on, notice.at = child_id, on, at
            notice.absent_since, notice.contacts = absent_since, tuple(visit_days)
        elif self.what == "served":
            notice.served_on, notice.served_at = on, at
            notice.deadline_on = county_calendar.deadline(on, notice.deadline_days)
        else:
            notice.decided_on, notice.decided_at = on, at

    def rules(self):
        """The event's data for rules.case_status.derive()."""
        return {"deadline_on": self.notice.deadline_on} if self.what == "served" else {}

    def json(self):
        """The CaseEvent data as issue(), correct(), record_service() and escalate() record it."""
        notice = self.notice
        if self.what == "issued":
            data = {"notice": notice.id, "number": notice.number}
            if notice.version > 1:
                data["version"] = notice.version
        elif self.what == "served":
            data = {"notice": notice.id, "deadline_on": notice.deadline_on.isoformat()}
        else:
            data = {"kind": notice.measure[0], "number": notice.document_number}
        return json.dumps(data, ensure_ascii=False)


def _status(notice, today):
    if notice.superseded:
        return "superseded"
    if notice.complied:
        return "complied"
    if notice.served_on is None:
        return "issued"
    return "overdue" if notice.deadline_on < today else "served"


def _children(ids):
    """id -> (name, sex, birth_on, id_number, school_id, grade, address, village_id), and id -> guardians."""
    children, guardians = {}, {}
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start : start + IN_CHUNK]
        query = Child.select(
            Child.id,
            Child.name,
            Child.sex,
            Child.birth_on,
            Child.id_number,
            Child.school,
            Child.grade,
            Child.address,
            Child.village,
        ).where(Child.id.in_(part))
        for child_id, *row in query.tuples():
            children[child_id] = row
        # The first guardian recorded is the one build_data() addresses.
        query = (
            Guardian.select(Guardian.child, Guardian.name, Guardian.relation, Guardian.phone)
            .where(Guardian.child.in_(part))
            .order_by(Guardian.id)
        )
        for child_id, *row in query.tuples():
            guardians.setdefault(child_id, []).append(row)
    return children, guardians


def _verify_codes(rng):
    seen = set()
    while True:
        raw = "".join(rng.choices(notices.CODE_ALPHABET, k=8))
        code = f"{raw[:4]}-{raw[4:]}"
        if code not in seen:
            seen.add(code)
            yield code


def _service(rng, notice, guardians, address, village, users):
    """The 送达回证 as record_service() stores it."""
    first = guardians[0] if guardians else ("", "", "")
    recipient = refusal = witness1 = witness2 = ""
    if notice.method == "交成年家属代收":
        if len(guardians) > 1:
            recipient = f"{guardians[1][1]}{guardians[1][0]}"
        else:
            recipient = rng.choice(names.PROXY_RELATIONS) + rng.choice(names.WITNESSES)
    elif notice.method == "留置送达":
        committee = "居委会" if village.endswith("社区") else "村委会"
        refusal = rng.choice(names.REFUSALS)
        witness1, witness2 = (f"{name}（{village}{committee}）" for name in rng.sample(names.WITNESSES, 2))
    else:
        recipient = f"{first[1]}{first[0]}"
    office = users.get(notice.office[0])
    if office is not None and office.role == "township":
        teacher = users.get(notice.teacher)
        servers = [str(office), str(teacher) if teacher is not None else rng.choice(names.NOTICE_SERVERS)]
    else:
        servers = rng.sample(names.NOTICE_SERVERS, 2)
    text = {
        "served_time": f"{rng.randint(8, 18):02d}:{rng.choice(('00', '10', '20', '30', '40', '50'))}",
        "recipient": recipient,
        "place": f"{address}家中",
        "server": "、".join(servers),
        "refusal_reason": refusal,
        "witness1": witness1,
        "witness2": witness2,
    }
    return json.dumps({"method": notice.method, **text}, ensure_ascii=False)


def _document_prefix(township):
    """城关镇 -> 城关: a township's short name in the numbers of its decisions."""
    return township.name[:-1] if township.name[-1:] in ("镇", "乡") and len(township.name) > 2 else township.name


def rows(planned, case_of, rng, today, config):
    """Rows for return_notice, escalation and document_counter, with explicit ids; also numbers the Steps."""
    if not planned:
        return [], [], []
    towns = {town.id: town for town in Township.select()}
    planned = sorted(planned, key=lambda n: (n.at, n.child_id, n.version))
    counters = {}
    for notice_id, notice in enumerate(planned, next_id("return_notice")):
        notice.id = notice_id
        if notice.supersedes is None:
            notice.year = notice.issued_on.year
            key = (notice.township, notice.year)
            counters[key] = notice.seq = counters.get(key, 0) + 1
        else:  # correct() keeps the year, sequence and number of the version it replaces
            notice.year, notice.seq = notice.supersedes.year, notice.supersedes.seq
        notice.number = notices.format_number(towns[notice.township], notice.year, notice.seq, config)

    children, guardians = _children(sorted({notice.child_id for notice in planned}))
    query = School.select(School.id, School.name, School.township).order_by(School.id)
    schools = {school_id: (name, township) for school_id, name, township in query.tuples()}
    villages = dict(Village.select(Village.id, Village.name).tuples())
    users = {user.id: user for user in User.select()}
    codes = _verify_codes(rng)
    chinese = documents.chinese_date
    notice_rows = []
    for notice in planned:
        town = towns[notice.township]
        name, sex, birth_on, id_number, school, grade, address, village = children[notice.child_id]
        family = guardians.get(notice.child_id, [])
        guardian = family[0] if family else None
        return_school = schools[school][0] if school else ""
        version_note = ""
        if notice.superseded:  # issued naming the wrong school; the correction names the child's own
            return_school = next(
                (label for sid, (label, township) in schools.items() if township == town.id and sid != school),
                return_school,
            )
        if notice.supersedes is not None:
            earlier = notice.supersedes
            version_note = f"（更正件，第{earlier.version + 1}版，代替{chinese(earlier.issued_on)}印发的版本）"
        code = next(codes)
        authority = numbering.authority("township", town, config)
        visits = [
            (day, method, documents.contact_by(users[visitor], config)) for day, method, visitor in notice.contacts
        ]
        values = documents.notice_values(config, authority, name, notice.absent_since, visits, return_school)
        contacts = documents.contact_lines(
            SimpleNamespace(cadre=users.get(notice.cadre), teacher=users.get(notice.teacher))
        )
        data = NoticeData(
            authority=authority,
            title="限期复学通知书",
            number=notice.number,
            version_note=version_note,
            guardian_name=guardian[0] if guardian else "",
            guardian_relation=guardian[1] if guardian else "",
            guardian_address=address,
            guardian_phone=guardian[2] if guardian else "",
            child_name=name,
            child_sex=SEX.get(sex, ""),
            child_birth=chinese(birth_on),
            child_id_number=id_number or "",
            child_school=f"{schools[school][0]}{f'{grade}年级' if grade else ''}" if school else "",
            paragraphs=documents.paragraphs(config["NOTICE_TEMPLATE"], values),
            contacts=tuple(contacts),
            issued_on=chinese(notice.issued_on),
            verify_code=code,
            verify_url=f"{config['PUBLIC_URL'].rstrip('/')}/verify/{code}",
        )
        service = "{}"
        if notice.served_on is not None:
            service = _service(rng, notice, family, address, villages[village], users)
        notice_rows.append(
            (
                notice.id,
                case_of[notice.child_id],
                notice.township,
                "township",
                numbering.series("notice", "township", town),
                notice.year,
                notice.seq,
                notice.number,
                notice.version,
                notice.supersedes.id if notice.supersedes else None,
                _status(notice, today),
                notice.issued_on,
                notice.office[0],
                notice.deadline_days,
                return_school,
                json.dumps(dataclasses.asdict(data), ensure_ascii=False),
                code,
                None,
                None,
                notice.served_on,
                service,
                notice.deadline_on,
                notice.at if notice.served_on else None,  # a served notice was printed; one waiting may not be
                notice.at,
            )
        )

    measure_rows, numbers = [], {}
    decided = sorted((n for n in planned if n.measure), key=lambda n: (n.decided_at, n.id))
    for measure_id, notice in enumerate(decided, next_id("escalation")):
        kind, notes = notice.measure
        key = (notice.township, notice.decided_on.year, kind)
        numbers[key] = numbers.get(key, 0) + 1
        notice.document_number = (
            f"{_document_prefix(towns[notice.township])}{names.MEASURE_WORDS[kind]}"
            f"〔{notice.decided_on.year}〕{numbers[key]}号"
        )
        measure_rows.append(
            (
                measure_id,
                notice.id,
                case_of[notice.child_id],
                kind,
                notice.document_number,
                notice.decided_on,
                notice.office[0],
                notes,
                notice.decided_at,
            )
        )
    counter_rows = [
        (numbering.series("notice", "township", towns[township]), year, last)
        for (township, year), last in sorted(counters.items())
    ]
    return notice_rows, measure_rows, counter_rows

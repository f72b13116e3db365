"""限期复学通知书: issuing with gapless numbers, the printed content, service, deadlines, what follows.

What follows a missed deadline is always a person's decision (escalate), never automatic.
"""
import dataclasses
import hashlib
import json
import secrets
from datetime import timedelta
from pathlib import Path

from flask_babel import gettext as _
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..choices import CASE_STATUSES, SERVICE_METHODS
from ..db import database
from ..models import Child, DropoutCase, Escalation, HomeVisit, ReturnNotice, Township, Village
from ..pdf.data import DecisionData, NoticeData, Service
from ..pdf.decision import render_decision
from ..pdf.notice import render_notices
from . import PermissionDenied, ValidationError, scope
from .case_settings import CaseSettings
from .cases import ACTIVE_NOTICES as ACTIVE
from .cases import MAX_TEXT, record_event, refresh

# Measures printed as a decision document, with their titles.
PRINTED_DECISIONS = {"penalty": "行政处罚决定书"}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def can_issue(user, case):
    """The township government issues notices: its staff for their children, or the county admin."""
    if user.role == "admin":
        return True
    return user.role == "township" and scope.children(user).where(Child.id == case.child_id).exists()


def next_number(township, year):
    """The next sequence number for the township and year, inside the caller's transaction.

    One INSERT … ON CONFLICT … RETURNING: the row lock serialises concurrent issuers, so
    numbers never repeat and, since it rolls back with a failed issue, never skip.
    """
    cursor = database.execute_sql(
        "INSERT INTO notice_counter (township_id, year, last) VALUES (%s, %s, 1) "
        "ON CONFLICT (township_id, year) DO UPDATE SET last = notice_counter.last + 1 RETURNING last"
        .replace("%s", database.param),
        (township.id, year),
    )
    return cursor.fetchone()[0]


def format_number(township, year, seq):
    prefix = township.notice_prefix or f"{township.name}控辍通"
    return f"{prefix}〔{year}〕{seq}号"


def _chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _verify_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _paragraphs(template_path, values):
    path = Path(template_path)
    env = Environment(loader=FileSystemLoader(str(path.parent)), undefined=StrictUndefined, autoescape=False)
    text = env.get_template(path.name).render(**values)
    return tuple(" ".join(block.split()) for block in text.split("\n\n") if block.strip())


def build_data(case, township, number, issued_on, verify_code, config, return_school, version_note=""):
    """The printed content of a notice, from the records as they stand (plain data, no models)."""
    child = case.child
    guardian = child.guardians.first()
    visits = case.visits.where(HomeVisit.is_teaching == False).order_by(HomeVisit.visited_on)  # noqa: E712
    values = {
        "child_name": child.name,
        "absent_since": _chinese_date(case.absent_since),
        "visit_dates": [_chinese_date(v.visited_on) for v in visits],
        "township": township.name,
        "deadline_days": config["NOTICE_DEADLINE_DAYS"],
        "return_school": return_school,
        "province_regulation": config["PROVINCE_REGULATION"],
    }
    grade = f"{child.grade}年级" if child.grade else ""
    return NoticeData(
        authority=f"{township.name}人民政府",
        title="限期复学通知书",
        number=number,
        version_note=version_note,
        guardian_name=guardian.name if guardian else "",
        guardian_relation=guardian.relation if guardian else "",
        guardian_address=child.address,
        guardian_phone=guardian.phone if guardian else "",
        child_name=child.name,
        child_sex={"M": "男", "F": "女"}.get(child.sex, ""),
        child_birth=_chinese_date(child.birth_on),
        child_id_number=child.id_number or "",
        child_school=f"{child.school.name}{grade}" if child.school else "",
        paragraphs=_paragraphs(config["NOTICE_TEMPLATE"], values),
        contacts=tuple(_contacts(case)),
        issued_on=_chinese_date(issued_on),
        verify_code=verify_code,
        verify_url=f"{config['PUBLIC_URL'].rstrip('/')}/verify/{verify_code}",
    )


def _contacts(case):
    for label, person in (("乡镇联系人", case.cadre), ("学校联系人", case.teacher)):
        if person is not None:
            yield f"{label}：{person}"


def data_of(notice):
    """The stored printed content back as NoticeData."""
    raw = json.loads(notice.data)
    raw["service"] = Service(**{k: tuple(v) if k == "witnesses" else v for k, v in raw.get("service", {}).items()})
    return NoticeData(**{k: tuple(v) if k in ("paragraphs", "contacts") else v for k, v in raw.items()})


def issue(user, case, config, today, return_school=""):
    """Issue a notice for a confirmed dropout still out after visits; numbered without gaps."""
    if not can_issue(user, case):
        raise PermissionDenied()
    if case.status not in ("dropped_out", "persuading"):
        raise ValidationError({"case": _("A notice is issued only for a confirmed dropout not yet back (this case: %(status)s).",
                                         status=CASE_STATUSES.get(case.status, case.status))})
    if case.notices.where(ReturnNotice.status.in_(ACTIVE)).exists():
        raise ValidationError({"case": _("This case already has a notice in force.")})
    return_school = (return_school or "").strip() or (case.child.school.name if case.child.school else "")
    if not return_school or len(return_school) > 255:
        raise ValidationError({"return_school": _("Name the school the child must return to.")})
    township = Township.get_by_id(Village.get_by_id(case.child.village_id).township_id)
    with database.atomic():
        seq = next_number(township, today.year)
        number = format_number(township, today.year, seq)
        code = _verify_code()
        data = build_data(case, township, number, today, code, config, return_school)
        notice = ReturnNotice.create(
            case=case, township=township, year=today.year, seq=seq, number=number, status="issued", issued_on=today,
            issued_by=user, deadline_days=config["NOTICE_DEADLINE_DAYS"], return_school=return_school,
            data=json.dumps(dataclasses.asdict(data), ensure_ascii=False), verify_code=code,
        )
        record_event(user, case, "notice_issued", today, {"notice": notice.id, "number": number})
    return notice


def archive(notice, reports_dir, font_path=None):
    """Render the notice once into reports/notices/<year>/ and record its SHA-256; return the bytes.

    Called after the issuing transaction: a failed rendering leaves the notice recorded.
    """
    if notice.pdf_path:
        path = Path(reports_dir) / notice.pdf_path
        if path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == notice.sha256:
                return data
    data = render_notices([data_of(notice)], font_path)
    relative = Path("notices") / str(notice.year) / f"{notice.township_id}-{notice.seq:05d}-v{notice.version}.pdf"
    target = Path(reports_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer: two workers printing the same notice at once must not write into, or
    # rename away, each other's half-written file. The rendering is deterministic, so either rename may win.
    partial = target.with_name(f"{target.stem}.{secrets.token_hex(6)}.partial")
    partial.write_bytes(data)
    partial.replace(target)
    notice.pdf_path, notice.sha256 = str(relative), hashlib.sha256(data).hexdigest()
    notice.save(only=[ReturnNotice.pdf_path, ReturnNotice.sha256])
    return data


def batch_pdf(notices, font_path=None):
    """One PDF of several notices, each followed by its 送达回证."""
    return render_notices([data_of(notice) for notice in notices], font_path)


def record_service(user, notice, values, config, today):
    """Fill the 送达回证: the deadline starts from the day of service."""
    if not can_issue(user, notice.case):
        raise PermissionDenied()
    if notice.status != "issued":
        raise ValidationError({"method": _("This notice has already been served or is no longer in force.")})
    errors = {}
    served_on = values.get("served_on")
    if served_on is None or served_on > today or served_on < notice.issued_on:
        errors["served_on"] = _("Enter the day of service, between the issue date and today.")
    method = values.get("method")
    if method not in SERVICE_METHODS:
        errors["method"] = _("Choose the method of service.")
    text = {key: (values.get(key) or "").strip() for key in ("served_time", "recipient", "place", "server", "refusal_reason", "witness1", "witness2")}
    for key, value in text.items():
        if len(value) > MAX_TEXT:
            errors[key] = _("Too long: at most %(n)d characters.", n=MAX_TEXT)
    for key in ("place", "server"):
        if not text[key]:
            errors[key] = _("This field is required.")
    if method == "留置送达":
        if not text["refusal_reason"]:
            errors["refusal_reason"] = _("Service by leaving the notice needs the reason it was refused.")
        if not (text["witness1"] and text["witness2"]):
            errors["witness1"] = _("Service by leaving the notice needs two witnesses.")
    elif not text["recipient"]:
        errors["recipient"] = _("Enter who received the notice.")
    if errors:
        raise ValidationError(errors)
    deadline_on = served_on + timedelta(days=notice.deadline_days)
    with database.atomic():
        notice.status, notice.served_on, notice.deadline_on = "served", served_on, deadline_on
        notice.service = json.dumps({"method": method, **text}, ensure_ascii=False)
        notice.save()
        record_event(user, notice.case, "notice_served", served_on, {"notice": notice.id, "deadline_on": deadline_on.isoformat()})
        refresh(notice.case, CaseSettings.from_config(config), today, user)
    return notice


def check_deadlines(config, today):
    """Mark served notices whose deadline passed without a return as overdue (safe to run again)."""
    late = ReturnNotice.select().where((ReturnNotice.status == "served") & (ReturnNotice.deadline_on < today))
    count = 0
    # One transaction per run: either the day's check is recorded for every notice or for none.
    with database.atomic():
        for notice in late:
            notice.status = "overdue"
            notice.save(only=[ReturnNotice.status])
            refresh(notice.case, CaseSettings.from_config(config), today)
            count += 1
    return count


def correct(user, notice, config, today, return_school=""):
    """Issue a corrected version under the same number; the old one is kept, marked superseded."""
    if not can_issue(user, notice.case):
        raise PermissionDenied()
    if notice.status != "issued":
        raise ValidationError({"case": _("Only a notice not yet served can be corrected; issue a further order instead.")})
    return_school = (return_school or "").strip() or notice.return_school
    if len(return_school) > 255:
        raise ValidationError({"return_school": _("Too long: at most %(n)d characters.", n=255)})
    township = notice.township
    note = f"（更正件，第{notice.version + 1}版，代替{_chinese_date(notice.issued_on)}印发的版本）"
    with database.atomic():
        code = _verify_code()
        case = DropoutCase.get_by_id(notice.case_id)  # the records as they stand now
        data = build_data(case, township, notice.number, today, code, config, return_school, note)
        notice.status = "superseded"
        notice.save(only=[ReturnNotice.status])
        new = ReturnNotice.create(
            case=notice.case, township=township, year=notice.year, seq=notice.seq, number=notice.number,
            version=notice.version + 1, supersedes=notice, status="issued", issued_on=today, issued_by=user,
            deadline_days=config["NOTICE_DEADLINE_DAYS"], return_school=return_school,
            data=json.dumps(dataclasses.asdict(data), ensure_ascii=False), verify_code=code,
        )
        record_event(user, notice.case, "notice_issued", today, {"notice": new.id, "number": notice.number, "version": new.version})
    return new


def escalate(user, notice, kind, document_number, decided_on, notes, config, today):
    """Record the next measure a person decided on after the deadline passed."""
    if not can_issue(user, notice.case):
        raise PermissionDenied()
    if notice.status != "overdue":
        raise ValidationError({"kind": _("Further measures follow only a notice whose deadline has passed.")})
    if kind not in config["MEASURES"]:
        raise ValidationError({"kind": _("Choose a measure.")})
    if decided_on is None or decided_on > today or decided_on < notice.deadline_on:
        raise ValidationError({"decided_on": _("Enter the day of the decision, after the deadline and not in the future.")})
    document_number, notes = (document_number or "").strip(), (notes or "").strip()
    if len(document_number) > 255 or len(notes) > MAX_TEXT:
        raise ValidationError({"notes": _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    if kind in PRINTED_DECISIONS and not (document_number and notes):
        raise ValidationError({"notes": _("A decision that is printed needs its document number and its content.")})
    with database.atomic():
        measure = Escalation.create(
            notice=notice, case=notice.case, kind=kind, document_number=document_number, decided_on=decided_on,
            decided_by=user, notes=notes,
        )
        record_event(user, notice.case, "measure", decided_on, {"kind": kind, "number": document_number}, notes)
    return measure


def verify(code):
    """What anyone may learn from a verification code: number, township, date. No personal data."""
    notice = ReturnNotice.get_or_none(ReturnNotice.verify_code == (code or "").strip().upper())
    if notice is None:
        return None
    return {"number": notice.number, "township": notice.township.name, "issued_on": notice.issued_on,
            "version": notice.version, "superseded": notice.status == "superseded"}


def decision_data(measure, config):
    """The printed content of a decision after a missed deadline, from the county's text template."""
    notice = measure.notice
    data = data_of(notice)
    values = {
        "child_name": data.child_name,
        "absent_since": _chinese_date(notice.case.absent_since),
        "township": notice.township.name,
        "notice_issued_on": data.issued_on,
        "notice_number": notice.number,
        "deadline_on": _chinese_date(notice.deadline_on),
        "decision": measure.notes,
        "deadline_text": "",
        "province_regulation": config["PROVINCE_REGULATION"],
    }
    party = f"当事人：{data.guardian_name}，系{data.child_name}之{data.guardian_relation}，住{data.guardian_address}。"
    return DecisionData(
        authority=data.authority, title=PRINTED_DECISIONS[measure.kind], number=measure.document_number, party=party,
        paragraphs=_paragraphs(config["DECISION_TEMPLATE"], values), issued_on=_chinese_date(measure.decided_on),
    )


def decision_pdf(measure, config):
    if measure.kind not in PRINTED_DECISIONS:
        raise ValidationError({"kind": _("This measure has no printed decision.")})
    return render_decision(decision_data(measure, config), config["PDF_FONT"])

"""限期复学通知书: issuing with gapless numbers, the archived PDF, service, deadlines, what follows.

The printed content is built in documents.py. What follows a missed deadline
is always a person's decision (escalate), never automatic.
"""

import dataclasses
import json
import secrets

from flask_babel import gettext as _

from ..casework.cases import ACTIVE_NOTICES as ACTIVE
from ..casework.cases import MAX_TEXT, record_event, refresh
from ..casework.settings import CaseSettings
from ..choices import CASE_STATUSES, SERVICE_METHODS
from ..core import audit, scope
from ..core import calendar as county_calendar
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, DropoutCase, Escalation, HomeVisit, ReturnNotice, Township, Village
from ..pdf.fonts import FontMissing
from ..rules import measures
from . import numbering
from .documents import build_data, chinese_date, data_of, persuasion_visits
from .printing import archive

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
IN_PERSON = ("home", "school")


def issuers(user, case):
    """The authorities in whose name the user may issue for this case: the township government (its staff
    for their children, or the admin), the county education bureau (its staff, or the admin)."""
    if user.role == "admin":
        return numbering.ISSUERS
    if user.role == "bureau":
        return ("bureau",)
    if user.role == "township" and scope.children(user).where(Child.id == case.child_id).exists():
        return ("township",)
    return ()


def can_issue(user, case):
    return bool(issuers(user, case))


def may_act(user, notice):
    """Whether the user may serve, correct or follow up the notice: one who may issue in its issuer's name."""
    return notice.issuer in issuers(user, notice.case)


def format_number(township, year, seq, config, issuer="township"):
    return numbering.format_number("notice", issuer, township, year, seq, config)


def _verify_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclasses.dataclass(frozen=True)
class Readiness:
    """Whether a notice may be issued on a case now, and if not, what is missing."""

    contacts: int
    in_person: int
    need_contacts: int
    need_in_person: int

    @property
    def ready(self):
        return self.contacts >= self.need_contacts and self.in_person >= self.need_in_person

    @property
    def missing(self):
        return _(
            "%(contacts)d contacts recorded, %(in_person)d of them in person; a notice needs at least "
            "%(need)d contacts, %(need_in_person)d of them in person (a home visit or a talk at school).",
            contacts=self.contacts,
            in_person=self.in_person,
            need=self.need_contacts,
            need_in_person=self.need_in_person,
        )


def readiness(case, config):
    """The contacts recorded since the child left, against the settings."""
    methods = [method for (method,) in persuasion_visits(case).select(HomeVisit.method).tuples()]
    return Readiness(
        len(methods),
        sum(method in IN_PERSON for method in methods),
        config["NOTICE_MIN_CONTACTS"],
        config["NOTICE_MIN_IN_PERSON"],
    )


def _store(user, today, config, return_school, data, code, **fields):
    """A notice issued today by the user, with its printed content (data) and verification code; fields: its case,
    numbering (township, issuer, series, year, seq, number) and what else it records."""
    return ReturnNotice.create(
        status="issued",
        issued_on=today,
        issued_by=user,
        deadline_days=config["NOTICE_DEADLINE_DAYS"],
        return_school=return_school,
        data=json.dumps(dataclasses.asdict(data), ensure_ascii=False),
        verify_code=code,
        **fields,
    )


def issue(user, case, config, today, return_school="", issuer=None, early_reason=""):
    """Issue a notice for a confirmed dropout still out after the required contacts; numbered without gaps
    in the issuer's series. Fewer contacts need a recorded reason, kept on the case, never printed."""
    allowed = issuers(user, case)
    if not allowed:
        raise PermissionDenied()
    issuer = issuer or allowed[0]
    if issuer not in allowed:
        raise ValidationError({"issuer": _("You cannot issue a notice in the name of this authority.")})
    if case.status not in ("dropped_out", "persuading"):
        raise ValidationError(
            {
                "case": _(
                    "A notice is issued only for a confirmed dropout not yet back (this case: %(status)s).",
                    status=CASE_STATUSES.get(case.status, case.status),
                )
            }
        )
    if case.notices.where(ReturnNotice.status.in_(ACTIVE)).exists():
        raise ValidationError({"case": _("This case already has a notice in force.")})
    return_school = (return_school or "").strip() or (case.child.school.name if case.child.school else "")
    if not return_school or len(return_school) > 255:
        raise ValidationError({"return_school": _("Name the school the child must return to.")})
    early_reason = (early_reason or "").strip()
    ready = readiness(case, config)
    if not ready.ready and not early_reason:
        raise ValidationError(
            {"early_reason": ready.missing + " " + _("To issue it now, record why it is needed now.")}
        )
    if len(early_reason) > MAX_TEXT:
        raise ValidationError({"early_reason": _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    early_reason = "" if ready.ready else early_reason
    township = Township.get_by_id(Village.get_by_id(case.child.village_id).township_id)
    series = numbering.series("notice", issuer, township)
    with database.atomic():
        seq = numbering.next_number(series, today.year)
        number = format_number(township, today.year, seq, config, issuer)
        code = _verify_code()
        data = build_data(case, township, number, today, code, config, return_school, issuer=issuer)
        numbered = dict(township=township, issuer=issuer, series=series, year=today.year, seq=seq, number=number)
        notice = _store(
            user, today, config, return_school, data, code, case=case, early_reason=early_reason, **numbered
        )
        record_event(user, case, "notice_issued", today, {"notice": notice.id, "number": number}, early_reason)
        if early_reason:
            audit.record(
                user,
                "issue_early",
                "return_notice",
                notice.id,
                after={"number": number},
                child_id=case.child_id,
                reason=early_reason,
            )
    return notice


def listing(user, township=None, status=None, since=None, superseded=True, unprinted=False):
    """The notices in the user's scope (with their case and child), of a township, in a status, issued on or after
    `since`; without the versions replaced by a correction when `superseded` is False (those printed as in force);
    only those in force (not replaced, the child not back, the case open) never printed when `unprinted`."""
    query = scope.notices(user)
    if unprinted:
        query = query.where(
            ReturnNotice.status.in_(ACTIVE) & ReturnNotice.printed_at.is_null() & (DropoutCase.status != "closed")
        )
    if township:
        query = query.where(ReturnNotice.township == township)
    if status:
        query = query.where(ReturnNotice.status == status)
    if not superseded:
        query = query.where(ReturnNotice.status != "superseded")
    if since:
        query = query.where(ReturnNotice.issued_on >= since)
    return query


def issue_and_archive(user, case, config, today, return_school="", issuer=None, early_reason=""):
    """Issue a notice (see issue) and archive its PDF, as one step: (the notice, whether its PDF was archived).
    Without a Chinese font the notice stays issued, unprinted; printing it works once a font is installed."""
    notice = issue(user, case, config, today, return_school, issuer, early_reason)
    return notice, _archived(notice, config)


def correct_and_archive(user, notice, config, today, return_school=""):
    """Issue a corrected version (see correct) and archive its PDF, as one step: (the new version, whether its PDF
    was archived)."""
    new = correct(user, notice, config, today, return_school)
    return new, _archived(new, config)


def _archived(notice, config):
    try:
        archive(notice, config["REPORTS_DIR"], config["PDF_FONT"])
    except FontMissing:
        return False
    return True


def check_service(values, issued_on, today):
    """The 送达回证's fields checked: (served_on, the JSON to store), or ValidationError naming each problem."""
    errors = {}
    served_on = values.get("served_on")
    if served_on is None:
        errors["served_on"] = _("Enter the day of service.")
    elif served_on > today:
        errors["served_on"] = _("The day of service cannot be in the future.")
    elif served_on < issued_on:
        errors["served_on"] = _("The day of service cannot be before the issue date (%(date)s).", date=issued_on)
    method = values.get("method")
    if method not in SERVICE_METHODS:
        errors["method"] = _("Choose the method of service.")
    text = {
        key: (values.get(key) or "").strip()
        for key in ("served_time", "recipient", "place", "server", "refusal_reason", "witness1", "witness2")
    }
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
    return served_on, json.dumps({"method": method, **text}, ensure_ascii=False)


def record_service(user, notice, values, config, today):
    """Fill the 送达回证: the period runs from the day after service and ends on a working day."""
    if not may_act(user, notice):
        raise PermissionDenied()
    if notice.status != "issued":
        raise ValidationError({"notice": _("This notice has already been served or is no longer in force.")})
    served_on, service = check_service(values, notice.issued_on, today)
    deadline_on = county_calendar.deadline(served_on, notice.deadline_days)
    with database.atomic():
        notice.status, notice.served_on, notice.deadline_on = "served", served_on, deadline_on
        notice.service = service
        notice.save()
        record_event(
            user, notice.case, "notice_served", served_on, {"notice": notice.id, "deadline_on": deadline_on.isoformat()}
        )
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
    if not may_act(user, notice):
        raise PermissionDenied()
    if notice.status != "issued":
        raise ValidationError(
            {"case": _("Only a notice not yet served can be corrected; issue a further order instead.")}
        )
    return_school = (return_school or "").strip() or notice.return_school
    if len(return_school) > 255:
        raise ValidationError({"return_school": _("Too long: at most %(n)d characters.", n=255)})
    township = notice.township
    note = f"（更正件，第{notice.version + 1}版，代替{chinese_date(notice.issued_on)}印发的版本）"
    with database.atomic():
        code = _verify_code()
        case = DropoutCase.get_by_id(notice.case_id)  # the records as they stand now
        data = build_data(case, township, notice.number, today, code, config, return_school, note, notice.issuer)
        notice.status = "superseded"
        notice.save(only=[ReturnNotice.status])
        same = {
            name: getattr(notice, name) for name in ("case", "township", "issuer", "series", "year", "seq", "number")
        }
        new = _store(
            user, today, config, return_school, data, code, version=notice.version + 1, supersedes=notice, **same
        )
        record_event(
            user,
            notice.case,
            "notice_issued",
            today,
            {"notice": new.id, "number": notice.number, "version": new.version},
        )
    return new


def escalate(user, notice, kind, document_number, decided_on, notes, config, today):
    """Record the next measure a person decided on after the deadline passed (a penalty goes through
    notices/penalties.py: prior notice, statement, then the decision)."""
    if not may_act(user, notice):
        raise PermissionDenied()
    if notice.status != "overdue":
        raise ValidationError({"notice": _("Further measures follow only a notice whose deadline has passed.")})
    if kind == "penalty":
        raise ValidationError({"kind": _("A penalty starts with its prior notice (事先告知书): use the penalty form.")})
    if kind not in config["MEASURES"]:
        raise ValidationError({"kind": _("Choose a measure.")})
    if not measures.available(kind, config):
        raise ValidationError({"kind": unavailable_message(kind)})
    if decided_on is None or decided_on > today or decided_on <= notice.deadline_on:
        raise ValidationError(
            {
                "decided_on": _(
                    "Enter the day of the decision: after the deadline (%(date)s) and not in the future.",
                    date=notice.deadline_on,
                )
            }
        )
    document_number, notes = (document_number or "").strip(), (notes or "").strip()
    if len(document_number) > 255:
        raise ValidationError({"document_number": _("Too long: at most %(n)d characters.", n=255)})
    if len(notes) > MAX_TEXT:
        raise ValidationError({"notes": _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    with database.atomic():
        measure = Escalation.create(
            notice=notice,
            case=notice.case,
            kind=kind,
            document_number=document_number,
            decided_on=decided_on,
            decided_by=user,
            notes=notes,
        )
        record_event(user, notice.case, "measure", decided_on, {"kind": kind, "number": document_number}, notes)
    return measure


def unavailable_message(kind):
    """Why a measure that needs a configured provision cannot be chosen."""
    if kind == "penalty":
        return _(
            "No penalty provision of the provincial regulation is configured, so no administrative penalty can be made."
        )
    return _("No provision for applying to the court is configured, so no application to the court can be made.")


def verify(code):
    """What anyone may learn from a verification code: number, issuing authority, date. No personal data."""
    notice = ReturnNotice.get_or_none(ReturnNotice.verify_code == (code or "").strip().upper())
    if notice is None:
        return None
    return {
        "number": notice.number,
        "authority": data_of(notice).authority,
        "issued_on": notice.issued_on,
        "version": notice.version,
        "superseded": notice.status == "superseded",
    }

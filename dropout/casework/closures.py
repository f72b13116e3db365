"""销号 with sign-off: closing a case is a request, signed by its two responsible persons and approved by the township.

Who requests: whoever decides on the case (cases.can_decide: the township, the school for its own pupils, the
administrator) and the case's own cadre and teacher. One request waits per case at a time. The case's township
cadre and its teacher each sign it as themselves (双线责任); a case without both named cannot be requested or
signed. The township of the child (or the administrator) approves it once both have signed and the proof the
closure needs is complete; the approver is not the requester (four eyes), except the administrator. Approval
records the 'closed' step on the closure's day, as the old one-step close did, and the child's status follows.
A refusal sends the request back with its reason; the requester may withdraw a request still waiting.

The proof each closure needs:
- stable_return: the case is 'returned' with its follow-up visits done (requested then, closing no earlier than
  the last of them), and the first week's attendance after the return (days attended of the week's school days,
  0 < attended ≤ school days, and who confirmed it);
- moved_away: the receiving school's name and its confirmation, a 学籍转接/接收证明 number or an uploaded scan;
- completed: the completion certificate's number; deceased: the date of death;
- exempted: an approved, valid deferral or exemption; aged_out: the child has reached the age limit.
"""

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from ..choices import CLOSURES, DERIVED_CLOSURES
from ..core import audit, scope, uploads
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import CaseEvent, Child, ClosureRequest, Exemption, HomeVisit, utcnow
from ..rules.dates import parse_date
from ..rules.school_age import age_on
from . import cases

# A request's state once decided (one waiting shows what it waits for: signatures, or the approval).
STATUSES = {"approved": _l("Approved"), "refused": _l("Sent back"), "withdrawn": _l("Withdrawn")}
KINDS = {"stable_return": DERIVED_CLOSURES["stable_return"], **CLOSURES}
# The proof's fields, as the request and the approval forms carry them.
PROOF_FIELDS = (
    "receiving_school",
    "transfer_number",
    "attended_days",
    "school_days",
    "attendance_confirmed_by",
    "certificate",
    "death_on",
)
# The fields each closure's proof is entered in (the others need none, or a record checked: age, exemption).
PROOF_BY_CLOSURE = {
    "moved_away": ("receiving_school", "transfer_number", "scan"),
    "stable_return": ("attended_days", "school_days", "attendance_confirmed_by"),
    "completed": ("certificate",),
    "deceased": ("death_on",),
}
NUMBERS = ("attended_days", "school_days")
SCAN_TYPES = (*uploads.IMAGES, ".pdf")


def may_request(user, case):
    """Whoever decides on the case, and its own cadre and teacher."""
    return cases.can_decide(user, case) or user.id in (case.cadre_id, case.teacher_id)


def may_approve(user, case):
    """The staff of the child's township, or the administrator."""
    if user.role == "admin":
        return True
    return user.role == "township" and scope.children(user).where(Child.id == case.child_id).exists()


def own_request(user, request):
    """The request is this user's own, which they may not approve (four eyes; the administrator excepted)."""
    return request.requested_by_id == user.id and user.role != "admin"


def waiting(case):
    """The case's request waiting for signatures or approval, or None."""
    return case.closure_requests.where(ClosureRequest.status == "pending").first()


def latest(case):
    """The case's latest request, whatever its status, or None."""
    return case.closure_requests.order_by(ClosureRequest.id.desc()).first()


def proof_of(request):
    return json.loads(request.proof or "{}")


def _need_people(case, field):
    if case.cadre_id is None or case.teacher_id is None:
        raise ValidationError(
            {field: _("Assign the township cadre and the teacher first: both sign the closure (双线责任).")}
        )


def _clean_proof(values, today):
    """The proof's fields as given, trimmed; numbers and the date of death read, each refused beside its field."""
    proof = {}
    for key in PROOF_FIELDS:
        value = (values or {}).get(key)
        if key == "death_on" and value:
            try:
                day = parse_date(value)
            except ValueError:
                raise ValidationError({"death_on": _("Not a date; write it like 2015-09-01.")}) from None
            cases.check_day(day, today, "death_on")
            proof[key] = day.isoformat()
            continue
        value = cases.clean_text(str(value) if value is not None else "", key)
        if key in NUMBERS and value:
            if not value.isascii() or not value.isdigit() or len(value) > 2:
                raise ValidationError({key: _("Not a number: %(value)s", value=value[:20])})
            value = int(value)
        if value not in ("", None):
            proof[key] = value
    return proof


def missing_proof(case, closure, closes_on, proof, has_scan, settings, today):
    """{field: what is missing} for the closure's proof; empty when it is complete."""
    missing = {}
    if closure == "moved_away":
        if not proof.get("receiving_school"):
            missing["receiving_school"] = _("Name the school that enrolled the child.")
        if not proof.get("transfer_number") and not has_scan:
            missing["transfer_number"] = _(
                "Enter the receiving school's confirmation (学籍转接 or 接收证明 number), or upload its scan."
            )
    elif closure == "stable_return":
        missing.update(_attendance_missing(proof))
        missing.update(_not_yet_stable(case, closes_on))
    elif closure == "completed" and not proof.get("certificate"):
        missing["certificate"] = _("Enter the completion certificate number.")
    elif closure == "deceased" and not proof.get("death_on"):
        missing["death_on"] = _("Enter the date of death.")
    elif closure == "aged_out" and age_on(case.child.birth_on, closes_on) < settings.age_out:
        missing["closure"] = _("The child is not yet %(n)d.", n=settings.age_out)
    elif closure == "exempted":
        valid = Exemption.select().where(
            (Exemption.child == case.child_id)
            & Exemption.status.in_(("approved", "filed"))
            & (Exemption.valid_until >= today)
        )
        if not valid.exists():
            missing["closure"] = _("There is no approved, valid deferral or exemption for this child.")
    return missing


def _not_yet_stable(case, closes_on):
    """{field: why} when the case cannot close as a stable return on `closes_on`: its return is recorded, its
    follow-up visits are all done, and it closes no earlier than the last of them."""
    if case.status != "returned":
        return {"closure": _("Only a case whose return is recorded closes as a stable return.")}
    if case.next_followup_on is not None:
        message = _(
            "The follow-up visits after the return are not all done: the next is due on %(day)s.",
            day=case.next_followup_on,
        )
        return {"closure": message}
    returned_on = case.events.where(CaseEvent.kind == "returned").select(fn.MAX(CaseEvent.happened_on))
    last = (
        case.visits.where(HomeVisit.is_followup & (HomeVisit.visited_on >= returned_on))
        .select(fn.MAX(HomeVisit.visited_on))
        .scalar()
    )
    if last is not None and closes_on < last:
        return {"on": _("A stable return closes no earlier than its last follow-up visit (%(day)s).", day=last)}
    return {}


def _attendance_missing(proof):
    """The first week's attendance after the return: days attended of the school days, and who confirmed it."""
    missing = {}
    school_days, attended = proof.get("school_days"), proof.get("attended_days")
    if not school_days or school_days > 7:
        missing["school_days"] = _("Enter the school days in the first week after the return (1 to 7).")
    if not attended:
        missing["attended_days"] = _("Enter the days the child attended in the first week after the return.")
    elif school_days and attended > school_days:
        missing["attended_days"] = _("The days attended are more than the week's school days.")
    if not proof.get("attendance_confirmed_by"):
        missing["attendance_confirmed_by"] = _("Name who confirmed the attendance (the class teacher, say).")
    return missing


def missing_signatures(request):
    """{field: whose signature is missing} on a request: the current cadre's and teacher's."""
    case, missing = request.case, {}
    if case.cadre_id is None or request.cadre_signed_by_id != case.cadre_id:
        missing["cadre_signature"] = _("The township cadre has not signed.")
    if case.teacher_id is None or request.teacher_signed_by_id != case.teacher_id:
        missing["teacher_signature"] = _("The teacher has not signed.")
    return missing


def missing(request, proof, has_scan, settings, today):
    """{field: what is missing} before the request can be approved: signatures, then proof."""
    found = missing_signatures(request)
    case = request.case
    found.update(missing_proof(case, request.closure, request.closes_on, proof, has_scan, settings, today))
    return found


def _store_scan(scan, uploads_dir, today):
    if scan is None:
        return None
    stored = uploads.store(scan, uploads_dir, f"closures/{today:%Y}", SCAN_TYPES)
    if stored is None:
        raise ValidationError({"scan": _("The scan must be a JPEG, PNG or PDF file of at most 5 MB.")})
    return stored


def _saved(request, user, reason, before, write, uploads_dir=None, stored=None):
    """Run `write` and save the request in one transaction, audited; a new scan is removed if it fails."""
    try:
        with database.atomic():
            write()
            request.save()
            after = audit.snapshot(request)
            action = "update" if before else "create"
            audit.record(user, action, "closure_request", request.id, before, after, request.case.child_id, reason)
    except Exception:
        uploads.remove(uploads_dir, stored)
        raise
    return request


def submit(user, case, closure, closes_on, values, settings, today, scan=None, uploads_dir=None):
    """Ask to close the case, with the proof the closure needs: nobody signs off a closure without it, so a request
    without it is refused at its fields. A requester who is the case's cadre or teacher signs with the request; the
    approval checks the proof again (an exemption may have lapsed meanwhile) and may correct it."""
    if not may_request(user, case):
        raise PermissionDenied()
    if case.status == "closed":
        raise ValidationError({"closure": _("The case is already closed.")})
    _need_people(case, "closure")
    pending = waiting(case)
    if pending is not None:
        raise ValidationError(
            {
                "closure": _(
                    "A closure request is already waiting for this case (made on %(day)s): sign it, approve it, "
                    "send it back or withdraw it first.",
                    day=pending.requested_at.date(),
                )
            }
        )
    if closure not in KINDS:
        raise ValidationError({"closure": _("Choose why the case closes.")})
    cases.check_day(closes_on, today, "on", not_before=case.absent_since)
    if closure == "stable_return" and _not_yet_stable(case, closes_on):
        raise ValidationError(_not_yet_stable(case, closes_on))
    proof = _clean_proof(values, today)
    problems = missing_proof(case, closure, closes_on, proof, scan is not None, settings, today)
    if problems:
        raise ValidationError(problems)
    stored = _store_scan(scan, uploads_dir, today)
    now = utcnow()
    new = ClosureRequest(
        case=case,
        closure=closure,
        closes_on=closes_on,
        proof=json.dumps(proof, ensure_ascii=False),
        scan_path=stored,
        status="pending",
        requested_by=user,
        requested_at=now,
    )
    if user.id == case.cadre_id:
        new.cadre_signed_by, new.cadre_signed_at = user, now
    if user.id == case.teacher_id:
        new.teacher_signed_by, new.teacher_signed_at = user, now
    return _saved(new, user, "closure requested", None, lambda: None, uploads_dir, stored)


def _check_pending(request, field):
    if request.status != "pending":
        raise ValidationError({field: _("This request is no longer waiting: it was approved, sent back or withdrawn.")})


def sign(user, request, today):
    """The case's cadre or teacher signs the request as themselves."""
    case = request.case
    if not may_request(user, case):
        raise PermissionDenied()
    _check_pending(request, "sign")
    _need_people(case, "sign")
    before = audit.snapshot(request)
    now = utcnow()
    if user.id == case.cadre_id:
        if request.cadre_signed_by_id == user.id:
            raise ValidationError({"sign": _("You have already signed this request.")})
        request.cadre_signed_by, request.cadre_signed_at = user, now
        reason = "closure signed by the cadre"
    elif user.id == case.teacher_id:
        if request.teacher_signed_by_id == user.id:
            raise ValidationError({"sign": _("You have already signed this request.")})
        request.teacher_signed_by, request.teacher_signed_at = user, now
        reason = "closure signed by the teacher"
    else:
        raise ValidationError(
            {"sign": _("Only the case's township cadre and its teacher sign the closure, each as themselves.")}
        )
    return _saved(request, user, reason, before, lambda: None)


def approve(user, request, values, settings, today, scan=None, uploads_dir=None):
    """The township approves: both signatures and the complete proof (the request's, completed by the values
    given here) or nothing changes. The case closes on the request's day, its child's status following."""
    case = request.case
    if not may_approve(user, case):
        raise PermissionDenied()
    _check_pending(request, "approve")
    if own_request(user, request):
        raise ValidationError(
            {"approve": _("You made this request: another member of the township staff approves it (four eyes).")}
        )
    proof = {**proof_of(request), **_clean_proof(values, today)}
    problems = missing(request, proof, bool(request.scan_path or scan), settings, today)
    if problems:
        raise ValidationError(problems)
    stored = _store_scan(scan, uploads_dir, today)
    before = audit.snapshot(request)
    request.proof = json.dumps(proof, ensure_ascii=False)
    request.scan_path = stored or request.scan_path
    request.status, request.decided_by, request.decided_at = "approved", user, utcnow()

    def close():
        data = {"request": request.id, **proof}
        record_closure(user, case, request.closure, request.closes_on, data, settings, today)

    return _saved(request, user, "closure approved", before, close, uploads_dir, stored)


def record_closure(user, case, closure, on, data, settings, today):
    """The 'closed' step on the closure's day with its data (the request, the proof), and the case refreshed (its
    child's status follows from that day). An approval takes this step inside its transaction."""
    cases.record_event(user, case, "closed", on, {"closure": closure, **data})
    cases.refresh(case, settings, today, user, on=on)


def refuse(user, request, reason, today):
    """The township sends the request back with its reason; the requester sees it on their to-do list."""
    if not may_approve(user, request.case):
        raise PermissionDenied()
    _check_pending(request, "refusal")
    reason = cases.clean_text(reason, "refusal")
    if not reason:
        raise ValidationError({"refusal": _("Give the reason for sending the request back.")})
    before = audit.snapshot(request)
    request.status, request.refusal, request.decided_by, request.decided_at = "refused", reason, user, utcnow()
    return _saved(request, user, "closure sent back", before, lambda: None)


def withdraw(user, request, today):
    """The requester takes back a request still waiting."""
    if not may_request(user, request.case):
        raise PermissionDenied()
    _check_pending(request, "withdraw")
    if request.requested_by_id != user.id:
        raise ValidationError({"withdraw": _("Only the person who made the request withdraws it.")})
    before = audit.snapshot(request)
    request.status, request.decided_at = "withdrawn", utcnow()
    return _saved(request, user, "closure withdrawn", before, lambda: None)

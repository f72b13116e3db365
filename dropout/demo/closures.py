"""销号 requests in the demo county, as casework/closures.py would have recorded them.

demo/cases.py plans a request inside a case's story (Planned): every closed case (moved away, stable return) has
one approved, carried by its 'closed' step; a few returned children of the demo teacher's school have one still
waiting for a signature or for the township, or sent back with a reason, so the pages and the to-do lists show
each state. The request's days are story days (moved onto the calendar with the story); finish() puts its times
on the calendar, rows() gives it its id, and the 'closed' step's JSON names that id.

The persons who sign are the case's cadre and teacher; the demo county has accounts for 城关镇's staff and one
teacher only, so a case elsewhere, or not at the demo teacher's school, has no one to sign for the missing person
and its approved request carries only the signatures of those it has (the self-evaluation reports such cases).
"""

import json
from datetime import date, datetime, timedelta

from ..db import next_id

COLUMNS = (
    "id",
    "case_id",
    "closure",
    "closes_on",
    "proof",
    "scan_path",
    "status",
    "requested_by_id",
    "requested_at",
    "cadre_signed_by_id",
    "cadre_signed_at",
    "teacher_signed_by_id",
    "teacher_signed_at",
    "decided_by_id",
    "decided_at",
    "refusal",
)


class Planned:
    """One request: the closure, its proof, who asked, signed and decided, and when (story days)."""

    def __init__(self, closure, day, proof, requester, cadre, teacher, status="approved", approver=None):
        self.closure, self.day, self.proof, self.status = closure, day, proof, status
        self.requester, self.cadre, self.teacher, self.approver = requester, cadre, teacher, approver
        self.requested = self.cadre_signed = self.teacher_signed = self.decided = None  # story days, set by plan()
        self.refusal = ""
        self.id = self.case_id = None
        self.times = {}

    def plan(self, rng, requested_after, decided_after=None):
        """Requested some days after its closure day, each person signing within days (the requester who is one
        of them signs with the request), decided some days after the last signature."""
        self.requested = self.day + requested_after
        for who in ("cadre", "teacher"):
            person = getattr(self, who)
            if person is None:
                continue
            signed = self.requested if person == self.requester[0] else self.requested + rng.randint(0, 3)
            setattr(self, f"{who}_signed", signed)
        if decided_after is not None:
            last = max([self.requested, *(d for d in (self.cadre_signed, self.teacher_signed) if d is not None)])
            self.decided = last + decided_after
        return self

    def unsigned(self, who):
        """Leave one person's signature still missing (a request waiting for it)."""
        setattr(self, f"{who}_signed", None)
        return self

    def shift(self, delta):
        for name in ("day", "requested", "cadre_signed", "teacher_signed", "decided"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name) + delta)

    def on_calendar(self, rng, today, decided_at=None):
        """The request's times from its story days, none after yesterday, in order; `decided_at` is its closed
        step's time (approval and the closure are one transaction)."""
        last = today.toordinal() - 1
        previous = None
        for name in ("requested", "cadre_signed", "teacher_signed", "decided"):
            day = getattr(self, name)
            if day is None:
                continue
            at = datetime.fromordinal(min(day, last)) + timedelta(seconds=rng.randint(1800, 36000))
            if name == "decided" and decided_at is not None:
                at = decided_at
            if previous is not None and at <= previous:
                at = previous + timedelta(seconds=rng.randint(60, 1800))
            self.times[name] = previous = at
        if decided_at is not None and self.times["decided"] != decided_at:  # a signature fell after it: move them
            for name in ("requested", "cadre_signed", "teacher_signed"):
                if name in self.times:
                    self.times[name] = min(self.times[name], decided_at - timedelta(minutes=1))
            self.times["decided"] = decided_at

    def rules(self):
        return {"closure": self.closure}

    def json(self):
        """The 'closed' step's data, as an approval records it."""
        return json.dumps({"closure": self.closure, "request": self.id, **self.proof}, ensure_ascii=False)

    def row(self):
        times = self.times
        return (
            self.id,
            self.case_id,
            self.closure,
            date.fromordinal(self.day),
            json.dumps(self.proof, ensure_ascii=False),
            None,
            self.status,
            self.requester[0],
            times["requested"],
            self.cadre if "cadre_signed" in times else None,
            times.get("cadre_signed"),
            self.teacher if "teacher_signed" in times else None,
            times.get("teacher_signed"),
            self.approver[0] if "decided" in times else None,
            times.get("decided"),
            self.refusal,
        )


def rows(planned, case_of):
    """Number the planned requests ([(child id, Planned)]) and give each its case; their rows."""
    first = next_id("closure_request")
    for i, (child_id, request) in enumerate(planned):
        request.id, request.case_id = first + i, case_of[child_id]
    return [request.row() for _child_id, request in planned]

"""一人一案 in the demo county: dropout cases with their events and home visits, and exemptions.

demo._children hands every child whose status has a story (suspected, dropped out, returned,
moved away, deferred, or a suspicion that proved false) to CaseWork.plan() as it generates
them. The case is planned there, so the child's own status and its audit history follow the
case's events; demo_case_rows puts each story onto the calendar, with the stored status, repeat
count and due dates that rules.case_status.derive() gives for the events on `today`, as
casework.cases.refresh() would have stored them, and insert() writes cases, visits, events and
exemptions in bulk.

Some cases get a 限期复学通知书 (demo_notices): issued, served with the deadline running,
complied with, overdue, overdue with a measure decided, and one corrected pair.
"""

from datetime import date, datetime, timedelta

from ..core import calendar as county_calendar
from ..rules import case_status, measures
from . import case_rows as demo_case_rows
from . import closures as demo_closures
from . import names
from . import notices as demo_notices
from .case_rows import FOLLOWUP_MONTHS, status_json

# Child statuses that always come with a case or an exemption (moved_out: some of them).
STATUSES = ("suspected", "dropped_out", "returned", "moved_out", "deferred")
# What the first few children of the demo teacher's school and of 城关镇 are made into, so that
# the demo teacher and township staff have a to-do list even in a small county.
TEACHER_FORCED = (
    "persuading_due",
    "suspected",
    "returned_due",
    "settled_to_sign",
    "dropped_out",
    "settled_to_approve",
    "settled_refused",
)
# Returned children whose follow-ups are done, with a stable-return request (销号) in each state short of approval.
SETTLED = ("settled_to_sign", "settled_to_approve", "settled_refused")
HOME_FORCED = (
    "persuading_due",
    "deferred_expiring",
    "suspected",
    "returned_due",
    "applied",
    "deferred_filed",
    "dropped_out",
    "persuading_recent",
)
# 城关镇 gets a notice in every state, one child each (see force()).
NOTICE_FORCED = (
    "notice_overdue",
    "notice_running",
    "notice_issued",
    "notice_measure",
    "notice_complied",
    "notice_corrected",
)
FORCED_STATUS = {
    "persuading_due": "dropped_out",
    "persuading_recent": "dropped_out",
    "dropped_out": "dropped_out",
    "suspected": "suspected",
    "returned_due": "returned",
    **dict.fromkeys(SETTLED, "returned"),
    "deferred_expiring": "deferred",
    "deferred_filed": "deferred",
    "applied": "enrolled",
    **dict.fromkeys(NOTICE_FORCED, "dropped_out"),
    "notice_complied": "returned",
}
# Of first-time dropouts being persuaded, and of children who came back, the share with a notice;
# the states of a notice to a child still out: issued, served and running, overdue, overdue with a measure.
NOTICE_SHARE, COMPLIED_SHARE = 0.15, 0.08
NOTICE_STATES, NOTICE_STATES_CUM = ("issued", "running", "overdue", "measure"), (25, 45, 75, 100)
SERVICE_CHOICES, SERVICE_CUM = ("直接送达", "交成年家属代收", "留置送达"), (65, 82, 100)
REASON_CODES = tuple(code for code, _w in names.DROPOUT_REASON_WEIGHTS)
REASON_CUM = tuple(sum(w for _c, w in names.DROPOUT_REASON_WEIGHTS[: i + 1]) for i in range(len(REASON_CODES)))
METHODS, METHODS_CUM = ("home", "phone", "video", "school"), (60, 85, 90, 100)
EXEMPTION_KINDS, EXEMPTION_CUM = ("defer", "exempt", "suspend"), (55, 65, 100)
SYSTEM = (None, "system")


class _Story:
    """One case's steps, built forward in days from 0, then moved onto the calendar (ordinals).

    A step is [day, kind, actor, data, notes, visit, recorded day, child's status after or None].
    """

    def __init__(self, home, office, teacher, own_school, cadre, school, grade):
        self.steps = []
        self.home, self.office, self.teacher, self.own_school = home, office, teacher, own_school
        self.cadre, self.school, self.grade = cadre, school, grade
        self.requests = []  # 销号 requests (demo_closures.Planned)
        # Teachers notice absence first at their own school; elsewhere the township or county records it.
        self.reporter = teacher if own_school else office
        self.reason, self.details = None, ""

    def add(self, day, kind, actor, data=None, notes="", visit=None, recorded=None, child_to=None):
        step = [day, kind, actor, data or {}, notes, visit, day if recorded is None else recorded, child_to]
        self.steps.append(step)
        return step

    def shift(self, delta):
        for step in self.steps:
            step[0] += delta
            step[6] += delta
        for request in self.requests:
            request.shift(delta)


class CaseWork:
    """Plans cases and exemptions child by child, from the county's one random stream."""

    def __init__(self, rng, today, users, anyone, teacher_school, config):
        self.rng, self.today, self.t = rng, today, today.toordinal()
        self.config, self.deadline_days = config, config["NOTICE_DEADLINE_DAYS"]
        # A penalty goes through its prior notice and decision, which the demo does not write.
        allowed = {kind for kind in config["MEASURES"] if kind != "penalty" and measures.available(kind, config)}
        self.measures = [(kind, weight) for kind, weight in names.MEASURE_WEIGHTS if kind in allowed]
        people = {name: (users[name], name) for name in ("admin", "township", "teacher", "bureau") if name in users}
        self.admin, self.township = people.get("admin", SYSTEM), people.get("township", SYSTEM)
        self.teacher, self.bureau = people.get("teacher"), people.get("bureau", SYSTEM)
        self.anyone = users.get("admin") or anyone  # a visit needs somebody
        self.teacher_school = teacher_school if self.teacher else None
        self.forced = {True: list(TEACHER_FORCED) if self.teacher else [], False: list(HOME_FORCED)}
        self.notice_forced = list(NOTICE_FORCED)
        self.cases, self.exemptions, self.notices = [], [], []
        self.noticed = set()  # townships that have a notice already

    def force(self, at_teacher_school):
        """For an ordinary enrolled child of 城关镇: now and then, a planned story to make it into."""
        queue = self.forced[at_teacher_school]
        if queue and self.rng.random() < (0.1 if at_teacher_school else 0.03):
            return queue.pop(0)
        if not at_teacher_school and self.notice_forced and self.rng.random() < 0.05:
            return self.notice_forced.pop(0)
        return None

    def plan(self, history, child_id, status, home, school, grade, responsible, forced=None, township=None):
        """Plan the child's case or exemption; return (the child's status, its last change) or None."""
        rng = self.rng
        if status == "deferred" or forced == "applied":
            return self._exemption(history, child_id, home, forced)
        if status == "enrolled":
            r = rng.random()
            if r < 0.2:
                return self._exemption(history, child_id, home, "applied")
            kind = "not_dropout" if r < 0.7 else None
        elif status == "moved_out":
            kind = "moved_away" if rng.random() < 0.4 else None
        elif status == "suspected":
            kind = "suspected_again" if forced is None and rng.random() < 0.2 else "suspected"
        elif status == "dropped_out":
            kind = forced or ("dropped_out" if rng.random() < 0.25 else "persuading")
            if forced is None and rng.random() < (0.1 if kind == "dropped_out" else 0.15):
                kind += "_again"
        elif status == "returned":
            kind = forced or ("stable_return" if rng.random() < 0.25 else "returned")
        else:
            kind = None
        if forced is None and status in ("suspected", "dropped_out", "returned") and township is not None:
            # The first child out of school in each township gets a notice (a suspicion becomes a dropout),
            # so that every township has something to print; after that, a share of the cases.
            if (
                township not in self.noticed
                or (kind == "persuading" and rng.random() < NOTICE_SHARE)
                or (kind == "returned" and rng.random() < COMPLIED_SHARE)
            ):
                kind = (
                    "notice_complied"
                    if status == "returned"
                    else ("notice_" + rng.choices(NOTICE_STATES, cum_weights=NOTICE_STATES_CUM)[0])
                )
        if kind is None:
            return None
        own_school = self.teacher is not None and school == self.teacher_school
        teacher = self.teacher if own_school or (self.teacher and responsible == self.teacher[0]) else None
        office = self.township if home else self.admin
        story = _Story(home, office, teacher, own_school, self.township[0] if home else None, school, grade)
        if kind.startswith("notice_"):
            self.noticed.add(township)
            story.township, story.forced = township, forced is not None
            self._notice(story, kind.removeprefix("notice_"))
        else:
            getattr(self, "_" + kind.removesuffix("_again"))(story, kind.endswith("_again"), kind)
        return demo_case_rows.finish(story, child_id, history, self.cases, self.notices, rng, self.today)

    # -- the stories, one per kind of case ------------------------------------------------------------

    def _suspected(self, s, again, kind):
        if again:
            self._place(s, self._first_cycle(s)[0], 1, 30, recent=True)
        else:
            self._open(s, 0)
            self._place(s, 0, 1, 45, recent=True)

    def _dropped_out(self, s, again, kind):
        self._place(s, self._confirm(s, self._first_cycle(s)[6] if again else self._open(s, 0)), 1, 25)

    def _persuading(self, s, again, kind):
        start = self._first_cycle(s)[6] if again else self._open(s, 0)
        k = self.rng.randint(1, 3 if again else 6)
        forced = kind in ("persuading_due", "persuading_recent")  # ready for a notice: the contacts it needs
        if forced:
            k = max(k, self.config["NOTICE_MIN_CONTACTS"], self.config["NOTICE_MIN_IN_PERSON"])
        anchor = self._persuade(s, self._confirm(s, start), k, long_gaps=not again, home_last=forced)
        if kind == "persuading_due":
            self._place(s, anchor, 7, 7)  # the next visit falls due today
        elif kind == "persuading_recent":
            self._place(s, anchor, 2, 2)  # visited two days ago: the next visit is not yet due
        else:
            self._place(s, anchor, *((25, 60) if self.rng.random() < 0.1 else (0, 24)))

    def _persuading_due(self, s, again, kind):
        self._persuading(s, again, kind)

    _persuading_recent = _persuading_due

    def _returned(self, s, again, kind, stable=False):
        rng = self.rng
        last = self._persuade(s, self._confirm(s, self._open(s, 0)), rng.randint(1, 4 if stable else 5), agreed=True)
        returned = self._return(s, last)
        if stable:
            self._stable(s, returned + self._place(s, returned, 100, 330))
        elif kind == "returned_due":
            self._place(s, returned, 35, 55)  # the first follow-up is due
        else:
            self._followups(s, returned + self._place(s, returned, 3, 115), 2)

    def _returned_due(self, s, again, kind):
        self._returned(s, again, kind)

    def _settled(self, s, again, kind):
        """Back at school, the follow-ups done, a stable-return request waiting (for the teacher's signature, or
        for the township's approval) or sent back to the teacher with the reason."""
        rng = self.rng
        confirmed = self._confirm(s, self._open(s, 0))
        returned = self._return(s, self._persuade(s, confirmed, rng.randint(1, 3), agreed=True))
        last = self._followups(s, returned + self._place(s, returned, 100, 200), 3, settle=True)
        if last is None:
            return
        teacher, cadre = s.teacher[0], s.cadre
        requester = s.office if kind == "settled_to_sign" else s.teacher
        status = "refused" if kind == "settled_refused" else "pending"
        request = demo_closures.Planned(
            "stable_return", last, self._attendance(s), requester, cadre, teacher, status, s.office
        )
        request.plan(rng, rng.randint(0, 2), rng.randint(1, 3) if status == "refused" else None)
        if kind == "settled_to_sign":
            request.unsigned("teacher")
        elif status == "refused":
            request.refusal = rng.choice(names.CLOSURE_REFUSALS)
        s.requests.append(request)

    _settled_to_sign = _settled_to_approve = _settled_refused = _settled

    def _stable_return(self, s, again, kind):
        self._returned(s, again, kind, stable=True)

    def _notice(self, s, state):
        """Persuaded in vain, then a 限期复学通知书: issued, corrected, served, complied with, or overdue."""
        rng, days = self.rng, self.deadline_days
        # The contacts a notice needs (settings NOTICE_MIN_CONTACTS and _IN_PERSON), the last one a home visit.
        least = max(self.config["NOTICE_MIN_CONTACTS"], self.config["NOTICE_MIN_IN_PERSON"], 1)
        last = self._persuade(s, self._confirm(s, self._open(s, 0)), rng.randint(least, least + 2), home_last=True)
        notice = demo_notices.Planned(s, days)
        issued = last + rng.randint(1, 10)
        s.add(issued, "notice_issued", s.office, demo_notices.Step("issued", notice))
        if state == "issued":
            self._place(s, issued, 1, 14)
            return
        if state == "corrected":  # a mistake found before service: version 2 under the same number
            notice.superseded = True
            corrected = issued + rng.randint(1, 3)
            second = demo_notices.Planned(s, days, supersedes=notice)
            s.add(corrected, "notice_issued", s.office, demo_notices.Step("issued", second))
            self._place(s, corrected, 1, 10)
            return
        if state == "measure" and s.forced:
            notice.method = "留置送达"  # so that 城关镇 shows a refusal with its two witnesses
        else:
            notice.method = rng.choices(SERVICE_CHOICES, cum_weights=SERVICE_CUM)[0]
        served = issued + rng.randint(0, 4)
        s.add(served, "notice_served", s.office, demo_notices.Step("served", notice))
        days = county_calendar.deadline(date.fromordinal(served), days).toordinal() - served  # to a working day
        if state == "running":
            self._place(s, served, 1, days)  # the deadline is today or later
        elif state == "overdue" or (state == "measure" and not self.measures):
            self._place(s, served, days + 1, 150)
        elif state == "measure":
            kind = (
                "penalty"
                if s.forced and "penalty" in dict(self.measures)
                else rng.choices([k for k, _w in self.measures], weights=[w for _k, w in self.measures])[0]
            )
            notes = rng.choice(names.MEASURE_NOTES[kind])
            notice.measure = (kind, notes)
            decided = served + days + rng.randint(1, 30)
            s.add(decided, "measure", s.office, demo_notices.Step("measure", notice), notes)
            self._place(s, decided, 1, 120)
        else:  # complied with: the child came back before the deadline, and may have stayed since
            notice.complied = True
            returned = self._return(s, served, rng.randint(1, days))
            if rng.random() < 0.25:
                self._stable(s, returned + self._place(s, returned, 100, 330))
            else:
                self._followups(s, returned + self._place(s, returned, 3, 115), 2)

    def _moved_away(self, s, again, kind):
        rng = self.rng
        last = self._open(s, 0)
        if rng.random() < 0.6:
            last = self._confirm(s, last)
            if rng.random() < 0.6:
                last = self._persuade(s, last, rng.randint(1, 2))
        on = last + rng.randint(3, 30)
        proof = {
            "receiving_school": rng.choice(names.RECEIVING_SCHOOLS),
            "transfer_number": f"学籍转接{rng.randint(100000, 999999)}",
        }
        self._close(s, on, "moved_away", proof, "moved_out")
        self._place(s, on, 3, 330)

    def _not_dropout(self, s, again, kind):
        on = self._open(s, 0) + self.rng.randint(0, 7)
        s.add(on, "not_dropout", self._decider(s), notes=self.rng.choice(names.NOT_DROPOUT_NOTES), child_to="enrolled")
        self._place(s, on, 2, 340)

    # -- the steps ------------------------------------------------------------------------------------

    def _attendance(self, s):
        """The first week's attendance after the return, as the class teacher confirmed it."""
        school_days = self.rng.choice((5, 5, 5, 4))
        return {
            "attended_days": school_days - (self.rng.random() < 0.3),
            "school_days": school_days,
            "attendance_confirmed_by": self.rng.choice(names.ATTENDANCE_CONFIRMERS),
        }

    def _close(self, s, on, closure, proof, child_to):
        """销号 on day `on`: requested by the teacher (else the office), signed by the case's cadre and teacher,
        approved by the township (the administrator when the township asked itself, or elsewhere); the 'closed'
        step is the approval's, on the closure's day."""
        rng = self.rng
        requester = s.teacher or s.office
        approver = self.admin if requester is s.office else s.office
        teacher = s.teacher[0] if s.teacher else None
        request = demo_closures.Planned(closure, on, proof, requester, s.cadre, teacher, "approved", approver)
        request.plan(rng, rng.randint(0, 2), rng.randint(1, 5))
        s.requests.append(request)
        s.add(on, "closed", approver, request, recorded=request.decided, child_to=child_to)

    def _decider(self, s):
        return s.teacher if s.own_school and self.rng.random() < 0.4 else s.office

    def _open(self, s, day):
        """Reported absent since `day`; returns the day the case was recorded."""
        rng = self.rng
        opened_on = day + rng.randint(0, 5)
        s.add(day, "opened", s.reporter, recorded=opened_on, child_to="suspected")
        if s.own_school and s.cadre:  # the township names its cadre on the teacher's report
            teacher = s.teacher[0]
            s.add(
                opened_on + rng.randint(0, 2),
                "assigned",
                self.township,
                {"before": {"cadre": None, "teacher": teacher}, "after": {"cadre": s.cadre, "teacher": teacher}},
            )
        return opened_on

    def _confirm(self, s, day):
        rng = self.rng
        if s.reason is None or rng.random() < 0.3:
            s.reason = rng.choices(REASON_CODES, cum_weights=REASON_CUM)[0]
            if s.reason == "early_marriage" and (s.grade or 0) < 7:
                s.reason = "family_attitude"
            s.details = rng.choice(names.DROPOUT_DETAILS[s.reason]) if s.reason == "other" or rng.random() < 0.5 else ""
        on = day + rng.randint(0, 7)
        s.add(on, "confirmed", self._decider(s), {"reason": s.reason}, s.details, child_to="dropped_out")
        return on

    def _visit(self, s, day, outcome=None, followup=False, child_to=None, method=None):
        rng = self.rng
        visitor = s.teacher if s.teacher and rng.random() < 0.6 else s.office
        if followup:
            method = rng.choice(("school", "school", "home", "phone"))
            met, outcome, reasons = rng.choice(("child", "guardian")), "other", ""
            notes = rng.choice(names.FOLLOWUP_NOTES)
        else:
            method = method or rng.choices(METHODS, cum_weights=METHODS_CUM)[0]
            if method in ("phone", "video"):
                met = "guardian" if rng.random() < 0.7 else "child"
            else:
                met = rng.choices(("guardian", "child", "relative", "nobody"), cum_weights=(55, 75, 90, 100))[0]
            if met == "nobody":
                outcome = "not_home"
            elif outcome is None:
                if s.reason == "work" and rng.random() < 0.5:
                    outcome = "working_away"
                else:
                    outcome = rng.choices(("refused", "other", "agreed"), cum_weights=(55, 85, 100))[0]
            reasons = "" if met == "nobody" else rng.choice(names.DROPOUT_DETAILS[s.reason])
            notes = rng.choice(names.VISIT_NOTES[outcome])
        late = rng.randint(4, 10) if rng.random() < 0.06 else 0  # entered days after the visit
        visit = ((visitor[0] or self.anyone), method, met, outcome, reasons, notes, followup)
        s.add(day, "visit", visitor, {"followup": followup}, visit=visit, recorded=day + late, child_to=child_to)

    def _persuade(self, s, day, k, long_gaps=True, agreed=False, home_last=False):
        """k contacts, every one to three weeks, after `day` (the last one at home if `home_last`); returns the
        last one's day."""
        rng = self.rng
        on = day + rng.randint(1, 14)
        for i in range(k):
            if i:
                on += rng.randint(28, 56) if long_gaps and rng.random() < 0.08 else rng.randint(7, 21)
            last = i == k - 1
            self._visit(s, on, "agreed" if agreed and last else None, method="home" if home_last and last else None)
        return on

    def _return(self, s, day, gap=None):
        on = day + (self.rng.randint(2, 20) if gap is None else gap)
        placement = "original" if self.rng.random() < 0.85 else "other_school"
        s.add(
            on,
            "returned",
            self._decider(s),
            {"placement": placement, "school": s.school, "grade": s.grade},
            child_to="returned",
        )
        return on

    def _first_cycle(self, s):
        """An earlier absence that ended in a return; returns the step where the child left again."""
        rng = self.rng
        returned = self._return(
            s, self._persuade(s, self._confirm(s, self._open(s, 0)), rng.randint(1, 3), long_gaps=False, agreed=True)
        )
        last = returned
        for months in FOLLOWUP_MONTHS[: rng.randint(0, 2)]:
            last = returned + 30 * months + rng.randint(-3, 7)
            self._visit(s, last, followup=True)
        on = last + rng.randint(10, 45)
        return s.add(on, "left_again", s.reporter, recorded=on + rng.randint(0, 3), child_to="suspected")

    def _place(self, s, anchor, low, high, recent=False):
        """Move the story onto the calendar: its anchor `low`..`high` days ago, its start within the year.

        Returns how far it moved."""
        high = max(low, min(high, 364 - anchor))
        ago = int(self.rng.triangular(low, high + 1, low)) if recent else self.rng.randint(low, high)
        delta = self.t - min(ago, high) - anchor
        s.shift(delta)
        return delta

    def _followups(self, s, returned, most, settle=False):
        """Follow-up visits around 1, 2, 3 months after the return (already on the calendar), the first `most`
        (all of them if `settle`, else some may be missed); returns the last one's day when all were made."""
        rng = self.rng
        back_on = date.fromordinal(returned)
        last = None
        for months in FOLLOWUP_MONTHS[:most]:
            on = case_status.add_months(back_on, months).toordinal() + rng.randint(-3, 7)
            if on > self.t or (not settle and rng.random() < 0.15):
                return None
            self._visit(s, on, followup=True)
            last = on
        return last

    def _stable(self, s, returned):
        """All the follow-ups made, then the stable return closed (销号) on the last one's day."""
        last = self._followups(s, returned, len(FOLLOWUP_MONTHS), settle=True)
        if last is not None:
            self._close(s, last, "stable_return", self._attendance(s), "enrolled")

    # -- exemptions, and everything planned into rows --------------------------------------------------

    def _exemption(self, history, child_id, home, forced):
        """A guardian's application (the child stays enrolled) or an approved one (the child is deferred)."""
        rng, t = self.rng, self.t
        office = self.township if home else self.admin
        kind = rng.choices(EXEMPTION_KINDS, cum_weights=EXEMPTION_CUM)[0]
        reason = rng.choice(names.EXEMPTION_REASONS[kind])
        if forced == "applied":
            applied = t - rng.randint(1, 25)
            created = datetime.fromordinal(applied) + timedelta(seconds=rng.randint(1800, 36000))
            self.exemptions.append(
                (
                    child_id,
                    kind,
                    reason,
                    date.fromordinal(applied),
                    "applied",
                    date.fromordinal(applied + rng.randint(120, 365)),
                    office[0],
                    None,
                    None,
                    None,
                    None,
                    created,
                )
            )
            return "enrolled", None
        filed = forced == "deferred_filed" or (forced is None and rng.random() < 0.45)
        if forced == "deferred_expiring":
            valid_until = t + rng.randint(5, 25)
        else:
            valid_until = t + int(rng.triangular(1, 330, 240))
        applied = t - rng.randint(20, 330)
        approved = min(applied + rng.randint(3, 20), t - 1)
        filed_on = min(approved + rng.randint(3, 30), t - 1) if filed else None
        created = datetime.fromordinal(applied) + timedelta(seconds=rng.randint(1800, 36000))
        approved_at = datetime.fromordinal(approved) + timedelta(seconds=rng.randint(1800, 36000))
        self.exemptions.append(
            (
                child_id,
                kind,
                reason,
                date.fromordinal(applied),
                "filed" if filed else "approved",
                date.fromordinal(valid_until),
                office[0],
                office[0],
                date.fromordinal(approved),
                self.bureau[0] if filed else None,
                date.fromordinal(filed_on) if filed else None,
                created,
            )
        )
        history.append(
            (
                approved_at,
                office[0],
                office[1],
                "update",
                "child",
                child_id,
                child_id,
                status_json("enrolled"),
                status_json("deferred"),
                rng.choice(names.REASONS[("enrolled", "deferred")]),
            )
        )
        return "deferred", approved_at

    def insert(self):
        """Write everything planned (demo_case_rows.insert); return (cases, visits, exemptions, notices, measures)."""
        return demo_case_rows.insert(self.cases, self.exemptions, self.notices, self.rng, self.today, self.config)

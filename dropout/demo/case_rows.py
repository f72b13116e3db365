"""一人一案 in the demo county, from plans to rows: a planned case's story put onto the calendar, its stored
status, repeat count and due dates derived from its events as casework.cases.refresh() would store them, and
everything demo_cases.CaseWork planned (cases, visits, events, exemptions, notices, closure requests) written in
bulk with explicit ids.
"""

import json
from datetime import date, datetime, timedelta

from ..casework.settings import CaseSettings
from ..db import bulk_insert, next_id
from ..rules import case_status
from . import closures as demo_closures
from . import names
from . import notices as demo_notices

SETTINGS = CaseSettings()
FOLLOWUP_MONTHS = SETTINGS.followup_months
# Steps that leave the next visit as it was (refresh() keeps it while the child is out of school).
PASSIVE_EVENTS = ("assigned", "notice_issued", "notice_served", "measure")
CASE_COLUMNS = (
    "id",
    "child_id",
    "absent_since",
    "opened_on",
    "opened_by_id",
    "reason",
    "reason_details",
    "cadre_id",
    "teacher_id",
    "status",
    "repeat_count",
    "next_visit_on",
    "deadline_on",
    "next_followup_on",
    "closed_kind",
    "created_at",
    "updated_at",
)
VISIT_COLUMNS = (
    "id",
    "case_id",
    "child_id",
    "user_id",
    "visited_on",
    "method",
    "met",
    "outcome",
    "reasons",
    "notes",
    "next_visit_on",
    "is_followup",
    "is_teaching",
    "is_late",
    "created_at",
)
EVENT_COLUMNS = ("id", "case_id", "kind", "happened_on", "at", "user_id", "visit_id", "data", "notes")
EXEMPTION_COLUMNS = (
    "id",
    "child_id",
    "kind",
    "reason",
    "applied_on",
    "status",
    "valid_until",
    "applied_by_id",
    "approved_by_id",
    "approved_on",
    "filed_by_id",
    "filed_on",
    "created_at",
)


def status_json(status):
    return json.dumps({"status": status})


def finish(s, child_id, history, cases, notices, rng, today):
    """Put a planned story onto the calendar and derive its case: the case row goes to `cases`, the notices it
    issues to `notices`, the child's status changes to `history`; return (the child's status, its last change)."""
    t = today.toordinal()
    for step in s.steps:
        if step[1] == "assigned":
            step[0] = step[6] = min(step[0], t)
        elif step[1] == "visit":
            if step[6] > t:
                step[6] = step[0]  # entered the same day after all
        else:  # status changes are all recorded before today
            step[6] = max(step[0], min(step[6], t - 1))
    steps = sorted(s.steps, key=lambda step: step[0])
    events, rules_events, visits = [], [], 0
    previous = None
    child_status, changed = "enrolled", None
    visit_days, absent = [], None
    for day, kind, actor, data, notes, visit, recorded, child_to in steps:
        at = datetime.fromordinal(recorded) + timedelta(seconds=rng.randint(1800, 36000))
        if recorded == day or kind != "visit":
            if previous is not None and at <= previous:
                at = previous + timedelta(seconds=rng.randint(60, 1800))
            previous = at
        on = date.fromordinal(day)
        if kind in ("opened", "left_again"):
            absent, visit_days = on, []  # a notice names the contacts since the child left (again)
        if isinstance(data, demo_notices.Step):
            data.happened(child_id, on, at, absent, visit_days)
            if data.what == "issued":
                notices.append(data.notice)
        if visit is not None:
            if not visit[6]:  # not a follow-up after a return
                visit_days.append((on, visit[1], visit[0]))  # day, method, the visitor's id
            visits += 1
            # user, visited_on, method, met, outcome, reasons, notes, next_visit_on, followup, late, entered
            visit = (
                visit[0],
                on,
                *visit[1:6],
                on + timedelta(days=SETTINGS.next_visit_days),
                visit[6],
                (recorded - day) > SETTINGS.late_entry_days,
                at,
            )
        if isinstance(data, demo_closures.Planned):  # approved with the closure: one transaction
            data.on_calendar(rng, today, decided_at=at)
        if isinstance(data, (demo_notices.Step, demo_closures.Planned)):  # its JSON waits for the record's id
            events.append((kind, on, at, actor[0], data, notes, visit))
            rules_events.append(case_status.Event(kind, on, data.rules()))
        else:
            events.append((kind, on, at, actor[0], json.dumps(data, ensure_ascii=False), notes, visit))
            rules_events.append(case_status.Event(kind, on, data))
        if child_to and child_to != child_status:
            reason = rng.choice(names.REASONS[(child_status, child_to)])
            history.append(
                (
                    at,
                    actor[0],
                    actor[1],
                    "update",
                    "child",
                    child_id,
                    child_id,
                    status_json(child_status),
                    status_json(child_to),
                    reason,
                )
            )
            child_status, changed = child_to, at
    for request in s.requests:
        if request.status != "approved":  # waiting, or sent back: no step of the case's
            request.on_calendar(rng, today)
    state = case_status.derive(rules_events, today, FOLLOWUP_MONTHS)
    next_visit = None
    if state.status in case_status.VISITING_STATUSES:
        for kind, _on, _at, _user, _data, _notes, visit in reversed(events):
            if visit is not None:
                next_visit = visit[7]
            if kind not in PASSIVE_EVENTS:
                break
    opened = next(step for step in steps if step[1] == "opened")
    absent_since = max(step[0] for step in steps if step[1] in ("opened", "left_again"))
    cases.append(
        (
            child_id,
            date.fromordinal(absent_since),
            date.fromordinal(opened[6]),
            opened[2][0],
            s.reason,
            s.details,
            s.cadre,
            s.teacher[0] if s.teacher else None,
            state.status,
            state.repeat_count,
            next_visit,
            state.deadline_on,
            state.followups_due[0] if state.followups_due else None,
            state.closed_kind,
            events[0][2],
            max(event[2] for event in events),
            events,
            s.requests,
        )
    )
    return child_status, changed


def insert(cases, exemptions, notices, rng, today, config):
    """Write everything planned, with explicit ids; return (cases, visits, exemptions, notices, measures) made."""
    case_rows, visit_rows, event_rows = [], [], []
    case_id, visit_id, event_id = next_id("dropout_case"), next_id("home_visit"), next_id("case_event")
    case_of = {row[0]: case_id + i for i, row in enumerate(cases)}
    notice_rows, measure_rows, counter_rows = demo_notices.rows(notices, case_of, rng, today, config)
    planned = [(columns[0], request) for *columns, _events, requests in cases for request in requests]
    closure_rows = demo_closures.rows(planned, case_of)  # first: the 'closed' steps name their request's id
    for *columns, events, _requests in cases:
        child_id = columns[0]
        case_rows.append((case_id, *columns))
        for kind, on, at, user, data, notes, visit in events:
            linked = None
            if visit is not None:
                visit_rows.append((visit_id, case_id, child_id, *visit[:9], False, visit[9], visit[10]))
                linked, visit_id = visit_id, visit_id + 1
            if isinstance(data, (demo_notices.Step, demo_closures.Planned)):
                data = data.json()
            event_rows.append((event_id, case_id, kind, on, at, user, linked, data, notes))
            event_id += 1
        case_id += 1
    exemption_id = next_id("exemption")
    exemption_rows = [(exemption_id + i, *row) for i, row in enumerate(exemptions)]
    bulk_insert("dropout_case", CASE_COLUMNS, case_rows)
    bulk_insert("home_visit", VISIT_COLUMNS, visit_rows)
    bulk_insert("case_event", EVENT_COLUMNS, event_rows)
    bulk_insert("exemption", EXEMPTION_COLUMNS, exemption_rows)
    bulk_insert("closure_request", demo_closures.COLUMNS, closure_rows)
    bulk_insert("return_notice", demo_notices.NOTICE_COLUMNS, notice_rows)
    bulk_insert("escalation", demo_notices.ESCALATION_COLUMNS, measure_rows)
    bulk_insert("document_counter", demo_notices.COUNTER_COLUMNS, counter_rows)
    return len(case_rows), len(visit_rows), len(exemption_rows), len(notice_rows), len(measure_rows)

"""A dropout case's status, derived from what was recorded: never typed in by hand.

suspected → dropped_out → persuading (after the first visit) → notice_running (notice
served) → overdue (its deadline passed) → returned → closed (a closure approved with its
proof: casework/closures; a stable return too, once the follow-up visits are done — the
last follow-up no longer closes the case by itself). A child who leaves again reopens the
same case: back to suspected, the repeat counted, the history kept.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date

OPEN_STATUSES = ("suspected", "dropped_out", "persuading", "notice_running", "overdue")
STATUSES = (*OPEN_STATUSES, "returned", "closed")
# Statuses in which a person is out of school and visits are due.
VISITING_STATUSES = ("dropped_out", "persuading", "notice_running", "overdue")


@dataclass(frozen=True)
class Event:
    """One recorded step: kind, the day it happened, and what it carries."""

    kind: str
    on: date
    data: dict = field(default_factory=dict)


@dataclass
class CaseState:
    status: str = "suspected"
    repeat_count: int = 0
    returned_on: date | None = None
    deadline_on: date | None = None
    followups_done: int = 0
    followups_due: tuple = ()
    closed_kind: str | None = None


def add_months(day, months):
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply(state, event, followup_months):
    kind = event.kind
    if kind == "opened":
        state.status = "suspected"
    elif kind == "left_again":
        state.status, state.repeat_count = "suspected", state.repeat_count + 1
        state.returned_on = state.deadline_on = state.closed_kind = None
        state.followups_done = 0
    elif kind == "confirmed" and state.status == "suspected":
        state.status = "dropped_out"
    elif kind == "not_dropout" and state.status == "suspected":
        state.status, state.closed_kind = "closed", "not_dropout"
    elif kind == "visit" and state.status == "dropped_out":
        state.status = "persuading"
    elif kind == "visit" and state.status == "returned" and event.data.get("followup"):
        state.followups_done += 1
    elif kind == "notice_served" and state.status in VISITING_STATUSES:
        state.status, state.deadline_on = "notice_running", event.data["deadline_on"]
    elif kind == "returned" and state.status in OPEN_STATUSES:
        state.status, state.returned_on, state.deadline_on = "returned", event.on, None
        state.followups_done = 0
    elif kind == "closed" and state.status != "closed":
        state.status, state.closed_kind = "closed", event.data["closure"]


def derive(events, today, followup_months=(1, 2, 3)):
    """The case's state on `today` from its events, applied in order."""
    state = CaseState()
    for event in events:
        _apply(state, event, followup_months)
    if state.status == "notice_running" and state.deadline_on is not None and today > state.deadline_on:
        state.status = "overdue"
    if state.status == "returned":
        dates = [add_months(state.returned_on, months) for months in followup_months]
        state.followups_due = tuple(dates[state.followups_done :])
    return state

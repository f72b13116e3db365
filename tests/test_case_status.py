"""The case status is derived from a sequence of recorded events."""

from datetime import date, timedelta

import pytest

from dropout.rules.case_status import Event, add_months, derive

D = date(2026, 3, 2)


def events(*steps):
    """(kind, days after D[, data]) tuples to Events."""
    return [Event(step[0], D + timedelta(days=step[1]), step[2] if len(step) > 2 else {}) for step in steps]


SERVED = {"deadline_on": date(2026, 4, 20)}

TABLE = [
    ([("opened", 0)], "suspected", 0),
    ([("opened", 0), ("not_dropout", 2)], "closed", 0),
    ([("opened", 0), ("confirmed", 3)], "dropped_out", 0),
    ([("opened", 0), ("confirmed", 3), ("visit", 4)], "persuading", 0),
    ([("opened", 0), ("visit", 1)], "suspected", 0),  # a visit before confirmation changes nothing
    ([("opened", 0), ("confirmed", 3), ("visit", 4), ("notice_served", 20, SERVED)], "notice_running", 0),
    ([("opened", 0), ("confirmed", 3), ("notice_served", 20, {"deadline_on": date(2026, 3, 30)})], "overdue", 0),
    ([("opened", 0), ("confirmed", 3), ("visit", 4), ("returned", 10)], "returned", 0),
    ([("opened", 0), ("returned", 1)], "returned", 0),  # back before confirmation
    ([("opened", 0), ("confirmed", 1), ("returned", 2), ("visit", 30, {"followup": True})], "returned", 0),
    (  # the last follow-up no longer closes the case: an approved stable-return closure does
        [("opened", 0), ("confirmed", 1), ("returned", 2)] + [("visit", 30 * k, {"followup": True}) for k in (1, 2, 3)],
        "returned",
        0,
    ),
    (
        [("opened", 0), ("confirmed", 1), ("returned", 2)]
        + [("visit", 30 * k, {"followup": True}) for k in (1, 2, 3)]
        + [("closed", 95, {"closure": "stable_return"})],
        "closed",
        0,
    ),
    ([("opened", 0), ("confirmed", 1), ("returned", 2), ("visit", 30)], "returned", 0),  # not a follow-up
    ([("opened", 0), ("confirmed", 1), ("returned", 2), ("left_again", 40)], "suspected", 1),
    ([("opened", 0), ("confirmed", 1), ("returned", 2), ("left_again", 40), ("confirmed", 41)], "dropped_out", 1),
    (
        [
            ("opened", 0),
            ("confirmed", 1),
            ("returned", 2),
            ("left_again", 40),
            ("confirmed", 41),
            ("returned", 50),
            ("left_again", 60),
        ],
        "suspected",
        2,
    ),
    ([("opened", 0), ("confirmed", 1), ("closed", 5, {"closure": "moved_away"})], "closed", 0),
    ([("opened", 0), ("confirmed", 1), ("closed", 5, {"closure": "deceased"}), ("visit", 9)], "closed", 0),
    ([("opened", 0), ("confirmed", 1), ("confirmed", 2)], "dropped_out", 0),
]


@pytest.mark.parametrize("steps, status, repeats", TABLE)
def test_status_from_events(steps, status, repeats):
    state = derive(events(*steps), today=date(2026, 4, 15))
    assert (state.status, state.repeat_count) == (status, repeats)


def test_the_notice_runs_until_its_deadline_day_and_is_overdue_after():
    steps = events(("opened", 0), ("confirmed", 1), ("notice_served", 5, {"deadline_on": date(2026, 3, 14)}))
    assert derive(steps, today=date(2026, 3, 14)).status == "notice_running"
    assert derive(steps, today=date(2026, 3, 15)).status == "overdue"


def test_a_return_ends_the_notice():
    steps = events(
        ("opened", 0), ("confirmed", 1), ("notice_served", 5, {"deadline_on": date(2026, 3, 14)}), ("returned", 20)
    )
    state = derive(steps, today=date(2026, 4, 1))
    assert state.status == "returned" and state.deadline_on is None


def test_follow_ups_fall_due_monthly_after_the_return():
    steps = events(("opened", 0), ("confirmed", 1), ("returned", 29), ("visit", 60, {"followup": True}))
    state = derive(steps, today=date(2026, 5, 1))
    assert state.returned_on == date(2026, 3, 31)
    assert state.followups_due == (date(2026, 5, 31), date(2026, 6, 30))  # the first is done


def test_follow_up_months_are_configurable():
    steps = events(("opened", 0), ("confirmed", 1), ("returned", 2), ("visit", 40, {"followup": True}))
    done = derive(steps, today=D, followup_months=(1,))
    assert (done.status, done.followups_due) == ("returned", ())  # done: a stable-return closure may follow
    assert derive(steps, today=D, followup_months=(1, 6)).followups_due == (add_months(D + timedelta(days=2), 6),)


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 5, 31), 12, date(2027, 5, 31)),
    ],
)
def test_add_months_across_month_and_year_ends(day, months, expected):
    assert add_months(day, months) == expected

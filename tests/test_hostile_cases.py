"""Hostile input on 一人一案: opening a case, its next steps (confirm, not a dropout, assign, return, close),
handing over a caseload, and the cases list's filters."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from conftest import born_aged, csrf_token, login
from hostile import HOSTILE, assert_sane, body, count, hostile_date, hostile_number, hostile_text, stored
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dropout import clock
from dropout.db import database
from dropout.models import CaseEvent, Child, DropoutCase

TODAY = clock.today()
ABSENT = TODAY - timedelta(days=30)
# Dates that may be right (today, the day of absence, blank for today) beside the hostile ones.
DATES = st.one_of(hostile_date(), st.sampled_from(["", TODAY.isoformat(), ABSENT.isoformat(), "2099-01-01"]))
IDS = st.one_of(hostile_number(), st.sampled_from(["1", "2", "3", "4", "5", ""]))


@pytest.fixture
def desk(app, client, make_user, make_village, make_school):
    """The county admin logged in, a village and school, a township cadre and a teacher to assign."""
    village = make_village()
    school = make_school(township=village.township)
    people = [make_user("admin"), make_user("township", township=village.township), make_user("teacher", school=school)]
    login(client, people[0])
    return {"village": village, "school": school, "token": csrf_token(client, "/cases/")}


def new_case(make_child, desk, status="suspected"):
    """A child with a case opened 30 days ago (and confirmed, for a dropout)."""
    child = make_child(village=desk["village"], school=desk["school"], birth_on=born_aged(10))
    with database.connection_context():
        case = DropoutCase.create(child=child, absent_since=ABSENT, opened_on=ABSENT, status=status)
        CaseEvent.create(case=case, kind="opened", happened_on=ABSENT)
        if status != "suspected":
            CaseEvent.create(case=case, kind="confirmed", happened_on=ABSENT, data='{"reason": "other"}')
    return case


def state(case_id):
    with database.connection_context():
        case = DropoutCase.get_by_id(case_id)
        return case.__data__, Child.get_by_id(case.child_id).__data__, count(CaseEvent, CaseEvent.case == case_id)


@HOSTILE
@given(field=st.sampled_from(["absent_since", "notes"]), value=st.one_of(DATES, hostile_text()))
def test_opening_a_case_takes_a_real_past_date_and_keeps_the_notes_exactly(client, desk, make_child, field, value):
    child = make_child(village=desk["village"], birth_on=born_aged(10))
    form = {"absent_since": ABSENT.isoformat(), "notes": "连续旷课", field: value}
    before = count(DropoutCase), count(CaseEvent)
    response = client.post(f"/cases/new?child={child.id}", data={**form, "csrf_token": desk["token"]})
    assert_sane(response, value)
    if response.status_code == 302:
        with database.connection_context():
            case = DropoutCase.get(DropoutCase.child == child.id)
            event = case.events.get()
        assert child.birth_on <= case.absent_since <= TODAY and event.notes == stored(form["notes"])
        assert_sane(client.get(response.headers["Location"]), value)
    else:
        assert response.status_code == 422 and "未保存" in body(response)
        assert (count(DropoutCase), count(CaseEvent)) == before


# Each step's fields: a right value, and what may be typed instead.
STEPS = {
    "confirm": {
        "reason": ("work", st.one_of(hostile_text(), st.sampled_from(["poverty", "other"]))),
        "details": ("在外打工", hostile_text()),
        "on": ("", DATES),
    },
    "not_dropout": {"on": ("", DATES), "notes": ("病假", hostile_text())},
    "assign": {"cadre": ("2", IDS), "teacher": ("3", IDS)},
    "return": {
        "on": ("", DATES),
        "placement": ("original", st.one_of(hostile_text(), st.just("vocational"))),
        "school": ("1", IDS),
        "grade": ("5", st.one_of(hostile_number(), st.sampled_from("0123456789"))),
        "notes": ("已返校", hostile_text()),
    },
    "close": {
        "closure": ("moved_away", st.one_of(hostile_text(), st.sampled_from(["completed", "deceased", "aged_out"]))),
        "on": ("", DATES),
        "receiving_school": ("外县一中", hostile_text()),
        "certificate": ("", hostile_text()),
        "death_on": ("", DATES),
    },
}
PREFIX = {"not_dropout": "nd"}
# Where a step keeps its free text: the event's notes, or a key of its data.
KEPT_TEXT = {
    "confirm": {"details": "notes"},
    "not_dropout": {"notes": "notes"},
    "return": {"notes": "notes"},
    "close": {"receiving_school": "receiving_school", "certificate": "certificate"},
}


@st.composite
def steps(draw):
    """A step with its right values, one of them (or none) replaced by something hostile."""
    action = draw(st.sampled_from(sorted(STEPS)))
    values = {name: right for name, (right, _) in STEPS[action].items()}
    field = draw(st.sampled_from([None, *values]))
    if field is not None:
        values[field] = draw(STEPS[action][field][1])
    return action, values


@HOSTILE
@example(
    step=("assign", {"cadre": "²", "teacher": "99999999999999999999"}), status="suspected"
)  # PostgreSQL: not an integer
@example(
    step=("return", {"on": "", "placement": "original", "school": "²", "grade": "5", "notes": ""}), status="dropped_out"
)
@example(
    step=("return", {"on": "", "placement": "original", "school": "1", "grade": "99999999999999999999", "notes": ""}),
    status="dropped_out",
)
@given(step=steps(), status=st.sampled_from(["suspected", "dropped_out"]))
def test_a_case_step_is_recorded_exactly_or_changes_nothing(client, desk, make_child, step, status):
    """Refused: a message, the case, the child and the timeline as they were. Recorded: one event, text kept exactly."""
    action, values = step
    case = new_case(make_child, desk, status)
    before = state(case.id)
    prefix = PREFIX.get(action, action)
    form = {f"{prefix}-{name}": value for name, value in values.items()}
    response = client.post(f"/cases/{case.id}/{action}", data={**form, "csrf_token": desk["token"]})
    assert_sane(response, *values.values())
    after = state(case.id)
    if response.status_code == 302:
        assert after[2] - before[2] in ((0, 1) if action == "assign" else (1,))
        with database.connection_context():
            event = CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()
            data = json.loads(event.data)
        for field, kept in KEPT_TEXT.get(action, {}).items():
            if kept == "notes":
                assert event.notes == stored(values[field])
            elif stored(values[field]):
                assert data[kept] == stored(values[field])
        assert event.happened_on <= TODAY
        assert_sane(client.get(f"/cases/{case.id}"), *values.values())
    else:
        assert response.status_code == 422
        assert after == before


@HOSTILE
@example(from_user="²", to_user="3")
@example(from_user="2", to_user="99999999999999999999")
@given(from_user=IDS, to_user=IDS)
def test_a_handover_names_two_real_people_or_moves_nothing(client, desk, make_child, from_user, to_user):
    case = new_case(make_child, desk)
    with database.connection_context():
        DropoutCase.update(cadre=2).where(DropoutCase.id == case.id).execute()
        before = [c.__data__ for c in DropoutCase.select().order_by(DropoutCase.id)]
    response = client.post(
        "/cases/handover", data={"from_user": from_user, "to_user": to_user, "csrf_token": desk["token"]}
    )
    assert_sane(response)
    with database.connection_context():
        after = [c.__data__ for c in DropoutCase.select().order_by(DropoutCase.id)]
    if response.status_code == 422:
        assert after == before
    else:
        assert response.status_code == 302
        assert all(c["cadre"] in (None, 2, int(to_user)) for c in after)


CASE_ARGS = ("status", "township", "village", "school", "reason", "person", "group", "overdue", "page")


@HOSTILE
@given(
    args=st.dictionaries(
        st.sampled_from(CASE_ARGS), st.one_of(hostile_text(), hostile_number(), hostile_date()), min_size=1, max_size=4
    )
)
def test_the_cases_list_takes_any_query(client, desk, args):
    response = client.get("/cases/", query_string=args)
    assert response.status_code == 200
    assert_sane(response, *args.values())


@HOSTILE
@example(child="99999999999999999999")  # once an overflow on SQLite
@given(child=st.one_of(hostile_number(), hostile_text()))
def test_a_case_form_for_a_child_that_is_no_id_is_not_found(client, desk, child):
    """?child= takes only an id; anything else is not found (404), never a database error."""
    for url in ("/cases/new", "/exemptions/new"):
        response = client.get(url, query_string={"child": child})
        assert_sane(response, child)
        assert response.status_code == 404


@settings(HOSTILE, max_examples=15)
@given(segment=st.one_of(hostile_text(), hostile_number()).map(lambda text: quote(text.strip() or "x", safe="")))
def test_a_path_naming_no_step_kind_or_upload_is_not_found(client, desk, make_child, segment):
    """The words in paths (a case's step, an exemption's step, a kind of place, an upload's token) are looked up,
    never run."""
    case = new_case(make_child, desk)
    for url in (
        f"/cases/{case.id}/{segment}",
        f"/exemptions/1/{segment}",
        f"/places/{segment}/new",
        f"/imports/{segment}/commit",
        f"/registers/{segment}/flag",
        f"/cases/{segment}",
    ):
        response = client.post(url, data={"csrf_token": desk["token"]})
        assert response.status_code in (404, 405) or url.endswith(("/confirm", "/assign", "/return", "/close")), url
        assert_sane(response, segment)

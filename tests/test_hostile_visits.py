"""Hostile input on the home-visit form (photo upload included), teaching visits and the exemption form (scan
upload included): anything refused leaves no row and no orphan file; anything kept is kept exactly."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import born_aged, csrf_token, login
from hostile import HOSTILE, assert_sane, count, hostile_date, hostile_number, hostile_text, stored, upload
from hypothesis import given
from hypothesis import strategies as st

from dropout import clock
from dropout.core.uploads import MAX_BYTES
from dropout.db import database
from dropout.models import CaseEvent, DropoutCase, Exemption, HomeVisit

TODAY = clock.today()
OPENED = TODAY - timedelta(days=20)
DATES = st.one_of(hostile_date(), st.sampled_from(["", TODAY.isoformat(), OPENED.isoformat()]))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
FILES = {
    "png": PNG,
    "jpeg": JPEG,
    "pdf": PDF,
    "gif": b"GIF89a" + b"\0" * 32,
    "html": b"<script>alert(1)</script>",
    "empty": b"",
    "jpeg at the limit": JPEG + b"\0" * (MAX_BYTES - len(JPEG)),
    "jpeg over the limit": JPEG + b"\0" * (MAX_BYTES + 1 - len(JPEG)),
}
FILE_NAMES = st.sampled_from(
    [
        "photo.png",
        "scan.pdf",
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "x.exe",
        "<script>.png",
        "照片.JPG",
        "a" * 300 + ".png",
        "",
    ]
)
FILES_SENT = st.tuples(
    st.one_of(
        st.sampled_from(sorted(FILES)).map(FILES.get), st.sampled_from([PNG, JPEG, PDF]), st.binary(max_size=512)
    ),
    FILE_NAMES,
)


@pytest.fixture
def teacher(app, client, tmp_path, make_user, make_village, make_school):
    village = make_village()
    school = make_school(township=village.township)
    login(client, make_user("admin"))
    return {
        "village": village,
        "school": school,
        "token": csrf_token(client, "/visits/new"),
        "uploads": Path(app.config["UPLOADS_DIR"]),
    }


def files_in(folder):
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def kept_file(teacher, relative):
    path = (teacher["uploads"] / relative).resolve()
    assert teacher["uploads"].resolve() in path.parents
    return path.read_bytes()


VISIT = {
    "visited_on": TODAY.isoformat(),
    "method": "home",
    "met": "guardian",
    "outcome": "refused",
    "reasons": "",
    "notes": "",
    "next_visit_on": "",
    "lessons": "",
    "latitude": "",
    "longitude": "",
}
VISIT_HOSTILE = {
    "visited_on": DATES,
    "next_visit_on": DATES,
    "method": hostile_text(),
    "met": hostile_text(),
    "outcome": hostile_text(),
    "reasons": hostile_text(),
    "notes": hostile_text(),
    "case": hostile_number(),
    "lessons": hostile_number(),
    "latitude": st.one_of(hostile_number(), st.sampled_from(["nan", "-inf", "1e999", "91", "39.9"])),
    "longitude": st.one_of(hostile_number(), st.sampled_from(["nan", "inf", "-181", "116.4"])),
}


@HOSTILE
@given(field=st.sampled_from([None, *sorted(VISIT_HOSTILE)]), data=st.data(), sent=st.one_of(st.none(), FILES_SENT))
def test_a_visit_is_kept_exactly_with_a_real_photo_or_not_at_all(client, teacher, make_child, field, data, sent):
    child = make_child(village=teacher["village"], school=teacher["school"], birth_on=born_aged(10))
    with database.connection_context():
        case = DropoutCase.create(child=child, absent_since=OPENED, opened_on=OPENED, status="dropped_out")
    form = {**VISIT, "case": str(case.id), "csrf_token": teacher["token"]}
    value = data.draw(VISIT_HOSTILE[field], label=field) if field else ""
    if field:
        form[field] = value
    if sent is not None:
        form["photo"] = (io.BytesIO(sent[0]), sent[1])
    before = count(HomeVisit), count(CaseEvent), files_in(teacher["uploads"])
    response = upload(client, "/visits/new", form)
    assert_sane(response, value, *(sent or ())[1:])
    if response.status_code == 302:
        with database.connection_context():
            visit = HomeVisit.select().order_by(HomeVisit.id.desc()).get()
        assert count(HomeVisit) == before[0] + 1 and str(visit.case_id) == form["case"].strip()
        assert (visit.reasons, visit.notes) == (stored(form["reasons"]), stored(form["notes"]))
        assert OPENED <= visit.visited_on <= TODAY and (visit.method, visit.outcome) == (
            form["method"],
            form["outcome"],
        )
        photo = sent[0] if sent and sent[1] else None
        if photo is None or not photo:
            assert visit.photo_path is None
        else:
            assert photo[:3] in (PNG[:3], JPEG[:3]) and len(photo) <= MAX_BYTES
            assert kept_file(teacher, visit.photo_path) == photo
        assert_sane(client.get(response.headers["Location"]), value)
    else:
        assert response.status_code == 422
        assert (count(HomeVisit), count(CaseEvent), files_in(teacher["uploads"])) == before


TEACHING_HOSTILE = {
    "lessons": st.one_of(hostile_number(), st.sampled_from(["1", "20", "21", "٣"])),
    "notes": hostile_text(),
    "visited_on": DATES,
}


@HOSTILE
@given(field=st.sampled_from(sorted(TEACHING_HOSTILE)), data=st.data())
def test_a_teaching_visit_counts_real_lessons_only(client, teacher, make_child, field, data):
    child = make_child(
        village=teacher["village"], school=teacher["school"], birth_on=born_aged(10), status="home_taught"
    )
    form = {**VISIT, "lessons": "2", "notes": "语文两课时", "outcome": "other", "csrf_token": teacher["token"]}
    value = form[field] = data.draw(TEACHING_HOSTILE[field], label=field)
    before = count(HomeVisit)
    response = client.post(f"/visits/new?child={child.id}", data=form)
    assert_sane(response, value)
    if response.status_code == 302:
        with database.connection_context():
            visit = HomeVisit.select().order_by(HomeVisit.id.desc()).get()
        assert visit.is_teaching and 1 <= visit.lessons <= 20 and visit.notes == stored(form["notes"])
    else:
        assert response.status_code == 422 and count(HomeVisit) == before


EXEMPTION = {
    "kind": "defer",
    "reason": "病，需住院治疗",
    "applied_on": OPENED.isoformat(),
    "valid_until": (TODAY + timedelta(days=180)).isoformat(),
}
EXEMPTION_HOSTILE = {
    "kind": hostile_text(),
    "reason": hostile_text(),
    "applied_on": DATES,
    "valid_until": st.one_of(DATES, st.just("9999-12-31")),
}


@HOSTILE
@given(field=st.sampled_from([None, *sorted(EXEMPTION_HOSTILE)]), data=st.data(), sent=st.one_of(st.none(), FILES_SENT))
def test_an_exemption_is_kept_exactly_with_a_real_scan_or_not_at_all(client, teacher, make_child, field, data, sent):
    child = make_child(village=teacher["village"], school=teacher["school"], birth_on=born_aged(10))
    form = {**EXEMPTION, "csrf_token": teacher["token"]}
    value = data.draw(EXEMPTION_HOSTILE[field], label=field) if field else ""
    if field:
        form[field] = value
    if sent is not None:
        form["scan"] = (io.BytesIO(sent[0]), sent[1])
    before = count(Exemption), files_in(teacher["uploads"])
    response = upload(client, f"/exemptions/new?child={child.id}", form)
    assert_sane(response, value, *(sent or ())[1:])
    if response.status_code == 302:
        with database.connection_context():
            exemption = Exemption.select().order_by(Exemption.id.desc()).get()
        assert exemption.reason == stored(form["reason"]) and exemption.kind == form["kind"]
        assert exemption.applied_on <= TODAY < exemption.valid_until or field == "valid_until"
        scan = sent[0] if sent and sent[1] else None
        if not scan:
            assert exemption.scan_path is None
        else:
            assert scan[:3] in (PNG[:3], JPEG[:3], PDF[:3]) and len(scan) <= MAX_BYTES
            assert kept_file(teacher, exemption.scan_path) == scan
        assert_sane(client.get(response.headers["Location"]), value)
    else:
        assert response.status_code == 422
        assert (count(Exemption), files_in(teacher["uploads"])) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("visited_on", "9999-12-31"),
        ("visited_on", "0001-01-01"),
        ("next_visit_on", "0001-01-01"),
        ("case", "99999999999999999999"),
        ("case", "²"),
        ("latitude", "nan"),
        ("lessons", "99999999999999999999"),
    ],
)
def test_extreme_visit_values_are_refused_with_a_message(client, teacher, make_child, field, value):
    """A visit dated 9999-12-31 once overflowed computing the next visit's day."""
    child = make_child(village=teacher["village"], school=teacher["school"], birth_on=born_aged(10))
    with database.connection_context():
        case = DropoutCase.create(child=child, absent_since=OPENED, opened_on=OPENED, status="dropped_out")
    form = {**VISIT, "case": str(case.id), field: value, "csrf_token": teacher["token"]}
    response = client.post("/visits/new", data=form)
    assert response.status_code == 422 and count(HomeVisit) == 0

"""Hostile files: roster imports (random bytes, hostile cells, misleading names) and the register cross-check.
A file is refused with a message and leaves nothing behind, or its rows are written exactly, all or none."""

import csv
import io
from pathlib import Path

import pytest
import xlsxwriter
from conftest import born_aged, csrf_token, login, roster_cells
from flask_babel import gettext
from hostile import (
    HOSTILE,
    assert_sane,
    body,
    count,
    hostile_date,
    hostile_number,
    hostile_text,
    landed,
    stored,
    upload,
)
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from peewee import fn

from dropout.db import database
from dropout.models import AuditLog, Child, DropoutCase, Guardian, School, Township, Village

HEADER = {
    "name": "姓名",
    "sex": "性别",
    "id_number": "身份证号",
    "birth_on": "出生日期",
    "ethnicity": "民族",
    "township": "乡镇",
    "village": "村（社区）",
    "group": "组",
    "address": "家庭住址",
    "guardian": "监护人",
    "relation": "与学生关系",
    "phone": "联系电话",
    "school": "学校",
    "grade": "年级",
    "student_number": "学籍号",
    "poor": "是否建档立卡",
    "disability": "残疾类别",
    "notes": "备注",
}
TEXT_COLUMNS = ("name", "ethnicity", "group", "address", "guardian", "relation", "notes")
MAGIC = st.sampled_from(
    [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"\xff\xfe", b"%PDF-"]
)
RANDOM_FILE = st.builds(lambda magic, rest: magic + rest, MAGIC, st.binary(max_size=2048))
NAMES = st.sampled_from(
    [
        "roster.csv",
        "roster.xlsx",
        "roster.xls",
        "roster.exe",
        "photo.png",
        "名册.CSV",
        "../../../etc/passwd",
        "<script>alert(1)</script>.csv",
    ]
)


@pytest.fixture
def office(app, client, tmp_path, make_user):
    """The county admin logged in; 城关镇 with 东街社区 and 城关镇中心小学, as the rows name them."""
    with database.connection_context():
        township = Township.create(name="城关镇", notice_prefix="城关镇控辍通")
        Village.create(township=township, name="东街社区")
        School.create(township=township, name="城关镇中心小学", kind="primary")
    login(client, make_user("admin"))
    return {"token": csrf_token(client, "/imports/"), "uploads": Path(app.config["UPLOADS_DIR"])}


def row(**values):
    born = born_aged(10)
    return roster_cells(born, **{"sex": "男", "birth_on": born.isoformat(), **values})


def spreadsheet(rows, kind):
    """The rows under the header as a CSV (UTF-8 or GB18030) or an .xlsx workbook."""
    table = [list(HEADER.values())] + [[r[key] for key in HEADER] for r in rows]
    if kind == "xlsx":
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
        sheet = workbook.add_worksheet("名册")
        for r, cells in enumerate(table):
            for c, value in enumerate(cells):
                sheet.write_string(r, c, value)
        workbook.close()
        return buffer.getvalue()
    text = io.StringIO()
    csv.writer(text).writerows(table)
    return text.getvalue().encode(kind)


def files_in(folder):
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def register_state():
    return count(Child), count(Guardian), count(AuditLog), count(DropoutCase)


@HOSTILE
@given(data=RANDOM_FILE, name=NAMES)
def test_any_bytes_as_a_roster_are_refused_or_previewed_never_written(client, office, data, name):
    before = register_state(), files_in(office["uploads"] / "imports")
    response = upload(client, "/imports/", {"file": (io.BytesIO(data), name), "csrf_token": office["token"]})
    assert_sane(response, name)
    if response.status_code == 302:
        page = landed(client, response)
        assert_sane(page, name)
        if page.request.path.startswith("/tasks/"):  # its check failed: nothing of it is kept
            assert 'role="status"' in body(page) and files_in(office["uploads"] / "imports") == before[1]
    else:
        assert response.status_code == 422 and 'role="alert"' in body(response)
        assert files_in(office["uploads"] / "imports") == before[1]  # nothing kept of a refused file
    assert register_state() == before[0]  # a preview writes nothing


CELLS = {key: hostile_text(nul=True) for key in TEXT_COLUMNS}
CELLS.update(
    sex=hostile_text(),
    id_number=st.one_of(hostile_number(), hostile_text()),
    birth_on=hostile_date(),
    township=hostile_text(),
    village=hostile_text(),
    school=hostile_text(),
    phone=hostile_number(),
    grade=hostile_number(),
    student_number=hostile_number(),
    poor=hostile_text(),
    disability=hostile_text(),
)


@HOSTILE
@given(
    column=st.sampled_from(sorted(CELLS)),
    data=st.data(),
    kind=st.sampled_from(["utf-8", "gb18030", "xlsx"]),
    rows=st.integers(1, 3),
)
def test_a_roster_with_a_hostile_cell_is_written_exactly_or_not_at_all(client, office, column, data, kind, rows):
    value = data.draw(CELLS[column], label=column)
    table = [row(**({column: value} if index == 0 else {})) for index in range(rows)]
    before = register_state()
    with database.connection_context():
        last_id = Child.select(fn.MAX(Child.id)).scalar() or 0
    response = upload(
        client,
        "/imports/",
        {"file": (io.BytesIO(spreadsheet(table, kind)), f"名册.{kind}"), "csrf_token": office["token"]},
    )
    assert_sane(response, value)
    if response.status_code == 422:  # a file unreadable as a whole (a NUL in a CSV, say)
        assert register_state() == before
        return
    preview = landed(client, response)
    assert_sane(preview, value)
    if preview.request.path.startswith("/tasks/"):  # the check read no row (a NUL in a CSV, say)
        assert register_state() == before
        return
    preview_url = preview.request.path
    committed = client.post(preview_url + "/commit", data={"csrf_token": office["token"]})
    assert_sane(landed(client, committed), value)
    rejected = client.get(preview_url + "/rejected.xlsx")
    assert rejected.status_code == 200 and rejected.data[:2] == b"PK"
    if register_state()[0] == before[0]:
        assert register_state() == before  # all or nothing: a rejected row keeps every row out
        assert 'role="alert"' in body(preview)  # the preview said why
        return
    assert register_state()[0] == before[0] + rows
    with database.connection_context():
        # The first row's child: by id, since a hostile ID number may be stored normalised, or blank as none.
        child = Child.select().where(Child.id > last_id).order_by(Child.id).get()
        guardian = child.guardians.get()
    kept = {
        "name": child.name,
        "ethnicity": child.ethnicity,
        "group": child.group,
        "address": child.address,
        "notes": child.notes,
        "guardian": guardian.name,
        "relation": guardian.relation,
    }
    if column in kept and stored(value):
        assert kept[column] == stored(value)
    assert_sane(client.get(f"/children/{child.id}"), value)


def test_a_rosters_kind_is_read_from_its_content_not_its_name(client, office):
    for kind in ("utf-8", "xlsx"):
        for name in ("roster.csv", "roster.xlsx", "roster.exe", "名册.png", "noextension"):
            response = upload(
                client,
                "/imports/",
                {"file": (io.BytesIO(spreadsheet([row()], kind)), name), "csrf_token": office["token"]},
            )
            assert "确认导入" in body(landed(client, response)), (kind, name)


LIST_HEADER = ("姓名", "身份证号", "出生日期", "监护人", "村", "学校", "学籍状态")


def register_list(cells, encoding):
    text = io.StringIO()
    csv.writer(text).writerows([LIST_HEADER, *cells])
    return text.getvalue().encode(encoding)


LIST_ROWS = st.lists(
    st.tuples(*(st.one_of(hostile_text(), hostile_number(), hostile_date()) for _ in LIST_HEADER)),
    min_size=1,
    max_size=4,
)
LIST_FILE = st.one_of(RANDOM_FILE, st.builds(register_list, LIST_ROWS, st.sampled_from(["utf-8", "gb18030", "utf-16"])))


@HOSTILE
@given(
    household=st.one_of(st.none(), LIST_FILE),
    enrolment=st.one_of(st.none(), LIST_FILE),
    name=NAMES,
    ticked=st.lists(st.one_of(hostile_number(), hostile_text()), max_size=3),
)
def test_a_cross_check_of_any_lists_reads_them_or_refuses_them_and_changes_nothing(
    client, office, household, enrolment, name, ticked
):
    token = csrf_token(client, "/registers/")
    form = {"csrf_token": token}
    for kind, data in (("household", household), ("enrolment", enrolment)):
        if data is not None:
            form[kind] = (io.BytesIO(data), name)
    before = register_state(), files_in(office["uploads"] / "registers")
    response = upload(client, "/registers/", form)
    assert_sane(response, name)
    if response.status_code == 302:
        result = landed(client, response)  # the task reading the lists, then their result
        assert result.status_code == 200
        assert_sane(
            result, *[cell for data in (household, enrolment) if data for cell in [data.decode("utf-8", "replace")]]
        )
        location = result.request.path
        if location.startswith("/tasks/"):  # a list could not be read: the task said why, and kept nothing
            assert files_in(office["uploads"] / "registers") == before[1]
        else:
            for list_name in ("candidates", "unregistered", "enrolled_but_out", "out_but_enrolled"):
                export = client.get(f"{location}/{list_name}.xlsx")
                assert export.status_code == 200 and export.data[:2] == b"PK"
            flagged = client.post(f"{location}/flag", data={"child": ticked, "csrf_token": token})
            assert flagged.status_code == 302  # ticked values that name no listed child open no case
    else:
        assert response.status_code == 422
        assert files_in(office["uploads"] / "registers") == before[1]
    assert register_state() == before[0]


@pytest.mark.parametrize("kind", ["utf-8", "xlsx"])
def test_a_nul_deep_in_a_roster_rejects_its_row_and_writes_nothing(app, client, office, kind):
    """A NUL past the first 8 KB of a CSV, or Excel's _x0000_, rejects the row by name; PostgreSQL never sees it."""
    table = [row() for _ in range(60)] + [row(name="甲\x00乙")]
    response = upload(
        client, "/imports/", {"file": (io.BytesIO(spreadsheet(table, kind)), "名册"), "csrf_token": office["token"]}
    )
    preview = landed(client, response)
    with app.test_request_context():
        message = gettext("The cell contains a NUL character, which no field accepts.")
    assert escape(message) in body(preview)
    before = register_state()
    client.post(preview.request.path + "/commit", data={"csrf_token": office["token"]})
    assert register_state() == before


def test_a_cross_check_list_with_a_nul_in_a_name_is_read(client, office):
    """UTF-16 text (Excel's "Unicode text") can carry a NUL: it is dropped, the list is still compared."""
    household = register_list([("甲\x00乙", "", born_aged(10).isoformat(), "", "", "", "")], "utf-16")
    response = upload(
        client,
        "/registers/",
        {"household": (io.BytesIO(household), "户籍.txt"), "csrf_token": csrf_token(client, "/registers/")},
    )
    result = landed(client, response)  # the task reading it, then the result
    assert result.status_code == 200 and "甲乙" in body(result)

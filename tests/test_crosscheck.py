"""比对: 户籍 and 学籍 lists uploaded as real spreadsheets and compared with the register."""

import csv
import io
import logging
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from conftest import born_aged, csrf_token, login, valid_id
from county import ROLES, build_county
from python_calamine import CalamineWorkbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dropout import clock
from dropout.db import database
from dropout.models import AuditLog, Child, DropoutCase, Guardian, Village
from dropout.roster import crosscheck
from dropout.roster import lists as register_lists
from dropout.rules import id_number

HOUSEHOLD_HEADER = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "监护人", "村（社区）"]
ENROLMENT_HEADER = ["姓名", "身份证号", "出生日期", "就读学校", "学籍状态"]


@pytest.fixture
def uploads(app):
    return Path(app.config["UPLOADS_DIR"]) / "registers"


@pytest.fixture
def county(app):
    return build_county()


def register(county, name, status="enrolled", with_id=True, age=10, village=None, school=None, guardian="家长"):
    """A register child in the home village (township 1) unless told otherwise."""
    birth_on = born_aged(age)
    with database.connection_context():
        child = Child.create(
            name=name,
            sex="M",
            birth_on=birth_on,
            id_number=valid_id(birth_on) if with_id else None,
            village=village or county.home_village,
            school=school,
            grade=4 if school else None,
            status=status,
        )
        Guardian.create(child=child, name=guardian, relation="父亲")
    return child


def household_row(number, child=None, name=None, id_number=None, birth_on=None, guardian="家长", village="东街社区"):
    """A 户籍 row for a register child (its ID and birth date) or for anyone else."""
    name = name if name is not None else child.name
    id_number = id_number if id_number is not None else (child.id_number or "" if child else "")
    birth_on = birth_on or (child.birth_on if child else "")
    return [str(number), name, "男", id_number, birth_on.isoformat() if birth_on else "", guardian, village]


def as_xlsx(rows, title=None):
    """A workbook written by openpyxl, the header below a merged title row when `title` is given."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_xlsxwriter(rows):
    """A workbook written by xlsxwriter, with real date cells in the 出生日期 column."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("户籍")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    birth_column = rows[0].index("出生日期")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r and c == birth_column and value:
                sheet.write_datetime(r, c, date.fromisoformat(value), date_format)
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


def as_csv(rows, encoding="gb18030"):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(client, household=None, enrolment=None, name="户籍.xlsx"):
    data = {"csrf_token": csrf_token(client, "/registers/")}
    if household is not None:
        data["household"] = (io.BytesIO(household), name)
    if enrolment is not None:
        data["enrolment"] = (io.BytesIO(enrolment), "学籍.xlsx")
    return client.post("/registers/", data=data, content_type="multipart/form-data")


def findings(app, user, token):
    """The upload's lists as read, and the comparison, as the page computes them."""
    with app.test_request_context(), database.connection_context():
        lists_read = crosscheck.load(user, app.config["UPLOADS_DIR"], token)
        return lists_read, crosscheck.compare(user, lists_read, clock.today())


def token_of(client, response):
    """The token of an upload's result page, reached through the task that reads its lists."""
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert page.request.path.startswith("/registers/"), page.get_data(as_text=True)[:2000]
    return page.request.path.rsplit("/", 1)[1]


@pytest.fixture
def lists(county):
    """A township's 户籍 and 学籍 lists and the register children they are about."""
    people = {
        "dropped": register(county, "刘小明", status="dropped_out"),
        "open": register(county, "陈小刚", status="suspected"),
        "no_id": register(county, "周小丽", status="dropped_out", with_id=False),
        "back": register(county, "吴小军", status="dropped_out"),
        "moved": register(county, "钱小多", status="moved_out"),
        "left": register(county, "郑小华", school=county.home_school),
    }
    with database.connection_context():
        DropoutCase.create(
            child=people["open"], absent_since=date(2026, 3, 1), opened_on=date(2026, 3, 1), status="suspected"
        )
        Child.update(status="dropped_out").where(Child.id == county.other.id).execute()
    household = [
        HOUSEHOLD_HEADER,
        household_row(1, county.own),
        household_row(2, people["dropped"]),
        household_row(3, people["open"]),
        household_row(4, people["no_id"]),
        household_row(5, people["back"]),
        household_row(6, people["moved"]),
        household_row(7, county.other, village="白马村"),  # outside the township's area
        household_row(8, name="孙小新", id_number=valid_id(born_aged(9)), guardian="孙大新"),
        household_row(9, name="老大", id_number=valid_id(born_aged(17))),  # past school age
        household_row(10, name="", id_number=valid_id(born_aged(9))),
    ]
    household += [household_row(11, people["dropped"]), list(household[8])]  # 刘小明 and 孙小新 twice: reported once
    enrolment = [
        ENROLMENT_HEADER,
        [county.own.name, county.own.id_number, "", "城关镇中心小学", "在籍"],
        [people["back"].name, people["back"].id_number, "", "城关镇中心小学", "在校"],
        [people["left"].name, people["left"].id_number, "", "城关镇中心小学", "转出"],
    ]
    return people, household, enrolment


def test_the_township_sees_who_is_enrolled_nowhere_and_where_the_registers_disagree(client, county, lists):
    _, household, enrolment = lists
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(household, title="城关镇适龄儿童户籍名单"), as_xlsx(enrolment)))
    page = client.get(f"/registers/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "户籍名单中未在任何地方就读的适龄儿童",
        "刘小明",
        "陈小刚",
        "周小丽",
        "孙小新",
        "第 12 行",
        "没有姓名",
    ):
        assert text in html, text
    assert "王小芳" in html  # the other township's child is, for this user, not in the register
    assert "老大" not in html and "钱小多" not in html

    lists_read, result = findings(client.application, county.users["township"], token)
    assert [child.name for _, child in result.candidates] == ["刘小明", "陈小刚", "周小丽"]
    assert [row.name for row in result.unregistered] == ["王小芳", "孙小新"]
    assert [child.name for _, child in result.enrolled_but_out] == ["吴小军"]
    assert [child.name for _, child in result.out_but_enrolled] == ["郑小华"]
    assert lists_read["household"].skipped == [(12, "没有姓名。")]


def test_the_county_sees_the_other_townships_child_in_the_register(client, county, lists):
    _, household, enrolment = lists
    login(client, county.users["admin"])
    token = token_of(client, upload(client, as_xlsx(household), as_xlsx(enrolment)))
    _, result = findings(client.application, county.users["admin"], token)
    assert [child.name for _, child in result.candidates] == ["刘小明", "陈小刚", "周小丽", "王小芳"]
    assert [row.name for row in result.unregistered] == ["孙小新"]


@pytest.mark.parametrize(
    "write",
    [
        lambda rows: as_xlsx(rows, title="户籍名单（2026年）"),
        as_xlsxwriter,
        as_csv,
        lambda rows: as_csv(rows, "utf-8-sig"),
    ],
    ids=["openpyxl with a merged title row", "xlsxwriter with date cells", "GB18030 csv", "UTF-8 csv"],
)
def test_every_kind_of_file_gives_the_same_findings(client, county, lists, write):
    _, household, _ = lists
    login(client, county.users["township"])
    token = token_of(client, upload(client, write(household), name="户籍"))
    _, result = findings(client.application, county.users["township"], token)
    # Without a 学籍 list, the register alone decides who is enrolled: 吴小军 is out of school there.
    assert [child.name for _, child in result.candidates] == ["刘小明", "陈小刚", "周小丽", "吴小军"]
    assert [row.name for row in result.unregistered] == ["王小芳", "孙小新"]


def test_a_long_list_is_matched_with_one_query_per_chunk_not_per_row(db, county):
    """1,200 rows with ID numbers and 600 without: 3 chunks of ID numbers, 2 chunks of names."""
    birth_on = born_aged(10)
    number = [id_number.make("513401", birth_on + timedelta(days=n // 500), n % 500 * 2 + 1) for n in range(1200)]
    rows = [register_lists.ListRow(n, f"儿童{n}", number[n] if n < 1200 else None, birth_on) for n in range(1800)]
    statements = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: statements.append(record.msg[0])
    peewee_log = logging.getLogger("peewee")
    level = peewee_log.level
    peewee_log.addHandler(handler)
    peewee_log.setLevel(logging.DEBUG)
    try:
        result = crosscheck.compare(
            county.users["admin"], {"household": register_lists.UploadedList("household", "x", rows)}, clock.today()
        )
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    assert len(result.unregistered) == 1800
    assert len(statements) == 3 + 4  # 1,800 names (every row: no ID number found) in chunks of 500


def test_an_id_number_excel_stored_as_a_number_is_never_guessed_back(db, county, tmp_path):
    child = register(county, "刘小明", status="dropped_out")
    rows = [HOUSEHOLD_HEADER, household_row(1, child), household_row(2, name="马小兵", id_number="", birth_on=None)]
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.active["D2"] = float(child.id_number[:17])  # what Excel keeps of a long number
    path = tmp_path / "户籍.xlsx"
    workbook.save(path)
    result = register_lists.read_list(path, "household", "户籍.xlsx", clock.today())
    assert [(row.name, row.id_number, row.birth_on) for row in result.rows] == [("刘小明", None, child.birth_on)]
    assert result.skipped == [(3, "没有有效的身份证号，也没有出生日期。")]


def test_flagging_opens_suspected_cases_in_one_go_and_skips_open_ones(client, county, lists, app):
    people, household, enrolment = lists
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(household), as_xlsx(enrolment)))
    chosen = [
        str(child.id) for child in (people["dropped"], people["open"], people["no_id"], county.own)
    ]  # 李小红 is no candidate
    response = client.post(
        f"/registers/{token}/flag", data={"csrf_token": csrf_token(client, f"/registers/{token}"), "child": chosen}
    )
    assert response.status_code == 302
    page = client.get(f"/registers/{token}").get_data(as_text=True)
    assert "2 名儿童已报为疑似辍学" in page and "已有在办案件，未重复上报：陈小刚" in page
    with database.connection_context():
        opened = {
            case.child.name: case
            for case in DropoutCase.select().where(DropoutCase.opened_by == county.users["township"].id)
        }
        assert set(opened) == {"刘小明", "周小丽"}
        assert {case.status for case in opened.values()} == {"suspected"}
        assert Child.get_by_id(people["dropped"].id).status == "suspected"
        assert Child.get_by_id(county.own.id).status == "enrolled"
        assert (
            AuditLog.select().where((AuditLog.child_id == people["dropped"].id) & (AuditLog.entity == "child")).count()
            == 1
        )


def test_flagging_nothing_or_a_non_candidate_changes_nothing(client, county, lists):
    _, household, _ = lists
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(household)))
    response = client.post(
        f"/registers/{token}/flag",
        data={"csrf_token": csrf_token(client, "/registers/"), "child": [str(county.own.id)]},
    )
    assert response.status_code == 302
    assert "请至少勾选一名儿童" in client.get(f"/registers/{token}").get_data(as_text=True)
    with database.connection_context():
        assert DropoutCase.select().count() == 1  # the one the fixture opened


def test_the_bureau_compares_but_does_not_flag(client, county, lists):
    people, household, _ = lists
    login(client, county.users["bureau"])
    token = token_of(client, upload(client, as_xlsx(household)))
    page = client.get(f"/registers/{token}").get_data(as_text=True)
    assert "刘小明" in page and 'name="child"' not in page
    response = client.post(
        f"/registers/{token}/flag",
        data={"csrf_token": csrf_token(client, "/registers/"), "child": [str(people["dropped"].id)]},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是电子表格"),
        (b"PK\x03\x04 not really a workbook", "不是电子表格"),
        ("甲,乙,丙\n1,2,3\n".encode("gb18030"), "前 10 行中找不到表头"),
        (None, "前 10 行中找不到表头"),  # a workbook whose header is below row 10
    ],
)
def test_bad_files_get_a_clear_message_and_leave_nothing(client, county, uploads, content, message):
    if content is None:
        content = as_xlsx([[""]] * 11 + [HOUSEHOLD_HEADER, household_row(1, county.own)])
    login(client, county.users["township"])
    assert message in refusal(client, upload(client, content))
    assert [path.name for path in uploads.iterdir()] == []


def refusal(client, response):
    """Why an upload was refused: at once (an empty or too large file, 422), or by the task that reads its lists
    (a file that is no spreadsheet or has no header: the task's page, failed)."""
    if response.status_code == 422:
        return response.get_data(as_text=True)
    page = client.get(response.headers["Location"], follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.request.path.startswith("/tasks/") and "失败" in text, text[:2000]
    return text


def test_a_file_over_the_size_limit_is_refused(client, county, app, uploads):
    app.config["IMPORT_MAX_MB"] = 1
    rows = [HOUSEHOLD_HEADER] + [
        household_row(n, name=f"儿童{n}", id_number="", birth_on=born_aged(9)) for n in range(40000)
    ]
    login(client, county.users["township"])
    # Built in memory: the test client would spool a body this large to an unclosed temporary file.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token(client, "/registers/"),
            "household": FileStorage(io.BytesIO(as_csv(rows)), "户籍.csv"),
        }
    )
    response = client.post("/registers/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "文件超过 1 MB" in response.get_data(as_text=True)
    assert list(uploads.iterdir()) == []


def test_no_file_at_all_is_refused(client, county):
    login(client, county.users["admin"])
    response = client.post(
        "/registers/", data={"csrf_token": csrf_token(client, "/registers/")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "请上传户籍名单、学籍名单或残联名单" in response.get_data(as_text=True)


def test_each_list_exports_with_masked_id_numbers(client, county, lists):
    people, household, enrolment = lists
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(household), as_xlsx(enrolment)))
    expected = {
        "candidates": ["刘小明", "陈小刚", "周小丽"],
        "unregistered": ["王小芳", "孙小新"],
        "enrolled_but_out": ["吴小军"],
        "out_but_enrolled": ["郑小华"],
    }
    for name, names in expected.items():
        response = client.get(f"/registers/{token}/{name}.xlsx")
        rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
        response.close()
        assert rows[1][:3] == ["行号", "姓名", "身份证号"], name
        assert [row[1] for row in rows[2:]] == names, name
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(client.get(f"/registers/{token}/candidates.xlsx").data))
        .get_sheet_by_index(0)
        .to_python()
    )
    number = people["dropped"].id_number
    assert rows[2][2] == number[:4] + "*" * 10 + number[-4:]


@pytest.mark.parametrize("role", ROLES)
def test_an_upload_is_seen_only_by_the_person_who_made_it(app, role):
    county = build_county()
    owner, other = app.test_client(), app.test_client()
    login(owner, county.users["township"])
    token = token_of(owner, upload(owner, as_xlsx([HOUSEHOLD_HEADER, household_row(1, county.own)])))
    login(other, county.users[role])
    expected = 200 if role == "township" else 403 if role in ("teacher", "village") else 404
    for url in (f"/registers/{token}", f"/registers/{token}/candidates.xlsx"):
        response = other.get(url)
        response.close()
        assert response.status_code == expected, url


@pytest.mark.parametrize(
    "role, status", [("admin", 200), ("bureau", 200), ("township", 200), ("teacher", 403), ("village", 403)]
)
def test_only_county_and_township_staff_cross_check(client, county, role, status):
    login(client, county.users[role])
    assert client.get("/registers/").status_code == status
    response = client.get("/registers/checks/duplicates.xlsx")
    response.close()
    assert response.status_code == status


@pytest.fixture
def doubtful(county):
    """Register entries that look like one child entered twice, and some that only look alike."""
    with database.connection_context():
        second_village = Village.create(township=county.home_village.township, name="西街社区")
        far_village = Village.create(township=county.other.village.township, name="白马二村")

    def at_school(name, **kw):
        return register(county, name, school=county.home_school, **kw)

    at_school("林小雨", guardian="林大山")
    at_school("林小雨", guardian="林大山", village=second_village)  # same guardian, two villages
    at_school("何小海")
    at_school("何小海", with_id=False)  # one without ID number
    at_school("高小山", guardian="高大")
    at_school("高小山", guardian="高大")  # two ID numbers in one village: two children
    at_school("罗小云", guardian="罗甲")
    at_school("罗小云", guardian="罗乙", village=second_village)  # different guardians
    register(county, "白小兰", village=county.other.village)
    register(county, "白小兰", village=far_village, with_id=False)  # outside the township's area
    at_school("超龄生", age=16)
    at_school("已毕业", age=16, status="completed")
    register(county, "无校生")
    return second_village


def test_the_register_checks_itself_within_the_users_scope(db, county, doubtful):
    today = clock.today()
    township, admin = county.users["township"], county.users["admin"]
    groups = crosscheck.duplicates(township)
    assert [(reasons, [child.name for child in children]) for reasons, children in groups] == [
        (["no_id"], ["何小海", "何小海"]),
        (["guardian"], ["林小雨", "林小雨"]),
    ]
    assert [child.guardians for child in groups[1][1]] == [("林大山",), ("林大山",)]
    assert "白小兰" in [children[0].name for _, children in crosscheck.duplicates(admin)]
    assert [c.name for c in crosscheck.register_children(crosscheck.past_school_age(township, today))] == ["超龄生"]
    # Every child has a status: "no status" is read as enrolled with no school named.
    assert [c.name for c in crosscheck.register_children(crosscheck.without_school(township, today))] == ["无校生"]


def test_the_register_checks_show_and_export(client, county, doubtful):
    login(client, county.users["township"])
    page = client.get("/registers/").get_data(as_text=True)
    for text in (
        "名册比对",
        "重复登记的儿童",
        "姓名、出生日期相同，其中一人无身份证号",
        "林大山",
        "已超过义务教育年龄仍标记为在校",
        "超龄生",
        "无校生",
    ):
        assert text in page, text
    assert "白小兰" not in page and "已毕业" not in page
    response = client.get("/registers/checks/duplicates.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    response.close()
    assert rows[1][:3] == ["组号", "姓名", "身份证号"]
    assert [(row[0], row[1]) for row in rows[2:]] == [
        ("1", "何小海"),
        ("1", "何小海"),
        ("2", "林小雨"),
        ("2", "林小雨"),
    ]
    assert all("*" * 10 in row[2] or row[2] == "" for row in rows[2:])
    response = client.get("/registers/checks/past_age.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    response.close()
    assert [row[0] for row in rows[2:]] == ["超龄生"] and rows[2][3] == "16"

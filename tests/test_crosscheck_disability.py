"""比对 with a 残联 (disability federation) list: disabled school-age children missing from the register or out
of school by it, register children whose disability category the list contradicts, and the one step that
takes the list's category into the register (audited, scoped, never by the bureau)."""

import csv
import io
import json
from datetime import date

import openpyxl
import pytest
import xlsxwriter
from conftest import born_aged, csrf_token, login, valid_id
from county import build_county
from hostile import HOSTILE, assert_sane, hostile_date, hostile_number, hostile_text
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from test_crosscheck import as_csv, as_xlsx, refusal, token_of
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dropout import clock
from dropout.choices import DISABILITY_CATEGORIES
from dropout.core.errors import PermissionDenied
from dropout.db import database
from dropout.models import AuditLog, Child, Guardian
from dropout.roster import crosscheck
from dropout.roster import lists as register_lists
from dropout.rules import id_number

HEADER = ["序号", "姓名", "性别", "身份证号", "出生日期", "残疾类别", "残疾等级", "户籍地址", "发证日期"]


@pytest.fixture
def county(app):
    return build_county()


@pytest.fixture
def uploads(app):
    from pathlib import Path

    return Path(app.config["UPLOADS_DIR"]) / "registers"


def register(county, name, status="enrolled", category=None, grade=None, with_id=True, age=10):
    """A register child in the home village (township 1)."""
    birth_on = born_aged(age)
    with database.connection_context():
        child = Child.create(
            name=name,
            sex="M",
            birth_on=birth_on,
            id_number=valid_id(birth_on) if with_id else None,
            village=county.home_village,
            status=status,
            disability_category=category,
            disability_grade=grade,
        )
        Guardian.create(child=child, name="家长", relation="父亲")
    return child


def row(number, name, category, grade="", child=None, id_number_=None, birth_on=None, address="城关镇东街"):
    """A 残联 row: a register child's ID and birth date, or those given."""
    id_text = id_number_ if id_number_ is not None else (child.id_number or "" if child else "")
    birth = birth_on if birth_on is not None else (child.birth_on if child else None)
    return [
        str(number),
        name,
        "男",
        id_text,
        birth.isoformat() if birth else "",
        category,
        grade,
        address,
        "2024-05-01",
    ]


@pytest.fixture
def disabled(county):
    """Register children, and a 残联 list of them and of others (adults, children not registered)."""
    people = {
        "missing": register(county, "陈小明", status="enrolled"),  # no category: take the list's
        "out": register(county, "赵小聪", status="dropped_out", category="hearing", grade=2),
        "home": register(county, "钱小智", status="home_taught", category="physical", grade=2),  # different category
        "special": register(county, "孙小特", status="special_school", category="intellectual", grade=3),
        "limb": register(county, "周小肢", status="suspected"),
        "no_id": register(county, "吴小言", status="dropped_out", category="speech", with_id=False),
    }
    rows = [
        HEADER,
        row(1, "陈小明", "视力残疾", "一级", people["missing"]),
        row(2, "赵小聪", "听力残疾", "二级", people["out"]),
        row(3, "钱小智", "智力", "3", people["home"]),
        row(4, "孙小特", "智力残疾", "三级", people["special"]),
        row(5, "周小肢", "肢体残疾", "", people["limb"]),
        row(6, "吴小言", "言语残疾", "四级", birth_on=people["no_id"].birth_on),
        row(7, county.other.name, "精神残疾", "二级", county.other),  # the other township's child
        row(8, "新小视", "视力残疾", "2级", id_number_=valid_id(born_aged(8))),  # not registered
        row(9, "新小肢", "肢体残疾", "", id_number_=valid_id(born_aged(12))),  # not registered, not of the three
        row(10, "老大人", "智力残疾", "", id_number_=valid_id(date(1990, 5, 1))),  # an adult: never missing
        row(11, "错号码", "听力残疾", "", id_number_="513401201503140010"),  # broken ID, no birth date: not used
        row(
            12, "号码错", "智力残疾", "", id_number_="513401201503140010", birth_on=born_aged(9)
        ),  # used on name + birth
        row(13, "怪类别", "其他", "", id_number_=valid_id(born_aged(9))),
        row(14, "陈小明", "听力残疾", "", people["missing"]),  # listed twice: reported once, as first listed
    ]
    return people, rows


def upload(client, disability=None, name="残联名单.xlsx", **others):
    data = {"csrf_token": csrf_token(client, "/registers/")}
    if disability is not None:
        data["disability"] = (io.BytesIO(disability), name)
    for kind, content in others.items():
        data[kind] = (io.BytesIO(content), f"{kind}.xlsx")
    return client.post("/registers/", data=data, content_type="multipart/form-data")


def findings(app, user, token):
    with app.test_request_context(), database.connection_context():
        lists = crosscheck.load(user, app.config["UPLOADS_DIR"], token)
        return lists, crosscheck.compare(user, lists, clock.today(), app.config["SCHOOL_START_AGE"])


def names(pairs):
    return [child.name for _, child in pairs]


def as_xlsxwriter(rows):
    """xlsxwriter, the 出生日期 column as real date cells, a title row above the header."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("残联")
    sheet.merge_range(0, 0, 0, len(rows[0]) - 1, "城关镇持证残疾人名单")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    column = rows[0].index("出生日期")
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if r > 1 and c == column and value:
                sheet.write_datetime(r, c, date.fromisoformat(value), date_format)
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    "write",
    [as_xlsx, as_xlsxwriter, as_csv, lambda rows: as_csv(rows, "utf-8-sig")],
    ids=["openpyxl", "xlsxwriter with a title and date cells", "GB18030 csv", "UTF-8 csv"],
)
def test_the_three_findings_from_any_kind_of_file(client, county, disabled, write):
    _, rows = disabled
    login(client, county.users["township"])
    token = token_of(client, upload(client, write(rows)))
    lists, result = findings(client.application, county.users["township"], token)
    # Missing from the register: school-age only; 王小芳 is outside this township's register.
    assert [(row.name, row.disability, row.is_three_category) for row in result.disabled_unregistered] == [
        ("王小芳", "mental", False),
        ("新小视", "visual", True),
        ("新小肢", "physical", False),
        ("号码错", "intellectual", True),
        ("怪类别", None, False),
    ]
    # Out of school: 送教上门 and the special school count as in school.
    assert names(result.disabled_out_of_school) == ["赵小聪", "周小肢", "吴小言"]
    # Category missing or different, with the list's grade when it gives one.
    assert [(child.name, row.disability, row.disability_grade) for row, child in result.disability_mismatch] == [
        ("陈小明", "visual", 1),
        ("钱小智", "intellectual", 3),
        ("周小肢", "physical", None),
    ]
    listed, title = lists["disability"], 1 if write is as_xlsxwriter else 0  # the title row pushes the rows down
    assert listed.skipped == [(12 + title, "身份证号校验位不正确，请检查是否输错。")]
    assert listed.notes == [
        (13 + title, "身份证号未采用，按姓名和出生日期比对：身份证号校验位不正确，请检查是否输错。"),
        (14 + title, "无法识别的残疾类别：其他"),
    ]
    assert result.candidates == [] and result.household is None


def test_the_result_page_shows_the_findings_and_the_rows_it_could_not_use(client, county, disabled):
    _, rows = disabled
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    page = client.get(f"/registers/{token}").get_data(as_text=True)
    for text in (
        "残联名单中未在名册登记的适龄残疾儿童",
        "残联名单中名册显示未在校的适龄残疾儿童",
        "名册中残疾类别缺失或与残联名单不一致",
        "新小视",
        "视力 · 二级",
        "三类残疾",
        "其中视力、听力、言语、智力残疾（三类残疾）2 人",
        "城关镇东街",
        "第 12 行",
        "身份证号校验位不正确",
        "无法识别的残疾类别：其他",
        "未登记",
        "/children/new",
        "按名单更新所勾选儿童的残疾类别",
    ):
        assert text in page, text
    assert "老大人" not in page and "发证日期" not in page
    # Children with no category are ticked; a different category waits for a person to tick it.
    assert page.count('name="child"') == 3 and page.count("checked") == 2


def test_taking_the_lists_category_is_one_audited_step(client, county, disabled):
    people, rows = disabled
    township = county.users["township"]
    login(client, township)
    token = token_of(client, upload(client, as_xlsx(rows)))
    chosen = [people["missing"].id, people["home"].id, people["special"].id]  # 孙小特 already agrees: no candidate
    response = client.post(
        f"/registers/{token}/disability",
        data={"csrf_token": csrf_token(client, f"/registers/{token}"), "child": [str(n) for n in chosen]},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#disability_mismatch")
    page = client.get(f"/registers/{token}").get_data(as_text=True)
    assert "已按名单更新 2 名儿童的残疾类别" in page
    with database.connection_context():
        stored = {
            c.name: (c.disability_category, c.disability_grade)
            for c in Child.select().where(Child.id.in_([p.id for p in people.values()]))
        }
        assert stored["陈小明"] == ("visual", 1)
        assert stored["钱小智"] == ("intellectual", 3)
        assert stored["孙小特"] == ("intellectual", 3) and stored["周小肢"] == (None, None)
        entries = list(AuditLog.select().where((AuditLog.entity == "child") & (AuditLog.user == township.id)))
        assert sorted(entry.child_id for entry in entries) == sorted([people["missing"].id, people["home"].id])
        entry = next(e for e in entries if e.child_id == people["home"].id)
        assert entry.action == "update" and entry.reason == "依据残联名单。"
        before, after = json.loads(entry.before), json.loads(entry.after)
        assert (before["disability_category"], before["disability_grade"]) == ("physical", 2)
        assert (after["disability_category"], after["disability_grade"]) == ("intellectual", 3)
        assert before["status"] == after["status"] == "home_taught"
    _, result = findings(client.application, township, token)
    assert names(result.disability_mismatch) == ["周小肢"]


def test_a_township_cannot_take_a_category_for_another_townships_child(client, county, disabled, app):
    _, rows = disabled
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    response = client.post(
        f"/registers/{token}/disability",
        data={"csrf_token": csrf_token(client, f"/registers/{token}"), "child": [str(county.other.id)]},
    )
    assert response.status_code == 302
    assert "请至少勾选一名儿童" in client.get(f"/registers/{token}").get_data(as_text=True)
    # A comparison of the county's register, handed to the township's account, changes nothing either.
    admin_client = app.test_client()
    login(admin_client, county.users["admin"])
    admin_token = token_of(admin_client, upload(admin_client, as_xlsx(rows)))
    _, county_result = findings(app, county.users["admin"], admin_token)
    assert "王小芳" in names(county_result.disability_mismatch)
    with app.test_request_context(), database.connection_context():
        with pytest.raises(PermissionDenied):
            crosscheck.take_categories(county.users["township"], county_result, [county.other.id])
        assert Child.get_by_id(county.other.id).disability_category is None
        assert AuditLog.select().where(AuditLog.entity == "child").count() == 0


def test_the_county_admin_takes_the_other_townships_category(client, county, disabled):
    _, rows = disabled
    login(client, county.users["admin"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    client.post(
        f"/registers/{token}/disability",
        data={"csrf_token": csrf_token(client, f"/registers/{token}"), "child": [str(county.other.id)]},
    )
    with database.connection_context():
        child = Child.get_by_id(county.other.id)
        assert (child.disability_category, child.disability_grade) == ("mental", 2)


def test_the_bureau_reads_the_findings_but_takes_nothing(client, county, disabled):
    people, rows = disabled
    login(client, county.users["bureau"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    page = client.get(f"/registers/{token}").get_data(as_text=True)
    assert "陈小明" in page and 'name="child"' not in page and "按名单更新所勾选儿童" not in page
    response = client.post(
        f"/registers/{token}/disability",
        data={"csrf_token": csrf_token(client, "/registers/"), "child": [str(people["missing"].id)]},
    )
    assert response.status_code == 403
    with database.connection_context():
        assert Child.get_by_id(people["missing"].id).disability_category is None


def test_a_certificate_number_gives_the_id_category_and_grade(client, county):
    """A 残疾人证 number is the ID number, a category digit (1 visual … 5 intellectual, 7 multiple) and a grade."""
    child = register(county, "陈小明")
    unregistered = valid_id(born_aged(9))
    rows = [
        ["姓名", "残疾证号", "住址"],
        ["陈小明", child.id_number + "52", "东街"],
        ["新小多", unregistered + "71", "西街"],
    ]
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    _, result = findings(client.application, county.users["township"], token)
    assert [(c.name, r.disability, r.disability_grade) for r, c in result.disability_mismatch] == [
        ("陈小明", "intellectual", 2)
    ]
    assert [(r.name, r.id_number, r.disability, r.address) for r in result.disabled_unregistered] == [
        ("新小多", unregistered, "multiple", "西街")
    ]


def test_the_disability_list_is_compared_beside_the_other_lists(client, county, disabled):
    people, rows = disabled
    household = [["姓名", "身份证号", "出生日期"], [people["limb"].name, people["limb"].id_number, ""]]
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(rows), household=as_xlsx(household)))
    _, result = findings(client.application, county.users["township"], token)
    assert names(result.candidates) == ["周小肢"]
    assert names(result.disabled_out_of_school) == ["赵小聪", "周小肢", "吴小言"]


def test_each_disability_list_exports_with_masked_id_numbers(client, county, disabled):
    people, rows = disabled
    login(client, county.users["township"])
    token = token_of(client, upload(client, as_xlsx(rows)))
    expected = {
        "disabled_unregistered": ["王小芳", "新小视", "新小肢", "号码错", "怪类别"],
        "disabled_out_of_school": ["赵小聪", "周小肢", "吴小言"],
        "disability_mismatch": ["陈小明", "钱小智", "周小肢"],
    }
    for list_name, expected_names in expected.items():
        response = client.get(f"/registers/{token}/{list_name}.xlsx")
        table = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
        response.close()
        assert table[1][:3] == ["行号", "姓名", "身份证号"], list_name
        assert [line[1] for line in table[2:]] == expected_names, list_name
        assert "名单上的残疾类别" in table[1] and "是否三类残疾" in table[1], list_name
    table = (
        CalamineWorkbook.from_filelike(io.BytesIO(client.get(f"/registers/{token}/disability_mismatch.xlsx").data))
        .get_sheet_by_index(0)
        .to_python()
    )
    number = people["missing"].id_number
    assert table[2][2] == id_number.mask(number) and number not in str(table)
    assert table[2][4:7] == ["视力", "一级", "是"] and table[2][-1] == ""


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "这不是电子表格文件"),
        (b"PK\x03\x04 not really a workbook", "这不是电子表格文件"),
        ("残疾类别,等级\n视力,一级\n".encode("gb18030"), "前 10 行中找不到表头"),
        ("姓名,身份证号,出生日期\n张三,,2015-03-14\n".encode(), "没有“残疾类别”列"),
        (b"", "文件是空的"),
    ],
    ids=["an image", "a broken workbook", "no name or ID column", "no disability column", "empty"],
)
def test_a_bad_list_is_refused_with_the_reason_and_changes_nothing(client, county, uploads, content, message):
    """An empty file beside its field at once; a list that cannot be read on the page of the task reading it."""
    child = register(county, "陈小明")
    login(client, county.users["township"])
    response = upload(client, content)
    html = refusal(client, response)
    if response.status_code == 422:
        field = html[html.index('<label for="disability">') :]
        html = field[: field.index("</div>")]
    assert message in html
    assert list(uploads.iterdir()) == []
    with database.connection_context():
        assert Child.get_by_id(child.id).disability_category is None
        assert AuditLog.select().where(AuditLog.entity != "login").count() == 0  # the login itself is audited


def test_a_list_over_the_size_limit_is_refused(client, county, app, uploads):
    app.config["IMPORT_MAX_MB"] = 1
    rows = [HEADER] + [row(n, f"儿童{n}", "视力残疾", id_number_="", birth_on=born_aged(9)) for n in range(30000)]
    login(client, county.users["township"])
    # Built in memory: the test client would spool a body this large to an unclosed temporary file.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token(client, "/registers/"),
            "disability": FileStorage(io.BytesIO(as_csv(rows)), "残联.csv"),
        }
    )
    response = client.post("/registers/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "文件超过 1 MB" in response.get_data(as_text=True)
    assert list(uploads.iterdir()) == []


@pytest.mark.parametrize(
    "text, code, three",
    [
        ("视力残疾", "visual", True),
        ("听力", "hearing", True),
        ("言语残疾", "speech", True),
        ("智力残疾类", "intellectual", True),
        ("听力语言残疾", "hearing", True),
        ("肢体残疾", "physical", False),
        ("精神", "mental", False),
        ("多重残疾", "multiple", False),
        ("其他", None, False),
        ("", None, False),
    ],
)
def test_the_federations_words_map_to_the_register_codes(text, code, three):
    assert register_lists.disability_code(text) == code
    assert register_lists.ListRow(1, "甲", None, date(2015, 1, 1), disability=code).is_three_category is three


@pytest.mark.parametrize(
    "text, grade", [("一级", 1), ("2级", 2), ("３", 3), ("四级", 4), ("IV", 4), ("五级", None), ("重度", None)]
)
def test_disability_grades_are_read_from_their_usual_spellings(text, grade):
    assert register_lists.disability_grade(text) == grade


def test_a_grade_excel_stored_as_a_number_is_read(app, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "出生日期", "残疾类别", "残疾等级"])
    workbook.active.append(["甲", "2015-03-14", "智力", 3])
    workbook.active.append(["乙", "2015-03-14", "智力", 7])
    path = tmp_path / "残联.xlsx"
    workbook.save(path)
    with app.test_request_context():
        listed = register_lists.read_list(path, "disability", "残联.xlsx", date(2026, 9, 1))
    assert [(r.name, r.disability_grade) for r in listed.rows] == [("甲", 3), ("乙", None)]
    assert listed.notes == [(3, "残疾等级应在一级到四级之间。")]


CELL = st.one_of(hostile_text(), hostile_number(), hostile_date())


@pytest.fixture
def listed_child(county):
    """One register child, shared by every example of a property test."""
    return register(county, "陈小明")


@HOSTILE
@given(
    cells=st.lists(st.tuples(*(CELL for _ in range(7))), min_size=1, max_size=4),
    category=st.one_of(CELL, st.sampled_from(["视力残疾", "智力", "肢体类", "多重残疾"])),
    grade=st.one_of(CELL, st.sampled_from(["一级", "4", "五级"])),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
    ticked=st.lists(hostile_number(), max_size=3),
)
def test_a_list_of_hostile_cells_is_read_or_refused_and_changes_only_what_it_may(
    client, county, listed_child, cells, category, grade, encoding, ticked
):
    """Any cells: the page answers, nothing leaks unescaped, and a take sets at most the one listed child's
    category, to a code and grade the register knows."""
    child = listed_child
    header = ["姓名", "身份证号", "出生日期", "残疾类别", "残疾等级", "残疾证号", "住址"]
    table = [header, *cells, ["陈小明", child.id_number, "", category, grade, "", ""]]
    login(client, county.users["township"])
    text = io.StringIO()
    csv.writer(text).writerows(table)
    try:
        content = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # GB18030 cannot carry every code point: such a file cannot exist
    with database.connection_context():
        before = Child.select().count(), AuditLog.select().count()
    response = upload(client, content, name="残联.csv")
    assert_sane(response, *[value for row in table for value in row])
    if response.status_code != 302:
        assert response.status_code == 422
        return
    result = client.get(response.headers["Location"], follow_redirects=True)  # the task reading it, then the result
    assert_sane(result, *[value for row in table for value in row])
    location = result.request.path
    if location.startswith("/tasks/"):  # the list could not be read: its task says why, nothing was kept
        return
    for list_name in ("disabled_unregistered", "disabled_out_of_school", "disability_mismatch"):
        export = client.get(f"{location}/{list_name}.xlsx")
        assert export.status_code == 200 and export.data[:2] == b"PK"
    taken = client.post(
        f"{location}/disability", data={"child": [*ticked, str(child.id)], "csrf_token": csrf_token(client, location)}
    )
    assert taken.status_code == 302
    with database.connection_context():
        stored_child = Child.get_by_id(child.id)
        assert stored_child.disability_category in (None, *DISABILITY_CATEGORIES)
        assert stored_child.disability_grade in (None, 1, 2, 3, 4)
        assert Child.select().count() == before[0] and AuditLog.select().count() <= before[1] + 1

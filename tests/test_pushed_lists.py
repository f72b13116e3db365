"""核查 of the platform's pushed lists: headers read as the roster's, rows matched by ID number, 学籍号 or name and
birth date, verified by their township, a case opened from a row, progress per township, the feedback file in the
layout received, and verifications kept when the next push comes."""

import io
import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from conftest import login, task_result, valid_id
from county import build_county
from hostile import HOSTILE, assert_sane, body, count, hostile_text
from hypothesis import given
from hypothesis import strategies as st
from pushed import HEADERS, csv_bytes, row, taken, upload, xlsx
from python_calamine import CalamineWorkbook
from test_ledger import statements_of

from dropout import clock
from dropout.db import database
from dropout.models import AuditLog, DropoutCase, PushedList, PushedRow, Township
from dropout.verification import lists


@pytest.fixture
def county(app):
    county = build_county()
    with database.connection_context():
        county.other.student_number = "G2015000002"
        county.other.save()
    return county


def rows_of(title=None):
    with database.connection_context():
        query = PushedRow.select().join(PushedList).order_by(PushedList.id, PushedRow.row_number)
        if title:
            query = query.where(PushedList.title == title)
        return list(query)


def the_list():
    with database.connection_context():
        return PushedList.select().order_by(PushedList.id.desc()).get()


def township_id(name):
    with database.connection_context():
        return Township.get(Township.name == name).id


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def three_ways(county):
    """One row matched each way, one placed by its school, one the register does not know."""
    assigned = county.assigned
    return [
        row(1, "李小红", county.own.id_number, school="城关镇中心小学"),
        row(2, "王小芳", student_number="G2015000002"),
        row(3, "赵小燕", birth_on=assigned.birth_on.isoformat()),
        row(4, "钱小多", valid_id(), school="白马乡中心小学"),
        row(5, "孙小少", school="外县某小学"),
    ]


def test_headers_are_read_as_the_rosters_and_unknown_columns_kept(client, county):
    login(client, county.users["bureau"])
    data = xlsx(three_ways(county), title="全国控辍保学平台 疑似辍学学生名单")
    response = upload(client, data)
    assert taken(response), response.get_data(as_text=True)
    assert "名单已导入：共 5 行。" in response.get_data(as_text=True)
    pushed = the_list()
    layout = lists.layout(pushed)
    assert layout["kind"] == "xlsx" and layout["headers"] == HEADERS  # the header row, not the title above it
    assert {"student_number", "name", "id_number", "birth_on", "school", "grade", "reason"} <= set(layout["columns"])
    assert pushed.row_count == 5 and pushed.township_id is None
    first = rows_of()[0]
    assert json.loads(first.cells) == row(1, "李小红", county.own.id_number, school="城关镇中心小学")
    assert first.row_number == 3  # the title row, then the header
    shown = page(client, f"/verification/row/{first.id}")
    assert "P00001" in shown and "疑似辍学原因" in shown and "连续旷课" in shown  # unknown columns as received
    assert county.own.id_number not in shown  # masked on the page


def test_rows_are_matched_by_id_number_then_student_number_then_name_and_birth(client, county):
    login(client, county.users["bureau"])
    assert taken(upload(client, csv_bytes(three_ways(county)), "名单.csv"))
    found = [(r.child_id, r.matched_by, r.township_id) for r in rows_of()]
    town1, town2 = township_id("城关镇"), township_id("白马乡")
    assert found == [
        (county.own.id, "id_number", town1),
        (county.other.id, "student_number", town2),
        (county.assigned.id, "name_birth", town2),
        (None, None, town2),  # not in the register: the township of the school it names
        (None, None, None),  # a school the county does not have: the bureau verifies it
    ]
    assert rows_of()[2].birth_on == county.assigned.birth_on


def test_matching_reads_the_register_a_set_at_a_time(db, county):
    """As many queries for 300 rows as for 3: keys go in chunks of IN (…), never a query per row."""
    from dropout.verification import matching
    from dropout.verification.read import Row

    def queries(n):
        made = [Row(i, [], id_number=valid_id(), name=f"某{i}", student_number=f"S{i}") for i in range(n)]
        return len(statements_of(lambda: (matching.match(made), matching.carry_over(made))))

    assert queries(300) == queries(3)


def test_a_townships_upload_with_rows_of_another_township_is_refused(client, county):
    login(client, county.users["township"])
    response = upload(client, xlsx(three_ways(county)))
    assert not taken(response)  # refused by the task that read it: its page says why
    text = response.get_data(as_text=True)
    assert "第 3、4、5 行" in text and "其他乡镇" in text
    assert rows_of() == [] and PushedList.select().count() == 0


def test_a_townships_own_list_is_theirs_to_verify(client, county):
    login(client, county.users["township"])
    mine = [row(1, "李小红", county.own.id_number), row(2, "陌生人", school="外县某小学")]
    assert taken(upload(client, csv_bytes(mine), "镇名单.csv"))
    town1 = township_id("城关镇")
    assert {r.township_id for r in rows_of()} == {town1}
    assert the_list().township_id == town1


def test_the_same_file_twice_is_refused_naming_the_first(client, county):
    login(client, county.users["bureau"])
    data = xlsx(three_ways(county))
    assert taken(upload(client, data, title="第一次推送"))
    response = upload(client, data, title="第二次")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "“第一次推送”" in text and clock.today().isoformat() in text
    assert PushedList.select().count() == 1


@pytest.mark.parametrize(
    "data, name, reason",
    [
        (b"", "空.csv", "文件是空的。"),
        ("甲,乙,丙\r\n1,2,3\r\n".encode(), "无表头.csv", "未找到表头：前几行中应有一行写明列名，如平台名单中的"),
        (csv_bytes([]), "只有表头.csv", "名单只有表头，没有数据行。"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧格式.xls", ".xlsx"),
        (b"PK\x03\x04garbage" * 10, "坏的.xlsx", "这不是表格文件"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_nothing_saved(client, county, data, name, reason):
    login(client, county.users["bureau"])
    response = upload(client, data, name)
    assert not taken(response)
    assert reason in response.get_data(as_text=True)
    assert PushedList.select().count() == 0


def test_too_many_rows_is_refused_by_the_roster_limits(app, client, county):
    app.config["SHEET_MAX_ROWS"] = 3
    login(client, county.users["bureau"])
    response = upload(client, csv_bytes(three_ways(county)), "多.csv")
    assert response.status_code == 422 and "3 行" in response.get_data(as_text=True)  # refused at once
    assert PushedList.select().count() == 0


def test_title_and_due_date_are_required(client, county):
    login(client, county.users["bureau"])
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = upload(client, csv_bytes(three_ways(county)), "名单.csv", title=" ", due_on=yesterday)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "请填写名单标题" in text and "截止日期已过" in text


def _uploaded(client, county, kind="xlsx"):
    login(client, county.users["bureau"])
    data = xlsx(three_ways(county)) if kind == "xlsx" else csv_bytes(three_ways(county))
    assert taken(upload(client, data, f"名单.{kind}"))
    client.post("/logout", data={"csrf_token": _token(client)})
    return rows_of()


def _token(client, url="/verification/"):
    from conftest import csrf_token

    return csrf_token(client, url)


def _verify(client, target, **data):
    url = f"/verification/row/{target.id}"
    return client.post(url, data={"csrf_token": _token(client, url), **data})


@pytest.mark.parametrize("result", ["in_school", "returned", "transferred", "deceased", "other"])
def test_township_staff_verify_their_rows_with_each_result(client, county, result):
    own = _uploaded(client, county)[0]
    login(client, county.users["township"])
    if result in ("transferred", "other"):
        refused = _verify(client, own, result=result, note="", transfer_to="")
        assert refused.status_code == 422
        assert ("请填写转入学校" if result == "transferred" else "请说明核查情况") in refused.get_data(as_text=True)
        assert PushedRow.get_by_id(own.id).result is None
    response = _verify(client, own, result=result, note="家访核实", transfer_to="外县实验小学")
    assert response.status_code == 302
    saved = PushedRow.get_by_id(own.id)
    assert (saved.result, saved.note, saved.verified_by_id) == (result, "家访核实", county.users["township"].id)
    assert saved.transfer_to == ("外县实验小学" if result == "transferred" else "")
    entry = AuditLog.get((AuditLog.entity == "pushed_row") & (AuditLog.entity_id == own.id))
    assert entry.action == "verified" and entry.child_id == county.own.id


def test_a_township_cannot_verify_another_townships_row(client, county):
    other = _uploaded(client, county)[1]
    login(client, county.users["township"])
    response = _verify(client, other, result="in_school")
    assert response.status_code == 403
    assert "该行属于其他乡镇核查" in response.get_data(as_text=True)
    assert PushedRow.get_by_id(other.id).result is None
    assert client.get(f"/verification/row/{other.id}").status_code == 403


def test_case_opened_needs_an_open_case_and_a_case_opens_from_a_row_in_one_step(client, county):
    own = _uploaded(client, county)[0]
    login(client, county.users["township"])
    refused = _verify(client, own, result="case_opened")
    assert refused.status_code == 422 and "尚无在办案件" in refused.get_data(as_text=True)
    url = f"/verification/row/{own.id}"
    assert "从本行建案" in page(client, url)
    response = client.post(
        url + "/case",
        data={
            "csrf_token": _token(client, url),
            "case-absent_since": clock.today().isoformat(),
            "case-notes": "平台推送",
        },
    )
    assert response.status_code == 302
    case = DropoutCase.get(DropoutCase.child == county.own.id)
    saved = PushedRow.get_by_id(own.id)
    assert (saved.result, saved.case_id, case.status) == ("case_opened", case.id, "suspected")
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert f"/cases/{case.id}" in page(client, f"/verification/{the_list().id}")  # the row's child and its case
    again = client.post(
        url + "/case", data={"csrf_token": _token(client, url), "case-absent_since": clock.today().isoformat()}
    )
    assert again.status_code == 422 and DropoutCase.select().count() == 1


def test_the_bureau_opens_no_case_from_a_row(client, county):
    own = _uploaded(client, county)[0]
    login(client, county.users["bureau"])
    url = f"/verification/row/{own.id}"
    assert "从本行建案" not in page(client, url)
    response = client.post(url + "/case", data={"csrf_token": _token(client, url), "case-absent_since": "2026-11-01"})
    assert response.status_code == 403 and DropoutCase.select().count() == 0


def test_the_bureau_watches_progress_per_township_with_the_due_date(client, county):
    found = _uploaded(client, county)
    login(client, county.users["bureau"])
    for target in found[:2]:
        assert _verify(client, target, result="in_school").status_code == 302
    pushed = the_list()
    progress = {
        p.township: (p.verified, p.total, p.overdue)
        for p in lists.progress(county.users["bureau"], pushed, clock.today())
    }
    assert progress == {"城关镇": (1, 1, False), "白马乡": (1, 3, False), "": (0, 1, False)}
    PushedList.update(due_on=clock.today() - timedelta(days=1)).execute()
    shown = page(client, f"/verification/{pushed.id}")
    assert "2 / 5" in page(client, "/verification/") and "已逾期" in shown and "1 / 3" in shown
    only_unverified = page(client, f"/verification/{pushed.id}?state=unverified&township={township_id('白马乡')}")
    assert "赵小燕" in only_unverified and "钱小多" in only_unverified and "王小芳" not in only_unverified
    login(client, county.users["township"])
    theirs = page(client, f"/verification/{pushed.id}")
    assert "李小红" in theirs and "赵小燕" not in theirs and "1 / 1" in theirs


def _feedback(client, pushed):
    """(the feedback file's name, its bytes), through the task that writes it."""
    url = f"/verification/{pushed.id}"
    response = task_result(client, url + "/feedback", form_url=url)
    assert response.status_code == 200, response.status_code
    found = response.headers["Content-Disposition"], response.data
    response.close()
    return found


def test_the_feedback_keeps_the_layout_received_with_the_verification_appended(client, county):
    found = _uploaded(client, county)
    login(client, county.users["bureau"])
    assert _verify(client, found[1], result="transferred", transfer_to="外县实验小学", note="已转出").status_code == 302
    pushed = the_list()
    disposition, data = _feedback(client, pushed)
    assert quote("核查反馈-名单.xlsx") in disposition
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    appended = ["核查结果", "核查说明", "转入学校", "核查单位", "核查人", "核查日期"]
    assert sheet[0] == HEADERS + appended
    assert sheet[1][:9] == row(1, "李小红", county.own.id_number, school="城关镇中心小学")  # the ID number in full
    assert sheet[1][9:] == [""] * 6
    assert sheet[2][9:] == ["转学", "已转出", "外县实验小学", "白马乡", "bureau", clock.today().isoformat()]
    assert len(sheet) == 6
    assert AuditLog.get((AuditLog.entity == "pushed_list") & (AuditLog.action == "exported")).user_id == (
        county.users["bureau"].id
    )


def test_a_csv_list_comes_back_as_csv_with_a_bom(client, county):
    found = _uploaded(client, county, "csv")
    login(client, county.users["township"])
    assert _verify(client, found[0], result="in_school").status_code == 302
    login(client, county.users["bureau"])
    _disposition, data = _feedback(client, the_list())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADERS + ["核查结果", "核查说明", "转入学校", "核查单位", "核查人", "核查日期"]
    assert lines[1].split(",")[:10] == row(1, "李小红", county.own.id_number, school="城关镇中心小学") + ["在校"]


def test_a_township_exports_only_its_own_uploads(client, county):
    _uploaded(client, county)
    login(client, county.users["township"])
    url = f"/verification/{the_list().id}"
    response = client.post(url + "/feedback", data={"csrf_token": _token(client, url)})
    assert response.status_code == 403 and "乡镇只能导出本乡镇上传的名单" in response.get_data(as_text=True)


def test_the_next_push_keeps_the_rows_already_verified(client, county):
    found = _uploaded(client, county)
    login(client, county.users["bureau"])
    assert _verify(client, found[1], result="transferred", transfer_to="外县实验小学").status_code == 302
    assert _verify(client, found[4], result="other", note="查无此人").status_code == 302
    pushed_again = [
        row(1, "王小芳", student_number="G2015000002"),  # same 学籍号
        row(2, "孙小少"),  # unmatched before and now: name only, no birth date: not carried
        row(3, "李小红", county.own.id_number),
    ]
    assert taken(upload(client, csv_bytes(pushed_again), "第二次.csv", title="12月名单"))
    second = rows_of("12月名单")
    assert (second[0].result, second[0].transfer_to, second[0].carried_from_id) == (
        "transferred",
        "外县实验小学",
        found[1].id,
    )
    assert second[0].verified_by_id == county.users["bureau"].id
    assert second[1].result is None and second[2].result is None
    assert "沿用上次核查" in page(client, f"/verification/{the_list().id}")


def test_teachers_and_village_cadres_do_not_verify_lists(client, county):
    for role in ("teacher", "village"):
        login(client, county.users[role])
        assert client.get("/verification/").status_code == 403


HOSTILE_FILE = st.builds(
    lambda magic, rest: magic + rest,
    st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"\xff\xfe", b"%PDF-"]),
    st.binary(max_size=2048),
)


@pytest.fixture
def bureau(client, county):
    login(client, county.users["bureau"])
    return client


@HOSTILE
@given(data=HOSTILE_FILE, name=st.sampled_from(["名单.csv", "名单.xlsx", "名单.xls", "<script>alert(1)</script>.csv"]))
def test_any_bytes_as_a_pushed_list_are_refused_or_taken_in_whole(bureau, data, name):
    before = count(PushedList), count(PushedRow)
    response = upload(bureau, data, name, title=f"名单 {data[:8].hex()} {name}")
    assert_sane(response, name)
    if not taken(response):  # refused at once (422) or by the task that read it
        assert "flash error" in body(response) and (count(PushedList), count(PushedRow)) == before
    else:
        pushed = the_list()
        assert count(PushedRow, PushedRow.pushed_list == pushed.id) == pushed.row_count > 0
        assert_sane(bureau.get(f"/verification/{pushed.id}"), name)


@HOSTILE
@given(value=hostile_text(nul=True), kind=st.sampled_from(["csv", "xlsx"]), column=st.sampled_from([2, 3, 7, 8]))
def test_a_hostile_cell_is_kept_exactly_or_the_file_refused(bureau, county, value, kind, column):
    cells = row(1, "李小红", county.own.id_number)
    cells[column] = value
    data = xlsx([cells]) if kind == "xlsx" else csv_bytes([cells])
    before = count(PushedList)
    response = upload(bureau, data, f"名单.{kind}", title=f"名单{before}")
    assert_sane(response, value)
    if not taken(response):  # a NUL in a CSV, a cell past Excel's limit, a header broken by the value
        assert count(PushedList) == before
        return
    pushed = the_list()
    with database.connection_context():
        kept = json.loads(PushedRow.get(PushedRow.pushed_list == pushed.id).cells)
    if kind == "csv":
        # as received; a blank last cell (whitespace only) is not kept, so the row may end before it
        assert (kept[column] if column < len(kept) else "") == value or not value.strip()
    assert_sane(bureau.get(f"/verification/{pushed.id}"), value)
    first = PushedRow.get(PushedRow.pushed_list == pushed.id)
    assert_sane(bureau.get(f"/verification/row/{first.id}"), value)
    assert _feedback(bureau, pushed)[1]


def test_a_townships_to_do_list_carries_its_rows_not_yet_verified(client, county):
    found = _uploaded(client, county)
    login(client, county.users["township"])
    home = page(client, "/")
    assert "待核查的平台名单" in home and "1 行待核查" in home
    assert _verify(client, found[0], result="in_school").status_code == 302
    assert "待核查的平台名单" not in page(client, "/")
    login(client, county.users["bureau"])
    assert "待核查的平台名单" not in page(client, "/")  # the bureau watches the progress page instead


def test_case_opened_links_the_childs_open_case(client, county):
    other = _uploaded(client, county)[1]
    with database.connection_context():
        case = DropoutCase.create(
            child=county.other.id, absent_since=clock.today(), opened_on=clock.today(), status="persuading"
        )
    login(client, county.users["bureau"])
    assert _verify(client, other, result="case_opened", note="已建案劝返中").status_code == 302
    assert PushedRow.get_by_id(other.id).case_id == case.id
    assert f"/cases/{case.id}" in page(client, f"/verification/row/{other.id}")

"""Printing notices: nothing ticked until the user ticks it, each checkbox naming its notice; the notices in force
not yet printed in one click; when a notice was first printed; a superseded version printed with 作废 on each of
its pages, and only on its own."""

import re
import subprocess
from datetime import datetime, timedelta

import pytest
from conftest import csrf_token, login, task_result
from county import build_county

from dropout import clock
from dropout.casework import cases, visits
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import DropoutCase, ReturnNotice
from dropout.notices import notices, printing

TODAY = clock.today()
SETTINGS = CaseSettings()


def issued(app, user, child):
    """A notice issued today on a confirmed dropout of `child`, after the contacts a notice needs."""
    case = cases.open_case(user, child, TODAY - timedelta(days=20), SETTINGS, TODAY)
    cases.confirm(user, case, "work", "", TODAY - timedelta(days=18), SETTINGS, TODAY)
    for method in ("phone", "home"):
        visit = {"visited_on": TODAY, "method": method, "met": "guardian", "outcome": "refused"}
        visits.log_visit(user, DropoutCase.get_by_id(case.id), visit, SETTINGS, TODAY)
    return notices.issue(user, DropoutCase.get_by_id(case.id), app.config, TODAY)


@pytest.fixture
def office(app, make_child):
    """城关镇's notices: 李小红's corrected (1号 v1 superseded, v2 in force), 周小军's printed, 孙小丽's complied
    with (she is back), 吴小刚's waiting; and one of another township's (白马乡) the township's staff do not see."""
    county = build_county()
    staff, admin = county.users["township"], county.users["admin"]
    near = {"village": county.home_village, "school": county.home_school}
    with app.test_request_context(), database.connection_context():
        first = issued(app, staff, county.own)
        corrected = notices.correct(staff, first, app.config, TODAY, "城关镇第二小学")
        printed = issued(app, staff, make_child(name="周小军", **near))
        printing.mark_printed([printed.id], datetime(2026, 11, 2, 1, 30))
        back = issued(app, staff, make_child(name="孙小丽", **near))
        case = DropoutCase.get_by_id(back.case_id)
        cases.record_return(staff, case, TODAY, "original", county.home_school.id, 5, "", SETTINGS, TODAY)
        waiting = issued(app, staff, make_child(name="吴小刚", **near))
        elsewhere = issued(app, admin, county.other)
    ids = {
        "first": first.id,
        "corrected": corrected.id,
        "printed": printed.id,
        "back": back.id,
        "waiting": waiting.id,
        "elsewhere": elsewhere.id,
    }
    return county, ids


def pages_of(data, tmp_path):
    path = tmp_path / "printed.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def printed_at(notice_id):
    with database.connection_context():
        return ReturnNotice.get_by_id(notice_id).printed_at


def test_the_list_ticks_nothing_and_each_checkbox_names_its_notice(client, office):
    county, ids = office
    login(client, county.users["township"])
    page = client.get("/notices/").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="notice"[^>]*>', page)
    assert len(boxes) == 5 and not any("checked" in box for box in boxes)
    assert "选择 城关镇控辍通〔2026〕1号（李小红）" in page and "选择 城关镇控辍通〔2026〕4号（吴小刚）" in page
    assert "更正件第 2 版" in page and "v2" not in page
    assert "打印有效且未打印的通知书（2 份）" in page


def test_one_click_prints_the_notices_in_force_never_printed(app, client, office, tmp_path):
    """Not the superseded version, not the one printed before, not the child who is back, not another township's."""
    county, ids = office
    login(client, county.users["township"])
    response = task_result(client, "/notices/batch.pdf", {"which": "unprinted"}, form_url="/notices/")
    pages = pages_of(response.data, tmp_path)
    response.close()
    notice_pages = [page for page in pages if "送达回证" not in page]
    assert len(pages) == 4 and len(notice_pages) == 2
    assert "李小红" in notice_pages[0] and "吴小刚" in notice_pages[1]
    assert not any("作废" in page for page in pages)
    assert printed_at(ids["corrected"]) and printed_at(ids["waiting"])
    assert printed_at(ids["printed"]) == datetime(2026, 11, 2, 1, 30)  # the first printing is kept
    assert not any(printed_at(ids[key]) for key in ("first", "back", "elsewhere"))
    page = client.get("/notices/").get_data(as_text=True)
    assert "有效的通知书都已打印过。" in page and 'name="which"' not in page


def test_one_click_with_nothing_to_print_says_so(client, office):
    county, ids = office
    login(client, county.users["village"])  # the village's notices are all printed or no longer in force
    with database.connection_context():
        printing.mark_printed([ids["corrected"], ids["waiting"]], datetime(2026, 11, 3))
    token = csrf_token(client, "/notices/")
    response = client.post("/notices/batch.pdf", data={"which": "unprinted", "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/notices/")
    assert "请选择要打印的通知书。" in client.get("/notices/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["bureau", "village"])
def test_a_readers_copy_leaves_the_notice_among_those_not_yet_printed(client, office, role):
    county, ids = office
    login(client, county.users[role])  # reads the township's notices, may not serve them
    assert client.get(f"/notices/{ids['waiting']}.pdf").status_code == 200
    if role == "bureau":
        batch = task_result(client, "/notices/batch.pdf", {"notice": [ids["waiting"]]}, form_url="/notices/")
        assert batch.status_code == 200 and batch.data.startswith(b"%PDF")
        batch.close()
    assert printed_at(ids["waiting"]) is None
    login(client, county.users["township"])
    assert client.get(f"/notices/{ids['waiting']}.pdf").status_code == 200
    assert printed_at(ids["waiting"])


def test_a_superseded_version_prints_marked_void_on_each_of_its_pages(client, office, tmp_path):
    county, ids = office
    login(client, county.users["township"])
    single = client.get(f"/notices/{ids['first']}.pdf")
    pages = pages_of(single.data, tmp_path)
    assert len(pages) == 2 and all("本通知书已作废" in page and "已被同号更正件第2版" in page for page in pages)
    assert printed_at(ids["first"])  # printing a superseded version is recorded too
    ticked = [ids["first"], ids["corrected"], ids["waiting"]]
    batch = task_result(client, "/notices/batch.pdf", {"notice": ticked}, form_url="/notices/")
    pages = pages_of(batch.data, tmp_path)
    batch.close()
    assert ["作废" in page for page in pages] == [True, True, False, False, False, False]
    assert "城关镇第二小学" not in pages[0] and "城关镇第二小学" in pages[2]  # v1, then the correction


def test_the_notice_page_says_who_issued_it_when_it_was_printed_and_what_replaced_it(client, office):
    county, ids = office
    login(client, county.users["township"])
    page = client.get(f"/notices/{ids['printed']}").get_data(as_text=True)
    assert "2026-11-02 09:30 首次打印" in page  # stored in UTC, shown in county time
    assert "· township（乡镇干事）" in page  # who issued it, by name (the login when none) and role
    page = client.get(f"/notices/{ids['first']}").get_data(as_text=True)
    assert "此版本已作废，已被第 2 版" in page and f'href="/notices/{ids["corrected"]}"' in page
    assert "打印（PDF，标注作废）" in page and "尚未打印" in page
    assert "第 1 版</strong> （本页）" in page and "更正后的版本" in page
    assert not re.search(r"\b[0-9a-f]{8}…|>v\d", page)


def test_the_upgrade_counts_notices_already_served_as_printed(database_url):
    """Version 16: a served notice was printed before it was served (when it was issued, at the earliest); one
    not yet served stays unprinted, so it is offered for printing rather than missed."""
    from dropout import create_app
    from dropout.migrations import migrate

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url})
    with app.app_context(), database.connection_context():
        migrate(target=15)
        for sql in (
            "INSERT INTO township (name, notice_prefix, created_at) VALUES ('老镇', '老', '2026-01-01 00:00:00')",
            "INSERT INTO village (township_id, name, created_at) VALUES (1, '老村', '2026-01-01 00:00:00')",
            "INSERT INTO child (name, sex, birth_on, village_id, status, registered_on, created_at, updated_at) "
            "VALUES ('旧档案', 'F', '2015-06-01', 1, 'dropped_out', '2026-01-01', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')",
            "INSERT INTO dropout_case (child_id, absent_since, opened_on, status, repeat_count, created_at, "
            "updated_at) VALUES (1, '2026-09-01', '2026-09-02', 'notice_running', 0, '2026-09-02 00:00:00', "
            "'2026-09-02 00:00:00')",
        ):
            database.execute_sql(sql)
        for seq, status, served_on in ((1, "served", "'2026-09-22'"), (2, "issued", "NULL")):
            database.execute_sql(
                "INSERT INTO return_notice (case_id, township_id, issuer, series, year, seq, number, version, status, "
                "issued_on, deadline_days, return_school, data, verify_code, served_on, service, early_reason, "
                f"created_at) VALUES (1, 1, 'township', 'notice:township:1', 2026, {seq}, '老控辍通〔2026〕{seq}号', "
                f"1, '{status}', '2026-09-20', 7, '', '{{}}', 'CODE-000{seq}', {served_on}, '{{}}', '', "
                "'2026-09-20 02:00:00')"
            )
        migrate()
        assert [(n.seq, n.printed_at) for n in ReturnNotice.select().order_by(ReturnNotice.seq)] == [
            (1, datetime(2026, 9, 20, 2, 0)),
            (2, None),
        ]

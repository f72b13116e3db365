"""Real Chromium against the real server: a phone-sized teacher's first minutes."""

import re
import sqlite3
import subprocess
from datetime import date, timedelta

import openpyxl
import pytest
from browser import DEMO_PASSWORD, log_in, screenshot
from conftest import valid_id

from dropout import clock
from dropout.rules import school_age

pytestmark = pytest.mark.browser


def test_teacher_on_a_phone_finds_their_children(server, phone):
    base, _ = server
    log_in(phone, base, "teacher")
    phone.get_by_text("菜单").click()  # on a phone the menu is folded behind one button
    phone.get_by_role("link", name="儿童名册").first.click()
    phone.wait_for_url(base + "/children/")
    rows = phone.locator("table.list tbody tr")
    assert rows.count() > 0
    first_row = rows.first.inner_text()
    assert "**********" in first_row  # ID numbers masked in the list
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "teacher-children-phone")


def test_teacher_typing_another_schools_child_url_gets_not_found(server, phone):
    base, database = server
    with sqlite3.connect(database) as db:
        teacher_id, school_id = db.execute("SELECT id, school_id FROM app_user WHERE username='teacher'").fetchone()
        (other,) = db.execute(
            "SELECT id FROM child WHERE school_id != ? "
            "AND (responsible_teacher_id IS NULL OR responsible_teacher_id != ?) LIMIT 1",
            (school_id, teacher_id),
        ).fetchone()
    log_in(phone, base, "teacher")
    response = phone.goto(f"{base}/children/{other}")
    assert response.status == 404
    assert "未找到，或不在您的管辖范围内" in phone.content()
    screenshot(phone, "teacher-not-found-phone")


def test_township_staff_see_a_bad_id_number_beside_its_field(server, phone):
    base, database = server
    log_in(phone, base, "township")
    phone.goto(base + "/children/new")
    phone.get_by_label("姓名", exact=True).fill("测试儿童")
    phone.get_by_label("身份证号", exact=True).fill("110105194912310021")
    phone.get_by_role("button", name="保存").click()
    error = phone.locator(".field.has-error", has=phone.get_by_label("身份证号", exact=True))
    assert "校验位不正确" in error.inner_text()
    screenshot(phone, "township-form-error-phone")
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM child WHERE name='测试儿童'").fetchone() == (0,)


def test_the_access_log_holds_no_password_and_no_search(server, phone):
    base, database = server
    log_in(phone, base, "bureau")
    with sqlite3.connect(database) as db:
        name, number = db.execute("SELECT name, id_number FROM child WHERE id_number IS NOT NULL LIMIT 1").fetchone()
    phone.goto(f"{base}/children/?q={number}")
    assert name in phone.content()
    log = (database.parent / "access.log").read_text()
    assert '"GET /children/" 200' in log  # the request is logged ...
    assert number not in log and DEMO_PASSWORD not in log and "q=" not in log  # ... without what it carried


def test_teacher_reports_confirms_and_logs_a_visit_on_a_phone(server, phone):
    base, database = server
    with sqlite3.connect(database) as db:
        child_id, name = db.execute(
            "SELECT c.id, c.name FROM child c JOIN app_user u ON u.school_id = c.school_id "
            "WHERE u.username = 'teacher' AND c.status = 'enrolled' "
            "AND c.id NOT IN (SELECT child_id FROM dropout_case) "
            "ORDER BY c.id LIMIT 1"
        ).fetchone()
    log_in(phone, base, "teacher")
    phone.goto(f"{base}/children/{child_id}")
    phone.get_by_role("link", name="报告失学").click()
    phone.get_by_label("未到校起始日期").fill(clock.today().isoformat())
    phone.get_by_role("button", name="保存").click()
    phone.get_by_text("确认辍学", exact=True).click()  # opens the folded form
    phone.get_by_label("原因", exact=True).select_option(label="外出务工")
    phone.get_by_role("button", name="确认", exact=True).click()
    assert "辍学" in phone.locator("h1 .status").inner_text()
    phone.locator("main").get_by_role("link", name="记录家访").click()
    # The case is chosen, the date is today: a visit takes four choices and a sentence.
    assert phone.get_by_label("家访日期").input_value() == clock.today().isoformat()
    phone.get_by_label("方式", exact=True).select_option(label="入户")
    phone.get_by_label("见到", exact=True).select_option(label="监护人")
    phone.get_by_label("结果", exact=True).select_option(label="拒绝")
    phone.get_by_label("了解到的原因").fill("家长希望孩子打工挣钱")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "teacher-visit-form-phone")
    phone.get_by_role("button", name="保存").click()
    assert "家访已记录" in phone.content()
    assert phone.locator("h1 .status").inner_text() == "劝返中"
    assert "家长希望孩子打工挣钱" in phone.content() and name in phone.content()


def test_a_village_cadre_reports_a_child_out_of_school_and_finds_it_on_the_to_do_list(server, phone):
    base, database = server
    with sqlite3.connect(database) as db:
        # A pupil of the cadre's own village, whose name no other child of the county bears.
        child_id, name = db.execute(
            "SELECT c.id, c.name FROM child c JOIN app_user u ON u.village_id = c.village_id "
            "WHERE u.username = 'village' AND c.status = 'enrolled' "
            "AND c.id NOT IN (SELECT child_id FROM dropout_case) "
            "AND (SELECT COUNT(*) FROM child o WHERE o.name = c.name) = 1 ORDER BY c.id LIMIT 1"
        ).fetchone()
    log_in(phone, base, "village")
    phone.get_by_text("菜单").click()
    phone.get_by_role("link", name="儿童名册").first.click()
    phone.get_by_label("搜索").fill(name)
    phone.get_by_role("button", name="搜索").click()
    phone.locator("table.list").get_by_role("link", name=name).click()
    phone.wait_for_url(f"{base}/children/{child_id}")
    phone.get_by_role("link", name="报告失学").click()
    absent_since = clock.today() - timedelta(days=3)
    phone.get_by_label("未到校起始日期").fill(absent_since.isoformat())
    phone.get_by_role("button", name="保存").click()
    phone.wait_for_url(f"{base}/cases/*")
    case_url = phone.url
    assert phone.locator("h1 .status").inner_text() == "疑似辍学"
    # Back home, the child is among the village's suspected children (a long group folds its later items).
    phone.get_by_text("菜单").click()
    phone.get_by_role("link", name="首页").click()
    group = phone.locator("section.todo-group", has=phone.get_by_role("heading", name="本村疑似失学儿童"))
    child = group.get_by_role("link", name=name)
    if not child.is_visible():
        group.locator("summary").click()
    assert absent_since.isoformat() in group.locator("li", has=phone.get_by_role("link", name=name)).inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "village-todo-phone")
    child.click()
    assert phone.url == case_url


def test_the_admin_imports_a_roster_from_the_template_on_a_phone(server, phone, tmp_path, worker):
    base, _ = server
    log_in(phone, base, "admin")
    phone.get_by_text("菜单").click()
    phone.get_by_role("link", name="导入名册").click()
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="下载模板").click()
    roster = tmp_path / "名册.xlsx"
    download_info.value.save_as(roster)
    # Three children below the template's example row, each cell under the header the template gives it.
    workbook = openpyxl.load_workbook(roster)
    sheet = workbook["名册"]
    column = {cell.value: cell.column for cell in sheet[1]}
    born = date(school_age.school_year(clock.today()) - 10, 4, 20)
    names = ("欧阳晓晨", "欧阳晓雨", "欧阳晓林")
    for row, (name, sex) in enumerate(zip(names, ("M", "F", "M"), strict=True), start=3):
        values = {
            "姓名": name,
            "身份证号": valid_id(born, sex),
            "乡镇": "城关镇",
            "村（社区）": "东街社区",
            "就读学校": "城关镇中心小学",
            "年级": "4",
        }
        for header, value in values.items():
            sheet.cell(row, column[header], value)
    workbook.save(roster)
    phone.get_by_label("名册文件（.xlsx 或 .csv）").set_input_files(roster)
    phone.get_by_role("button", name="检查文件").click()
    # The check runs in the worker; its page follows it to the preview.
    phone.get_by_role("heading", name="预览：尚未写入任何数据").wait_for(timeout=60000)
    assert phone.locator("table.counts tr", has_text="新增儿童").locator("td.num").inner_text() == "3"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "admin-import-preview-phone")
    phone.get_by_role("button", name="确认导入").click()
    phone.get_by_role("heading", name="导入完成").wait_for(timeout=60000)
    phone.locator("main").get_by_role("link", name="儿童名册").click()
    phone.get_by_label("搜索").fill("欧阳晓")
    phone.get_by_role("button", name="搜索").click()
    found = phone.locator("table.list tbody tr")
    assert sorted(found.locator("td:first-child a").all_inner_texts()) == sorted(names)
    assert all("东街社区" in text for text in found.all_inner_texts())
    screenshot(phone, "admin-imported-children-phone")


def test_the_bureau_watches_a_ledger_export_move_to_done_and_downloads_it(server, phone, tmp_path, request):
    base, _database = server
    log_in(phone, base, "bureau")
    phone.goto(f"{base}/children/?status=enrolled")
    phone.get_by_text("筛选（已选 1 项）").click()  # on a phone the filters and the export are folded
    phone.get_by_role("link", name="导出台账").click()
    phone.get_by_role("button", name="开始导出").click()
    phone.wait_for_url(f"{base}/tasks/*")
    bar = phone.locator("#task-bar")
    assert phone.locator("#task-label").inner_text() == "排队中" and bar.get_attribute("value") == "0"
    screenshot(phone, "task-queued-phone")
    request.getfixturevalue("worker")  # the worker starts: the page follows it without a reload
    phone.locator("#task-download").wait_for(timeout=60000)
    assert phone.locator("#task-label").inner_text() == "完成" and bar.get_attribute("value") == "100"
    assert "已处理" in phone.locator("#task-count").inner_text()
    screenshot(phone, "task-done-phone")
    with phone.expect_download() as download_info:
        phone.locator("#task-download").click()
    path = tmp_path / "ledger.xlsx"
    download_info.value.save_as(path)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "示例县适龄儿童少年台账" and rows[1][0] == "序号" and len(rows) > 100
    assert {row[16] for row in rows[2:]} == {"在校"}


def test_township_staff_issue_serve_and_print_a_notice(server, phone, tmp_path, worker):
    base, database = server
    with sqlite3.connect(database) as db:
        case_id, name = db.execute(
            "SELECT k.id, c.name FROM dropout_case k JOIN child c ON c.id = k.child_id "
            "JOIN village v ON v.id = c.village_id JOIN township t ON t.id = v.township_id "
            "WHERE t.name = '城关镇' AND k.status = 'persuading' "
            "AND k.id NOT IN (SELECT case_id FROM return_notice WHERE status IN ('issued', 'served', 'overdue')) "
            # the contacts a notice needs since the child left: two, one of them in person
            "AND (SELECT COUNT(*) FROM home_visit h WHERE h.case_id = k.id AND NOT h.is_teaching AND NOT h.is_followup "
            "     AND h.visited_on >= k.absent_since) >= 2 "
            "AND EXISTS (SELECT 1 FROM home_visit h WHERE h.case_id = k.id AND NOT h.is_followup "
            "            AND h.method IN ('home', 'school') AND h.visited_on >= k.absent_since) LIMIT 1"
        ).fetchone()
    log_in(phone, base, "township")
    phone.goto(f"{base}/cases/{case_id}")
    assert "可以发出通知书" in phone.locator("main").inner_text()
    phone.get_by_role("link", name="签发限期复学通知书").click()
    phone.get_by_role("button", name="签发").click()
    assert "已签发" in phone.locator(".flash").inner_text()
    number = phone.locator("h1").inner_text().split()[0]
    phone.get_by_text("登记送达（送达回证）").click()
    phone.get_by_label("送达方式").select_option("直接送达")
    phone.get_by_label("收件人（成年家属代收的，注明关系）").fill("监护人本人")
    phone.get_by_label("送达地点").fill("家中")
    phone.get_by_label("送达人").fill("张志强")
    phone.locator("main").get_by_role("button", name="保存").click()
    assert "送达已记录" in phone.locator(".flash").inner_text()
    phone.goto(f"{base}/notices/")
    phone.get_by_role("button", name=re.compile("^打印有效且未打印的通知书")).click()  # the served notice among them
    phone.locator("#task-download").wait_for(timeout=60000)  # laid out by the task worker
    with phone.expect_download() as download_info:
        phone.locator("#task-download").click()
    pdf = tmp_path / "batch.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert number in text and name in text and "送达回证" in text
    screenshot(phone, "township-notices-phone")


def test_the_bureau_drills_down_from_the_county_to_a_child(server, phone):
    base, _ = server
    log_in(phone, base, "bureau")
    phone.get_by_text("菜单").click()
    phone.get_by_role("link", name="月报", exact=True).click()
    assert "入学率" in phone.locator(".indicators").inner_text()
    assert phone.locator("svg.chart").count() == 2
    phone.locator("table.ranking").get_by_role("link", name="城关镇").click()
    assert "城关镇" in phone.locator("h1").inner_text()
    # A village of the township, one with dropouts still out when there is one.
    ranking = phone.locator("section.card", has=phone.get_by_role("heading", name="村（社区）排名"))
    rows = ranking.locator("table.ranking tbody tr")
    villages = [rows.nth(i) for i in range(rows.count())]
    assert villages, "the township's villages are ranked"
    village = next((row for row in villages if row.locator("td").nth(2).inner_text().strip() != "0"), villages[0])
    link = village.locator("td").first.get_by_role("link")
    name = link.inner_text()
    link.click()
    assert name in phone.locator("h1").inner_text()
    out = phone.locator("table.figures tr", has_text="月末仍未返校辍学生").locator("a")
    expected = int(out.inner_text())
    out.click()
    phone.wait_for_url("**/children/**")
    assert f"月报统计 {expected} 人" in phone.locator(".figure-note").inner_text()  # what the figure counted
    rows = phone.locator("table.list tbody tr")
    assert rows.count() == expected
    if expected:
        child = rows.first.get_by_role("link").first
        child_name = child.inner_text()
        child.click()
        assert child_name in phone.locator("h1").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "bureau-drill-down-phone")

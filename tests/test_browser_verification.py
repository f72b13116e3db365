"""Real Chromium against the real server: a township's pushed list walked from its upload, through the verification of
every row on a phone, to the feedback file, read back as the platform will read it."""

import sqlite3

import pytest
from browser import log_in, screenshot
from pushed import HEADERS, row, xlsx
from python_calamine import CalamineWorkbook

from dropout import clock

pytestmark = pytest.mark.browser


def _township_children(database):
    """Three children of the township account's township, with their ID numbers, as the register holds them."""
    with sqlite3.connect(database) as db:
        (township,) = db.execute("SELECT township_id FROM app_user WHERE username='township'").fetchone()
        return db.execute(
            "SELECT c.name, c.id_number FROM child c JOIN village v ON v.id = c.village_id "
            "WHERE v.township_id = ? AND c.id_number IS NOT NULL ORDER BY c.id LIMIT 3",
            (township,),
        ).fetchall()


def test_a_township_verifies_a_pushed_list_row_by_row_and_downloads_the_feedback(server, worker, browser, tmp_path):
    base, database = server
    children = _township_children(database)
    rows = [row(n, name, number) for n, (name, number) in enumerate(children, start=1)]
    rows.append(row(4, "平台新增", "", school="外县某小学"))  # not in the register: the township's own upload keeps it
    listed = tmp_path / "疑似辍学名单.xlsx"
    listed.write_bytes(xlsx(rows, title="全国控辍保学平台下发"))

    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    phone = context.new_page()
    log_in(phone, base, "township")
    phone.get_by_text("菜单").click()
    phone.get_by_role("link", name="名单核查").click()
    phone.get_by_role("link", name="上传名单").click()
    phone.get_by_label("标题").fill("11月疑似辍学名单")
    phone.get_by_label("核查截止日期").fill(clock.today().isoformat())
    phone.get_by_label("平台名单（.xlsx 或 .csv）").set_input_files(listed)
    screenshot(phone, "verification/upload-phone")
    phone.get_by_role("button", name="上传").click()  # read and matched by the task worker; its page follows it
    phone.wait_for_url(base + "/verification/", timeout=60000)
    phone.get_by_role("link", name="11月疑似辍学名单").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "verification/list-phone")

    phone.get_by_role("link", name="核查").first.click()  # saving a row goes on to the next one not verified
    for n in range(4):
        assert f"第 {n + 3} 行" in phone.locator("h1").inner_text()  # the file's rows: a title, the header
        if n == 1:
            phone.get_by_label("核查结果", exact=True).select_option(label="转学")
            phone.get_by_role("button", name="保存核查结果").click()
            assert "请填写转入学校。" in phone.content()  # refused beside the field, nothing saved
            phone.get_by_label("转入学校").fill("外县实验小学")
        else:
            phone.get_by_label("核查结果", exact=True).select_option(label="在校" if n != 3 else "其他")
            phone.get_by_label("核查说明").fill("家访核实在校" if n != 3 else "查无此人，已报平台")
        if n == 0:
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360
            screenshot(phone, "verification/row-phone")
        phone.get_by_role("button", name="保存核查结果").click()
    assert "已核查 4 / 4" in phone.locator("h1").inner_text()

    phone.get_by_role("button", name="导出核查反馈").click()
    phone.locator("#task-download").wait_for(timeout=60000)  # written by the task worker
    with phone.expect_download() as download_info:
        phone.locator("#task-download").click()
    download = download_info.value
    assert download.suggested_filename == "核查反馈-疑似辍学名单.xlsx"
    sheet = CalamineWorkbook.from_path(download.path()).get_sheet_by_index(0).to_python()
    context.close()
    assert sheet[0] == HEADERS + ["核查结果", "核查说明", "转入学校", "核查单位", "核查人", "核查日期"]
    assert [line[:9] for line in sheet[1:]] == rows  # as received, ID numbers in full
    assert [line[9] for line in sheet[1:]] == ["在校", "转学", "在校", "其他"]
    assert sheet[2][11] == "外县实验小学" and sheet[4][10] == "查无此人，已报平台"
    assert {line[14] for line in sheet[1:]} == {clock.today().isoformat()}


def test_the_bureau_sees_each_townships_progress_on_a_wide_screen(server, browser):
    base, _ = server
    desk = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(desk, base, "bureau")
    desk.goto(base + "/verification/")
    screenshot(desk, "verification/index-desktop")
    desk.get_by_role("link", name="11月疑似辍学名单").click()
    assert "各乡镇核查进度" in desk.content() and "4 / 4" in desk.content()
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(desk, "verification/list-desktop")
    desk.close()

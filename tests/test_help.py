"""使用说明 (/help/): a page per role with its three main tasks, in Chinese and in English; every screenshot it shows
is in dropout/static/help/ (scripts/help_screenshots.py) and every one there is shown; every button it names is one
the interface has."""

import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import login
from PIL import Image

from dropout.choices import ROLES

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "dropout" / "static" / "help"
CATALOGUE = ROOT / "dropout" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
TASKS = {
    "zh_CN": {
        "admin": ["导入名册", "管理账号", "定时任务与备份"],
        "bureau": ["查看月报与指标", "逐级查看到儿童", "锁定本月与导出"],
        "township": ["发出并送达限期复学通知书", "打印通知书与送达回证", "确认疑似辍学、审核月报"],
        "teacher": ["登记家访", "报告失学或疑似辍学", "查看我的待办"],
        "village": ["报告失学儿童", "查看本村待办", "配合走访"],
    },
    "en": {
        "admin": ["Import a roster", "Manage the accounts", "Scheduled jobs and backups"],
        "bureau": [
            "Read the monthly report and its indicators",
            "Go down level by level to the children",
            "Lock the month and export",
        ],
        "township": [
            "Issue and serve a deadline return notice",
            "Print notices with their proofs of service",
            "Confirm suspected dropouts, review monthly reports",
        ],
        "teacher": ["Log a home visit", "Report a child out of school", "Read your to-do list"],
        "village": ["Report a child out of school", "Read your village's to-do list", "Join the home visits"],
    },
}
PAGES = [(language, role) for language in TASKS for role in ROLES]


def task_headings(page):
    return [unescape(h) for h in re.findall(r'<section class="card help-task" id="\w+">\s*<h2>(.*?)</h2>', page)]


def pictures(page):
    return re.findall(r'<img src="/static/help/([\w-]+\.png)" alt="([^"]+)"', page)


def ui_labels(page):
    return {unescape(label) for label in re.findall(r'<b class="ui">(.*?)</b>', page)}


@pytest.fixture
def reader(client, make_user):
    """A logged-in teacher's client, reading in `language`."""

    def read(language="zh_CN"):
        login(client, make_user("teacher"))
        client.get(f"/lang/{language}")
        return client

    return read


def interface_labels(language):
    """What the interface can show in `language`: the catalogue's translations (zh) or its source strings (en),
    each also up to its first placeholder ("下载 %(name)s" shows as 下载 …, "…通知书（%(n)d 份）" as …通知书)."""
    with CATALOGUE.open("rb") as file:
        texts = [m.string if language == "zh_CN" else m.id for m in read_po(file) if m.id and m.string]
    texts = [text for text in texts if isinstance(text, str)]
    return set(texts) | {text.split("%(")[0].rstrip(" （(") for text in texts if "%(" in text}


@pytest.mark.parametrize(("language", "role"), PAGES)
def test_each_role_has_a_page_with_its_three_tasks_and_their_screenshots(reader, language, role):
    page = reader(language).get(f"/help/{role}").get_data(as_text=True)
    assert task_headings(page) == TASKS[language][role]
    shown = pictures(page)
    assert len(shown) >= 3
    for name, alt in shown:
        assert (PICTURES / name).is_file(), f"{name}: run scripts/help_screenshots.py"
        assert alt.strip()
    assert '<link rel="stylesheet" href="/static/help/help.css">' in page


@pytest.mark.parametrize(("language", "role"), PAGES)
def test_every_button_the_help_names_is_one_the_interface_has(reader, language, role):
    """A label renamed on its page must be renamed in the help (and in scripts/help_screenshots.py) too."""
    page = reader(language).get(f"/help/{role}").get_data(as_text=True)
    labels = ui_labels(page)
    assert labels
    assert sorted(labels - interface_labels(language)) == []


def test_the_help_opens_on_the_users_own_role_and_lists_the_others(client, make_user, make_village):
    village = make_village()
    login(client, make_user("village", village=village))
    page = client.get("/help/").get_data(as_text=True)
    assert "<h1>村干部使用说明</h1>" in page
    assert task_headings(page) == TASKS["zh_CN"]["village"]
    linked = re.findall(r'<a href="/help/(\w+)">', page)
    assert linked == [role for role in ROLES if role != "village"]
    other = client.get("/help/bureau").get_data(as_text=True)
    assert "<h1>县教育局使用说明</h1>" in other and '<a href="/help/village">' in other


def test_an_unknown_role_is_not_found(reader):
    client = reader()
    for path in ("/help/principal", "/help/Teacher", "/help/teacher.html"):
        response = client.get(path)
        assert response.status_code == 404
        assert "未找到" in response.get_data(as_text=True)


def test_the_help_needs_a_login(client):
    for path in ("/help/", "/help/teacher"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_every_screenshot_is_shown_small_and_phone_wide(reader):
    """The pictures stay few and small (a phone on a village network opens them) and none lies about unused."""
    client = reader()
    shown = {name for role in ROLES for name, _ in pictures(client.get(f"/help/{role}").get_data(as_text=True))}
    files = {path.name for path in PICTURES.glob("*.png")}
    assert files == shown
    assert sum((PICTURES / name).stat().st_size for name in files) < 1.5 * 1024 * 1024
    for name in files:
        with Image.open(PICTURES / name) as image:
            assert image.width == 360 and image.height <= 740, name

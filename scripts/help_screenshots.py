"""The screenshots of the 使用说明 pages (/help/): the pages each step shows, as a phone shows them.

Run:  .venv/bin/python scripts/help_screenshots.py [--only NAME ...] [--children N]

It loads a fresh demo county (`demo-data --seed 16`) into a SQLite file in a temporary folder, runs the scheduler's
jobs once (last month's figures and reports) and serves it with gunicorn on a free loopback port, background tasks
running inside their request. Then Chromium, logged in as each demo account, opens the pages listed in SHOTS at
360x740, outlines in red the buttons, links and fields the step names, and keeps the part of the page the step is
about. Each picture is reduced to a palette of 64 colours and written to dropout/static/help/NAME.png, where the help
pages (templates/help/) show it. Run it again whenever a page the help shows has changed. It exits 1, naming the
shot, when a label the help names is no longer on its page (the picture is still written, without that outline):
then correct the help text and the label here. Date fields show as on a Chinese phone (2026/12/04) when Chromium
has its Chinese locale (Debian: `apt-get install chromium-l10n`), otherwise as mm/dd/yyyy.
"""

import argparse
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import xlsxwriter
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "dropout" / "static" / "help"
sys.path.insert(0, str(ROOT))

from dropout import clock, create_app  # noqa: E402  (the targets are read from the demo county's database)
from dropout.core import scope  # noqa: E402
from dropout.db import database  # noqa: E402
from dropout.models import Child, DropoutCase, ReturnNotice, User  # noqa: E402
from dropout.notices.notices import readiness  # noqa: E402
from dropout.rules import id_number  # noqa: E402

PASSWORD = "Demo-2026-county"
CHROMIUM = "/usr/bin/chromium"
CHINESE_LOCALE = Path("/usr/lib/chromium/locales/zh-CN.pak")  # Debian's chromium-l10n
WIDTH, HEIGHT = 360, 740
COLOURS = 64
ABOVE = 12  # pixels kept above the element a picture starts at
OUTLINE = "3px solid #e0301e"
BACKGROUND = (0xF4, 0xF6, 0xF9)  # the page behind the cards (--bg in style.css)
# The row of the month's report that links the dropouts still out to the children list.
STILL_OUT_ROW = "tr:has(td:text-is('月末仍未返校辍学生'))"
# The batch print of every notice in force not yet printed (its count follows in brackets).
PRINT_UNPRINTED = "打印有效且未打印的通知书"


@dataclass(frozen=True)
class Shot:
    """One picture: the page `path` (formatted with the targets) seen by the shot's role, with `mark` outlined
    (labels as the page writes them, or "css=" selectors). It starts just above `top` (a Playwright selector, by
    default the page's heading) and is at most `height` pixels tall.
    `prepare(page, targets)` runs before the picture (open a section, fill a field); `then(page, targets)` after
    it: the step done, for the pictures that follow (it may add targets)."""

    name: str  # <role>-<what>: the demo account that takes it, then what it shows
    path: str
    mark: tuple = ()
    top: str = "h1"
    height: int = 560
    prepare: object = None
    then: object = None

    @property
    def role(self):
        return self.name.split("-")[0]


def path_of(url):
    """A page's address on the server: its path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def open_details(summary):
    """A prepare step: open the collapsed section whose summary starts with `summary`."""

    def prepare(page, targets):
        found = page.locator("summary").filter(has_text=re.compile("^" + re.escape(summary))).first
        found.evaluate("summary => { summary.parentElement.open = true; }")

    return prepare


def fill_service(page, targets):
    """The proof of service as the township fills it in, before saving."""
    open_details("登记送达（送达回证）")(page, targets)
    form = page.locator("details[open] form").first
    form.locator("select[name=method]").select_option(index=1)
    form.locator("input[name=recipient]").fill(targets["guardian"])
    form.locator("input[name=place]").fill("监护人家中")
    form.locator("input[name=server]").fill("张志强、陈德明")


def click_and_follow(label, target):
    """A then step: press the button `label` and keep the page it leads to as the target `target`."""

    def then(page, targets):
        page.get_by_role("button", name=label).first.click()
        page.wait_for_load_state()
        targets[target] = path_of(page.url)

    return then


def follow(selector, target):
    """A then step: keep the address of the link `selector` finds as the target `target`, for a later shot."""

    def then(page, targets):
        targets[target] = path_of(page.locator(selector).first.get_attribute("href"))

    return then


def submit_school_report(page, targets):
    """The teacher submits the school's report, so the township has one to approve."""
    open_details("上报")(page, targets)
    form = page.locator("details[open] form").first
    form.locator("textarea[name=comment]").fill("本月新增疑似辍学 3 人，均已家访。")
    form.get_by_role("button", name="上报").click()
    page.wait_for_load_state()


def choose_roster(page, targets):
    page.set_input_files("input[type=file]", targets["roster"])


SHOTS = [
    # 教师
    Shot("teacher-todo", "/", mark=("我的待办", "应家访"), top="text=我的待办"),
    Shot("teacher-visit-form", "/visits/new?case={teacher_case}", mark=("方式", "见到", "结果")),
    Shot("teacher-visit-save", "/visits/new?case={teacher_case}", mark=("添加我的位置", "保存"), top="text=下次家访"),
    Shot("teacher-child", "/children/{teacher_child}", mark=("报告失学",)),
    Shot("teacher-report", "/cases/new?child={teacher_child}", mark=("未到校起始日期", "保存")),
    Shot("teacher-filing", "/reports/filing/{month}", mark=("上报",), then=submit_school_report),
    # 村干部
    Shot("village-todo", "/", mark=("我的待办",), top="text=我的待办"),
    Shot("village-child", "/children/{village_child}", mark=("报告失学",)),
    Shot("village-case", "/cases/{village_case}", mark=("记录家访",)),
    # 乡镇干事
    Shot(
        "township-confirm",
        "/cases/{suspected_case}",
        mark=("确认辍学", "确认"),
        top="summary >> text=确认辍学",
        prepare=open_details("确认辍学"),
    ),
    Shot("township-case", "/cases/{ready_case}", mark=("签发限期复学通知书",), top="text=可以发出通知书", height=300),
    Shot("township-issue", "/cases/{ready_case}/notice", mark=("复学学校", "签发")),
    Shot(
        "township-serve",
        "/notices/{unserved_notice}",
        mark=("登记送达（送达回证）", "送达方式"),
        top="summary >> text=登记送达（送达回证）",
        height=680,
        prepare=fill_service,
    ),
    Shot("township-notice", "/notices/{unserved_notice}", mark=("打印（PDF）",), height=420),
    Shot(
        "township-notices",
        "/notices/",
        mark=(PRINT_UNPRINTED,),
        height=420,
        then=click_and_follow(PRINT_UNPRINTED, "print_task"),
    ),
    Shot("township-printed", "{print_task}", mark=("下载",), height=420),
    Shot("township-filing", "/reports/filing/{month}", mark=("批准", "退回"), top="table"),
    # 县教育局
    Shot("bureau-indicators", "/reports/{month}", mark=("css=.indicators .tile >> nth=0",), top="text=指标"),
    Shot("bureau-ranking", "/reports/{month}", mark=("城关镇",), top="text=排名"),
    Shot(
        "bureau-township",
        "/reports/{month}?unit=township-{township}",
        mark=("月末仍未返校辍学生", f"css={STILL_OUT_ROW} a"),
        top=f"section:has({STILL_OUT_ROW})",
        height=360,
        then=follow(f"{STILL_OUT_ROW} a", "drill_list"),
    ),
    Shot("bureau-drill-list", "{drill_list}", height=460),
    Shot("bureau-lock", "/reports/{month}", mark=("锁定本月", "PDF", "XLSX"), height=460),
    Shot("bureau-ledger", "/children/?status=out_of_school", mark=("筛选", "导出台账"), prepare=open_details("筛选")),
    # 县级管理员
    Shot(
        "admin-import",
        "/imports/",
        mark=("下载模板", "检查文件"),
        prepare=choose_roster,
        then=click_and_follow("检查文件", "preview"),
    ),
    Shot("admin-preview", "{preview}", mark=("确认导入",)),
    Shot("admin-accounts", "/accounts/", mark=("新增账号", "登录记录", "停用")),
    Shot("admin-account-new", "/accounts/new", mark=("角色", "保存"), height=680),
    Shot("admin-jobs", "/reports/jobs", height=460),
]
# The teacher goes first: the school's monthly report it submits is the one the township approves.
ROLES = ("teacher", "village", "township", "bureau", "admin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(folder):
    return {
        **os.environ,
        "FLASK_APP": "dropout",
        "DROPOUT_DATABASE_URL": f"sqlite:///{folder / 'dropout.db'}",
        "DROPOUT_SECRET_KEY": "help screenshots",
        "DROPOUT_LOCALE": "zh_CN",
        "DROPOUT_REPORTS_DIR": str(folder / "reports"),
        "DROPOUT_UPLOADS_DIR": str(folder / "uploads"),
        "DROPOUT_TASKS_DIR": str(folder / "tasks"),
        "DROPOUT_TASK_IMMEDIATE": "1",
    }


def load_county(env, children):
    """The demo county, with last month's figures and reports as the scheduler leaves them."""
    for args in (["init-db"], ["demo-data", "--children", str(children), "--seed", "16"], ["run-jobs"]):
        subprocess.run([BIN / "flask", *args], env=env, check=True, capture_output=True, timeout=600)


def serve(env, folder):
    """gunicorn on a free loopback port, once it answers; (process, base URL)."""
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [BIN / "gunicorn", "--config", ROOT / "scripts" / "gunicorn.conf.py", "dropout:create_app()"],
        env={**env, "DROPOUT_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            return process, base
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit("the server did not start: see " + str(folder / "server.log"))
            time.sleep(0.3)


def example_roster(folder, today):
    """A roster of two new children of 城关镇 东街社区, as a county office would type it."""
    path = folder / "东街社区名册.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("名册")
    text = book.add_format({"num_format": "@"})
    header = "姓名 性别 身份证号 乡镇 村（社区） 村民小组 监护人 与学生关系 联系电话 学校 年级".split()
    sheet.write_row(0, 0, header)
    for row, (name, sex, age, sequence, guardian, grade) in enumerate(
        (("赵小雨", "女", 8, 902, "赵建华", 2), ("钱多多", "男", 11, 913, "钱国平", 5)), start=1
    ):
        born = date(today.year - age, 3, 14)
        sheet.write_row(row, 0, [name, sex])
        sheet.write_string(row, 2, id_number.make("513401", born, sequence), text)
        sheet.write_row(row, 3, ["城关镇", "东街社区", "3组", guardian, "父亲", "13812345678", "城关镇中心小学", grade])
    book.close()
    return path


def find_targets(env, folder):
    """The records the pictures show, each in its account's scope: a case due a visit, a child at school, …"""
    app = create_app({"DATABASE_URL": env["DROPOUT_DATABASE_URL"], "SECRET_KEY": "help screenshots"})
    with app.app_context(), database.connection_context():
        users = {u.username: u for u in User.select()}

        def case_of(user, *statuses, where=lambda case: True):
            query = scope.cases(users[user]).where(DropoutCase.status.in_(statuses)).order_by(DropoutCase.id)
            return next(case.id for case in query if where(case))

        def child_without_case(user):
            query = scope.children(users[user]).where(
                (Child.status == "enrolled") & ~Child.id.in_(DropoutCase.select(DropoutCase.child))
            )
            return query.order_by(Child.id).get().id

        notice = scope.notices(users["township"]).where(ReturnNotice.status == "issued").order_by(ReturnNotice.id).get()
        today = clock.today(app.config)
        return {
            "teacher_case": case_of("teacher", "dropped_out", "persuading"),
            "teacher_child": child_without_case("teacher"),
            "village_case": case_of("village", "persuading"),
            "village_child": child_without_case("village"),
            "suspected_case": case_of("township", "suspected"),
            "ready_case": case_of("township", "persuading", where=lambda case: readiness(case, app.config).ready),
            "unserved_notice": notice.id,
            "guardian": notice.case.child.guardians.get().name,
            "township": users["township"].township_id,
            "month": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}",
            "roster": str(example_roster(folder, today)),
        }


def page_y(locator):
    """Where an element starts on the page (not in the viewport)."""
    return locator.bounding_box()["y"] + locator.page.evaluate("scrollY")


def top_of(page, shot):
    """Where the shot's picture starts on the page."""
    return max(0, int(page_y(page.locator(shot.top).filter(visible=True).first)) - ABOVE)


def outline(page, label, top):
    """Outline the first visible element from `top` down that reads `label` (exactly, else at its start, as a
    heading followed by its count) or, for "css=…", that the selector finds; False when there is none."""
    if label.startswith("css="):
        candidates = [page.locator(label)]
    else:
        candidates = [page.get_by_text(text, exact=True) for text in (label, re.compile("^" + re.escape(label)))]
    for found in candidates:
        for element in found.filter(visible=True).all():
            if page_y(element) >= top:
                element.evaluate(f"e => {{ e.style.outline = '{OUTLINE}'; e.style.outlineOffset = '2px'; }}")
                return True
    return False


def picture(page, shot, top):
    """The PNG of the part of the page the shot is about."""
    bottom = page.evaluate("document.documentElement.scrollHeight")
    height = min(shot.height, bottom - top)
    return page.screenshot(clip={"x": 0, "y": top, "width": WIDTH, "height": height}, full_page=True)


def save(png, name):
    """The picture without the empty page below its content, in 64 colours without dithering (flat colours and
    text pack small), optimised; its size in bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    content = ImageChops.difference(image, Image.new("RGB", image.size, BACKGROUND)).getbbox()
    if content:
        image = image.crop((0, 0, image.width, min(image.height, content[3] + ABOVE)))
    path = OUT / f"{name}.png"
    image.quantize(COLOURS, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def log_in(browser, base, role):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def take(shots, base, targets):
    """Every shot, role by role; the labels that were not found, as (shot, label)."""
    from playwright.sync_api import sync_playwright

    missing = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu"],
            headless=True,
            # Chinese date fields (LANGUAGE picks Chromium's locale); file names in UTF-8 whatever locales exist.
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANGUAGE": "zh_CN"},
        )
        for role in ROLES:
            context, page = log_in(browser, base, role)
            for shot in (s for s in shots if s.role == role):
                page.goto(base + shot.path.format(**targets))
                if shot.prepare:
                    shot.prepare(page, targets)
                top = top_of(page, shot)
                missing += [(shot.name, label) for label in shot.mark if not outline(page, label, top)]
                size = save(picture(page, shot, top), shot.name)
                print(f"{shot.name:<22} {size / 1024:6.1f} KB  {shot.path.format(**targets)}")
                if shot.then:
                    shot.then(page, targets)
            context.close()
        browser.close()
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="take only these shots (their names), and what they follow from")
    parser.add_argument("--children", type=int, default=4000, help="children in the demo county (default 4000)")
    args = parser.parse_args()
    shots = SHOTS
    if args.only:
        unknown = set(args.only) - {s.name for s in SHOTS}
        if unknown:
            parser.error("no such shot: " + ", ".join(sorted(unknown)))
        # A shot needs the steps done before it by its own and earlier roles' shots with a `then`.
        wanted = [s for s in SHOTS if s.name in args.only]
        shots = [s for s in SHOTS if s in wanted or s.then]
    if not CHINESE_LOCALE.exists():
        print("Chromium has no Chinese locale (apt-get install chromium-l10n): dates will show as mm/dd/yyyy")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="help_shots_") as tmp:
        folder = Path(tmp)
        env = environment(folder)
        print("loading the demo county …")
        load_county(env, args.children)
        targets = find_targets(env, folder)
        process, base = serve(env, folder)
        try:
            missing = take(shots, base, targets)
        finally:
            process.terminate()
            process.wait(timeout=20)
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"{len(list(OUT.glob('*.png')))} pictures in {OUT.relative_to(ROOT)}: {total / 1024:.0f} KB")
    for name, label in missing:
        print(f"{name}: no “{label}” on the page: correct the help text and this shot", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

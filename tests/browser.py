"""What the browser tests share: gunicorn on a small demo county, one headless Chromium, logging in, screenshots.

Test modules load it with `pytest_plugins = ["browser"]` (its fixtures) and import its helpers by name.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from dropout import clock

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_PASSWORD = "Demo-2026-county"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(folder):
    """The server's and the task worker's settings: a SQLite file and the tasks' folder in `folder`."""
    return {
        **os.environ,
        "DROPOUT_DATABASE_URL": f"sqlite:///{folder / 'dropout.db'}",
        "DROPOUT_SECRET_KEY": "browser test",
        "DROPOUT_TASKS_DIR": str(folder / "tasks"),
        "DROPOUT_TASK_IMMEDIATE": "0",
        "FLASK_APP": "dropout",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn serving a small demo county from a temporary SQLite file."""
    folder = tmp_path_factory.mktemp("server")
    env = _environment(folder)
    bin_dir = Path(sys.executable).parent
    last_month = clock.today().replace(day=1) - timedelta(days=1)
    for args in (
        ["init-db"],
        ["demo-data", "--children", "600", "--seed", "3"],
        ["summaries", "--month", f"{last_month:%Y-%m}"],
    ):
        subprocess.run([bin_dir / "flask", *args], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    env["DROPOUT_BIND"] = f"127.0.0.1:{port}"
    log = (folder / "access.log").open("wb")
    process = subprocess.Popen(
        [bin_dir / "gunicorn", "--config", ROOT / "scripts" / "gunicorn.conf.py", "dropout:create_app()"],
        env=env,
        stdout=log,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("server did not start: " + process.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
    yield base, folder / "dropout.db"
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()
    log.close()


@pytest.fixture(scope="module")
def worker(server):
    """The task worker beside the server (started when a test first asks for it)."""
    folder = Path(server[1]).parent
    log = (folder / "worker.log").open("wb")
    process = subprocess.Popen(
        [Path(sys.executable).parent / "flask", "worker"], env=_environment(folder), stdout=log, stderr=log
    )
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chromium's own words (a file field's button, a date field's 年/月/日) in Chinese, as on a county phone.
        chinese = {**os.environ, "LANGUAGE": "zh_CN"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=chinese)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    yield context.new_page()
    context.close()


def log_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


def screenshot(page, name):
    """A full-page PNG of `page` in tests/artifacts/ (git-ignored), `name` may hold a sub-folder."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)

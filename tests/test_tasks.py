"""Background tasks: queued, running, done, failed, expired; one at a time per person; only the owner and the
administrator see one; and a worker killed mid-task leaves no result and a page that says so. The lifecycle
runs inside the request here (TASK_IMMEDIATE, as the other tests run tasks) and through a real `flask worker`
on the test's database: huey's SQLite file, its PostgreSQL schema, or Redis when redis-server is installed."""

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import born_aged, csrf_token, login, run_task, task_result
from county import build_county
from python_calamine import CalamineWorkbook

from dropout.db import database
from dropout.models import BackgroundTask, Child, User, utcnow
from dropout.tasks import records, runners

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def ledger_rows(response):
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    response.close()
    return rows


@pytest.fixture
def county(app):
    return build_county()


def test_a_ledger_task_runs_to_done_and_its_result_downloads(client, county, app):
    login(client, county.users["admin"])
    page = run_task(client, "/children/ledger.xlsx")
    state = client.get(page + ".json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["done"] == state["total"]
    with database.connection_context():
        children = Child.select().count()
    assert state["total"] == children > 0
    shown = client.get(page).get_data(as_text=True)
    assert "完成" in shown and "下载" in shown and 'id="task-bar"' in shown
    rows = ledger_rows(client.get(state["download"]))
    assert len(rows) == 2 + children
    with database.connection_context():
        task = BackgroundTask.get()
    assert (task.status, task.active_owner, task.kind) == ("done", None, "ledger")
    assert task.expires_at - task.finished_at == timedelta(days=app.config["TASK_KEEP_DAYS"])
    assert not (Path(app.config["TASKS_DIR"]) / task.key / records.PART).exists()


def test_only_the_owner_and_the_administrator_see_a_task(client, county, app):
    login(client, county.users["township"])
    page = run_task(client, "/children/ledger.xlsx")
    client.get("/logout")
    login(client, county.users["bureau"])
    assert client.get(page).status_code == 404
    assert client.get(page + "/download").status_code == 404
    assert page.rsplit("/", 1)[1] not in client.get("/tasks/").get_data(as_text=True)
    client.get("/logout")
    login(client, county.users["admin"])
    assert client.get(page).status_code == 200
    assert ledger_rows(client.get(page + "/download"))[0][0].endswith("适龄儿童少年台账")


def test_a_second_task_while_one_is_queued_is_refused_and_nothing_runs_twice(client, county, app):
    user = county.users["township"]
    with app.app_context(), database.connection_context():
        waiting = records.create(user, "ledger", "台账", {"filters": {}}, app.config["TASKS_DIR"], 60)
    login(client, user)
    token = csrf_token(client, "/children/ledger.xlsx")
    response = client.post("/children/ledger.xlsx", data={"csrf_token": token}, follow_redirects=True)
    assert "已有一项任务" in response.get_data(as_text=True)
    assert response.request.path == f"/tasks/{waiting.key}"
    with database.connection_context():
        assert BackgroundTask.select().count() == 1
        assert BackgroundTask.get().status == "queued"
    # Cancelled, it no longer blocks the next one; and the queue's message for it runs nothing.
    token = csrf_token(client, f"/tasks/{waiting.key}")
    client.post(f"/tasks/{waiting.key}/cancel", data={"csrf_token": token})
    with app.app_context(), database.connection_context():
        runners.run(app.config, waiting.key)
        assert BackgroundTask.get_by_id(waiting.id).status == "failed"
    assert ledger_rows(task_result(client, "/children/ledger.xlsx"))[1][0] == "序号"


def test_a_task_whose_owner_was_disabled_fails_with_the_reason(app, county):
    user = county.users["township"]
    with app.test_request_context(), database.connection_context():
        task = records.create(
            user, "ledger", "台账", {"filters": {}, "today": "2026-12-03"}, app.config["TASKS_DIR"], 60
        )
        User.update(is_active=False).where(User.id == user.id).execute()
        runners.run(app.config, task.key)
        task = BackgroundTask.get_by_id(task.id)
    assert task.status == "failed" and task.message == "您无权进行此操作。"
    assert task.active_owner is None


def test_an_unexpected_error_fails_the_task_and_logs_no_personal_data(app, county, caplog):
    user = county.users["admin"]
    with app.test_request_context(), database.connection_context():
        params = {"filters": {"q": "王某某的秘密"}, "today": "not a day"}
        task = records.create(user, "ledger", "台账", params, app.config["TASKS_DIR"], 60)
        runners.run(app.config, task.key)
        task = BackgroundTask.get_by_id(task.id)
    assert task.status == "failed" and "再试" in task.message
    assert task.key in caplog.text and "ValueError" in caplog.text
    assert "王某某" not in caplog.text and "not a day" not in caplog.text


def test_an_expired_result_answers_a_page_that_says_so_and_is_deleted(client, county, app):
    login(client, county.users["admin"])
    page = run_task(client, "/children/ledger.xlsx")
    key = page.rsplit("/", 1)[1]
    with database.connection_context():
        BackgroundTask.update(expires_at=utcnow() - timedelta(seconds=1)).where(BackgroundTask.key == key).execute()
    response = client.get(page + "/download")
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)
    assert client.get(page + ".json").get_json()["status"] == "expired"
    with app.app_context(), database.connection_context():
        assert records.purge_expired(app.config["TASKS_DIR"]) == 1
        assert records.purge_expired(app.config["TASKS_DIR"]) == 0
    assert not (Path(app.config["TASKS_DIR"]) / key).exists()
    assert "已过期" in client.get("/tasks/").get_data(as_text=True)


def test_a_queue_that_cannot_be_reached_fails_the_task_with_the_reason_and_blocks_nothing(client, county, app):
    app.config.update(TASK_IMMEDIATE=0, TASK_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    login(client, county.users["admin"])
    page = run_task(client, "/children/ledger.xlsx")
    state = client.get(page + ".json").get_json()
    assert state["status"] == "failed" and state["message"] == "无法连接任务队列，请稍后再试。"
    with database.connection_context():
        assert BackgroundTask.get().active_owner is None


def test_a_key_that_is_not_one_answers_404(client, county):
    login(client, county.users["admin"])
    for key in ("x" * 32, "0" * 31, "../../etc/passwd", "0" * 32):
        assert client.get(f"/tasks/{key}").status_code == 404


# --- a real worker ----------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["database", "redis"])
def queue_settings(request, tmp_path):
    """The queue's settings: huey's storage in the app's database (a SQLite file beside it, or a PostgreSQL schema),
    or a Redis server of the test's own when redis-server is installed."""
    if request.param == "database":
        yield {}
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (./scripts/test installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield {"TASK_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def worker_app(app, queue_settings):
    """The test app with tasks on a real queue (not inside the request), and a way to start `flask worker`."""
    app.config.update(TASK_IMMEDIATE=0, TASK_STALE_SECONDS=2, **queue_settings)
    started = []

    def start():
        env = {**os.environ, "FLASK_APP": "dropout", "DROPOUT_DATABASE_URL": app.config["DATABASE_URL"]}
        env.update({"DROPOUT_TASKS_DIR": app.config["TASKS_DIR"], "DROPOUT_SECRET_KEY": app.config["SECRET_KEY"]})
        env.update(
            {"DROPOUT_TASK_STALE_SECONDS": "2", "DROPOUT_TASK_REDIS_URL": queue_settings.get("TASK_REDIS_URL", "")}
        )
        env.update({"DROPOUT_REPORTS_DIR": app.config["REPORTS_DIR"], "DROPOUT_TASK_IMMEDIATE": "0"})
        process = subprocess.Popen([FLASK, "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        started.append(process)
        return process

    app.start_worker = start
    yield app
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    huey = app.extensions.get("huey")
    if huey is not None and hasattr(huey.storage, "flush_all"):
        huey.storage.flush_all()  # a Redis server outlives nothing, but a PostgreSQL schema would


def add_many_children(county, count):
    """`count` children without ID number in the home village, in bulk: a ledger that takes a few seconds."""
    rows = [
        {"name": f"批量{n:06d}", "sex": "MF"[n % 2], "birth_on": born_aged(9)}
        | {"village": county.home_village, "status": "enrolled", "address": "东街 12 号", "group": "一组"}
        for n in range(count)
    ]
    with database.connection_context(), database.atomic():
        for start in range(0, count, 500):
            Child.insert_many(rows[start : start + 500]).execute()


def wait_for(predicate, seconds=60, every=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def test_a_real_worker_runs_a_queued_task_and_a_killed_one_is_marked_failed(worker_app, client, county):
    app = worker_app
    login(client, county.users["admin"])
    page = run_task(client, "/children/ledger.xlsx")  # queued: no worker yet
    assert client.get(page + ".json").get_json()["status"] == "queued"
    assert "排队" in client.get(page).get_data(as_text=True)
    worker = app.start_worker()
    state = wait_for(lambda: (s := client.get(page + ".json").get_json())["status"] == "done" and s)
    assert ledger_rows(client.get(state["download"]))[1][0] == "序号"

    # A long one, killed while it runs: no result, and the page says the worker stopped.
    add_many_children(county, 20000)
    page = run_task(client, "/children/ledger.xlsx")
    key = page.rsplit("/", 1)[1]
    wait_for(lambda: client.get(page + ".json").get_json()["status"] == "running", every=0.02)
    worker.kill()
    worker.wait()
    state = wait_for(lambda: (s := client.get(page + ".json").get_json())["status"] == "failed" and s, seconds=20)
    assert "停止" in state["message"] and state["download"] is None
    assert not (Path(app.config["TASKS_DIR"]) / key / records.RESULT).exists()
    assert not (Path(app.config["TASKS_DIR"]) / key / records.PART).exists()
    with database.connection_context():
        assert BackgroundTask.get(BackgroundTask.key == key).active_owner is None

    # The next task runs on a new worker.
    app.start_worker()
    page = run_task(client, "/children/ledger.xlsx?q=批量000000")
    state = wait_for(lambda: (s := client.get(page + ".json").get_json())["status"] == "done" and s)
    assert len(ledger_rows(client.get(state["download"]))) == 3


def test_the_worker_command_with_tasks_run_inside_requests_says_none_is_needed(app):
    env = {**os.environ, "FLASK_APP": "dropout", "DROPOUT_DATABASE_URL": app.config["DATABASE_URL"]}
    env["DROPOUT_TASK_IMMEDIATE"] = "1"
    done = subprocess.run([FLASK, "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "no worker is needed" in done.stdout


def test_progress_is_written_in_place_and_read_back(app, county):
    with app.test_request_context(), database.connection_context():
        task = records.create(county.users["admin"], "ledger", "台账", {}, app.config["TASKS_DIR"], 60)
        progress = records.Progress(app.config["TASKS_DIR"], task, interval=0)
        progress(10, 40)
        assert records.read_progress(app.config["TASKS_DIR"], task)[:2] == (10, 40)
        progress(25)
        progress.close()
        done, total, age = records.read_progress(app.config["TASKS_DIR"], task)
    assert (done, total) == (25, 40) and 0 <= age < 5
    assert json.loads((Path(app.config["TASKS_DIR"]) / task.key / records.PROGRESS).read_text())["done"] == 25

"""Faults: a web worker killed with SIGKILL in the middle of a write, a backup taken under running writes.

Real parts only: gunicorn on 127.0.0.1 serving the test database (a SQLite file, or a database on the
test PostgreSQL server), workers killed with kill -9, the `backup` command. Afterwards the database must
be sound (SQLite's integrity and foreign-key checks; amcheck on every PostgreSQL index), an import all
there or not at all, no archived PDF recorded that is not on disk as recorded, notice numbers without gaps.
"""

import csv
import hashlib
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from conftest import login, on_postgres, postgres_database

from dropout import clock, create_app
from dropout.db import database
from dropout.models import (
    AuditLog,
    Child,
    DocumentCounter,
    DropoutCase,
    Guardian,
    ReturnNotice,
    Township,
    User,
    Village,
)
from dropout.notices import notices
from dropout.rules import id_number, school_age

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Demo-2026-county"
TIMEOUT = 60  # seconds any one request or command may take
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# ---------------------------------------------------------------- a county served by gunicorn


@pytest.fixture
def county_env(app, tmp_path, database_url):
    """The environment of a demo county in the test database; `app` (same database) reads it in-process."""
    env = {
        **os.environ,
        "FLASK_APP": "dropout",
        "DROPOUT_DATABASE_URL": database_url,
        "DROPOUT_SECRET_KEY": "faults",
        "DROPOUT_LOCALE": "zh_CN",
        "DROPOUT_REPORTS_DIR": app.config["REPORTS_DIR"],
        "DROPOUT_UPLOADS_DIR": str(tmp_path / "uploads"),
        # Background tasks run inside the request here, so that killing a gunicorn worker kills the work too (a
        # killed task worker is tested in test_tasks); a killed task's turn is given back after 2 s.
        "DROPOUT_TASKS_DIR": str(tmp_path / "tasks"),
        "DROPOUT_TASK_IMMEDIATE": "1",
        "DROPOUT_TASK_STALE_SECONDS": "2",
    }
    return env


def flask(env, *args):
    return subprocess.run([BIN / "flask", *args], env=env, check=True, capture_output=True, text=True, timeout=TIMEOUT)


def demo(env, children):
    flask(env, "init-db")
    flask(env, "demo-data", "--children", str(children), "--seed", "11")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn's master and its sync workers, in a process group of their own."""

    def __init__(self, process, port, log):
        self.process, self.port, self.log = process, port, log

    def workers(self):
        """The pids of the master's live children, read from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid and fields[0] != "Z":
                    found.append(int(entry.name))
        return found

    def worker_cpu(self):
        """{pid: CPU seconds} of the workers."""
        usage = {}
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            usage[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return usage

    def kill_busiest(self, before):
        """kill -9 the worker that used the most CPU since `before` (the one serving the request); its pid."""
        grown = {pid: cpu - before.get(pid, 0.0) for pid, cpu in self.worker_cpu().items()}
        pid = max(grown, key=grown.get)
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all_workers(self):
        killed = self.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def wait_ready(self, workers):
        """Until the master has replaced the killed workers and the app answers."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn's master died"
            if len(self.workers()) >= workers:
                try:
                    Browser(self.port).request("GET", "/login")
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        pytest.fail("gunicorn did not come back after the kill")


@contextmanager
def serve(env, folder, workers):
    """gunicorn with scripts/gunicorn.conf.py on a free loopback port; killed with its workers afterwards."""
    port = _free_port()
    log = (folder / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [BIN / "gunicorn", "--config", ROOT / "scripts" / "gunicorn.conf.py", "dropout:create_app()"],
        env={**env, "DROPOUT_BIND": f"127.0.0.1:{port}", "DROPOUT_WORKERS": str(workers)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, port, folder / f"gunicorn-{port}.log")
    try:
        server.wait_ready(workers)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=TIMEOUT)
        log.close()


class Browser:
    """A person's cookies over plain HTTP on the loopback; a broken connection raises OSError."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, content_type=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except http.client.HTTPException as exc:  # RemoteDisconnected and the like: the worker died
            raise ConnectionError(repr(exc)) from None
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return SimpleNamespace(
            status=response.status,
            location=response.headers.get("Location", ""),
            body=content,
            text=content.decode("utf-8", "replace"),
        )

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, urlencode(data, doseq=True).encode(), "application/x-www-form-urlencoded")

    def upload(self, path, data, field, file_path):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in data.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{Path(file_path).name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n".encode()
            + Path(file_path).read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def follow(self, answer):
        """The page a redirect leads to, through a task's page (a done task goes on to its next page)."""
        while answer.status == 302:
            answer = self.get(answer.location.replace(f"http://127.0.0.1:{self.port}", ""))
        return answer

    def batch(self, data):
        """A batch of notices as one PDF: printed by a task (inside the request here), then its download."""
        answer = self.post("/notices/batch.pdf", data)
        if answer.status != 302 or "/tasks/" not in answer.location:
            return answer
        return self.get(answer.location.replace(f"http://127.0.0.1:{self.port}", "") + "/download")

    def csrf(self, path):
        match = CSRF.search(self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def log_in(self, username):
        answer = self.post(
            "/login", {"username": username, "password": DEMO_PASSWORD, "csrf_token": self.csrf("/login")}
        )
        assert answer.status == 302, answer.text[:500]


class InFlight(threading.Thread):
    """A request sent from a thread: `answer` when it was answered, `broken` when the connection broke."""

    def __init__(self, send):
        super().__init__(daemon=True)
        self.send, self.answer, self.broken = send, None, None

    def run(self):
        try:
            self.answer = self.send()
        except OSError as exc:
            self.broken = exc


# ---------------------------------------------------------------- what a sound database looks like


def integrity_problems(app):
    """[] when the database is sound. SQLite: integrity_check and foreign_key_check. PostgreSQL has no such
    pragma; the equivalent is amcheck's bt_index_check with heapallindexed on every index (every row in
    every index, every index entry well formed); foreign keys PostgreSQL enforces itself."""
    with app.app_context(), database.connection_context():
        if not on_postgres():
            rows = [row[0] for row in database.execute_sql("PRAGMA integrity_check")]
            problems = [] if rows == ["ok"] else rows
            return problems + [str(row) for row in database.execute_sql("PRAGMA foreign_key_check")]
        database.execute_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = [
            row[0]
            for row in database.execute_sql(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = 'public'"
            )
        ]
        assert indexes
        problems = []
        for index in indexes:
            try:
                database.execute_sql("SELECT bt_index_check(%s::regclass, true)", (index,))
            except Exception as exc:  # noqa: BLE001 (any failure is a finding, named in the assertion)
                problems.append(f"{index}: {exc}")
        return problems


def counts(app, marker):
    """(children, their guardians, import audit entries) carrying the marker."""
    with app.app_context(), database.connection_context():
        children = Child.select().where(Child.notes == marker)
        guardians = Guardian.select().where(Guardian.child.in_(children.select(Child.id)))
        audits = AuditLog.select().where((AuditLog.entity == "import") & AuditLog.reason.contains(f"{marker}.csv"))
        return children.count(), guardians.count(), audits.count()


# ---------------------------------------------------------------- a. a worker killed during an import commit

ROWS = 30000  # about two seconds of commit on the development machine


def write_roster(path, rows, marker, attempt, today, village):
    """A CSV of `rows` new school-age children of `village` (ID numbers of an area the demo never uses), each
    noted `marker`."""
    born_from, born_until = school_age.birth_range_for_ages(6, 15, today)
    days = (born_until - born_from).days - 1
    with open(path, "w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["姓名", "身份证号", "乡镇", "村", "监护人", "联系电话", "备注"])
        for n in range(rows):
            birth_on = born_from + timedelta(days=1 + n % days)
            number = id_number.make(f"1101{attempt:02d}", birth_on, n // days)
            out.writerow([f"导入{n}", number, village.township.name, village.name, f"家长{n}", "13800000000", marker])


def test_a_worker_killed_during_an_import_commit_leaves_all_of_it_or_none(app, county_env, tmp_path):
    demo(county_env, 300)
    today = clock.today()
    with app.app_context(), database.connection_context():
        village = Village.select(Village, Township).join(Township).order_by(Village.id).first()
    with serve(county_env, tmp_path, workers=2) as server:
        admin = Browser(server.port)
        admin.log_in("admin")
        fraction, hit = 0.5, None
        for attempt in range(1, 7):
            marker = f"kill-import-{attempt}"
            path = tmp_path / f"{marker}.csv"
            write_roster(path, ROWS, marker, attempt, today, village)
            started = time.monotonic()
            answer = admin.upload("/imports/", {"csrf_token": admin.csrf("/imports/")}, "file", path)
            assert answer.status == 302, answer.text[:1000]
            checked = admin.get(answer.location.replace(f"http://127.0.0.1:{server.port}", ""))  # the check task
            token = checked.location.rstrip("/").rsplit("/", 1)[1]
            preview = admin.get(f"/imports/{token}")
            preview_seconds = time.monotonic() - started  # reading and checking every row: about the commit's time
            assert preview.status == 200 and str(ROWS) in preview.text
            commit_token = CSRF.search(preview.text)
            data = {"csrf_token": commit_token.group(1) or commit_token.group(2)}
            before = server.worker_cpu()
            commit = InFlight(lambda token=token, data=data: admin.post(f"/imports/{token}/commit", data))
            commit.start()
            commit.join(preview_seconds * fraction)
            killed = server.kill_busiest(before) if commit.is_alive() else None
            commit.join(TIMEOUT)
            assert not commit.is_alive()
            server.wait_ready(2)
            print(
                f"attempt {attempt}: preview {preview_seconds:.2f} s, kill after {preview_seconds * fraction:.2f} s: "
                + (f"worker {killed} killed, {commit.broken!r}" if commit.broken else "answered first")
            )
            if killed and commit.broken:
                hit = (marker, token, data)
                break
            # The commit was answered before the kill: it is all there; try again, killing sooner.
            assert commit.answer.status == 302
            assert counts(app, marker) == (ROWS, ROWS, 1)
            fraction /= 2
        assert hit, "the kill never landed while the commit was running"
        marker, token, data = hit

        assert integrity_problems(app) == []
        children, guardians, audits = counts(app, marker)
        print(f"after the kill: {children} children, {guardians} guardians, {audits} import audit entries")
        assert (children, guardians, audits) in ((0, 0, 0), (ROWS, ROWS, 1)), "half an import was left behind"

        # Nothing is left locked or half-done: the same upload commits now, whole (once the killed task's turn is
        # given back: it stopped beating).
        time.sleep(3)
        answer = admin.post(f"/imports/{token}/commit", data)
        assert answer.status == 302
        assert "已导入" in admin.follow(answer).text
        assert counts(app, marker)[:2] == (ROWS, ROWS)
        assert integrity_problems(app) == []


# ---------------------------------------------------------------- b. workers killed during a batch print


def _issue_in_process(app):
    """Issue notices on half the open dropout cases directly (not yet printed); the rest stay for the pages."""
    with app.test_request_context(), database.connection_context():
        admin = User.get(User.username == "admin")
        cases = list(
            DropoutCase.select()
            .where(
                DropoutCase.status.in_(("dropped_out", "persuading"))
                & ~DropoutCase.id.in_(
                    ReturnNotice.select(ReturnNotice.case).where(
                        ReturnNotice.status.in_(("issued", "served", "overdue"))
                    )
                )
            )
            .order_by(DropoutCase.id)
        )
        for case in cases[: len(cases) // 2]:
            notices.issue(admin, case, app.config, clock.today(), early_reason="监护人拒绝见面")
        return [case.id for case in cases[len(cases) // 2 :]]


def _hammer(port, stop, failures, work):
    """Repeat `work(browser)` until `stop`; a broken connection (a killed worker) is expected, a 5xx is not."""
    browser = Browser(port)
    while not stop.is_set():
        try:
            if not browser.cookies:
                browser.log_in("admin")
            for answer in work(browser):
                if answer.status >= 500:
                    failures.append(answer.status)
        except OSError:
            time.sleep(0.05)


def test_workers_killed_during_a_batch_print_leave_archives_and_numbers_whole(app, county_env, tmp_path):
    demo(county_env, 20000)
    remaining = _issue_in_process(app)
    assert len(remaining) >= 20
    with app.app_context(), database.connection_context():
        all_ids = [n.id for n in ReturnNotice.select(ReturnNotice.id).order_by(ReturnNotice.id)]
        unprinted = [n.id for n in ReturnNotice.select(ReturnNotice.id).where(ReturnNotice.pdf_path.is_null())]
    reports = Path(app.config["REPORTS_DIR"])
    with serve(county_env, tmp_path, workers=3) as server:
        people = [Browser(server.port) for _ in range(3)]
        for person in people:
            person.log_in("admin")
        printer = people[0]

        # Three workers archiving the same notice at once each answer with the same, whole PDF.
        for notice_id in unprinted[: len(unprinted) // 2]:
            together = threading.Barrier(len(people))

            def print_together(person, path=f"/notices/{notice_id}.pdf", together=together):
                together.wait(TIMEOUT)
                return person.get(path)

            answers = [InFlight(lambda p=p: print_together(p)) for p in people]
            for request in answers:
                request.start()
            for request in answers:
                request.join(TIMEOUT)
            assert [a.answer and a.answer.status for a in answers] == [200] * len(people), (
                f"notice {notice_id} printed at once"
            )
            assert len({a.answer.body for a in answers}) == 1

        batch = {"csrf_token": printer.csrf("/notices/"), "notice": all_ids}
        started = time.monotonic()
        first = printer.batch(batch)
        batch_seconds = time.monotonic() - started
        assert first.status == 200 and first.body.startswith(b"%PDF")
        print(
            f"{len(all_ids)} notices, {len(remaining)} cases left to issue on; "
            f"a batch print takes {batch_seconds:.2f} s"
        )

        cases = iter(remaining)
        lock = threading.Lock()

        def issue_one(browser):  # a notice issued on a case and archived, as the issue page does
            with lock:
                case_id = next(cases, None)
            if case_id is None:
                return []
            page = f"/cases/{case_id}/notice"
            return [browser.post(page, {"csrf_token": browser.csrf(page), "return_school": "城关镇中心小学"})]

        def print_some(browser):  # a few notices' PDFs; the ones never printed are archived now
            return [browser.get(f"/notices/{notice_id}.pdf") for notice_id in random.sample(all_ids, 5)]

        stop, failures = threading.Event(), []
        hammers = [
            threading.Thread(target=_hammer, args=(server.port, stop, failures, work), daemon=True)
            for work in (issue_one, print_some)
        ]
        for thread in hammers:
            thread.start()
        hits, fraction = 0, 0.5
        try:
            for _round in range(6):
                time.sleep(0.2)
                time.sleep(2.5)  # a killed print's task gives back its turn once it has stopped beating
                request = InFlight(lambda: printer.batch(batch))
                request.start()
                request.join(batch_seconds * fraction)
                killed = server.kill_all_workers() if request.is_alive() else []
                request.join(TIMEOUT)
                assert not request.is_alive()
                server.wait_ready(3)
                print(
                    f"kill after {batch_seconds * fraction:.2f} s: "
                    + (f"workers {killed} killed, {request.broken!r}" if request.broken else "answered first")
                )
                if killed and request.broken:
                    hits += 1
                    if hits == 2:
                        break
                else:
                    assert request.answer.status == 200
                    fraction /= 2
        finally:
            stop.set()
            for thread in hammers:
                thread.join(TIMEOUT)
        assert hits, "no kill landed while the batch was being printed"
        assert failures == [], "a request that was not killed failed"
        time.sleep(2.5)
        final = printer.batch(batch)
        assert final.status == 200 and final.body.startswith(b"%PDF")

    assert integrity_problems(app) == []
    with app.app_context(), database.connection_context():
        archived = list(ReturnNotice.select().where(ReturnNotice.pdf_path.is_null(False)))
        print(f"{len(archived)} notices archived, {ReturnNotice.select().count()} in all")
        assert len(archived) > len(unprinted) // 2
        for notice in archived:
            path = reports / notice.pdf_path
            assert path.is_file(), f"{notice.number}: recorded {notice.pdf_path} is not on disk"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == notice.sha256, (
                f"{notice.number}: {path} is not what was recorded"
            )
        for counter in DocumentCounter.select():
            numbers = {
                n.seq
                for n in ReturnNotice.select(ReturnNotice.seq).where(
                    (ReturnNotice.series == counter.series) & (ReturnNotice.year == counter.year)
                )
            }
            assert numbers == set(range(1, counter.last + 1)), f"{counter.series} {counter.year}: gaps"


# ---------------------------------------------------------------- c. a backup taken while writes run

WRITER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from pathlib import Path
    from dropout import clock, create_app
    from dropout.db import database
    from dropout.models import User, Village
    from dropout.rules import id_number
    from dropout.children.records import save_child

    url, stop = sys.argv[1], Path(sys.argv[2])
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "writer"})
    written = 0
    with app.test_request_context(), database.connection_context():
        admin = User.get(User.username == "admin")
        villages = [v.id for v in Village.select()]
        deadline = time.monotonic() + 60
        while not stop.exists() and time.monotonic() < deadline:
            number = id_number.make("120101", date(2016, 1, 1 + written % 28), written // 28 % 1000)
            guardian = {"name": "家长", "relation": "父亲", "phone": "13800000000"}
            save_child(admin, {"name": f"备份{written}", "id_number": number,
                               "village": villages[written % len(villages)],
                               "notes": "backup-writer", "guardians": [guardian]})
            written += 1
            print(written, flush=True)
""")


@contextmanager
def _restored(backup, folder):
    """The backup restored as a new database, as an operator would: the file copied back, or pg_restore; its URL."""
    if not on_postgres():
        restored = folder / "restored.db"
        shutil.copyfile(backup, restored)
        yield f"sqlite:///{restored}"
        return
    with postgres_database("restored") as url:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", url, str(backup)],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
        yield url


def _written(app):
    with app.app_context(), database.connection_context():
        return Child.select().where(Child.notes == "backup-writer").count()


def test_a_backup_taken_while_children_are_written_restores_to_a_working_database(
    app, county_env, tmp_path, database_url
):
    demo(county_env, 2000)
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url, str(stop)],
        cwd=ROOT,
        env=county_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    backup = tmp_path / "backup.db"
    try:
        deadline = time.monotonic() + TIMEOUT
        while _written(app) < 20:
            assert writer.poll() is None, writer.stderr.read()
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.05)
        low = _written(app)
        flask(county_env, "backup", str(backup))
        high = _written(app)
        print(f"backup taken while the writer went from {low} to {high} children")
        time.sleep(0.3)  # the writer goes on after the backup
    finally:
        stop.touch()
        try:
            out, err = writer.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            writer.kill()
            out, err = writer.communicate(timeout=TIMEOUT)
    assert writer.returncode == 0, err
    assert int(out.split()[-1]) > high, "the writer stopped during the backup"

    with _restored(backup, tmp_path) as url:
        restored = create_app(
            {"TESTING": True, "SECRET_KEY": "restored", "DATABASE_URL": url, "REPORTS_DIR": str(tmp_path / "reports")}
        )
        assert integrity_problems(restored) == []
        with restored.app_context(), database.connection_context():
            written = Child.select().where(Child.notes == "backup-writer")
            assert low <= written.count() <= high
            print(f"the restored database holds {written.count()} of them; the writer wrote {out.split()[-1]}")
            # Each child is there with its guardian and its audit entry, or not at all.
            for child in written:
                assert child.guardians.count() == 1
                assert (
                    AuditLog.select().where((AuditLog.entity == "child") & (AuditLog.entity_id == child.id)).count()
                    == 1
                )
            total = Child.select().count()
            township = Township.select().first()
        client = restored.test_client()
        login(client, SimpleNamespace(username="admin"), DEMO_PASSWORD)
        for page in ("/", "/children/", "/cases/", "/notices/", f"/children/?township={township.id}"):
            assert client.get(page).status_code == 200, page
        # It takes new writes too (on PostgreSQL: the sequences came back with the rows).
        with restored.test_request_context(), database.connection_context():
            from dropout.children.records import save_child

            save_child(
                User.get(User.username == "admin"),
                {
                    "name": "恢复后",
                    "id_number": id_number.make("130101", date(2016, 5, 5), 1),
                    "village": Village.select().first().id,
                    "guardians": [{"name": "家长"}],
                },
            )
            assert Child.select().count() == total + 1

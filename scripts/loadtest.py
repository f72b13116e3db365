"""Twenty people at once on a million-child county while a ledger export, a roster import and a batch print
run in the background: latency per page, errors, and no visit lost or doubled.

Run:  .venv/bin/python scripts/loadtest.py [--seconds 60] [--users 20] [--workers 2] [--think 1.0]
                                          [--children N] [--dir DIR | --db PATH] [--keep]
                                          [--import-rows R] [--batch B] [--task-workers T]

The database is SQLite unless DROPOUT_DATABASE_URL names a PostgreSQL server (postgresql://user@host:port/any,
e.g. $DROPOUT_TEST_POSTGRES from ./scripts/with-postgres). The demo county (`demo-data --children N --seed 7`,
default 1,000,000 children: a few minutes to load) plus a few more teacher and township accounts (so the
simulated people work on different schools and townships) and one account per background job is
  SQLite     : loaded into a fresh file in a temporary folder; or with --dir, DIR/loadtest_N.db, loaded once
               and kept, copied into the temporary folder for each run; or the existing file --db PATH, copied
               (with --keep: used in place, so the run's visits and imported children stay in it);
  PostgreSQL : the database bench_loadtest_N on that server, created and loaded when missing, reused when
               present, dropped afterwards unless --keep (or it was there before).
`init-db` runs on it first (new migrations apply to a kept county). In the temporary folder: gunicorn on a free
loopback port with scripts/gunicorn.conf.py, the `scheduler` (when the CLI has it) and the task worker
(`flask worker`, DROPOUT_TASK_WORKERS=T, its queue and results in the folder), all with the same environment.

Then USERS threads, each a person with their own cookies (stdlib http.client only), work for SECONDS:
teachers open the visit form and log home visits on their cases; township staff list children, cases and
notices and print a notice or a batch (a batch answers a PDF, or starts a task whose page they open);
the bureau reads the home page, the lists and the monthly dashboard (`/reports/`, when the route exists).
Each person waits THINK seconds on average between two pages (uniform 0..2×THINK; --think 0 is a stress
test, not people). Once they have all logged in, three more people start, through the pages, a background
job each and wait for it, polling the task's state every second like its page does:
  ledger : the bureau's 台账 of the whole county (the form at /children/ledger.xlsx, its POST, the task) and
           its download, checked to be an .xlsx workbook;
  import : a township's roster of R new children (.xlsx written here: valid, unique ID numbers of school
           age, the township's villages and schools) uploaded at /imports/, checked, its preview opened and
           committed (each step synchronous or a task, whichever the pages do); afterwards all R must be in
           the database exactly once;
  print  : a batch of B notices of a township (POST /notices/batch.pdf: a PDF, or a task and its download).
Their requests count as pages (role column: the job's name); a job that fails or does not end within
--job-timeout seconds is an error. The people stop after SECONDS whether the jobs have ended or not; the
jobs are then waited for.

Printed: requests/second and p50/p95/p99 latency per page (client side: connect to last byte), errors,
and whether each page's p95 is under the 300 ms target (per role: a township's home page is not a
teacher's), the time each job took, and the CPU the server (web and scheduler), the task worker, the load
generator and everything else on the machine used (this machine is shared: read the latencies beside that
line). Afterwards every visit whose save was answered with a redirect must be in the database exactly once
(each carries a unique marker of this run in its notes) and no visit at all may be there twice. Exits 1 on
any error (an unexpected status, a broken connection, a job failed or unfinished, a worker timeout or
traceback in the server's or the task worker's log, the scheduler or the worker dying), a lost or doubled
write or an imported child missing; a p95 over the target is reported, not an exit status.

To add a page: write a function (person) -> None that calls person.get/person.post, and list it with a
weight under the roles that use it in SCENARIOS.
"""

import argparse
import http.client
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from dropout import clock  # noqa: E402  (the county's day, as the server's forms take it)

PASSWORD = "Demo-2026-county"
TARGET_P95 = 0.300
JUDGED = 20  # a p95 of fewer requests than this is their slowest one or two: shown, not judged
REQUEST_TIMEOUT = 30
DOWNLOAD_TIMEOUT = 300  # a million-row ledger is tens of megabytes
RAMP = 3.0  # seconds over which the people log in
POLL = 1.0  # seconds between two looks at a task's state, as its page refreshes
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
TASK = re.compile(r"^/tasks/[0-9a-f]{32}$")
ENDED = ("done", "failed", "expired")
SEED = 7  # the demo county's


class Failed(Exception):
    """A request that errored; already counted."""


class Results:
    """Latencies per page and errors, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)
        self.examples = []
        self.saved, self.unsure = [], []  # visit markers answered with success / without an answer
        self.run = f"LT{uuid.uuid4().hex[:8]}"  # in every marker of this run (a kept county holds earlier runs')
        self.after = defaultdict(list)  # the jobs' requests once the people have stopped: not in the table
        self.closed = False

    def record(self, page, seconds, error=None):
        with self.lock:
            (self.after if self.closed else self.latency)[page].append(seconds)
            if error:
                self.errors[page] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{page}: {error}")


def multipart(fields, files):
    """(body, content type) of a form with files: files maps a field to (file name, bytes, content type)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (file_name, content, kind) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
        parts.append(f"{head}Content-Type: {kind}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Person:
    """One simulated user: a role, an account, their own cookies; every request timed under a page name."""

    def __init__(self, role, username, port, results, rng):
        self.role, self.username, self.port, self.results, self.rng = role, username, port, results, rng
        self.cookies = {}

    def request(self, page, method, path, data=None, expect=(200,), pdf=False, files=None, binary=False):
        """(status, headers, body): the body as text, or bytes with pdf (checked to be one) or binary."""
        page = f"{self.role:<9}{page}"  # the same page costs differently by role: a township's home is not a teacher's
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if files:
            body, headers["Content-Type"] = multipart(data or {}, files)
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        timeout = DOWNLOAD_TIMEOUT if binary else REQUEST_TIMEOUT
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.results.record(page, time.perf_counter() - started, f"{method} {path}: {exc!r}")
            raise Failed() from None
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if response.status not in expect:
            self.results.record(page, elapsed, f"{method} {path} answered {response.status}")
            raise Failed()
        if pdf and response.status == 200 and not content.startswith(b"%PDF"):
            self.results.record(page, elapsed, f"{method} {path} answered something other than a PDF")
            raise Failed()
        self.results.record(page, elapsed)
        keep_bytes = pdf or binary
        return response.status, response.headers, content if keep_bytes else content.decode("utf-8", "replace")

    def get(self, page, path, expect=(200,), pdf=False, binary=False):
        return self.request(page, "GET", path, expect=expect, pdf=pdf, binary=binary)

    def post(self, page, path, data, expect=(302,), pdf=False, files=None):
        return self.request(page, "POST", path, data, expect, pdf, files)

    def fail(self, page, why):
        """Count a page that could not go on (no token, nothing to choose) as an error."""
        self.results.record(f"{self.role:<9}{page}", 0.0, why)
        raise Failed()

    def csrf(self, page, html):
        match = CSRF.search(html)
        return (match.group(1) or match.group(2)) if match else self.fail(page, "no CSRF token on the page")

    def log_in(self):
        _, _, page = self.get("login form", "/login")
        self.post(
            "login", "/login", {"username": self.username, "password": PASSWORD, "csrf_token": self.csrf("login", page)}
        )


# The pages. Each takes a Person; a page answering an unexpected status raises Failed (already counted).


def simple(page, path):
    def visit(person):
        person.get(page, path)

    visit.__name__ = page
    return visit


def log_visit(person):
    """Open the visit form, choose one of the offered cases, save with a unique marker, follow to the case."""
    _, _, form = person.get("visit form", "/visits/new")
    cases = re.findall(r'<option value="(\d+)"', form)
    if not cases:
        person.fail("visit save", "the visit form offers no open case")
    marker = f"{person.results.run}-{uuid.uuid4().hex}"
    outcome = person.rng.choice(["refused", "not_home", "working_away"])
    data = {
        "csrf_token": person.csrf("visit save", form),
        "case": person.rng.choice(cases),
        "visited_on": clock.today().isoformat(),
        "method": person.rng.choice(["home", "phone"]),
        "met": "nobody" if outcome == "not_home" else "guardian",
        "outcome": outcome,
        "reasons": "家长希望孩子外出打工",
        "notes": f"负载测试 {marker}",
    }
    try:
        _, headers, _ = person.post("visit save", "/visits/new", data)
    except Failed:
        person.results.unsure.append(marker)
        raise
    person.results.saved.append(marker)
    person.get("case page", local(headers["Location"]))


def print_notice(person):
    _, _, page = person.get("notices list", "/notices/")
    ids = re.findall(r'name="notice" value="(\d+)"', page)
    if ids:
        person.get("notice pdf", f"/notices/{person.rng.choice(ids)}.pdf", pdf=True)


def print_batch(person):
    """Twenty notices as one PDF: answered at once, or as a task whose page the person opens (and moves on)."""
    _, _, page = person.get("notices list", "/notices/")
    ids = re.findall(r'name="notice" value="(\d+)"', page)[:20]
    if ids:
        status, headers, _ = person.post(
            "notice batch pdf",
            "/notices/batch.pdf",
            {"csrf_token": person.csrf("notice batch pdf", page), "notice": ids},
            expect=(200, 302),
            pdf=True,
        )
        if status == 302 and TASK.match(local(headers["Location"])):
            person.get("task page", local(headers["Location"]))


def children_page(person):
    person.get("children list p2-5", f"/children/?page={person.rng.randint(2, 5)}")


def dashboard(person):
    """The monthly dashboard; /reports/ may send the reader on to the latest month."""
    status, headers, _ = person.get("reports dashboard", "/reports/", expect=(200, 302))
    if status == 302:
        person.get("reports month", local(headers["Location"]))


def local(location):
    """A redirect's target as a path on this server."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


home, children, cases, notices = (
    simple("home", "/"),
    simple("children list", "/children/"),
    simple("cases list", "/cases/"),
    simple("notices list", "/notices/"),
)

# role -> [(weight, page)]; dashboard is dropped when /reports/ answers 404.
SCENARIOS = {
    "teacher": [(6, log_visit), (2, home), (1, children), (1, cases)],
    "township": [
        (2, children),
        (1, children_page),
        (2, cases),
        (2, notices),
        (1, print_notice),
        (1, print_batch),
        (1, home),
    ],
    "bureau": [(2, home), (2, children), (1, children_page), (1, cases), (1, notices), (2, dashboard)],
}
MIX = {"teacher": 10, "township": 6, "bureau": 4}  # out of 20; scaled for --users


# The background jobs: each a person starting one through the pages and waiting for it to end.


class Job:
    """One background job's person, what it did and how long it took (seconds from its first page to its
    checked result)."""

    def __init__(self, name, person, run):
        self.name, self.person, self.run = name, person, run
        self.started = self.ended = None
        self.steps = []  # (step, seconds)
        self.detail = ""
        self.error = None

    @property
    def seconds(self):
        return (self.ended or time.monotonic()) - self.started if self.started else None

    def step(self, name, started):
        self.steps.append((name, time.monotonic() - started))

    def __call__(self, delay):
        time.sleep(delay)
        self.started = time.monotonic()
        try:
            self.person.log_in()
            self.run(self)
        except Failed:
            self.error = self.person.results.examples[-1] if self.person.results.examples else "failed"
        except Exception as exc:  # a bug here must show as an error, not a silent thread
            self.person.results.record(f"{self.person.role:<9}job", 0.0, repr(exc))
            self.error = repr(exc)
        finally:
            self.ended = time.monotonic()


def follow_task(person, path, timeout):
    """Open a task's page and poll its state until it ends; (its final state, with `then` where the page goes on
    to when done, the task page's HTML, seconds it was seen queued)."""
    began = time.monotonic()
    deadline, queued = began + timeout, None
    person.get("task page", path, expect=(200, 302))  # a task already done goes on at once (an import's check)
    while True:
        _, _, body = person.get("task poll", f"{path}.json")
        state = json.loads(body)
        if queued is None and state["status"] != "queued":
            queued = time.monotonic() - began
        if state["status"] in ENDED:
            break
        if time.monotonic() > deadline:
            person.fail("task", f"{path} still {state['status']} after {timeout:.0f} s")
        time.sleep(POLL)
    if state["status"] != "done":
        person.fail("task", f"{path} ended {state['status']}: {state.get('message')}")
    # What the person sees when it is done: its page, or the page it goes on to (an import's preview).
    status, headers, page = person.get("task page", path, expect=(200, 302))
    if status == 302:
        state = {**state, "then": state.get("then") or headers["Location"]}
    return state, page, queued


def settle(person, job, step, location, timeout, follow=None):
    """Where a POST's redirect leads once the work it started is over: a task is waited for (timed as `step`),
    then its page gives the way on (`follow`: a regular expression for the link to take). The path."""
    path = local(location)
    if not TASK.match(path):
        return path, None
    started = time.monotonic()
    state, page, queued = follow_task(person, path, timeout)
    job.steps.append((f"{step} task queued", queued))
    job.step(f"{step} task in all", started)
    if follow is None:
        return path, state
    link = state.get("then")
    if not link:
        found = re.search(follow, page)
        if found is None:
            person.fail(step, f"the finished task's page {path} has no link on")
        link = found.group(1)
    return local(link.replace("&amp;", "&")), state


def count_rows(book, name):
    """The <row> elements of a worksheet, read in pieces (a million rows are hundreds of megabytes of XML)."""
    rows, tail = 0, b""
    with book.open(name) as sheet:
        while chunk := sheet.read(1 << 20):
            piece = tail + chunk
            rows += piece.count(b"<row ")
            tail = piece[-4:]  # shorter than b"<row ": a row cut between two pieces counts once
    return rows


def ledger_job(timeout):
    def run(job):
        person = job.person
        started = time.monotonic()
        _, _, form = person.get("ledger form", "/children/ledger.xlsx")
        _, headers, _ = person.post(
            "ledger start", "/children/ledger.xlsx", {"csrf_token": person.csrf("ledger", form)}
        )
        path, state = settle(person, job, "ledger", headers["Location"], timeout)
        if state is None or not state.get("download"):
            person.fail("ledger", f"the export answered {path}, not a task with a download")
        _, _, content = person.get("task download", local(state["download"]), binary=True)
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                if "xl/workbook.xml" not in book.namelist():
                    raise zipfile.BadZipFile("no xl/workbook.xml")
                rows = count_rows(book, "xl/worksheets/sheet1.xml")
        except (zipfile.BadZipFile, KeyError) as exc:
            person.fail("task download", f"the ledger is not an .xlsx workbook: {exc}")
        job.step("ledger in all", started)
        job.detail = f"{len(content) / 1e6:.1f} MB .xlsx, {rows} rows in its sheet (with the headers)"

    return run


def import_job(workbook, ids, timeout):
    def run(job):
        person = job.person
        _, _, form = person.get("upload form", "/imports/")
        data = {"csrf_token": person.csrf("upload", form), "as_of": clock.today().isoformat()}
        files = {"file": ("loadtest-roster.xlsx", workbook, "application/vnd.ms-excel")}
        started = time.monotonic()
        _, headers, _ = person.post("upload", "/imports/", data, files=files)
        path, _ = settle(person, job, "check", headers["Location"], timeout, r'href="(/imports/[^"/?]+)"')
        _, _, preview = person.get("preview", path)
        job.step("upload and check", started)
        commit = re.search(r'<form[^>]*action="([^"]*/commit)"', preview)
        if commit is None:
            person.fail("preview", f"the preview {path} offers no commit (rows rejected, or already imported?)")
        started = time.monotonic()
        _, headers, _ = person.post("commit", local(commit.group(1)), {"csrf_token": person.csrf("commit", preview)})
        path, _ = settle(person, job, "commit", headers["Location"], timeout, r'href="(/imports/[^"/?]+)"')
        _, _, result = person.get("result", path)
        job.step("commit", started)
        job.detail = f"{len(ids)} new children in a {len(workbook) / 1e3:.0f} kB workbook"

    return run


def print_job(batch, timeout):
    def run(job):
        person = job.person
        _, _, page = person.get("notices list", "/notices/")
        ids = re.findall(r'name="notice" value="(\d+)"', page)[:batch]
        if not ids:
            person.fail("print", "the notices list offers nothing to print")
        started = time.monotonic()
        data = {"csrf_token": person.csrf("print", page), "notice": ids}
        status, headers, content = person.post("batch start", "/notices/batch.pdf", data, expect=(200, 302), pdf=True)
        if status == 302:
            path, state = settle(person, job, "print", headers["Location"], timeout)
            if state is None or not state.get("download"):
                person.fail("print", f"the batch answered {path}, not a task with a download")
            _, _, content = person.get("task download", local(state["download"]), pdf=True, binary=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", content))
        job.step("print in all", started)
        job.detail = f"{len(ids)} notices, {pages} PDF pages, {len(content) / 1e6:.1f} MB" + (
            " (answered at once)" if status == 200 else ""
        )

    return run


def roster_workbook(places, n, rng):
    """(xlsx bytes, ID numbers): n valid new children of one township, in the template's columns.

    ID numbers carry area codes outside the demo county's (5134xx) and random birth dates and sequences, so
    that a kept county imported into before takes them as new children again."""
    import xlsxwriter

    from dropout.roster import read as roster_read
    from dropout.rules import id_number, school_age

    today = clock.today()
    earliest, latest = school_age.birth_range_for_ages(6, 15, today)
    days = (latest - earliest).days
    surnames, given = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗", "小明红华军丽强芳伟敏静磊洋艳勇娟涛超霞平"
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("名册")
    keys = list(roster_read.HEADERS)
    for column, key in enumerate(keys):
        sheet.write_string(0, column, roster_read.HEADERS[key][0])
    issued = set()
    while len(issued) < n:
        born = earliest + timedelta(days=rng.randrange(days + 1))
        male = rng.random() < 0.515
        area = f"{rng.choice(('50', '52', '53'))}{rng.randrange(10000):04d}"
        number = id_number.make(area, born, rng.randrange(500) * 2 + male)
        if number in issued:
            continue
        issued.add(number)
        grade = min(max(school_age.expected_grade(born, today), 1), 9)
        surname = rng.choice(surnames)
        village = rng.choice(places["villages"])
        values = {
            "name": surname + rng.choice(given) + rng.choice(given),
            "sex": "男" if male else "女",
            "id_number": number,
            "birth_on": born.isoformat(),
            "ethnicity": "汉族",
            "township": places["township"],
            "village": village,
            "group": f"{rng.randint(1, 4)}组",
            "address": f"{places['township']}{village}{rng.randint(1, 180)}号",
            "guardian_name": surname + "建" + rng.choice(given),
            "guardian_relation": "父亲",
            "guardian_phone": f"138{rng.randrange(10**8):08d}",
            "school": rng.choice(places["primary"] if grade <= 6 else places["junior"]),
            "grade": str(grade),
            "student_number": "G" + number,
            "is_poor": "是" if rng.random() < 0.08 else "否",
            "is_left_behind": "是" if rng.random() < 0.12 else "否",
            "is_migrant": "否",
        }
        row = len(issued)
        for column, key in enumerate(keys):
            if values.get(key):
                sheet.write_string(row, column, values[key])
    workbook.close()
    return out.getvalue(), sorted(issued)


# The database: a raw connection for the checks, the county's place and set-up.


class Raw:
    """A raw connection (sqlite3 or psycopg2) to the database a URL names; queries written with ? marks."""

    def __init__(self, url):
        self.postgres = urlparse(url).scheme in ("postgres", "postgresql")
        if self.postgres:
            import psycopg2

            self.connection = psycopg2.connect(url)
            self.connection.autocommit = True
        else:
            self.connection = sqlite3.connect(url[len("sqlite:///") :])

    def rows(self, sql, params=()):
        cursor = self.connection.cursor()
        cursor.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return cursor.fetchall()

    def close(self):
        self.connection.close()


def flask(env, *args, timeout=3600, **kw):
    return subprocess.run(
        [BIN / "flask", "--app", "dropout", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def load_county(url, n_children, env):
    """The demo county into the empty database at `url`."""
    started = time.monotonic()
    flask({**env, "DROPOUT_DATABASE_URL": url}, "init-db")
    out = flask({**env, "DROPOUT_DATABASE_URL": url}, "demo-data", "--children", str(n_children), "--seed", str(SEED))
    print(f"{out.stdout.splitlines()[0]} (loaded in {time.monotonic() - started:.0f} s)", flush=True)


def sqlite_copy(source, dest):
    """Copy a SQLite database file whole (its write-ahead log folded in first)."""
    db = sqlite3.connect(source)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copyfile(source, dest)


class County:
    """Where the run's database is, and what to do with it afterwards (`url`; `drop()`)."""

    def __init__(self, args, folder, env):
        self.drop_name = None
        server = os.environ.get("DROPOUT_DATABASE_URL", "")
        if urlparse(server).scheme in ("postgres", "postgresql"):
            self._postgres(server, args, env)
        else:
            self._sqlite(args, folder, env)

    def _sqlite(self, args, folder, env):
        work = folder / "dropout.db"
        if args.db:
            if not Path(args.db).is_file():
                sys.exit(f"no such database: {args.db}")
            if args.keep:
                work = Path(args.db).resolve()
                self.where = f"{work} (in place: the run's writes stay in it)"
            else:
                started = time.monotonic()
                sqlite_copy(args.db, work)
                self.where = f"a copy of {args.db} (copied in {time.monotonic() - started:.0f} s)"
        elif args.dir:
            kept = Path(args.dir).resolve() / f"loadtest_{args.children}.db"
            if not kept.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                part = kept.with_name(kept.name + ".part")
                for stale in part.parent.glob(part.name + "*"):
                    stale.unlink()
                load_county(f"sqlite:///{part}", args.children, env)
                ensure_accounts(f"sqlite:///{part}", env)
                sqlite_copy(part, kept)
                for done in part.parent.glob(part.name + "*"):
                    done.unlink()
            started = time.monotonic()
            sqlite_copy(kept, work)
            self.where = f"a copy of {kept} (copied in {time.monotonic() - started:.0f} s)"
        else:
            load_county(f"sqlite:///{work}", args.children, env)
            self.where = f"{work}, loaded for this run"
        self.url = f"sqlite:///{work}"

    def _postgres(self, server, args, env):
        import psycopg2

        name = f"bench_loadtest_{args.children}"
        self.url = urlparse(server)._replace(path=f"/{name}").geturl()
        admin = psycopg2.connect(server)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            created = cursor.fetchone() is None
            if created:
                cursor.execute(f"CREATE DATABASE {name}")
        admin.close()
        if created and not args.keep:
            self.drop_name, self.admin_url = name, server
        if created:
            load_county(self.url, args.children, env)
        self.where = f"PostgreSQL database {name} ({'loaded for this run' if created else 'reused'})"

    def drop(self):
        if self.drop_name:
            import psycopg2

            admin = psycopg2.connect(self.admin_url)
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE {self.drop_name} WITH (FORCE)")
            admin.close()


def ensure_accounts(url, env):
    """One more teacher per busy school and township account per township, and the jobs' accounts (made when
    missing): {role: [user names]}, the jobs' under 'ledger', 'import' and 'print'."""
    from dropout import create_app
    from dropout.accounts import users as account_service
    from dropout.db import database
    from dropout.models import User

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": env["DROPOUT_SECRET_KEY"]})
    accounts = {"teacher": ["teacher"], "township": ["township"], "bureau": ["bureau"]}
    with app.app_context(), database.connection_context():
        rows = database.execute_sql
        places = {
            "school": [
                row[0]
                for row in rows(
                    "SELECT s.name FROM dropout_case k JOIN child c ON c.id = k.child_id "
                    "JOIN school s ON s.id = c.school_id "
                    "WHERE k.status != 'closed' GROUP BY s.id, s.name ORDER BY COUNT(*) DESC, s.id LIMIT 12"
                )
            ],
            "township": [row[0] for row in rows("SELECT name FROM township ORDER BY id")],
        }
        busiest = rows(
            "SELECT t.name FROM return_notice n JOIN township t ON t.id = n.township_id "
            "GROUP BY t.id, t.name ORDER BY COUNT(*) DESC, t.id LIMIT 1"
        ).fetchone()
        wanted = [
            (role, f"lt-{role}-{n}", {kind: place})
            for role, kind in (("teacher", "school"), ("township", "township"))
            for n, place in enumerate(places[kind])
        ]
        wanted += [
            ("ledger", "lt-ledger", {}),
            ("import", "lt-import", {"township": places["township"][1]}),  # not 城关镇: one school of each kind
            ("print", "lt-print", {"township": busiest[0] if busiest else places["township"][0]}),
        ]
        for role, username, place in wanted:
            if not User.select().where(User.username == username).exists():
                kind = "bureau" if role == "ledger" else "township" if role in ("import", "print") else role
                account_service.create_user(None, username, PASSWORD, kind, **place)
            accounts.setdefault(role, []).append(username)
    return accounts


def import_places(raw):
    """The import account's township, its villages, and its schools that take primary / junior grades."""
    ((township_id, township),) = raw.rows(
        "SELECT t.id, t.name FROM app_user u JOIN township t ON t.id = u.township_id WHERE u.username = 'lt-import'"
    )
    villages = [
        name for (name,) in raw.rows("SELECT name FROM village WHERE township_id = ? ORDER BY id", (township_id,))
    ]
    schools = raw.rows("SELECT name, kind FROM school WHERE township_id = ? ORDER BY id", (township_id,))
    return {
        "township": township,
        "villages": villages,
        "primary": [name for name, kind in schools if kind in ("primary", "nine_year")],
        "junior": [name for name, kind in schools if kind in ("junior", "nine_year")],
    }


# The processes.


def start(command, env, log):
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process):
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn exited at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer in time")


def wait_for_log(log, process, text, seconds=180):
    """Wait until `process` writes `text` to its log (the scheduler has caught up on past months, a few
    seconds of work; the worker is taking tasks), so the figures are those of a day's work, not of a restart."""
    started = time.monotonic()
    while time.monotonic() - started < seconds and process.poll() is None:
        if text in log.read_text(errors="replace"):
            return f"running ({time.monotonic() - started:.0f} s to start)"
        time.sleep(0.5)
    return "running" if process.poll() is None else "exited at start"


def has_page(port, username, path):
    """Whether `path` exists (anything but 404) for a logged-in user: probed once before the run."""
    person = Person("probe", username, port, Results(), random.Random())
    person.log_in()
    status, _, _ = person.request("probe", "GET", path, expect=range(100, 600))
    return status != 404


def work(person, scenario, until, think, delay):
    weights, pages = zip(*[(weight, page) for weight, page in scenario], strict=True)
    time.sleep(delay)  # people arrive over the first seconds, not all in the same millisecond
    try:
        person.log_in()
    except Failed:
        return
    while time.monotonic() < until:
        page = person.rng.choices(pages, weights)[0]
        try:
            page(person)
        except Failed:
            time.sleep(0.2)
        if think:
            time.sleep(min(person.rng.uniform(0, 2 * think), max(0.0, until - time.monotonic())))


TICK = os.sysconf("SC_CLK_TCK")


def machine_busy():
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def tree_cpu(root):
    """CPU seconds used by a process and its live descendants (gunicorn's master and workers)."""
    if root is None:
        return 0.0
    parents, usage = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            usage[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root.pid]
    while todo:
        pid = todo.pop()
        total += usage.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def cpu_now(server, scheduler, worker):
    """(machine, web server and scheduler, task worker, this process) CPU seconds so far."""
    mine = os.times()
    return machine_busy(), tree_cpu(server) + tree_cpu(scheduler), tree_cpu(worker), mine.user + mine.system


# The report.


def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))]


def report(results, seconds):
    """The table per page; returns the pages whose p95 misses the target and those too rarely asked to judge."""
    print(
        f"\n{'role     page':<30}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'errors':>8}  p95<300ms"
    )
    slow, few, total = [], [], 0
    for page in sorted(results.latency):
        values = sorted(results.latency[page])
        total += len(values)
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        verdict = "yes" if p95 < TARGET_P95 * 1000 else "NO"
        if len(values) < JUDGED:
            few.append(page)
            verdict = f"({verdict}, n<{JUDGED})"
        elif verdict == "NO":
            slow.append(page)
        print(
            f"{page:<30}{len(values):>9}{len(values) / seconds:>8.1f}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
            f"{values[-1] * 1000:>9.0f}{results.errors[page]:>8}  {verdict}"
        )
    everything = sorted(v for values in results.latency.values() for v in values)
    if everything:
        print(
            f"{'all pages':<30}{total:>9}{total / seconds:>8.1f}{percentile(everything, 50) * 1000:>9.0f}"
            f"{percentile(everything, 95) * 1000:>9.0f}{percentile(everything, 99) * 1000:>9.0f}"
            f"{everything[-1] * 1000:>9.0f}{sum(results.errors.values()):>8}"
        )
    return slow, few


def report_jobs(jobs, load_began, load_ended, results):
    """A line per background job: when it started, how long it took and its steps; False when one failed."""
    print("\nbackground jobs (seconds from the first page to the checked result):")
    ok = True
    for job in jobs:
        if job.started is None:
            print(f"  {job.name:<7}: never started")
            ok = False
            continue
        at = job.started - load_began
        after = (job.ended or time.monotonic()) - load_ended
        when = "ended during the load" if after <= 0 else f"ended {after:.0f} s after the people stopped"
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in job.steps)
        outcome = f"FAILED ({job.error})" if job.error else f"{job.seconds:.1f} s"
        ok = ok and not job.error
        print(
            f"  {job.name:<7}: {outcome}; started at {at:.0f} s, {when}; {steps}"
            + (f"; {job.detail}" if job.detail else "")
        )
    later = sorted(v for values in results.after.values() for v in values)
    if later:
        print(
            f"  after the people stopped, the jobs' own requests (not in the table): {len(later)}, "
            f"p95 {percentile(later, 95) * 1000:.0f} ms, max {later[-1] * 1000:.0f} ms"
        )
    return ok


def check_visits(raw, results):
    """(lost, doubled, unsure_written, unknown): saved visits missing, markers written more than once, unanswered
    saves kept, markers of this run written but never sent."""
    counts = defaultdict(int)
    for (notes,) in raw.rows("SELECT notes FROM home_visit WHERE notes LIKE ?", (f"负载测试 {results.run}-%",)):
        counts[notes.rsplit(" ", 1)[1]] += 1
    lost = [m for m in results.saved if counts.get(m, 0) != 1]
    doubled = [m for m, n in counts.items() if n > 1]
    unknown = set(counts) - set(results.saved) - set(results.unsure)
    return lost, doubled, sum(counts.get(m, 0) for m in results.unsure), unknown


def check_import(raw, ids):
    """How many of the roster's children the database holds (each at most once: the ID number is unique)."""
    found = 0
    for at in range(0, len(ids), 500):
        chunk = ids[at : at + 500]
        marks = ", ".join("?" * len(chunk))
        found += raw.rows(f"SELECT COUNT(*) FROM child WHERE id_number IN ({marks})", chunk)[0][0]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, choices=range(1, 9), help="gunicorn sync workers")
    parser.add_argument("--task-workers", type=int, default=1, help="tasks the worker runs at once")
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--dir", help="SQLite: a folder whose loadtest_N.db is reused (and kept), copied for the run")
    parser.add_argument("--db", help="SQLite: an existing file holding a county (copied; in place with --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and --db in place)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a person waits between pages")
    parser.add_argument("--import-rows", type=int, default=3000, help="new children in the imported roster")
    parser.add_argument("--batch", type=int, default=200, help="notices in the batch print job")
    parser.add_argument("--job-timeout", type=float, default=1200, help="seconds a background job may take")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--prepare", action="store_true", help="load the county, then stop (with --dir; --keep on PostgreSQL)"
    )
    args = parser.parse_args()
    if args.db and args.dir:
        parser.error("--db or --dir, not both")

    folder = Path(tempfile.mkdtemp(prefix="dropout-load-"))
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "dropout",
        "DROPOUT_SECRET_KEY": "load test",
        "DROPOUT_REPORTS_DIR": str(folder / "reports"),
        "DROPOUT_UPLOADS_DIR": str(folder / "uploads"),
        "DROPOUT_TASKS_DIR": str(folder / "tasks"),
        "DROPOUT_TASK_WORKERS": str(args.task_workers),
        "DROPOUT_TASK_IMMEDIATE": "0",
        "DROPOUT_BIND": f"127.0.0.1:{port}",
        "DROPOUT_WORKERS": str(args.workers),
    }
    started = time.monotonic()
    county = County(args, folder, env)
    env["DROPOUT_DATABASE_URL"] = county.url
    try:
        return run(args, folder, port, env, county, started)
    finally:
        county.drop()
        if args.keep and not args.prepare:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, folder, port, env, county, started):
    flask(env, "init-db")
    accounts = ensure_accounts(county.url, env)
    raw = Raw(county.url)
    children = raw.rows("SELECT COUNT(*) FROM child")[0][0]
    rng = random.Random(args.seed)
    workbook, imported_ids = roster_workbook(import_places(raw), args.import_rows, random.Random(uuid.uuid4().int))
    raw.close()
    print(f"county of {children} children ready in {time.monotonic() - started:.0f} s: {county.where}", flush=True)
    if args.prepare:
        return 0
    commands = re.findall(r"^\s+(\w[\w-]*)\b", flask(env, "--help").stdout, re.MULTILINE)
    server = scheduler = worker = None
    logs = {name: (folder / f"{name}.log").open("wb") for name in ("gunicorn", "scheduler", "worker")}
    results = Results()
    try:
        server = start(
            [BIN / "gunicorn", "--config", ROOT / "scripts" / "gunicorn.conf.py", "dropout:create_app()"],
            env,
            logs["gunicorn"],
        )
        if "scheduler" in commands:
            scheduler = start([BIN / "flask", "--app", "dropout", "scheduler"], env, logs["scheduler"])
        if "worker" in commands:
            worker = start([BIN / "flask", "--app", "dropout", "worker"], env, logs["worker"])
        wait_until_up(port, server)
        caught_up = wait_for_log(folder / "scheduler.log", scheduler, "scheduler running") if scheduler else "none"
        taking = wait_for_log(folder / "worker.log", worker, "task worker:") if worker else "no such command"
        scenarios = dict(SCENARIOS)
        if not has_page(port, "bureau", "/reports/"):
            scenarios["bureau"] = [(w, p) for w, p in scenarios["bureau"] if p is not dashboard]
        print(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; scheduler: {caught_up}; task worker: "
            f"{taking}, {args.task_workers} at a time; /reports/: "
            f"{'included' if dashboard in [p for _, p in scenarios['bureau']] else 'answers 404, left out'}"
        )
        roles = [role for role, n in MIX.items() for _ in range(round(n * args.users / 20))][: args.users]
        roles += ["teacher"] * (args.users - len(roles))
        turn = defaultdict(int)
        people = []
        for role in roles:
            names = accounts[role]
            people.append(Person(role, names[turn[role] % len(names)], port, results, random.Random(rng.random())))
            turn[role] += 1
        jobs = [
            Job("ledger", Person("ledger", accounts["ledger"][0], port, results, rng), ledger_job(args.job_timeout)),
            Job(
                "import",
                Person("import", accounts["import"][0], port, results, rng),
                import_job(workbook, imported_ids, args.job_timeout),
            ),
            Job(
                "print",
                Person("print", accounts["print"][0], port, results, rng),
                print_job(args.batch, args.job_timeout),
            ),
        ]
        print(
            f"{len(people)} people ({', '.join(f'{n} {r}' for r, n in turn.items())}), {args.seconds:.0f} s, "
            f"think time {args.think:.1f} s on average; from {RAMP + 2:.0f} s: the ledger of the county "
            f"(bureau), an import of {args.import_rows} children (a township), a batch of up to {args.batch} notices",
            flush=True,
        )
        cpu_before = cpu_now(server, scheduler, worker)
        begin = time.monotonic()
        until = begin + args.seconds
        threads = [
            threading.Thread(
                target=work, args=(p, scenarios[p.role], until, args.think, n * RAMP / len(people)), daemon=True
            )
            for n, p in enumerate(people)
        ]
        helpers = [threading.Thread(target=job, args=(RAMP + 2 + n,), daemon=True) for n, job in enumerate(jobs)]
        for thread in threads + helpers:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, until - time.monotonic() + REQUEST_TIMEOUT + 5))
        elapsed = time.monotonic() - begin
        results.closed = True
        cpu = [after - before for before, after in zip(cpu_before, cpu_now(server, scheduler, worker), strict=True)]
        load_ended = time.monotonic()
        for thread in helpers:
            thread.join(timeout=max(1.0, begin + args.job_timeout + DOWNLOAD_TIMEOUT - time.monotonic()))
        jobs_cpu = [
            after - before for before, after in zip(cpu_before, cpu_now(server, scheduler, worker), strict=True)
        ]
        scheduler_died = scheduler is not None and scheduler.poll() is not None
        worker_died = worker is not None and worker.poll() is not None
    finally:
        stop(worker)
        stop(scheduler)
        stop(server)
        for log in logs.values():
            log.close()

    slow, few = report(results, elapsed)
    jobs_ok = report_jobs(jobs, begin, load_ended, results)
    problems = {}
    for name in ("gunicorn", "worker", "scheduler"):
        log = (folder / f"{name}.log").read_text(errors="replace")
        problems[name] = (log.count("WORKER TIMEOUT"), log.count("Traceback") + log.count(" failed with "))
    timeouts = problems["gunicorn"][0]
    tracebacks = sum(n for _, n in problems.values())
    raw = Raw(county.url)
    lost, doubled, unsure_written, unknown = check_visits(raw, results)
    imported = check_import(raw, imported_ids)
    raw.close()
    errors = sum(results.errors.values())
    print(
        f"\nerrors: {errors}; gunicorn worker timeouts: {timeouts}; tracebacks (or failed tasks) in the logs: "
        + ", ".join(f"{name} {n}" for name, (_, n) in problems.items())
        + ("; the scheduler died" if scheduler_died else "")
        + ("; the task worker died" if worker_died else "")
    )
    for example in results.examples[:10]:
        print("  " + example)
    print(
        f"visits saved: {len(results.saved)}; in the database exactly once: {len(results.saved) - len(lost)}; "
        f"lost: {len(lost)}; doubled: {len(doubled)}; saves not answered with success: {len(results.unsure)} "
        f"({unsure_written} of them written); written but never sent: {len(unknown)}"
    )
    print(f"imported children in the database: {imported} of {len(imported_ids)}")
    print(
        f"CPU seconds over the {elapsed:.0f} s of load: server {cpu[1]:.0f}, task worker {cpu[2]:.0f}, load generator "
        f"{cpu[3]:.0f}, everything else on the machine {max(0.0, cpu[0] - cpu[1] - cpu[2] - cpu[3]):.0f} "
        f"(of {os.cpu_count() * elapsed:.0f} on {os.cpu_count()} cores); task worker until the jobs ended: "
        f"{jobs_cpu[2]:.0f}"
    )
    judged = len(results.latency) - len(few)
    few_slow = [p for p in few if percentile(sorted(results.latency[p]), 95) >= TARGET_P95]
    print(
        f"p95 < {TARGET_P95 * 1000:.0f} ms on every page: "
        + (
            ("yes" if judged else f"not judged (no page had {JUDGED} requests)")
            if not slow
            else f"NO, over on {len(slow)} of {judged}: " + ", ".join(" ".join(p.split()) for p in slow)
        )
        + (
            f"; {len(few)} pages with fewer than {JUDGED} requests not judged ({len(few_slow)} of them over)"
            if few
            else ""
        )
    )
    failed = (
        errors
        or lost
        or doubled
        or unknown
        or timeouts
        or tracebacks
        or scheduler_died
        or worker_died
        or not jobs_ok
        or imported != len(imported_ids)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

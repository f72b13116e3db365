"""Twenty people at once on a 100,000-child county: latency per page, errors, and no visit lost or doubled.

Run:  .venv/bin/python scripts/loadtest.py [--seconds 60] [--users 20] [--workers 2] [--think 1.0]

In a temporary folder: a fresh SQLite database with the demo county (`demo-data --children N`), a few
more teacher and township accounts (so the simulated people work on different schools and townships),
gunicorn on a free loopback port with scripts/gunicorn.conf.py and, when the CLI has it, the `scheduler`
process. Then USERS threads, each a person with their own cookies (stdlib http.client only), work for
SECONDS: teachers open the visit form and log home visits on their cases; township staff list children,
cases and notices and print a notice or a batch; the bureau reads the home page, the lists and the
monthly dashboard (`/reports/`, when the route exists). Each person waits THINK seconds on average
between two pages (uniform 0..2×THINK; --think 0 is a stress test, not people).

Printed: requests/second and p50/p95/p99 latency per page (client side: connect to last byte), errors,
and whether each page's p95 is under the 300 ms target (per role: a township's home page is not a
teacher's), with the CPU the server, the load generator and everything else on the machine used (this
machine is shared: read the latencies beside that line). Afterwards every visit whose save was answered
with a redirect must be in the database exactly once (each carries a unique marker in its notes) and no
visit at all may be there twice. Exits 1 on any error (an unexpected status, a broken connection, a
worker timeout or traceback in the server's log, the scheduler dying) or a lost or doubled write; a p95
over the target is reported, not an exit status.

To add a page: write a function (person) -> None that calls person.get/person.post, and list it with a
weight under the roles that use it in SCENARIOS.
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from dropout import clock  # noqa: E402  (the county's day, as the server's forms take it)

PASSWORD = "Demo-2026-county"
TARGET_P95 = 0.300
JUDGED = 20  # a p95 of fewer requests than this is their slowest one or two: shown, not judged
REQUEST_TIMEOUT = 30
RAMP = 3.0  # seconds over which the people log in
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


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

    def record(self, page, seconds, error=None):
        with self.lock:
            self.latency[page].append(seconds)
            if error:
                self.errors[page] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{page}: {error}")


class Person:
    """One simulated user: a role, an account, their own cookies; every request timed under a page name."""

    def __init__(self, role, username, port, results, rng):
        self.role, self.username, self.port, self.results, self.rng = role, username, port, results, rng
        self.cookies = {}

    def request(self, page, method, path, data=None, expect=(200,), pdf=False):
        page = f"{self.role:<9}{page}"  # the same page costs differently by role: a township's home is not a teacher's
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
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
        if pdf and not content.startswith(b"%PDF"):
            self.results.record(page, elapsed, f"{method} {path} answered something other than a PDF")
            raise Failed()
        self.results.record(page, elapsed)
        return response.status, response.headers, content if pdf else content.decode("utf-8", "replace")

    def get(self, page, path, expect=(200,), pdf=False):
        return self.request(page, "GET", path, expect=expect, pdf=pdf)

    def post(self, page, path, data, expect=(302,), pdf=False):
        return self.request(page, "POST", path, data, expect, pdf)

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
    marker = f"LT-{uuid.uuid4().hex}"
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
    _, _, page = person.get("notices list", "/notices/")
    ids = re.findall(r'name="notice" value="(\d+)"', page)[:20]
    if ids:
        person.post(
            "notice batch pdf",
            "/notices/batch.pdf",
            {"csrf_token": person.csrf("notice batch pdf", page), "notice": ids},
            expect=(200,),
            pdf=True,
        )


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args, timeout=600, **kw):
    return subprocess.run(
        [BIN / "flask", "--app", "dropout", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def build(folder, n_children, env):
    """The demo county plus one teacher per busy school and one township account per township."""
    flask(env, "init-db")
    print(flask(env, "demo-data", "--children", str(n_children), "--seed", "7").stdout.splitlines()[0], flush=True)
    from dropout import create_app
    from dropout.accounts import users as account_service
    from dropout.db import database

    app = create_app({"DATABASE_URL": env["DROPOUT_DATABASE_URL"], "SECRET_KEY": env["DROPOUT_SECRET_KEY"]})
    accounts = {"teacher": ["teacher"], "township": ["township"], "bureau": ["bureau"]}
    with app.app_context(), database.connection_context():
        places = {
            "school": [
                row[0]
                for row in database.execute_sql(
                    "SELECT s.name FROM dropout_case k JOIN child c ON c.id = k.child_id "
                    "JOIN school s ON s.id = c.school_id "
                    "WHERE k.status != 'closed' GROUP BY s.id ORDER BY COUNT(*) DESC, s.id LIMIT 12"
                )
            ],
            "township": [row[0] for row in database.execute_sql("SELECT name FROM township ORDER BY id")],
        }
        for role, kind in (("teacher", "school"), ("township", "township")):
            for n, place in enumerate(places[kind]):
                user = account_service.create_user(None, f"lt-{role}-{n}", PASSWORD, role, **{kind: place})
                accounts[role].append(user.username)
    return accounts


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


def wait_for_catch_up(log, process, seconds=180):
    """The scheduler first catches up on past months (a few seconds of work on this county): let it finish
    before the people arrive, so the figures are those of a day's work, not of a restart."""
    started = time.monotonic()
    while time.monotonic() - started < seconds and process.poll() is None:
        if "scheduler running" in log.read_text(errors="replace"):
            return f"running (caught up in {time.monotonic() - started:.0f} s before the run)"
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
    parents, usage = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            usage[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += usage.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def cpu_now(server, scheduler):
    mine = os.times()
    return (
        machine_busy(),
        tree_cpu(server.pid) + (tree_cpu(scheduler.pid) if scheduler else 0.0),
        mine.user + mine.system,
    )


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


def check_visits(database, results):
    """(lost, doubled, unsure_written): saved visits missing, markers written more than once, unanswered saves kept."""
    db = sqlite3.connect(database)
    counts = defaultdict(int)
    for (notes,) in db.execute("SELECT notes FROM home_visit WHERE notes LIKE '负载测试 LT-%'"):
        counts[notes.rsplit(" ", 1)[1]] += 1
    db.close()
    lost = [m for m in results.saved if counts.get(m, 0) != 1]
    doubled = [m for m, n in counts.items() if n > 1]
    unknown = set(counts) - set(results.saved) - set(results.unsure)
    return lost, doubled, sum(counts.get(m, 0) for m in results.unsure), unknown


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, choices=range(1, 9), help="gunicorn sync workers")
    parser.add_argument("--children", type=int, default=100000)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a person waits between pages")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="dropout-load-"))
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "dropout",
        "DROPOUT_DATABASE_URL": f"sqlite:///{folder / 'dropout.db'}",
        "DROPOUT_SECRET_KEY": "load test",
        "DROPOUT_REPORTS_DIR": str(folder / "reports"),
        "DROPOUT_UPLOADS_DIR": str(folder / "uploads"),
        "DROPOUT_BIND": f"127.0.0.1:{port}",
        "DROPOUT_WORKERS": str(args.workers),
    }
    started = time.monotonic()
    accounts = build(folder, args.children, env)
    print(f"county built in {time.monotonic() - started:.0f} s in {folder}", flush=True)
    has_scheduler = re.search(r"^\s+scheduler\b", flask(env, "--help").stdout, re.MULTILINE) is not None
    server = scheduler = None
    server_log = (folder / "gunicorn.log").open("wb")
    scheduler_log = (folder / "scheduler.log").open("wb")
    results = Results()
    try:
        server = start(
            [BIN / "gunicorn", "--config", ROOT / "scripts" / "gunicorn.conf.py", "dropout:create_app()"],
            env,
            server_log,
        )
        if has_scheduler:
            scheduler = start([BIN / "flask", "--app", "dropout", "scheduler"], env, scheduler_log)
        wait_until_up(port, server)
        if scheduler is not None:
            caught_up = wait_for_catch_up(folder / "scheduler.log", scheduler)
        scenarios = dict(SCENARIOS)
        if not has_page(port, "bureau", "/reports/"):
            scenarios["bureau"] = [(w, p) for w, p in scenarios["bureau"] if p is not dashboard]
        print(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; scheduler: "
            f"{caught_up if has_scheduler else 'no such command'}; /reports/: "
            f"{'included' if dashboard in [p for _, p in scenarios['bureau']] else 'answers 404, left out'}"
        )
        rng = random.Random(args.seed)
        roles = [role for role, n in MIX.items() for _ in range(round(n * args.users / 20))][: args.users]
        roles += ["teacher"] * (args.users - len(roles))
        turn = defaultdict(int)
        people = []
        for role in roles:
            names = accounts[role]
            people.append(Person(role, names[turn[role] % len(names)], port, results, random.Random(rng.random())))
            turn[role] += 1
        print(
            f"{len(people)} people ({', '.join(f'{n} {r}' for r, n in turn.items())}), {args.seconds:.0f} s, "
            f"think time {args.think:.1f} s on average",
            flush=True,
        )
        cpu_before = cpu_now(server, scheduler)
        begin = time.monotonic()
        until = begin + args.seconds
        threads = [
            threading.Thread(
                target=work, args=(p, scenarios[p.role], until, args.think, n * RAMP / len(people)), daemon=True
            )
            for n, p in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, until - time.monotonic() + REQUEST_TIMEOUT + 5))
        elapsed = time.monotonic() - begin
        cpu = [after - before for before, after in zip(cpu_before, cpu_now(server, scheduler), strict=True)]
        scheduler_died = scheduler is not None and scheduler.poll() is not None
    finally:
        stop(scheduler)
        stop(server)
        server_log.close()
        scheduler_log.close()

    slow, few = report(results, elapsed)
    log = (folder / "gunicorn.log").read_text(errors="replace")
    timeouts, tracebacks = log.count("WORKER TIMEOUT"), log.count("Traceback")
    lost, doubled, unsure_written, unknown = check_visits(folder / "dropout.db", results)
    errors = sum(results.errors.values())
    print(
        f"\nerrors: {errors}; gunicorn worker timeouts: {timeouts}; tracebacks in the server log: {tracebacks}"
        + ("; the scheduler died" if scheduler_died else "")
    )
    for example in results.examples[:10]:
        print("  " + example)
    print(
        f"visits saved: {len(results.saved)}; in the database exactly once: {len(results.saved) - len(lost)}; "
        f"lost: {len(lost)}; doubled: {len(doubled)}; saves not answered with success: {len(results.unsure)} "
        f"({unsure_written} of them written); written but never sent: {len(unknown)}"
    )
    print(
        f"CPU seconds over the run: server {cpu[1]:.0f}, load generator {cpu[2]:.0f}, everything else on the "
        f"machine {max(0.0, cpu[0] - cpu[1] - cpu[2]):.0f} "
        f"(of {os.cpu_count() * elapsed:.0f} on {os.cpu_count()} cores)"
    )
    judged = len(results.latency) - len(few)
    print(
        f"p95 < {TARGET_P95 * 1000:.0f} ms on every page: "
        + (
            "yes"
            if not slow
            else f"NO, over on {len(slow)} of {judged}: " + ", ".join(" ".join(p.split()) for p in slow)
        )
        + (f" (not judged, fewer than {JUDGED} requests: {', '.join(' '.join(p.split()) for p in few)})" if few else "")
    )
    if args.keep:
        print(f"kept {folder}")
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    failed = errors or lost or doubled or unknown or timeouts or tracebacks or scheduler_died
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Seconds to summarise a month for every unit of the county, against a floor measured in the same run.

Run:  .venv/bin/python scripts/bench_summary.py [--children N] [--scale] [--dir DIR | --db PATH] [--keep]
                                                [--month YYYY-MM] [--repeat R]

The database is SQLite unless DROPOUT_DATABASE_URL names a PostgreSQL server
(postgresql://user@host:port/any_database, e.g. the one ./scripts/with-postgres starts).
The demo county with N children (default 1,000,000: a minute or two to load) goes into
  SQLite     : DIR/bench_N.db (default DIR: a temporary folder, removed afterwards; a file there is reused),
               or the existing file --db PATH;
  PostgreSQL : the database bench_summary_N on that server, created and loaded when missing, reused when
               present, dropped afterwards unless --keep (or it was there before).
Then it times, best of R runs, interleaved so that the machine's other work hits each alike:
  floor   : one hand-written GROUP BY over the child table (raw sqlite3 or psycopg2, the same database):
            counts by village, school, sex and status, the least a summary of every unit must read;
  summary : reporting.figures.compute for the month in one read snapshot, every unit at once (the
            stock scan, the replayed status history, the month's events), as the monthly job runs it;
  frozen  : summaries.generate_month, which also writes the rows in one transaction.
With --scale it also loads a county of N/10 children and times both, to check the summary grows linearly.
Targets: the summary at most 3× the floor; with --scale, ten times the children at most 11 times as long.
Exits 1 when a target is missed.
"""

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropout import clock, create_app  # noqa: E402
from dropout.db import database, open_database, read_snapshot  # noqa: E402
from dropout.demo import county as demo
from dropout.migrations import migrate  # noqa: E402
from dropout.reporting import summaries
from dropout.reporting.figures import Month, compute  # noqa: E402

FLOOR_SQL = "SELECT village_id, school_id, sex, status, COUNT(*) FROM child GROUP BY 1, 2, 3, 4"
TARGET = 3.0  # summary / floor
SCALE_TARGET = 11.0  # summary(N) / summary(N / 10)


def best(run, repeat):
    """(fastest seconds of `repeat` runs, the last result)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


class SqliteCounty:
    """A SQLite file holding a demo county, and a raw sqlite3 connection to it for the floor."""

    dialect = "raw sqlite3"

    def __init__(self, path):
        self.url, self.path = f"sqlite:///{path}", path

    def floor_connection(self):
        return sqlite3.connect(self.path)

    def drop(self):
        pass


class PostgresCounty:
    """A database on a PostgreSQL server holding a demo county, created when missing."""

    dialect = "psycopg2"

    def __init__(self, server_url, name, keep):
        import psycopg2

        self.psycopg2, self.keep = psycopg2, keep
        parsed = urlparse(server_url)
        self.admin_url = server_url
        self.url = parsed._replace(path=f"/{name}").geturl()
        self.name = name
        admin = self._admin()
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            self.created = cursor.fetchone() is None
            if self.created:
                cursor.execute(f"CREATE DATABASE {name}")
        admin.close()

    def _admin(self):
        admin = self.psycopg2.connect(self.admin_url)
        admin.autocommit = True
        return admin

    def floor_connection(self):
        connection = self.psycopg2.connect(self.url)
        connection.autocommit = True
        return connection

    def drop(self):
        if self.created and not self.keep:
            admin = self._admin()
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE {self.name} WITH (FORCE)")
            admin.close()


def run_floor(connection):
    cursor = connection.cursor()
    cursor.execute(FLOOR_SQL)
    return cursor.fetchall()


def summarise(month):
    with read_snapshot():
        return compute(month)


def prepare(county, n, app):
    """Bind the app's database to the county's, migrate it and load N children when it is empty."""
    database.initialize(open_database(county.url))
    database.connect(reuse_if_open=True)
    migrate()
    if not demo.has_data():
        start = time.perf_counter()
        demo.load(n, 2026, config=app.config)
        print(f"loaded {n} children into {county.url} in {time.perf_counter() - start:.1f} s", flush=True)
    county.database = database.obj
    county.children = database.execute_sql("SELECT COUNT(*) FROM child").fetchone()[0]
    county.changes = database.execute_sql("SELECT COUNT(*) FROM child_change").fetchone()[0]
    county.floor, county.summary = [], []


def measure(county, month):
    """One floor run and one summary run on the county, appended to its times."""
    database.initialize(county.database)
    connection = county.floor_connection()
    seconds, county.groups = best(lambda: run_floor(connection), 1)
    county.floor.append(seconds)
    connection.close()
    seconds, county.units = best(lambda: summarise(month), 1)
    county.summary.append(seconds)


def counties(args, folder):
    """{children: county} for the run, on the database DROPOUT_DATABASE_URL names (SQLite by default)."""
    sizes = [args.children // 10, args.children] if args.scale else [args.children]
    url = os.environ.get("DROPOUT_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return {n: PostgresCounty(url, f"bench_summary_{n}", args.keep) for n in sizes}
    if args.db:
        if args.scale:
            raise SystemExit("--db names one county; use --dir with --scale")
        return {args.children: SqliteCounty(args.db)}
    folder = Path(args.dir) if args.dir else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {n: SqliteCounty(str(folder / f"bench_{n}.db")) for n in sizes}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--scale", action="store_true", help="also time a county of N/10 children")
    parser.add_argument("--dir", help="SQLite: a folder whose bench_N.db files are reused (and kept)")
    parser.add_argument("--db", help="SQLite: an existing file holding a county (skips loading)")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the databases it creates")
    parser.add_argument("--month", default=None, help="YYYY-MM (default: last month)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    month = Month.parse(args.month) if args.month else Month.of(clock.today()).previous()
    folder = tempfile.TemporaryDirectory()
    by_size = counties(args, folder.name)
    largest = by_size[args.children]
    app = create_app({"DATABASE_URL": largest.url, "SECRET_KEY": "bench", "TESTING": True})
    try:
        with app.app_context(), app.test_request_context():
            for n, county in by_size.items():
                prepare(county, n, app)
            for _ in range(args.repeat):
                for county in by_size.values():
                    measure(county, month)
            database.initialize(largest.database)
            frozen, _result = best(lambda: summaries.generate_month(month), 1)
            for county in by_size.values():
                county.database.close()
    finally:
        for county in by_size.values():
            county.drop()
    return report(by_size, largest, month, frozen)


def report(by_size, largest, month, frozen):
    """Print the times and ratios; 0 when every target is met, else 1."""
    ok = True
    for county in by_size.values():
        floor, summary = min(county.floor), min(county.summary)
        ratio = summary / floor
        print(f"county  : {county.children} children, {county.changes} status changes, month {month}")
        print(f"floor   : {floor:6.2f} s  ({len(county.groups)} groups: one GROUP BY, {county.dialect})")
        print(f"summary : {summary:6.2f} s  ({len(county.units)} units, every figure by stage and sex)")
        if county is largest:
            print(f"frozen  : {frozen:6.2f} s  (computed and written as rows, one transaction)")
            met = ratio <= TARGET
            ok = ok and met
            print(f"ratio   : {ratio:.2f}  (target <= {TARGET:.2f})  {'ok' if met else 'TOO SLOW'}")
        else:
            print(f"ratio   : {ratio:.2f}  (the target is for the largest county)")
    if len(by_size) > 1:
        small = min(by_size)
        scale = min(largest.summary) / min(by_size[small].summary)
        floors = min(largest.floor) / min(by_size[small].floor)
        met = scale <= SCALE_TARGET
        ok = ok and met
        print(
            f"scaling : {scale:.2f}  summary({largest.children}) / summary({by_size[small].children}) "
            f"(target <= {SCALE_TARGET:.2f}; the floor's: {floors:.2f})  {'ok' if met else 'NOT LINEAR'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

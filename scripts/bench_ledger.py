"""Seconds and memory of the 台账 export against a floor measured in the same run.

Run:  .venv/bin/python scripts/bench_ledger.py [--children N] [--dir DIR] [--keep]

The database is SQLite unless DROPOUT_DATABASE_URL names a PostgreSQL server
(postgresql://user@host:port/any_database, e.g. the one ./scripts/with-postgres starts:
  ./scripts/with-postgres sh -c 'DROPOUT_DATABASE_URL=$DROPOUT_TEST_POSTGRES .venv/bin/python scripts/bench_ledger.py'
N children (default 100,000) of one township, each with two guardians, go into
  SQLite     : DIR/bench_ledger_N.db (default DIR: a temporary folder, removed afterwards; a file there is reused);
  PostgreSQL : the database bench_ledger_N on that server, created and loaded when missing, reused when present,
               dropped afterwards unless --keep (or it was there before).
Rows are generated as tuples and loaded in bulk (executemany on SQLite, COPY on PostgreSQL): a million
children load in well under a minute. Then it writes the ledger of all of them three ways:
  floor  : one raw query (sqlite3 or psycopg2, a server-side cursor) of the same columns, the first guardian's
           included, each value written as text by xlsxwriter in constant-memory mode (no ORM, no labels);
  ledger : roster.ledger.write_ledger with a progress callable, as the background export runs it (its COUNT too);
  memory : write_ledger again under tracemalloc, for the peak of Python memory, which must stay bounded
           (rows are streamed, not collected).
Targets: the ledger at most 1.3× the floor, and at most 50 MB of Python allocations at the peak.
Exits 1 when one is missed.
"""

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_summary  # noqa: E402  (beside this script)
import xlsxwriter  # noqa: E402

from dropout import create_app  # noqa: E402
from dropout.children import columns  # noqa: E402
from dropout.children import search as child_search  # noqa: E402
from dropout.db import bulk_insert, copy_rows, database, open_database, reset_sequence  # noqa: E402
from dropout.migrations import migrate  # noqa: E402
from dropout.models import School, Township, User, Village  # noqa: E402
from dropout.roster import ledger  # noqa: E402
from dropout.rules import id_number  # noqa: E402

TODAY = date(2026, 11, 22)
TARGET = 1.3  # ledger / floor
MEMORY_LIMIT = 50e6  # bytes of Python allocations at the peak
BATCH = 50_000  # children generated and loaded at a time
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "小明红华军丽强芳伟敏静磊洋艳勇娟涛超霞平"
GUARDIANS = (("母亲某", "母亲", "13900000000"), ("父亲某", "父亲", "13800000000"))
# The ledger's columns in its query's order (roster.ledger.COLUMNS): the first column of each cell, then the
# other group columns; the first-recorded guardian joined by its id.
FLOOR_SQL = """
SELECT c.name, c.sex, c.id_number, c.birth_on, c.ethnicity, t.name, v.name, c.village_group, c.address,
       g.name, g.relation, g.phone, s.name, c.grade, c.student_number, c.status, c.is_poor, c.notes,
       c.is_left_behind, c.is_migrant, c.is_orphan, c.disability_category
FROM child c JOIN village v ON v.id = c.village_id JOIN township t ON t.id = v.township_id
LEFT JOIN school s ON s.id = c.school_id
LEFT JOIN guardian g ON g.id = (SELECT MIN(f.id) FROM guardian f WHERE f.child_id = c.id)
ORDER BY c.village_id, c.name, c.id
"""


class SqliteCounty:
    """A SQLite file, and raw sqlite3 for the floor."""

    dialect = "raw sqlite3"

    def __init__(self, path):
        self.url, self.path = f"sqlite:///{path}", path

    def floor_rows(self):
        connection = sqlite3.connect(self.path)
        try:
            yield from connection.execute(FLOOR_SQL)
        finally:
            connection.close()

    def copy(self, table, names, rows):
        bulk_insert(table, names, rows)

    def drop(self):
        pass


class PostgresCounty(bench_summary.PostgresCounty):
    """A database on a PostgreSQL server, created when missing (as bench_summary's), and psycopg2 for the floor."""

    def floor_rows(self):
        connection = self.psycopg2.connect(self.url)
        try:
            with connection.cursor(name="floor") as cursor:  # server-side, in a transaction: rows come in batches
                cursor.itersize = ledger.CHUNK
                cursor.execute(FLOOR_SQL)
                yield from cursor
        finally:
            connection.close()

    def copy(self, table, names, rows):
        copy_rows(table, names, rows)


def generate(start, stop, villages, schools, now):
    """(child rows, guardian rows) of children start..stop-1 as tuples, their ids from 1."""
    children, guardians = [], []
    for n in range(start, stop):
        birth_on = date(2011, 9, 1) + timedelta(days=n % 3285)
        children.append(
            columns.child_row(
                {
                    **columns.blanks(),
                    "id": n + 1,
                    "name": SURNAMES[n % 20] + GIVEN[n // 20 % 20] + GIVEN[n // 400 % 20],
                    "sex": "MF"[n % 2],
                    "birth_on": birth_on,
                    "id_number": id_number.make("513401", birth_on, (n // 3285) * 2 + 1 - n % 2),
                    "village": villages[n % len(villages)],
                    "school": schools[n % len(schools)] if n % 25 else None,
                    "grade": n % 9 + 1 if n % 25 else None,
                    "group": f"{n % 8 + 1}组",
                    "address": f"第{n % 20 + 1}村{n % 300}号",
                    "ethnicity": "汉族",
                    "is_poor": n % 6 == 0,
                    "is_left_behind": n % 4 == 0,
                    "disability_category": "visual" if n % 50 == 0 else None,
                    "student_number": f"G{n:09d}" if n % 3 else None,
                    "status": "dropped_out" if n % 40 == 0 else "enrolled",
                    "disability_grade": None,
                    "responsible_teacher": None,
                    "registered_on": date(2026, 9, 1),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        )
        for k, (name, relation, phone) in enumerate(GUARDIANS):
            guardian = {"id": 2 * n + k + 1, "child": n + 1, "name": name, "relation": relation, "phone": phone}
            guardians.append(columns.guardian_row({**guardian, "id_number": None}))
    return children, guardians


def load(county, count):
    """A township of 20 villages and 10 schools holding `count` children with two guardians each."""
    township = Township.create(name="城关镇", notice_prefix="城关")
    villages = [Village.create(township=township, name=f"第{n + 1}村").id for n in range(20)]
    schools = [School.create(township=township, name=f"第{n + 1}小学", kind="primary").id for n in range(10)]
    now = datetime.now(UTC).replace(tzinfo=None)
    with database.atomic():
        for start in range(0, count, BATCH):
            children, guardians = generate(start, min(start + BATCH, count), villages, schools, now)
            county.copy("child", columns.CHILD_ROW, children)
            county.copy("guardian", columns.GUARDIAN_ROW, guardians)
    reset_sequence("child")
    reset_sequence("guardian")
    User.create(username="bench", password_hash="-", role="admin")


def floor(county, out):
    """The least an export does: read the same columns raw, write each value as a text cell."""
    workbook = xlsxwriter.Workbook(out, ledger.BOOK_OPTIONS)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["title"])
    sheet.write_row(1, 0, ledger.HEADERS)
    cells = len(ledger.HEADERS) - 1
    for index, row in enumerate(county.floor_rows(), start=2):
        sheet.write_row(index, 0, [str(index - 1), *("" if value is None else str(value) for value in row[:cells])])
    workbook.close()
    return index - 1


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def county_for(args, folder):
    url = os.environ.get("DROPOUT_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresCounty(url, f"bench_ledger_{args.children}", args.keep)
    folder = Path(args.dir or folder)
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteCounty(str(folder / f"bench_ledger_{args.children}.db"))


def measure(county, folder):
    """{name: value} of the floor, the ledger with progress and the ledger under tracemalloc."""
    user = User.get(User.username == "bench")
    calls = []

    def export(progress=None):
        with open(Path(folder) / "ledger.xlsx", "wb") as out:
            return ledger.write_ledger(user, child_search.Filters(), TODAY, out, "示例县", progress=progress)

    floor_seconds, floor_rows = timed(lambda: floor(county, Path(folder) / "floor.xlsx"))
    print(f"floor  : {floor_seconds:6.2f} s  ({floor_rows} rows; {county.dialect} + xlsxwriter)", flush=True)
    seconds, rows = timed(lambda: export(lambda done, total: calls.append((done, total))))
    print(f"ledger : {seconds:6.2f} s  ({rows} rows; {len(calls)} progress calls, the last {calls[-1]})", flush=True)
    size = (Path(folder) / "ledger.xlsx").stat().st_size
    tracemalloc.start()
    export()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "floor_seconds": floor_seconds,
        "floor_rows": floor_rows,
        "ledger_seconds": seconds,
        "rows": rows,
        "size": size,
        "peak": peak,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--dir", help="SQLite: a folder whose bench_ledger_N.db is reused (and kept)")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database it creates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        county = county_for(args, folder)
        app = create_app({"DATABASE_URL": county.url, "SECRET_KEY": "bench", "UPLOADS_DIR": folder})
        try:
            with app.test_request_context():
                database.initialize(open_database(county.url))
                database.connect(reuse_if_open=True)
                migrate()
                if not Township.select().exists():
                    start = time.perf_counter()
                    load(county, args.children)
                    print(f"loaded : {args.children} children in {time.perf_counter() - start:.1f} s", flush=True)
                measured = measure(county, folder)
                database.close()
        finally:
            county.drop()
    return report(**measured)


def report(floor_seconds, ledger_seconds, rows, floor_rows, size, peak):
    """Print the ratio and the memory; 0 when both targets are met, else 1."""
    ratio = ledger_seconds / floor_seconds
    fast, small, same = ratio <= TARGET, peak <= MEMORY_LIMIT, rows == floor_rows
    print(f"size   : {size / 1e6:.1f} MB workbook, {ledger_seconds / max(rows, 1) * 1e6:.0f} µs a row")
    print(f"ratio  : {ratio:.2f} x the floor  (target <= {TARGET:.2f})  {'ok' if fast else 'TOO SLOW'}")
    print(
        f"memory : {peak / 1e6:.1f} MB peak of Python allocations while writing {rows} rows "
        f"(target <= {MEMORY_LIMIT / 1e6:.0f} MB)  {'ok' if small else 'TOO MUCH'}"
    )
    if not same:
        print(f"rows   : the ledger wrote {rows}, the floor {floor_rows}  WRONG")
    return 0 if fast and small and same else 1


if __name__ == "__main__":
    sys.exit(main())

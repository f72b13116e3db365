"""Seconds and memory of the 台账 export against a floor measured in the same run.

Run:  .venv/bin/python scripts/bench_ledger.py [--children N]

Loads N children (default 100,000), each with two guardians, into a temporary SQLite
database, then writes the ledger of all of them three ways:
  floor  : one raw sqlite3 query of the same columns, its rows written by xlsxwriter in
           constant-memory mode (no ORM, no guardians, no labels);
  ledger : roster.ledger.write_ledger, as /children/ledger.xlsx runs it;
  memory : write_ledger again under tracemalloc, for the peak of Python memory, which must
           stay bounded (rows are streamed, not collected).
"""

import argparse
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xlsxwriter  # noqa: E402

from dropout import create_app  # noqa: E402
from dropout.children import search as child_search
from dropout.db import database  # noqa: E402
from dropout.migrations import migrate  # noqa: E402
from dropout.models import Child, Guardian, School, Township, User, Village  # noqa: E402
from dropout.roster import ledger
from dropout.rules import id_number  # noqa: E402

TODAY = date(2026, 11, 22)
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "小明红华军丽强芳伟敏静磊洋艳勇娟涛超霞平"
FLOOR_SQL = """
SELECT c.id, c.name, c.sex, c.id_number, c.birth_on, c.ethnicity, t.name, v.name, c.village_group, c.address,
       s.name, c.grade, c.student_number, c.status, c.notes
FROM child c JOIN village v ON v.id = c.village_id JOIN township t ON t.id = v.township_id
LEFT JOIN school s ON s.id = c.school_id ORDER BY c.village_id, c.name, c.id
"""


def load(count):
    """A township of 20 villages and 10 schools holding `count` children with two guardians each."""
    township = Township.create(name="城关镇", notice_prefix="城关")
    villages = [Village.create(township=township, name=f"第{n + 1}村") for n in range(20)]
    schools = [School.create(township=township, name=f"第{n + 1}小学", kind="primary") for n in range(10)]
    with database.atomic():
        for start in range(0, count, 1000):
            rows = []
            for n in range(start, min(start + 1000, count)):
                birth_on = date(2011, 9, 1) + timedelta(days=n % 3285)
                rows.append(
                    {
                        "name": SURNAMES[n % 20] + GIVEN[n // 20 % 20] + GIVEN[n // 400 % 20],
                        "sex": "MF"[n % 2],
                        "birth_on": birth_on,
                        "id_number": id_number.make("513401", birth_on, (n // 3285) * 2 + 1 - n % 2),
                        "village": villages[n % 20].id,
                        "school": schools[n % 10].id,
                        "grade": n % 9 + 1,
                        "group": f"{n % 8 + 1}组",
                        "address": f"第{n % 20 + 1}村{n % 300}号",
                        "ethnicity": "汉族",
                        "is_left_behind": n % 4 == 0,
                        "status": "enrolled",
                    }
                )
            Child.insert_many(rows).execute()
        ids = [row[0] for row in Child.select(Child.id).tuples()]
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            Guardian.insert_many(
                [{"child": i, "name": "母亲某", "relation": "母亲", "phone": "13900000000"} for i in chunk]
                + [{"child": i, "name": "父亲某", "relation": "父亲", "phone": "13800000000"} for i in chunk]
            ).execute()
    return User.create(username="bench", password_hash="-", role="admin")


def floor(path, out):
    """The least an export does: read the rows with raw sqlite3, write them as text cells."""
    connection = sqlite3.connect(path)
    workbook = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["title"])
    sheet.write_row(1, 0, ledger.HEADERS)
    for index, row in enumerate(connection.execute(FLOOR_SQL), start=2):
        sheet.write_row(index, 0, [str(index - 1)] + ["" if value is None else str(value) for value in row[1:]])
    workbook.close()
    connection.close()


def timed(label, function):
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    print(f"{label:<7}: {seconds:6.2f} s", flush=True)
    return seconds, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench", "UPLOADS_DIR": folder})
        with app.test_request_context(), database.connection_context():
            migrate()
            start = time.perf_counter()
            user = load(args.children)
            print(f"loaded : {args.children} children in {time.perf_counter() - start:.1f} s", flush=True)

            def export():
                with open(Path(folder) / "ledger.xlsx", "wb") as out:
                    return ledger.write_ledger(user, child_search.Filters(), TODAY, out, "示例县")

            floor_seconds, _ = timed("floor", lambda: floor(path, Path(folder) / "floor.xlsx"))
            ledger_seconds, rows = timed("ledger", export)
            tracemalloc.start()
            export()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = (Path(folder) / "ledger.xlsx").stat().st_size
    print(f"rows   : {rows}  ({size / 1e6:.1f} MB workbook)")
    print(f"ratio  : {ledger_seconds / floor_seconds:.2f} x the floor")
    print(f"memory : {peak / 1e6:.1f} MB peak of Python allocations while writing {rows} rows")


if __name__ == "__main__":
    main()

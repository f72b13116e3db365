"""Seconds to summarise a month for every unit of the county, against a floor measured in the same run.

Run:  .venv/bin/python scripts/bench_summary.py [--children N] [--db PATH] [--month YYYY-MM]

Loads the demo county with N children (default 1,000,000: about a minute or two) into a temporary
SQLite file, or reuses the database at --db, then times:
  floor   : one hand-written GROUP BY over the child table (raw sqlite3, the same file): counts by
            village, school, sex and status, the least a summary of every unit must read;
  summary : services.summary_figures.compute for the month, every unit at once (the stock scan,
            the replayed status history, the month's events), as the monthly job runs it;
  frozen  : summaries.generate_month, which also writes the rows in one transaction.
Target: the summary at most 5× the floor.
"""
import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropout import create_app  # noqa: E402
from dropout.db import database  # noqa: E402
from dropout.migrations import migrate  # noqa: E402
from dropout.services import demo, summaries  # noqa: E402
from dropout.services.summary_figures import Month, compute  # noqa: E402

FLOOR_SQL = "SELECT village_id, school_id, sex, status, COUNT(*) FROM child GROUP BY 1, 2, 3, 4"
TARGET = 5.0


def best(run, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing SQLite file holding a county (skips loading)")
    parser.add_argument("--month", default=None, help="YYYY-MM (default: last month)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.db or str(Path(folder.name) / "bench.db")
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True})
    month = Month.parse(args.month) if args.month else Month(date.today().year, date.today().month).previous()
    with app.app_context(), app.test_request_context():
        database.connect(reuse_if_open=True)
        migrate()
        if not args.db:
            start = time.perf_counter()
            demo.load(args.children, 2026, config=app.config)
            print(f"loaded {args.children} children in {time.perf_counter() - start:.1f} s")
        children = database.execute_sql("SELECT COUNT(*) FROM child").fetchone()[0]
        changes = database.execute_sql("SELECT COUNT(*) FROM child_change").fetchone()[0]
        connection = sqlite3.connect(path)
        floor, groups = best(lambda: connection.execute(FLOOR_SQL).fetchall(), args.repeat)
        summary, units = best(lambda: compute(month), args.repeat)
        frozen, _result = best(lambda: summaries.generate_month(month), 1)
    ratio = summary / floor
    print(f"county  : {children} children, {changes} status changes, month {month}")
    print(f"floor   : {floor:6.2f} s  ({len(groups)} groups: one GROUP BY, raw sqlite3)")
    print(f"summary : {summary:6.2f} s  ({len(units)} units, every figure by stage and sex)")
    print(f"frozen  : {frozen:6.2f} s  (computed and written as rows, one transaction)")
    print(f"ratio   : {ratio:.2f}  (target <= {TARGET:.2f})  {'ok' if ratio <= TARGET else 'TOO SLOW'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

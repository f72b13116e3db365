"""The scheduler (issue 6): jobs claimed once per period, missed months caught up, locked months left
alone, every run recorded; one scheduler process per database; a job killed half-way (issue 7)
leaves a month absent or complete, never half-written."""

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import POSTGRES, on_postgres, postgres_database

from dropout import create_app, job_results, jobs
from dropout.db import database
from dropout.demo import county as demo
from dropout.migrations import migrate
from dropout.models import JobClaim, JobRun, MonthlySummary, ReturnNotice, School, SummaryMonth, Township, Village
from dropout.reporting import summaries
from dropout.reporting.figures import Month

ROOT = Path(__file__).resolve().parent.parent
OCTOBER = Month(2026, 10)
TIMEOUT = 60  # seconds any subprocess may take before the test gives up on it
BIG = 30000 if POSTGRES else 60000  # children in the county the processes race and are killed on


# -- helpers ---------------------------------------------------------------------------------------


def environment(url, tmp_path):
    env = dict(
        os.environ,
        DROPOUT_DATABASE_URL=url,
        DROPOUT_REPORTS_DIR=str(tmp_path / "reports"),
        DROPOUT_SECRET_KEY="test secret",
    )
    env.pop("DROPOUT_TEST_POSTGRES", None)
    return env


def flask_command(*args):
    return [sys.executable, "-m", "flask", "--app", "dropout", *args]


def flask(url, tmp_path, *args):
    """Run one `flask --app dropout` command to its end."""
    return subprocess.run(
        flask_command(*args), cwd=ROOT, env=environment(url, tmp_path), capture_output=True, text=True, timeout=TIMEOUT
    )


def start(url, tmp_path, *args, log=None):
    """Start one `flask --app dropout` command; its output goes to `log` (a file) or nowhere."""
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            flask_command(*args), cwd=ROOT, env=environment(url, tmp_path), stdout=out, stderr=subprocess.STDOUT
        )
    finally:
        if log:
            out.close()


def stop(process):
    if process.poll() is None:
        process.kill()
    process.wait(timeout=TIMEOUT)


def units():
    """Every unit a month is summarised for: the county, its townships, villages and schools."""
    return 1 + Township.select().count() + Village.select().count() + School.select().count()


def claims(job=jobs.MONTHLY):
    return [c.period for c in JobClaim.select().where(JobClaim.job == job).order_by(JobClaim.period)]


def summary_rows(month=OCTOBER):
    return MonthlySummary.select().where(MonthlySummary.month == str(month)).count()


def months():
    return [m.month for m in SummaryMonth.select().order_by(SummaryMonth.month)]


def open_app(url, tmp_path):
    """An app bound to `url`, for looking at a database the subprocesses wrote."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "REPORTS_DIR": str(tmp_path / "reports")}
    )


@pytest.fixture
def county(app, db, make_user):
    """A small demo county (400 children, a year of case work); its county admin."""
    demo.load(n_children=400, seed=3, today=date(2026, 11, 2), config=app.config)
    return make_user("admin")


@pytest.fixture
def no_archive(app, monkeypatch):
    """The report archive switched off (DROPOUT_ARCHIVE_REPORTS=0): the jobs go on without it (and faster)."""
    monkeypatch.setitem(app.config, "ARCHIVE_REPORTS", 0)


# -- a big county, loaded once, copied per test ---------------------------------------------------


@pytest.fixture(scope="module")
def big_county(tmp_path_factory):
    """A demo county of BIG children, loaded once: a SQLite file, or a PostgreSQL template database."""
    folder = tmp_path_factory.mktemp("county")
    if not POSTGRES:
        url = f"sqlite:///{folder / 'county.db'}"
        _load_big(url, folder)
        yield url
        return
    with postgres_database("county") as url:
        _load_big(url, folder)
        yield url


def _load_big(url, folder):
    app = open_app(url, folder)
    with app.app_context(), database.connection_context():
        migrate()
        demo.load(n_children=BIG, seed=7, today=date(2026, 11, 2), config=app.config)
        if not POSTGRES:
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole county in the file we copy


@pytest.fixture
def county_copy(big_county, tmp_path):
    """A fresh copy of the big county for one test; its URL."""
    if not POSTGRES:
        shutil.copy(big_county[len("sqlite:///") :], tmp_path / "county.db")
        yield f"sqlite:///{tmp_path / 'county.db'}"
        return
    with postgres_database("copy", template=big_county.rsplit("/", 1)[1]) as url:
        yield url


# -- the jobs, called directly ---------------------------------------------------------------------


def test_the_monthly_job_run_twice_generates_once(app, county):
    first = jobs.monthly(OCTOBER, app.config)
    assert (first[0].job, job_results.read(first[0].result), first[0].error) == (
        "monthly",
        {"outcome": "generated", "units": units()},
        "",
    )
    assert [r.job for r in first] == ["monthly", "archive"]  # the archive follows once the summaries are saved
    generated_at = SummaryMonth.get_by_id(str(OCTOBER)).generated_at
    again = jobs.monthly(OCTOBER, app.config)
    assert [(r.job, jobs.outcome_of(r), r.error) for r in again] == [("monthly", "done_before", "")]
    assert summary_rows() == units()
    assert claims() == ["2026-10"]
    assert SummaryMonth.get_by_id(str(OCTOBER)).generated_at == generated_at


def test_an_archive_left_unwritten_is_written_at_the_next_catch_up(app, county, tmp_path):
    summaries.generate_month(OCTOBER, claim=jobs.MONTHLY)  # as if the process died before the archive
    assert jobs.unarchived_months() == [OCTOBER]
    runs = [r for r in jobs.catch_up(date(2026, 11, 2), app.config) if r.job == jobs.ARCHIVE]
    assert [(r.period, r.error) for r in runs] == [("2026-10", "")]
    assert jobs.outcome_of(runs[0]) == "archived" and job_results.read(runs[0].result)["files"] > 0
    assert claims(jobs.ARCHIVE) == ["2026-10"] and jobs.unarchived_months() == []
    assert list((tmp_path / "reports").rglob("*.pdf")) and list((tmp_path / "reports").rglob("*.xlsx"))


def test_a_month_missed_while_down_is_caught_up(app, county, no_archive):
    jobs.monthly(Month(2026, 8), app.config)
    runs = jobs.catch_up(date(2026, 11, 2), app.config)
    assert [(r.job, r.period) for r in runs if r.job != jobs.ARCHIVE] == [
        ("daily", "2026-11-02"),
        ("monthly", "2026-09"),
        ("monthly", "2026-10"),
    ]
    assert all(r.error == "" for r in runs)
    assert months() == ["2026-08", "2026-09", "2026-10"]
    assert claims() == ["2026-08", "2026-09", "2026-10"]
    assert claims(jobs.DAILY) == ["2026-11-02"]
    assert jobs.catch_up(date(2026, 11, 2), app.config) == []  # nothing left to do that day


def test_catching_up_for_the_first_time_generates_only_the_previous_month(app, county, no_archive):
    runs = jobs.catch_up(date(2026, 11, 2), app.config)
    assert [(r.job, r.period) for r in runs] == [
        ("daily", "2026-11-02"),
        ("monthly", "2026-10"),
        ("archive", "2026-10"),
    ]
    assert months() == ["2026-10"]


def test_a_locked_month_is_not_changed_by_the_job(app, county, no_archive, make_child):
    summaries.generate_month(OCTOBER)
    summaries.lock(county, OCTOBER)
    before = [(r.unit_kind, r.unit_id, r.figures) for r in MonthlySummary.select().order_by(MonthlySummary.id)]
    generated_at = SummaryMonth.get_by_id(str(OCTOBER)).generated_at
    make_child()  # the county changed since; the locked figures must not
    runs = jobs.catch_up(date(2026, 11, 2), app.config)
    monthly = [r for r in runs if r.job == jobs.MONTHLY]
    assert [(job_results.read(r.result), r.error) for r in monthly] == [({"outcome": "locked", "month": "2026-10"}, "")]
    assert [(r.unit_kind, r.unit_id, r.figures) for r in MonthlySummary.select().order_by(MonthlySummary.id)] == before
    assert SummaryMonth.get_by_id(str(OCTOBER)).generated_at == generated_at
    assert claims() == ["2026-10"]  # settled: not tried again at every catch-up
    assert [r for r in jobs.catch_up(date(2026, 11, 3), app.config) if r.job == jobs.MONTHLY] == []


def test_the_daily_job_marks_overdue_notices_once_and_counts_what_is_due(app, county):
    served = (
        ReturnNotice.select()
        .where((ReturnNotice.status == "served") & (ReturnNotice.deadline_on < date(2026, 11, 10)))
        .count()
    )
    assert served  # the demo county has notices whose deadline passes
    run = jobs.daily(date(2026, 11, 10), app.config)
    assert run.error == ""
    result = job_results.read(run.result)
    assert (result.pop("outcome"), result.pop("notices_overdue")) == ("counted", served)
    assert set(result) >= {"visits_due", "to_confirm", "followups_due", "exemptions_expiring"}
    assert jobs.outcome_of(jobs.daily(date(2026, 11, 10), app.config)) == "done_before"
    assert claims(jobs.DAILY) == ["2026-11-10"]


def test_job_runs_record_start_end_result_and_error_without_personal_data(app, db):
    ok = jobs.run_job("test", "2026-11-02", lambda: jobs.outcome("archived", files=3))
    assert (ok.job, ok.period, ok.result, ok.error) == ("test", "2026-11-02", '{"outcome": "archived", "files": 3}', "")
    assert ok.started_at <= ok.finished_at

    def fail():
        raise ValueError("张三 513401201503140011 has no school")

    failed = jobs.run_job("test", "2026-11-03", fail)
    assert failed.finished_at is not None and failed.result == ""
    assert failed.error.startswith("ValueError (at dropout/jobs.py:")  # the kind and where, not the message
    assert "张三" not in failed.error and "5134" not in failed.error
    assert [r.period for r in jobs.recent_runs()] == ["2026-11-03", "2026-11-02"]
    assert [r.period for r in jobs.recent_runs(limit=1)] == ["2026-11-03"]


def test_a_failing_month_is_recorded_claims_nothing_and_stops_the_catch_up(app, county, no_archive):
    broken = dict(app.config, SCHOOL_START_AGE=None)  # the figures cannot be computed
    runs = jobs.catch_up(date(2027, 1, 2), broken)
    monthly = [r for r in runs if r.job == jobs.MONTHLY]
    assert [r.period for r in monthly] == ["2026-12"]  # no month ever claimed: just the previous one
    assert monthly[0].error.startswith("TypeError") and monthly[0].finished_at is not None
    assert claims() == [] and months() == []
    jobs.monthly(Month(2026, 10), app.config)
    runs = jobs.run_months(date(2027, 1, 2), broken)
    assert [(r.period, bool(r.error)) for r in runs] == [("2026-11", True)]  # 2026-12 waits for 2026-11
    assert jobs.months_due(date(2027, 1, 2)) == [Month(2026, 11), Month(2026, 12)]


def test_the_schedule_catches_up_daily_in_the_county_time_zone(app):
    from dropout import scheduler

    app.config.update(TIMEZONE="Asia/Urumqi", SCHEDULER_DAILY_AT="02:45")
    built = scheduler.build(app)
    by_id = {job.id: job for job in built.get_jobs()}
    assert set(by_id) == {"daily"}  # the catch-up: the daily job, and the months due on the 1st
    fields = {name: {f.name: str(f) for f in job.trigger.fields} for name, job in by_id.items()}
    assert {name: (f["day"], f["hour"], f["minute"]) for name, f in fields.items()} == {"daily": ("*", "2", "45")}
    for job in by_id.values():
        assert str(job.trigger.timezone) == "Asia/Urumqi"
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, scheduler.MISFIRE_GRACE_SECONDS)
    with pytest.raises(SystemExit, match="DROPOUT_SCHEDULER_DAILY_AT"):
        scheduler.daily_time("25:00")


# -- the commands ----------------------------------------------------------------------------------


def test_summaries_command_generates_a_month_and_refuses_bad_input(app, runner, county, monkeypatch):
    result = runner.invoke(args=["summaries", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    with database.connection_context():
        assert f"2026-10: summaries generated for {units()} units" in result.output
        assert claims() == []  # by hand: no claim, so it can regenerate an unlocked month
    assert "2026-10: archive:" in result.output and "files written" in result.output
    again = runner.invoke(args=["summaries", "--month", "2026-10"])
    assert again.exit_code == 1 and "--force" in again.output
    monkeypatch.setitem(app.config, "ARCHIVE_REPORTS", 0)  # written once is enough here
    forced = runner.invoke(args=["summaries", "--month", "2026-10", "--force"])
    assert forced.exit_code == 0 and "summaries regenerated" in forced.output
    assert "archive: Not written: the report archive is turned off" in forced.output
    for bad in ("2026-13", "2026/10", "oct", ""):
        result = runner.invoke(args=["summaries", "--month", bad])
        assert result.exit_code == 1 and "month: " in result.output and "YYYY-MM" in result.output, bad
    future = runner.invoke(args=["summaries", "--month", "2999-01"])
    assert future.exit_code == 1 and "month: " in future.output and "2999-01" in future.output
    with database.connection_context():
        summaries.lock(county, OCTOBER)
    locked = runner.invoke(args=["summaries", "--month", "2026-10", "--force"])
    assert locked.exit_code == 1 and "2026-10 is locked" in locked.output


def test_run_jobs_command_catches_up_once(app, runner, county, no_archive):
    result = runner.invoke(args=["run-jobs", "--date", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert "monthly 2026-10: Figures generated for" in result.output
    assert re.search(r"daily 2026-11-02: \d+ notices newly overdue; \d+ children due a visit", result.output)
    assert runner.invoke(args=["run-jobs", "--date", "2026-11-02"]).output.strip() == "nothing to do"
    bad = runner.invoke(args=["run-jobs", "--date", "2026-02-30"])
    assert bad.exit_code == 1 and "date: not a date" in bad.output


def test_the_web_app_starts_no_scheduler(tmp_path):
    code = (
        "import sys, threading; from dropout import create_app; create_app({'SECRET_KEY': 'x', "
        f"'DATABASE_URL': 'sqlite:///{tmp_path / 'x.db'}'}}); "
        "assert 'apscheduler' not in sys.modules, 'apscheduler imported'; "
        "assert threading.active_count() == 1, threading.enumerate()"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr


# -- real processes --------------------------------------------------------------------------------


def test_a_second_scheduler_refuses_to_start(app, database_url, tmp_path):
    log = tmp_path / "first.log"
    first = start(database_url, tmp_path, "scheduler", log=log)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "scheduler running" not in log.read_text():
            assert first.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the first scheduler did not start"
            time.sleep(0.1)
        second = flask(database_url, tmp_path, "scheduler")
        assert second.returncode == 1
        assert "already running for this database" in second.stderr
        assert "catching up" not in second.stderr + second.stdout  # refused before doing anything
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=TIMEOUT) == 0  # a clean stop
        assert "scheduler stopped" in log.read_text()
        again = start(database_url, tmp_path, "scheduler", log=tmp_path / "again.log")  # the lock went with it
        try:
            deadline = time.monotonic() + TIMEOUT
            while "scheduler running" not in (tmp_path / "again.log").read_text():
                assert again.poll() is None, (tmp_path / "again.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.1)
            again.send_signal(signal.SIGINT)
            assert again.wait(timeout=TIMEOUT) == 0
        finally:
            stop(again)
    finally:
        stop(first)


def test_two_run_jobs_at_once_generate_one_set_of_summaries(county_copy, tmp_path):
    processes = [start(county_copy, tmp_path, "run-jobs", "--date", "2026-11-02") for _ in range(2)]
    try:
        assert [p.wait(timeout=TIMEOUT) for p in processes] == [0, 0]
    finally:
        for process in processes:
            stop(process)
    app = open_app(county_copy, tmp_path)
    with app.app_context(), database.connection_context():
        assert months() == ["2026-10"]
        assert summary_rows() == units()
        assert claims() == ["2026-10"] and claims(jobs.DAILY) == ["2026-11-02"]
        runs = JobRun.select().where(JobRun.job == jobs.MONTHLY)
        assert [jobs.outcome_of(run) for run in runs].count("generated") == 1


def test_a_job_killed_half_way_leaves_the_month_absent_or_complete(county_copy, tmp_path):
    """kill -9 in the middle, a few times: the database stays sound and the month whole; a re-run generates it once."""
    app = open_app(county_copy, tmp_path)
    with app.app_context(), database.connection_context():
        expected = units()
    commands = [("summaries", "--month", "2026-10", "--force"), ("run-jobs", "--date", "2026-11-02")] * 2
    for command in commands:
        process = start(county_copy, tmp_path, *command)
        delay = random.uniform(0.5, 2.5)
        try:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
        finally:
            stop(process)
        if not on_postgres():
            check = sqlite3.connect(county_copy[len("sqlite:///") :])
            try:
                assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)], delay
            finally:
                check.close()
        with app.app_context(), database.connection_context():
            assert summary_rows() in (0, expected), (command, delay)
            assert (SummaryMonth.get_or_none(SummaryMonth.month == "2026-10") is None) == (summary_rows() == 0)
    for _ in range(2):
        result = flask(county_copy, tmp_path, "run-jobs", "--date", "2026-11-02")
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nothing to do"
    with app.app_context(), database.connection_context():
        assert months() == ["2026-10"] and summary_rows() == expected
        assert claims() == ["2026-10"]

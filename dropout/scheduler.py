"""The scheduler process (`flask --app dropout scheduler`): one per database, in the county's time zone.

On start it takes the database's single-instance lock, refusing when another scheduler holds it;
then it catches up what was missed while it was down, and catches up again every day at
SCHEDULER_DAILY_AT (the daily job; on the 1st, last month's) until SIGTERM or SIGINT.
The jobs themselves are in dropout/jobs.py and claim their periods in the database, so the lock
only keeps a second process from doing the same work for nothing. The web app never starts this.
"""

import fcntl
import logging
import os
import signal
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from . import clock, jobs
from .db import database, is_postgres, open_database

# A run late by up to this much (the machine slept, the other job ran long) still happens, once;
# a month missed for longer is done by the next monthly run or the next start's catch-up.
MISFIRE_GRACE_SECONDS = 12 * 3600
ADVISORY_LOCK_KEY = int.from_bytes(b"dropout", "big")  # pg_try_advisory_lock's key for this app

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another scheduler process holds this database's lock."""


class Stop(BaseException):
    """SIGTERM or SIGINT: leave the schedule once the running job has finished."""


def daily_time(text):
    """'01:30' → (1, 30); SystemExit with the setting's name otherwise."""
    hour, _, minute = str(text).strip().partition(":")
    if hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2:
        return int(hour), int(minute)
    raise SystemExit(f"DROPOUT_SCHEDULER_DAILY_AT must be a time of day such as 01:30, not {text!r}")


def acquire_lock(app):
    """Take the single-instance lock for the life of the process; AlreadyRunning when it is held."""
    if is_postgres():
        return _postgres_lock(app.config["DATABASE_URL"])
    path = database.obj.database
    if path in ("", ":memory:"):
        return _file_lock(Path(app.instance_path) / "scheduler.lock")
    return _file_lock(Path(f"{path}.scheduler-lock"))


def _file_lock(path):
    """SQLite: an exclusive flock on a file beside the database; the kernel drops it when the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise AlreadyRunning(
            f"another scheduler (pid {holder}) is already running for this database "
            f"(it holds {path}); not starting a second one"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _postgres_lock(url):
    """PostgreSQL: a session advisory lock on a connection of its own, held until the process ends."""
    holder = open_database(url)
    holder.connect()
    holder.execute_sql("SET application_name = 'dropout scheduler'")
    if not holder.execute_sql("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
        holder.close()
        raise AlreadyRunning(
            "another scheduler is already running for this database (it holds the "
            f"advisory lock {ADVISORY_LOCK_KEY}); not starting a second one"
        )
    return holder


def release_lock(lock):
    """Let go of the lock: close its file or its PostgreSQL connection."""
    lock.close()


def _in_app(app, job):
    """The job as APScheduler calls it: in the app's context, on the thread's own connection, on the county's today."""

    def scheduled():
        with app.app_context(), database.connection_context():
            job(clock.today(app.config), app.config)

    scheduled.__name__ = job.__name__
    return scheduled


def _stop(signum, frame):
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)  # a second signal ends the process at once
    raise Stop(signal.Signals(signum).name)


def build(app):
    """A BlockingScheduler running the catch-up every day, in the county's time zone."""
    hour, minute = daily_time(app.config["SCHEDULER_DAILY_AT"])
    zone = clock.zone(app.config)
    # One worker: the jobs never run at once, so on SQLite they never wait on each other's writes.
    scheduler = BlockingScheduler(timezone=zone, executors={"default": ThreadPoolExecutor(max_workers=1)})
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}
    # Each day the catch-up: the daily job, and on the 1st (or after any gap) the months due and any
    # archive left unwritten; everything it does is claimed, so nothing runs twice.
    scheduler.add_job(
        _in_app(app, jobs.catch_up),
        CronTrigger(hour=hour, minute=minute, timezone=zone),
        id="daily",
        name="daily",
        **options,
    )
    return scheduler


def run(app):
    """Run the scheduler process until SIGTERM or SIGINT; AlreadyRunning when another one holds the lock."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lock = acquire_lock(app)
    scheduler = build(app)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        log.info("scheduler started (pid %d); catching up", os.getpid())
        _in_app(app, jobs.catch_up)()
        now = clock.now(app.config)
        for job in scheduler.get_jobs():
            log.info("%s job: next run %s", job.name, job.trigger.get_next_fire_time(None, now).isoformat())
        log.info("scheduler running")
        scheduler.start()
    except Stop as stop:
        log.info("%s received: stopping once the running job has finished", stop)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        release_lock(lock)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
    log.info("scheduler stopped")

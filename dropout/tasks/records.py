"""The record of each background task, and its folder: who asked for what, where it stands, and its result.

A task is queued, then running, then done or failed; a done task's result expires after a number of days.
Each task has a folder under the tasks directory holding its progress (progress.json, rewritten in place
and touched by a heartbeat while the task runs) and its result, written under a temporary name and renamed
when complete: a worker killed mid-task leaves no result, and its silent heartbeat marks the task failed.
Progress is a file, not a row, so that a task writing inside a long transaction can still report it.
"""

import json
import os
import shutil
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from flask_babel import gettext as _
from peewee import IntegrityError

from ..db import database
from ..models import BackgroundTask, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
RESULT = "result"
PART = "result.part"
PROGRESS = "progress.json"
HEARTBEAT_SECONDS = 5


def folder(tasks_dir, task):
    return Path(tasks_dir) / task.key


def result_path(tasks_dir, task):
    return folder(tasks_dir, task) / RESULT


class Busy(Exception):
    """The user already has a task queued or running (`task`, or None if it finished meanwhile)."""

    def __init__(self, task, message):
        super().__init__(message)
        self.task, self.message = task, message


def create(user, kind, title, params, tasks_dir, stale_seconds):
    """Record a queued task of `user`; Busy when they already have one queued or running: one at a time,
    so that a second click never runs the same work twice."""
    fail_stale(tasks_dir, stale_seconds, owner=user.id)
    try:
        with database.atomic():
            task = BackgroundTask.create(
                key=uuid.uuid4().hex,
                owner=user.id,
                active_owner=user.id,
                kind=kind,
                title=title,
                params=json.dumps(params, ensure_ascii=False, default=str),
            )
    except IntegrityError:
        running = BackgroundTask.get_or_none(BackgroundTask.active_owner == user.id)
        message = _("You already have a task in progress: %(title)s. Wait for it to finish, or cancel it.",
                    title=running.title if running else "")  # fmt: skip
        raise Busy(running, message) from None
    folder(tasks_dir, task).mkdir(parents=True, exist_ok=True)
    return task


def visible(user, key):
    """The task with this key if `user` may see it (who started it, or the county administrator), else None."""
    task = BackgroundTask.get_or_none(BackgroundTask.key == str(key)[:32])
    if task is None or (task.owner_id != user.id and user.role != "admin"):
        return None
    return task


def listed(user, limit=50):
    """The user's tasks, newest first (the administrator's list holds everyone's)."""
    query = BackgroundTask.select().order_by(BackgroundTask.created_at.desc(), BackgroundTask.id.desc())
    if user.role != "admin":
        query = query.where(BackgroundTask.owner == user.id)
    return list(query.limit(limit))


def claim(task):
    """Move a queued task to running; False when it is not queued (cancelled, or run already)."""
    claimed = (
        BackgroundTask.update(status=RUNNING, started_at=utcnow())
        .where((BackgroundTask.id == task.id) & (BackgroundTask.status == QUEUED))
        .execute()
    )
    return claimed == 1


def finish(task, keep_days, outcome=None, result_name="", message=""):
    """Mark a running task done: its result (already renamed into place) is kept for `keep_days`."""
    now = utcnow()
    BackgroundTask.update(
        status=DONE,
        active_owner=None,
        finished_at=now,
        expires_at=now + timedelta(days=keep_days),
        outcome=json.dumps(outcome or {}, ensure_ascii=False, default=str),
        result_name=result_name,
        message=message,
    ).where(BackgroundTask.id == task.id).execute()


def fail(task, tasks_dir, message, statuses=ACTIVE):
    """Mark a task failed with the reason shown to the user; any partial result goes."""
    failed = (
        BackgroundTask.update(status=FAILED, active_owner=None, finished_at=utcnow(), message=message)
        .where((BackgroundTask.id == task.id) & BackgroundTask.status.in_(statuses))
        .execute()
    )
    for name in (PART, RESULT):
        (folder(tasks_dir, task) / name).unlink(missing_ok=True)
    return failed == 1


def cancel(task, tasks_dir):
    """Cancel a task that has not started; False once it runs (a running task finishes or fails)."""
    return fail(task, tasks_dir, _("Cancelled before it started."), statuses=(QUEUED,))


def read_progress(tasks_dir, task):
    """(done, total or None, seconds since the last heartbeat or None) of a task."""
    path = folder(tasks_dir, task) / PROGRESS
    try:
        data = json.loads(path.read_text())
        age = time.time() - path.stat().st_mtime
    except (OSError, ValueError):
        return 0, None, None
    return int(data.get("done") or 0), data.get("total"), age


def fail_stale(tasks_dir, stale_seconds, owner=None):
    """Fail the running tasks whose worker has gone quiet (killed, or its machine down): no heartbeat for
    `stale_seconds`. Returns how many. Their partial results are removed; the transaction they wrote in,
    if any, was rolled back by the database when the worker's connection dropped."""
    query = BackgroundTask.select().where(BackgroundTask.status == RUNNING)
    if owner is not None:
        query = query.where(BackgroundTask.owner == owner)
    failed = 0
    for task in query:
        _done, _total, age = read_progress(tasks_dir, task)
        started = task.started_at and (utcnow() - task.started_at).total_seconds()
        quiet = age if age is not None else started
        if quiet is not None and quiet > stale_seconds:
            message = _("The worker stopped while running this task, so nothing of it was kept. Start it again.")
            failed += fail(task, tasks_dir, message, statuses=(RUNNING,))
    return failed


def expired(task, now=None):
    return task.status == DONE and task.expires_at is not None and task.expires_at <= (now or utcnow())


def purge_expired(tasks_dir, now=None):
    """Delete the results of tasks past their expiry, and the folders of finished tasks; the records stay.
    Idempotent: returns how many folders went."""
    now = now or utcnow()
    removed = 0
    finished = BackgroundTask.select().where(
        ((BackgroundTask.status == DONE) & (BackgroundTask.expires_at <= now)) | (BackgroundTask.status == FAILED)
    )
    for task in finished:
        path = folder(tasks_dir, task)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class Progress:
    """The progress callable a runner passes down: progress(done, total); written at most twice a second,
    and a heartbeat thread touches the file every few seconds while the task runs."""

    def __init__(self, tasks_dir, task, interval=0.5):
        self.path = folder(tasks_dir, task) / PROGRESS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.done, self.total, self.written = 0, None, 0.0
        self._stop = threading.Event()
        self._write()
        self._beat = threading.Thread(target=self._heartbeat, name=f"heartbeat-{task.key[:8]}", daemon=True)
        self._beat.start()

    def __call__(self, done, total=None):
        self.done, self.total = done, total if total is not None else self.total
        if time.monotonic() - self.written >= self.interval:
            self._write()

    def _write(self):
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps({"done": self.done, "total": self.total}))
        os.replace(part, self.path)
        self.written = time.monotonic()

    def _heartbeat(self):
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                os.utime(self.path)
            except OSError:
                return

    def close(self):
        self._stop.set()
        self._beat.join()
        self._write()
